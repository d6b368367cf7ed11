//! Styles and dithering keep every pixel on the palette; the sheet, its Aseprite JSON and the
//! preview GIF agree with each other; left-facing frames mirror the right-facing ones; and the
//! same photo always gives the same bytes.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::sync::{Mutex, OnceLock};

use image::codecs::gif::GifDecoder;
use image::metadata::LoopCount;
use image::{AnimationDecoder, DynamicImage, RgbaImage};
use ml::{
    PREVIEW_SCALE, PREVIEW_SEQUENCE, Pipeline, SpriteOptions, SpriteOutput, SpriteSheet, Style,
};

const CHELSEA: &[u8] = include_bytes!("../testdata/chelsea.png");
/// The animations the game plays, facing right, in sheet order.
const RIGHT_FACING: [&str; 7] = ["idle", "walk", "run", "jump", "fall", "hurt", "celebrate"];

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::cpu().expect("the pipeline starts"))
}

fn chelsea() -> DynamicImage {
    ml::decode_photo(CHELSEA).expect("the test photo decodes")
}

/// Chelsea as a 32-px sprite in `style`; each combination runs once per test binary.
fn sprite(style: Style, dither: bool) -> SpriteOutput {
    static RUNS: OnceLock<Mutex<HashMap<(Style, bool), SpriteOutput>>> = OnceLock::new();
    let runs = RUNS.get_or_init(Mutex::default);
    if let Some(out) = runs.lock().expect("no poisoned lock").get(&(style, dither)) {
        return out.clone();
    }
    let opts = SpriteOptions {
        sprite_size: 32,
        style,
        dither,
        gait: None,
    };
    let out = pipeline()
        .run(&chelsea(), &opts)
        .unwrap_or_else(|e| panic!("{style}: {e}"));
    runs.lock()
        .expect("no poisoned lock")
        .insert((style, dither), out.clone());
    out
}

fn frame(sheet: &SpriteSheet, index: u32) -> RgbaImage {
    sheet.frame(index)
}

fn opaque_colours(img: &RgbaImage) -> HashSet<[u8; 4]> {
    img.pixels().filter(|p| p.0[3] != 0).map(|p| p.0).collect()
}

#[test]
fn every_style_draws_every_opaque_pixel_from_its_palette_or_outline() {
    for style in Style::ALL {
        for dither in [false, true] {
            let out = sprite(style, dither);
            let what = format!("{style} (dither {dither})");
            let allowed: HashSet<[u8; 4]> = out
                .palette
                .iter()
                .chain([&out.outline])
                .map(|c| c.0)
                .collect();
            assert!(
                !out.palette.is_empty() && out.palette.len() <= style.max_colours(),
                "{what}: {} colours",
                out.palette.len()
            );
            for img in [&out.sheet.image, &out.sprite] {
                assert!(
                    img.pixels().all(|p| p.0[3] == 0 || p.0[3] == 255),
                    "{what}: alpha is on or off"
                );
                let used = opaque_colours(img);
                let off: Vec<_> = used.difference(&allowed).collect();
                assert!(off.is_empty(), "{what}: {off:?} are off the palette");
            }
            if let Some(fixed) = ml::palette(style) {
                let fixed: HashSet<[u8; 4]> = fixed.iter().map(|c| c.0).collect();
                let off: Vec<_> = opaque_colours(&out.sheet.image)
                    .into_iter()
                    .filter(|c| !fixed.contains(c))
                    .collect();
                assert!(off.is_empty(), "{what}: {off:?} are not {style} colours");
                assert!(fixed.contains(&out.outline.0), "{what}: outline");
            }
        }
    }
}

#[test]
fn fixed_palette_outlines_are_the_darkest_palette_colour() {
    let luma = |c: &image::Rgba<u8>| {
        299 * u32::from(c.0[0]) + 587 * u32::from(c.0[1]) + 114 * u32::from(c.0[2])
    };
    for style in [Style::GameBoy, Style::Nes, Style::Pico8, Style::MonoInk] {
        let fixed = ml::palette(style).expect("a fixed palette");
        let darkest = fixed.iter().min_by_key(|c| luma(c)).expect("colours");
        assert_eq!(sprite(style, false).outline, *darkest, "{style}");
    }
}

#[test]
fn snes_32_colours_are_all_15_bit() {
    let out = sprite(Style::Snes32, false);
    // A 5-bit channel widened to 8 bits repeats its top bits in the bottom three.
    for c in opaque_colours(&out.sheet.image) {
        for v in &c[..3] {
            assert_eq!(v & 0b111, v >> 5, "{c:?} is not a BGR555 colour");
        }
    }
    assert!(out.palette.len() > 16, "snes-32 has room for more colours");
}

#[test]
fn dithering_changes_the_sprite_for_small_fixed_palettes() {
    for style in [Style::GameBoy, Style::Pico8, Style::MonoInk, Style::Nes] {
        let plain = sprite(style, false);
        let dithered = sprite(style, true);
        assert_ne!(
            plain.sheet.image, dithered.sheet.image,
            "{style}: dithering shows"
        );
        assert_eq!(
            plain.sheet.image.dimensions(),
            dithered.sheet.image.dimensions()
        );
    }
}

#[test]
fn the_sheet_json_describes_every_frame_inside_the_image() {
    let sheet = sprite(Style::Classic16, false).sheet;
    let json = sheet.frame_table_json();
    let frames = json["frames"].as_array().expect("frames");
    let count = sheet.frame_count();
    assert_eq!(frames.len() as u32, count);
    assert_eq!(sheet.image.width(), count * sheet.frame_width);
    for f in frames {
        let rect = &f["frame"];
        let x = rect["x"].as_u64().expect("x");
        let w = rect["w"].as_u64().expect("w");
        assert_eq!(rect["y"], 0);
        assert!(x + w <= u64::from(sheet.image.width()), "{f} is inside");
        assert_eq!(rect["h"], sheet.frame_height);
        assert_eq!(f["sourceSize"]["w"], sheet.frame_width);
    }
    let meta = &json["meta"];
    assert_eq!(meta["format"], "RGBA8888");
    assert_eq!(meta["image"], "sheet.png");
    assert_eq!(meta["app"], "petpixel-ml");
    assert_eq!(meta["size"]["w"], sheet.image.width());
    assert_eq!(meta["size"]["h"], sheet.image.height());

    // The tags cover every frame exactly once, in order, and match the animations.
    let tags = meta["frameTags"].as_array().expect("frameTags");
    assert_eq!(tags.len(), sheet.animations.len());
    let mut next = 0;
    for (tag, a) in tags.iter().zip(&sheet.animations) {
        assert_eq!(tag["name"], a.name.as_str());
        assert_eq!(tag["direction"], "forward");
        assert_eq!(tag["from"], next, "{} starts where the last ended", a.name);
        let to = tag["to"].as_u64().expect("to") as u32;
        assert_eq!(to + 1 - next, a.count, "{} frame count", a.name);
        for i in a.first..=to {
            let f = &frames[i as usize];
            assert_eq!(f["duration"], 1000 / a.fps, "{} speed", a.name);
            assert!(f["filename"].as_str().expect("name").starts_with(&a.name));
        }
        next = to + 1;
    }
    assert_eq!(next, count, "every frame is tagged");

    let names: Vec<&str> = sheet.animations.iter().map(|a| a.name.as_str()).collect();
    let left: Vec<String> = RIGHT_FACING.iter().map(|n| format!("{n}-left")).collect();
    assert_eq!(names[..7], RIGHT_FACING, "right-facing names come first");
    assert_eq!(
        names[7..],
        left.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // The game's sprite format caps frames and animations.
    assert!(count <= 64 && sheet.animations.len() <= 16);
}

#[test]
fn left_facing_frames_are_mirror_images_of_the_right_facing_ones() {
    for style in [Style::Classic16, Style::GameBoy] {
        let sheet = sprite(style, true).sheet;
        for name in RIGHT_FACING {
            let right = sheet.animation(name).expect("right-facing");
            let left = sheet
                .animation(&format!("{name}-left"))
                .expect("left-facing");
            assert_eq!((left.count, left.fps), (right.count, right.fps), "{name}");
            for i in 0..right.count {
                let mirrored = image::imageops::flip_horizontal(&frame(&sheet, right.first + i));
                assert_eq!(frame(&sheet, left.first + i), mirrored, "{name} frame {i}");
            }
        }
    }
}

#[test]
fn run_is_a_faster_bigger_cycle_than_walk() {
    let sheet = sprite(Style::Classic16, false).sheet;
    let walk = sheet.animation("walk").expect("walk");
    let run = sheet.animation("run").expect("run");
    assert!(run.fps > walk.fps);
    assert!(run.count >= 4);
    for i in 0..run.count {
        let f = frame(&sheet, run.first + i);
        assert!(
            (0..walk.count).all(|j| frame(&sheet, walk.first + j) != f),
            "run frame {i} is not a walk frame"
        );
        let next = frame(&sheet, run.first + (i + 1) % run.count);
        assert_ne!(f, next, "run frame {i} moves");
    }
}

#[test]
fn the_preview_gif_loops_through_the_sequence_at_each_animations_speed() {
    let sheet = sprite(Style::Pico8, true).sheet;
    let gif = sheet.preview_gif().expect("a gif");
    let decoder = GifDecoder::new(Cursor::new(&gif)).expect("a gif header");
    assert!(
        matches!(decoder.loop_count(), LoopCount::Infinite),
        "the preview loops forever"
    );
    let frames = decoder
        .into_frames()
        .collect_frames()
        .expect("every frame decodes");

    let expected: Vec<(u32, u32)> = PREVIEW_SEQUENCE
        .iter()
        .flat_map(|&(name, cycles)| {
            let a = sheet.animation(name).expect("previewed animation");
            let frames = (a.first..a.first + a.count).map(move |i| (i, a.fps));
            std::iter::repeat_n(frames, cycles as usize).flatten()
        })
        .collect();
    assert_eq!(frames.len(), expected.len());
    for (got, &(index, fps)) in frames.iter().zip(&expected) {
        let img = got.buffer();
        assert_eq!(
            img.dimensions(),
            (
                sheet.frame_width * PREVIEW_SCALE,
                sheet.frame_height * PREVIEW_SCALE
            )
        );
        let want = image::imageops::resize(
            &frame(&sheet, index),
            sheet.frame_width * PREVIEW_SCALE,
            sheet.frame_height * PREVIEW_SCALE,
            image::imageops::FilterType::Nearest,
        );
        assert!(img == &want, "GIF frame shows sheet frame {index}");
        let (numer, denom) = got.delay().numer_denom_ms();
        let ms = numer / denom;
        assert_eq!(ms, 1000 / fps / 10 * 10, "delay of sheet frame {index}");
    }
    assert_eq!(frames[0].buffer().get_pixel(0, 0).0[3], 0, "transparent");
}

#[test]
fn the_same_photo_gives_identical_sheet_json_and_gif_bytes() {
    for (style, dither) in [(Style::Classic16, false), (Style::GameBoy, true)] {
        let opts = SpriteOptions {
            sprite_size: 48,
            style,
            dither,
            gait: None,
        };
        let encode = |out: &SpriteOutput| {
            let mut png = Vec::new();
            out.sheet
                .image
                .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
                .expect("a png");
            let json = serde_json::to_vec(&out.sheet.frame_table_json()).expect("json");
            (png, json, out.sheet.preview_gif().expect("a gif"))
        };
        let first = pipeline().run(&chelsea(), &opts).expect("a sprite");
        let second = pipeline().run(&chelsea(), &opts).expect("a sprite");
        assert!(encode(&first) == encode(&second), "{style}: same bytes");
        assert_eq!(first.palette, second.palette);
    }
}
