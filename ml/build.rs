//! Turns the U²-Net-p ONNX file into Burn code with its weights embedded (burn-onnx), so the
//! binaries carry the model and load it without touching the disk; with the `full-u2net`
//! feature, the full U²-Net as well (ADR 0012: the model for GPU worker nodes).
//!
//! The files come from `scripts/fetch-weights.sh` (`--full` for the full net);
//! `PETPIXEL_U2NETP_ONNX` and `PETPIXEL_U2NET_ONNX` point elsewhere.

use std::path::PathBuf;
use std::{env, fs};

use burn_onnx::{LoadStrategy, ModelGen};
use onnx_ir::{Message, ModelProto};

/// One of the nets to import.
struct Net {
    /// The file's stem, and the generated module's (`model/{name}.rs`).
    name: &'static str,
    /// What people call it, for messages.
    title: &'static str,
    /// The variable that points at another copy of the file.
    variable: &'static str,
    /// Size of the published file; a different one is a different (or truncated) model.
    bytes: usize,
    /// The command that fetches it.
    fetch: &'static str,
}

const U2NETP: Net = Net {
    name: "u2netp",
    title: "U²-Net-p",
    variable: "PETPIXEL_U2NETP_ONNX",
    bytes: 4_574_861,
    fetch: "scripts/fetch-weights.sh",
};

const U2NET: Net = Net {
    name: "u2net",
    title: "U²-Net",
    variable: "PETPIXEL_U2NET_ONNX",
    bytes: 175_997_641,
    fetch: "scripts/fetch-weights.sh --full",
};

fn main() {
    import(&U2NETP);
    if env::var_os("CARGO_FEATURE_FULL_U2NET").is_some() {
        import(&U2NET);
    }
}

/// Generates `model/{name}.rs` in `OUT_DIR`, the net's weights embedded, its layers routed
/// through `crate::cpu`.
fn import(net: &Net) {
    let Net {
        name,
        title,
        variable,
        bytes: size,
        fetch,
    } = net;
    println!("cargo:rerun-if-env-changed={variable}");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let source = env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join(format!("weights/{name}.onnx")));
    println!("cargo:rerun-if-changed={}", source.display());

    let bytes = fs::read(&source).unwrap_or_else(|e| {
        panic!(
            "cannot read the {title} weights at {} ({e}): run {fetch}",
            source.display()
        )
    });
    assert_eq!(
        bytes.len(),
        *size,
        "{} is not the published {name}.onnx: run {fetch}",
        source.display()
    );

    // The net has seven outputs: the fused mask first, then six side outputs that only
    // training reads. Keeping the first lets the importer drop the side outputs' final work.
    let mut model =
        ModelProto::parse_from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}.onnx: {e}"));
    let graph = model.graph.as_mut().expect("the model has a graph");
    graph.output.truncate(1);

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let trimmed = out_dir.join(format!("{name}.onnx"));
    fs::write(&trimmed, model.write_to_bytes().expect("ONNX serialises"))
        .expect("OUT_DIR is writable");
    // The full net's copies are 176 MB each: freed before burn-onnx reads the file again.
    drop(model);
    drop(bytes);

    ModelGen::new()
        .input(trimmed.to_str().expect("OUT_DIR is UTF-8"))
        .out_dir("model/")
        .load_strategy(LoadStrategy::Embedded)
        .development(false)
        .run_from_script();

    let generated = out_dir.join(format!("model/{name}.rs"));
    let code = fs::read_to_string(&generated).expect("burn-onnx wrote the model");
    let routed = generic_forward(&fuse_concatenations(&route_layers(&code)));
    fs::write(&generated, routed).expect("OUT_DIR is writable");
}

/// The layers in the generated code: convolutions (and the ReLUs right after them), max pools
/// and bilinear resizes. The same for both nets: U²-Net-p is U²-Net with fewer channels.
const CONVOLUTIONS: usize = 119;
const CONV_RELUS: usize = 112;
const MAX_POOLS: usize = 33;
const RESIZES: usize = 38;
/// `Tensor<4>` in the generated forward passes' signatures, and the passes themselves.
const TENSOR_TYPES: usize = 37;
const FORWARDS: usize = 10;

/// Channel concatenations whose only reader is the convolution right after them (three more
/// cross from one generated submodule to the next and stay concatenations).
const CONCATS_INTO_CONV: usize = 48;

/// Sends the net's layers through `crate::cpu`, whose kernels run them on the CPU and which
/// calls Burn's ops everywhere else, and folds the ReLU that follows a convolution into it.
/// burn-onnx (pinned) writes each layer call on one line:
///
/// ```text
/// let conv2d7_out1 = self.conv2d7.forward(x);
/// let relu7_out1 = burn::tensor::activation::relu(conv2d7_out1);
/// let maxpool2d1_out1 = self.maxpool2d1.forward(relu7_out1.clone());
///     burn::tensor::module::interpolate(
/// ```
///
/// The counts are checked, so a generator that writes them differently fails the build
/// instead of quietly losing the fast path.
fn route_layers(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = String::with_capacity(code.len());
    let (mut convs, mut fused, mut pools, mut resizes) = (0, 0, 0, 0);
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim_start() == "burn::tensor::module::interpolate(" {
            resizes += 1;
            out.push_str(&line.replace("burn::tensor::module::", "crate::cpu::"));
            out.push('\n');
            continue;
        }
        let Some((indent, name, arg)) = layer_call(line) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        if name.starts_with("maxpool2d") {
            pools += 1;
            out.push_str(&format!(
                "{indent}let {name}_out1 = crate::cpu::max_pool2d(&self.{name}, {arg});\n"
            ));
            continue;
        }
        convs += 1;
        let relu = lines.get(i).and_then(|next| {
            let rest = next.trim_start().strip_prefix("let ")?;
            let (target, call) = rest.split_once(" = ")?;
            (call == format!("burn::tensor::activation::relu({name}_out1);")).then_some(target)
        });
        match relu {
            Some(target) => {
                fused += 1;
                i += 1;
                out.push_str(&format!(
                    "{indent}let {target} = crate::cpu::conv2d(&self.{name}, {arg}, true);\n"
                ));
            }
            None => out.push_str(&format!(
                "{indent}let {name}_out1 = crate::cpu::conv2d(&self.{name}, {arg}, false);\n"
            )),
        }
    }
    assert_eq!(
        (convs, fused, pools, resizes),
        (CONVOLUTIONS, CONV_RELUS, MAX_POOLS, RESIZES),
        "burn-onnx's code for U²-Net changed shape: update route_layers"
    );
    out
}

/// `(indent, module, argument)` of a line `let convN_out1 = self.convN.forward(arg);` or the
/// same for a `maxpool2dN`.
fn layer_call(line: &str) -> Option<(&str, &str, &str)> {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let rest = body.strip_prefix("let ")?;
    let (target, call) = rest.split_once(" = self.")?;
    let (name, arg) = call.split_once(".forward(")?;
    let arg = arg.strip_suffix(");")?;
    let layer = name.starts_with("conv2d") || name.starts_with("maxpool2d");
    (layer && target == format!("{name}_out1")).then_some((indent, name, arg))
}

/// Hands a channel concatenation whose only reader is the next convolution to that
/// convolution as parts (`crate::cpu::conv2d_cat`), so the CPU never builds it:
///
/// ```text
/// let concat4_out1 = burn::tensor::Tensor::cat(
///     [resize1_out1, relu6_out1].into(),
///     1,
/// );
/// let relu10_out1 = crate::cpu::conv2d(&self.conv2d10, concat4_out1, true);
/// ```
fn fuse_concatenations(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = String::with_capacity(code.len());
    let mut fused = 0;
    let mut i = 0;
    while i < lines.len() {
        if let Some((next, fused_line)) = fused_concat(code, &lines, i) {
            out.push_str(&fused_line);
            out.push('\n');
            fused += 1;
            i = next;
            continue;
        }
        out.push_str(lines[i]);
        out.push('\n');
        i += 1;
    }
    assert_eq!(
        fused, CONCATS_INTO_CONV,
        "burn-onnx's code for U²-Net changed shape: update fuse_concatenations"
    );
    out
}

/// When a concatenation statement starts at `lines[at]` and only the convolution right after
/// it reads it: the index after that convolution and the fused call that replaces both.
fn fused_concat(code: &str, lines: &[&str], at: usize) -> Option<(usize, String)> {
    let first = lines[at];
    let body = first.trim_start();
    let indent = &first[..first.len() - body.len()];
    let (target, _) = body
        .strip_prefix("let ")?
        .split_once(" = burn::tensor::Tensor::cat(")?;
    // The statement runs to the first line that ends it.
    let end = (at..lines.len()).find(|&j| lines[j].trim_end().ends_with(';'))?;
    let statement: String = lines[at..=end].iter().map(|l| l.trim()).collect();
    let inner = statement
        .split_once("Tensor::cat(")?
        .1
        .strip_suffix(");")?
        .trim_end_matches(',');
    let (parts, dim) = inner.rsplit_once("].into(),")?;
    let parts = parts.strip_prefix('[')?;
    let conv = lines.get(end + 1)?.trim_start();
    let (conv_target, call) = conv
        .strip_prefix("let ")?
        .split_once(" = crate::cpu::conv2d(")?;
    let (module, rest) = call.split_once(", ")?;
    let relu = rest
        .strip_prefix(&format!("{target}, "))?
        .strip_suffix(");")?;
    let only_reader = word_count(code, target) == 2;
    (dim.trim() == "1" && only_reader).then(|| {
        (
            end + 2,
            format!("{indent}let {conv_target} = crate::cpu::conv2d_cat({module}, vec![{parts}], {relu});"),
        )
    })
}

/// How often `word` occurs in `code` as a whole identifier.
fn word_count(code: &str, word: &str) -> usize {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(word)
        .filter(|&(i, _)| {
            let before = code[..i].chars().next_back();
            let after = code[i + word.len()..].chars().next();
            !before.is_some_and(ident) && !after.is_some_and(ident)
        })
        .count()
}

/// Makes every generated forward pass generic over `crate::cpu::Layers`, so one pass runs on
/// Burn tensors (a GPU) or on the CPU kernels' buffers: `Tensor<4>` becomes `L`, and the ops
/// that are not yet routed (`Tensor::cat` across submodules, the final sigmoid) go through
/// `crate::cpu` too. `.add`, `.dims` and `.clone` are `Layers` methods.
fn generic_forward(code: &str) -> String {
    let types = code.matches("Tensor<4>").count();
    let forwards = code.matches("pub fn forward(").count();
    assert_eq!(
        (types, forwards),
        (TENSOR_TYPES, FORWARDS),
        "burn-onnx's code for U²-Net changed shape: update generic_forward"
    );
    code.replace("pub fn forward(", "pub fn forward<L: crate::cpu::Layers>(")
        .replace("Tensor<4>", "L")
        .replace("burn::tensor::Tensor::cat(", "crate::cpu::cat(")
        .replace("burn::tensor::activation::sigmoid(", "crate::cpu::sigmoid(")
}
