//! Turns the U²-Net-p ONNX file into Burn code with its weights embedded (burn-onnx), so the
//! binaries carry the model and load it without touching the disk.
//!
//! The file comes from `scripts/fetch-weights.sh`; `PETPIXEL_U2NETP_ONNX` points elsewhere.

use std::path::PathBuf;
use std::{env, fs};

use burn_onnx::{LoadStrategy, ModelGen};
use onnx_ir::{Message, ModelProto};

/// Size of the published file; a different one is a different (or truncated) model.
const WEIGHTS_BYTES: usize = 4_574_861;

fn main() {
    println!("cargo:rerun-if-env-changed=PETPIXEL_U2NETP_ONNX");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let source = env::var_os("PETPIXEL_U2NETP_ONNX")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("weights/u2netp.onnx"));
    println!("cargo:rerun-if-changed={}", source.display());

    let bytes = fs::read(&source).unwrap_or_else(|e| {
        panic!(
            "cannot read the U²-Net-p weights at {} ({e}): run scripts/fetch-weights.sh",
            source.display()
        )
    });
    assert_eq!(
        bytes.len(),
        WEIGHTS_BYTES,
        "{} is not the published u2netp.onnx: run scripts/fetch-weights.sh",
        source.display()
    );

    // The net has seven outputs: the fused mask first, then six side outputs that only
    // training reads. Keeping the first lets the importer drop the side outputs' final work.
    let mut model = ModelProto::parse_from_bytes(&bytes).expect("u2netp.onnx parses as ONNX");
    let graph = model.graph.as_mut().expect("the model has a graph");
    graph.output.truncate(1);

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let trimmed = out_dir.join("u2netp.onnx");
    fs::write(&trimmed, model.write_to_bytes().expect("ONNX serialises"))
        .expect("OUT_DIR is writable");

    ModelGen::new()
        .input(trimmed.to_str().expect("OUT_DIR is UTF-8"))
        .out_dir("model/")
        .load_strategy(LoadStrategy::Embedded)
        .development(false)
        .run_from_script();
}
