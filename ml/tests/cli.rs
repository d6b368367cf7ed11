//! The `petpixel-ml` binary on real files: it writes every output, and hostile or odd inputs
//! end in one plain line on stderr and a non-zero exit, or in a correct sprite, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{DynamicImage, ImageFormat, Rgba};

const CHELSEA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/chelsea.png");
const OUTPUTS: [&str; 6] = [
    "mask.png",
    "cutout.png",
    "sprite.png",
    "sheet.png",
    "sheet.json",
    "preview.gif",
];

fn petpixel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_petpixel-ml"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failure the way the command promises: exit code `code`, one line on stderr, no panic.
fn assert_plain_failure(out: &Output, code: i32, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what} panicked: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
    assert!(err.starts_with("petpixel-ml: "), "{what}: {err}");
    err
}

fn sprite(input: &Path, outdir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sprite", path_str(input), path_str(outdir)];
    args.extend(extra);
    petpixel(&args)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn chelsea() -> DynamicImage {
    image::open(CHELSEA).expect("the test photo decodes")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written");
    path
}

fn png_bytes(img: &DynamicImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encoded");
    bytes
}

/// CRC-32 as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small valid PNG whose header claims `width × height` pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png_bytes(&DynamicImage::ImageRgb8(image::RgbImage::new(8, 8)));
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// Chelsea as a four-channel CMYK JPEG (plain ink amounts, as `jpeg-encoder` marks them).
fn cmyk_jpeg() -> Vec<u8> {
    let rgb = chelsea().to_rgb8();
    let cmyk: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| {
            let [r, g, b] = p.0;
            let k = 255 - r.max(g).max(b);
            let ink = |v: u8| {
                if k == 255 {
                    0
                } else {
                    ((255 - v - k) as u32 * 255 / (255 - k) as u32) as u8
                }
            };
            [ink(r), ink(g), ink(b), k]
        })
        .collect();
    let mut bytes = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut bytes, 90);
    encoder
        .encode(
            &cmyk,
            rgb.width() as u16,
            rgb.height() as u16,
            jpeg_encoder::ColorType::Cmyk,
        )
        .expect("a CMYK JPEG");
    bytes
}

fn assert_all_outputs(outdir: &Path, what: &str) {
    for name in OUTPUTS {
        let path = outdir.join(name);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{what}: {name}: {e}"))
            .len();
        assert!(len > 0, "{what}: {name} is empty");
    }
}

#[test]
fn sprite_writes_every_output_and_they_agree() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let outdir = dir.path().join("new").join("out");
    let out = sprite(
        Path::new(CHELSEA),
        &outdir,
        &["--style", "game-boy", "--size", "32", "--dither"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_all_outputs(&outdir, "chelsea");

    let sheet = image::open(outdir.join("sheet.png"))
        .expect("sheet.png decodes")
        .to_rgba8();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outdir.join("sheet.json")).expect("read"))
            .expect("sheet.json parses");
    assert_eq!(json["meta"]["size"]["w"], sheet.width());
    assert_eq!(json["meta"]["size"]["h"], 32);
    let frames = json["frames"].as_array().expect("frames").len() as u32;
    assert_eq!(
        sheet.width(),
        frames * json["frames"][0]["frame"]["w"].as_u64().expect("w") as u32
    );
    let fixed: Vec<Rgba<u8>> = ml::palette(ml::Style::GameBoy).expect("fixed");
    assert!(
        sheet.pixels().all(|p| p.0[3] == 0 || fixed.contains(p)),
        "sheet.png is in Game Boy greens"
    );
    let sprite = image::open(outdir.join("sprite.png")).expect("sprite.png decodes");
    assert_eq!(sprite.height(), 32);
    let gif = image::load_from_memory_with_format(
        &std::fs::read(outdir.join("preview.gif")).expect("read"),
        ImageFormat::Gif,
    )
    .expect("preview.gif decodes");
    assert_eq!(gif.height(), 32 * ml::PREVIEW_SCALE);
}

#[test]
fn styles_lists_every_style_with_its_palette_size() {
    let out = petpixel(&["styles"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for style in ml::Style::ALL {
        let line = text
            .lines()
            .find(|l| l.starts_with(style.id()))
            .unwrap_or_else(|| panic!("{style} is listed"));
        assert!(line.contains(style.name()) && line.contains(style.description()));
        let colours = ml::palette(style).map_or(style.max_colours(), |p| p.len());
        assert!(line.contains(&colours.to_string()), "{line}");
    }
}

#[test]
fn unreadable_files_fail_with_one_plain_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let chelsea_png = std::fs::read(CHELSEA).expect("read");
    let inputs = [
        (
            "corrupt.png",
            b"\x89PNG\r\n\x1a\n this is not really a png".to_vec(),
        ),
        ("text.jpg", b"hello, I am a cat".to_vec()),
        (
            "truncated.png",
            chelsea_png[..chelsea_png.len() / 3].to_vec(),
        ),
        ("empty.png", Vec::new()),
        ("huge.png", png_claiming(100_000, 100_000)),
        ("zero.png", png_claiming(0, 0)),
    ];
    for (name, bytes) in inputs {
        let input = write(dir.path(), name, &bytes);
        let outdir = dir.path().join(format!("{name}.out"));
        let out = sprite(&input, &outdir, &[]);
        let err = assert_plain_failure(&out, 1, name);
        assert!(
            err.contains(name),
            "{name}: the message names the file: {err}"
        );
        assert!(!outdir.exists(), "{name}: nothing written");
    }
    let missing = sprite(&dir.path().join("missing.png"), dir.path(), &[]);
    assert_plain_failure(&missing, 1, "a missing file");
}

#[test]
fn grayscale_16_bit_and_alpha_pngs_make_sprites() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let photo = chelsea();
    let (w, h) = (photo.width(), photo.height());
    let mut cut_out = photo.to_rgba8();
    for (x, y, p) in cut_out.enumerate_pixels_mut() {
        let (dx, dy) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
        if dx * dx + dy * dy > 0.16 {
            p.0[3] = 0;
        }
    }
    let inputs = [
        ("gray.png", DynamicImage::ImageLuma8(photo.to_luma8())),
        ("gray16.png", DynamicImage::ImageLuma16(photo.to_luma16())),
        ("rgb16.png", DynamicImage::ImageRgb16(photo.to_rgb16())),
        ("alpha.png", DynamicImage::ImageRgba8(cut_out)),
    ];
    for (name, img) in inputs {
        let input = write(dir.path(), name, &png_bytes(&img));
        let outdir = dir.path().join(format!("{name}.out"));
        let out = sprite(&input, &outdir, &["--size", "32"]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_all_outputs(&outdir, name);
    }
}

#[test]
fn a_cmyk_jpeg_decodes_to_the_photos_colours_and_makes_a_sprite() {
    let bytes = cmyk_jpeg();
    let decoded = ml::decode_photo(&bytes)
        .expect("a CMYK JPEG decodes")
        .to_rgb8();
    let original = chelsea().to_rgb8();
    let error = decoded
        .as_raw()
        .iter()
        .zip(original.as_raw())
        .map(|(&a, &b)| u64::from(a.abs_diff(b)))
        .sum::<u64>()
        / original.as_raw().len() as u64;
    assert!(error < 6, "mean channel error {error}");

    let dir = tempfile::tempdir().expect("a temp dir");
    let input = write(dir.path(), "cmyk.jpg", &bytes);
    let outdir = dir.path().join("out");
    let out = sprite(&input, &outdir, &["--size", "32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    assert_all_outputs(&outdir, "cmyk.jpg");
}

#[test]
fn misuse_fails_with_one_plain_line_and_exit_code_2() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let outdir = path_str(dir.path());
    let cases: [&[&str]; 15] = [
        &[],
        &["paint"],
        &["art-stats"],
        &["art-stats", CHELSEA, CHELSEA, CHELSEA],
        &["cells", CHELSEA],
        &["colour-error", CHELSEA],
        &["cells", CHELSEA, outdir, "--size", "7"],
        &["sprite", CHELSEA],
        &["sprite", CHELSEA, outdir, "--style", "gameboy"],
        &["sprite", CHELSEA, outdir, "--style"],
        &["sprite", CHELSEA, outdir, "--size", "40"],
        &["sprite", CHELSEA, outdir, "--size", "big"],
        &["sprite", CHELSEA, outdir, "--sparkles"],
        &["sprite", CHELSEA, outdir, "--net", "isnet"],
        &["sprite", CHELSEA, outdir, "--net"],
    ];
    for args in cases {
        let out = petpixel(args);
        assert_plain_failure(&out, 2, &args.join(" "));
    }
    let unknown_style = stderr(&petpixel(&[
        "sprite", CHELSEA, outdir, "--style", "gameboy",
    ]));
    assert!(
        unknown_style.contains("game-boy"),
        "lists the styles: {unknown_style}"
    );
    // The full net is a build option: a build without it says how to get it.
    if cfg!(not(feature = "full-u2net")) {
        let args = ["sprite", CHELSEA, outdir, "--net", "u2net"];
        let err = assert_plain_failure(&petpixel(&args), 2, &args.join(" "));
        assert!(err.contains("full-u2net"), "{err}");
    }
}

#[test]
fn an_output_directory_that_is_a_file_fails_with_one_plain_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = write(dir.path(), "taken", b"a file");
    let out = sprite(Path::new(CHELSEA), &file, &["--size", "32"]);
    let err = assert_plain_failure(&out, 1, "outdir is a file");
    assert!(err.contains("taken"), "{err}");
}

#[test]
fn cells_and_colour_error_score_our_sprite_and_any_grid_over_the_same_cut_out() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let outdir = dir.path().join("out");
    let made = sprite(Path::new(CHELSEA), &outdir, &["--size", "32"]);
    assert!(made.status.success(), "{}", stderr(&made));
    let cutout = outdir.join("cutout.png");
    let cells = dir.path().join("cells.png");
    let out = petpixel(&["cells", path_str(&cutout), path_str(&cells), "--size", "32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let grid = image::open(&cells).expect("cells are a PNG").to_rgba8();
    // A 32-px frame holds 27 rows of pet under its headroom and ground row.
    assert_eq!(grid.height(), 27);
    assert!(grid.pixels().any(|p| p.0[3] == 0) && grid.pixels().any(|p| p.0[3] == 255));

    // A grey grid of the same shape is a worse guess than ours, and says by how much.
    let grey = image::RgbaImage::from_fn(grid.width(), grid.height(), |x, y| {
        image::Rgba([128, 128, 128, grid.get_pixel(x, y).0[3]])
    });
    let grey_path = dir.path().join("grey.png");
    grey.save(&grey_path).expect("written");
    let out = petpixel(&[
        "colour-error",
        path_str(&cutout),
        path_str(&cells),
        path_str(&grey_path),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let rms: Vec<f64> = text
        .lines()
        .map(|line| {
            let figure = line.split(": ").nth(1).expect("a figure");
            figure
                .split_whitespace()
                .next()
                .expect("rms")
                .parse()
                .expect("a number")
        })
        .collect();
    assert_eq!(rms.len(), 2, "{text}");
    assert!(rms[0] < 20.0 && rms[1] > 2.0 * rms[0], "{text}");
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.contains("× the first grid's error")),
        "{text}"
    );

    // Nothing to compare, or not an image: one plain line, exit 1.
    let clear_path = dir.path().join("clear.png");
    image::RgbaImage::new(4, 4)
        .save(&clear_path)
        .expect("written");
    let junk = write(dir.path(), "junk.png", b"not a png");
    for grid in [&clear_path, &junk] {
        let out = petpixel(&["colour-error", path_str(&cutout), path_str(grid)]);
        assert_plain_failure(&out, 1, &grid.display().to_string());
    }
    let out = petpixel(&["cells", path_str(&clear_path), path_str(&cells)]);
    let err = assert_plain_failure(&out, 1, "transparent cut-out");
    assert!(err.contains("transparent"), "{err}");
}

/// The figures of issue 20, from our own sheet: every line printed, each figure in range,
/// and a sprite checked against its own cut-out keeps its shape.
#[test]
fn art_stats_measures_a_sheet_against_its_cut_out() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = sprite(Path::new(CHELSEA), dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sheet = dir.path().join("sheet.png");
    let cutout = dir.path().join("cutout.png");
    let out = petpixel(&["art-stats", path_str(&sheet), path_str(&cutout)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let figure = |line: &str, before: &str| -> f64 {
        let line = report
            .lines()
            .find(|l| l.trim_start().starts_with(line))
            .unwrap_or_else(|| panic!("a {line} line in {report}"));
        let at = line
            .find(before)
            .unwrap_or_else(|| panic!("{before} in {line}"))
            + before.len();
        line[at..]
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find(|s| !s.is_empty())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a figure after {before} in {line}"))
    };
    let lone = figure("texture", "lone pixels ");
    assert!((0.0..=100.0).contains(&lone), "{report}");
    assert!(figure("texture", "region ") >= 1.0, "{report}");
    let iou = figure("shape", "IoU ");
    assert!(iou > 0.6 && iou <= 1.0, "{report}");
    let recall = figure("shape", "recall ");
    assert!(recall > 0.5 && recall <= 1.0, "{report}");
    assert!(figure("colour err", "colour err") > 0.0, "{report}");
    assert!(figure("walk", "walk") >= 2.0, "frames per cycle: {report}");
    assert!(report.contains("legs move"), "{report}");

    // A lone sprite has no cycles; an unreadable cut-out is one plain line.
    let out = petpixel(&["art-stats", path_str(&dir.path().join("sprite.png"))]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("walk"));
    let missing = dir.path().join("missing.png");
    let out = petpixel(&["art-stats", path_str(&sheet), path_str(&missing)]);
    assert_plain_failure(&out, 1, "a missing cut-out");
}
