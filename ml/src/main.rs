//! `petpixel-ml`: run the sprite pipeline on a photo from the command line, or time its stages.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ml::{MlError, Pipeline, SpriteOptions};

const USAGE: &str = "usage:
  petpixel-ml sprite INPUT OUTDIR [--size 32|48|64] [--colors K]
      writes mask.png, cutout.png, sprite.png, sheet.png and sheet.json to OUTDIR
  petpixel-ml bench INPUT [--size 32|48|64] [--colors K]
      prints the median time of each stage over 5 runs";

/// Runs of `bench`; the median of five shrugs off one slow outlier.
const BENCH_RUNS: usize = 5;

/// What went wrong, and whether the caller misused the command (exit 2) or it failed (exit 1).
enum Failure {
    Usage(String),
    Failed(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("petpixel-ml: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            eprintln!("petpixel-ml: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Failure::Usage("no command given".into()));
    };
    let (positional, opts) = parse_options(rest)?;
    match (command.as_str(), positional.as_slice()) {
        ("sprite", [input, outdir]) => sprite(Path::new(input), Path::new(outdir), &opts),
        ("bench", [input]) => bench(Path::new(input), &opts),
        ("sprite", _) => Err(Failure::Usage("sprite needs INPUT and OUTDIR".into())),
        ("bench", _) => Err(Failure::Usage("bench needs INPUT".into())),
        ("help" | "--help" | "-h", _) => {
            println!("{USAGE}");
            Ok(())
        }
        (other, _) => Err(Failure::Usage(format!("unknown command `{other}`"))),
    }
}

/// Splits `--size N` and `--colors K` from the positional arguments.
fn parse_options(args: &[String]) -> Result<(Vec<String>, SpriteOptions), Failure> {
    let mut opts = SpriteOptions::default();
    let mut positional = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" | "--colors" => {
                let value = args
                    .next()
                    .ok_or_else(|| Failure::Usage(format!("{arg} needs a number")))?;
                let number: usize = value
                    .parse()
                    .map_err(|_| Failure::Usage(format!("{arg} needs a number, not `{value}`")))?;
                if arg == "--size" {
                    opts.sprite_size = u32::try_from(number)
                        .map_err(|_| Failure::Usage(format!("--size {number} is too large")))?;
                } else {
                    opts.palette_size = number;
                }
            }
            flag if flag.starts_with("--") => {
                return Err(Failure::Usage(format!("unknown option `{flag}`")));
            }
            _ => positional.push(arg.clone()),
        }
    }
    Ok((positional, opts))
}

fn read_photo(input: &Path) -> Result<image::DynamicImage, Failure> {
    let bytes = std::fs::read(input)
        .map_err(|e| Failure::Failed(format!("cannot read {}: {e}", input.display())))?;
    ml::decode_photo(&bytes).map_err(|e| Failure::Failed(format!("{}: {e}", input.display())))
}

/// Bad `--size`/`--colors` values are the caller's mistake; anything else is about the photo.
fn pipeline_failure(input: &Path, err: MlError) -> Failure {
    match err {
        MlError::InvalidOptions(_) => Failure::Usage(err.to_string()),
        _ => Failure::Failed(format!("{}: {err}", input.display())),
    }
}

fn sprite(input: &Path, outdir: &Path, opts: &SpriteOptions) -> Result<(), Failure> {
    let photo = read_photo(input)?;
    let out = Pipeline::cpu()
        .run(&photo, opts)
        .map_err(|e| pipeline_failure(input, e))?;
    std::fs::create_dir_all(outdir)
        .map_err(|e| Failure::Failed(format!("cannot create {}: {e}", outdir.display())))?;
    let path = |name: &str| -> PathBuf { outdir.join(name) };
    let save_failed = |name: &str, e: image::ImageError| {
        Failure::Failed(format!("cannot write {}: {e}", path(name).display()))
    };
    out.mask
        .save(path("mask.png"))
        .map_err(|e| save_failed("mask.png", e))?;
    out.cutout
        .save(path("cutout.png"))
        .map_err(|e| save_failed("cutout.png", e))?;
    out.sprite
        .save(path("sprite.png"))
        .map_err(|e| save_failed("sprite.png", e))?;
    out.sheet
        .image
        .save(path("sheet.png"))
        .map_err(|e| save_failed("sheet.png", e))?;
    let json = serde_json::to_string_pretty(&out.sheet.frame_table_json())
        .map_err(|e| Failure::Failed(format!("cannot encode the frame table: {e}")))?;
    std::fs::write(path("sheet.json"), json + "\n").map_err(|e| {
        Failure::Failed(format!(
            "cannot write {}: {e}",
            path("sheet.json").display()
        ))
    })?;
    println!(
        "wrote {} frames of {}×{} px with {} colours + outline to {}",
        out.sheet.frame_count(),
        out.sheet.frame_width,
        out.sheet.frame_height,
        out.palette.len(),
        outdir.display()
    );
    Ok(())
}

fn bench(input: &Path, opts: &SpriteOptions) -> Result<(), Failure> {
    let pipeline = Pipeline::cpu();
    let mut stages: [Vec<Duration>; 5] = Default::default();
    for _ in 0..BENCH_RUNS {
        let started = Instant::now();
        let photo = read_photo(input)?;
        let decoded = started.elapsed();
        let (_, t) = pipeline
            .run_timed(&photo, opts)
            .map_err(|e| pipeline_failure(input, e))?;
        for (stage, time) in
            stages
                .iter_mut()
                .zip([decoded, t.segment, t.pixelize, t.animate, started.elapsed()])
        {
            stage.push(time);
        }
    }
    println!(
        "{} ({} px sprite, {} colours), median of {BENCH_RUNS} runs:",
        input.display(),
        opts.sprite_size,
        opts.palette_size
    );
    for (name, times) in ["decode", "segment", "pixelize", "animate", "total"]
        .iter()
        .zip(stages.iter_mut())
    {
        times.sort();
        let median = times[times.len() / 2];
        println!("  {name:<9} {:>8.2} ms", median.as_secs_f64() * 1000.0);
    }
    Ok(())
}
