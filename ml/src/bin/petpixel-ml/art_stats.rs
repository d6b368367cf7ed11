//! `petpixel-ml art-stats SHEET_OR_SPRITE [CUTOUT]`: how drawn a sprite looks, how well it
//! keeps the pet's shape and how its cycles move (see `ml::texture`, `ml::shape`,
//! `ml::motion`). A sheet is read with its frame table (`sheet.json` beside `sheet.png`, as
//! `sprite` writes them, or any Aseprite JSON of the same name); anything else is one sprite.

use std::path::Path;

use image::RgbaImage;
use image::imageops;
use serde_json::Value;

use crate::{Failure, read_photo};

/// The cycles whose motion is reported, when the sheet has them.
const CYCLES: [&str; 2] = ["walk", "run"];

/// A sheet's frames by animation, in order; one unnamed frame for a lone sprite.
struct Frames {
    /// The frame the texture and shape are measured on: the first idle frame.
    rest: RgbaImage,
    /// `(name, frames)` for each of [`CYCLES`] the sheet has.
    cycles: Vec<(&'static str, Vec<RgbaImage>)>,
    /// Frames in the sheet.
    count: usize,
    /// How the pet moves in it (`meta.gait` of the frame table), when the table says.
    gait: Option<String>,
}

pub fn art_stats(sprite: &Path, cutout: Option<&Path>) -> Result<(), Failure> {
    let image = read_photo(sprite)?.to_rgba8();
    let frames = frames(sprite, &image)?;
    let texture = ml::texture(&frames.rest);
    println!(
        "{}: {} frame{}, {} colours, {} opaque pixels in the rest frame",
        sprite.display(),
        frames.count,
        if frames.count == 1 { "" } else { "s" },
        texture.colours,
        texture.pixels
    );
    println!(
        "  {:<12} lone pixels {:.1} %, mean same-colour region {:.1} px, {} one-pixel notches",
        "texture",
        texture.lone_share * 100.0,
        texture.mean_region,
        texture.notches
    );
    if let Some(cutout) = cutout {
        let reference = read_photo(cutout)?.to_rgba8();
        let failed = |e: ml::MlError| Failure::Failed(format!("{}: {e}", cutout.display()));
        let shape = ml::shape(&frames.rest, &reference).map_err(failed)?;
        println!(
            "  {:<12} silhouette IoU {:.4}{}, thin-part recall {:.3}",
            "shape",
            shape.iou,
            if shape.mirrored { " (mirrored)" } else { "" },
            shape.thin_recall
        );
        let mut grid = opaque_box(&peeled(&frames.rest));
        if shape.mirrored {
            imageops::flip_horizontal_in_place(&mut grid);
        }
        let error = ml::colour_error(&reference, &grid).map_err(failed)?;
        println!(
            "  {:<12} {:.2} levels RMS over {} cells against the area-averaged cut-out \
             (the 1-px outline peeled off)",
            "colour err", error.rms, error.cells
        );
    }
    for (name, cycle) in &frames.cycles {
        let motion = ml::motion(cycle).map_err(|e| Failure::Failed(format!("{name}: {e}")))?;
        let gait = frames
            .gait
            .as_deref()
            .map(|g| format!(" ({g})"))
            .unwrap_or_default();
        println!(
            "  {:<12} {} frames{gait}: legs move {:.0} px, body {:.0} px between neighbouring frames",
            name, motion.frames, motion.legs, motion.body
        );
    }
    Ok(())
}

/// The frames of `image`, by the frame table beside `path` when there is one.
fn frames(path: &Path, image: &RgbaImage) -> Result<Frames, Failure> {
    let table = path.with_extension("json");
    if !table.is_file() {
        return Ok(Frames {
            rest: image.clone(),
            cycles: Vec::new(),
            count: 1,
            gait: None,
        });
    }
    let text = std::fs::read_to_string(&table)
        .map_err(|e| Failure::Failed(format!("cannot read {}: {e}", table.display())))?;
    let bad = |why: &str| Failure::Failed(format!("{}: {why}", table.display()));
    let json: Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    let rects: Vec<[u32; 4]> = json["frames"]
        .as_array()
        .ok_or_else(|| bad("no `frames` list"))?
        .iter()
        .map(|f| {
            let r = &f["frame"];
            let field = |k: &str| r[k].as_u64().and_then(|v| u32::try_from(v).ok());
            match (field("x"), field("y"), field("w"), field("h")) {
                (Some(x), Some(y), Some(w), Some(h))
                    if w > 0
                        && h > 0
                        && x.checked_add(w).is_some_and(|e| e <= image.width())
                        && y.checked_add(h).is_some_and(|e| e <= image.height()) =>
                {
                    Ok([x, y, w, h])
                }
                _ => Err(bad("a frame outside the image")),
            }
        })
        .collect::<Result<_, _>>()?;
    let crop = |[x, y, w, h]: [u32; 4]| imageops::crop_imm(image, x, y, w, h).to_image();
    let tag = |name: &str| {
        json["meta"]["frameTags"]
            .as_array()
            .and_then(|tags| tags.iter().find(|t| t["name"] == name))
            .and_then(|t| Some((t["from"].as_u64()? as usize, t["to"].as_u64()? as usize)))
            .filter(|&(from, to)| from <= to && to < rects.len())
    };
    let rest = match tag("idle") {
        Some((from, _)) => rects[from],
        None => *rects.first().ok_or_else(|| bad("no frames"))?,
    };
    let cycles = CYCLES
        .iter()
        .filter_map(|&name| {
            let (from, to) = tag(name)?;
            Some((name, rects[from..=to].iter().map(|&r| crop(r)).collect()))
        })
        .collect();
    Ok(Frames {
        rest: crop(rest),
        cycles,
        count: rects.len(),
        gait: json["meta"]["gait"].as_str().map(str::to_owned),
    })
}

/// The sprite without its outermost ring of opaque pixels (those beside a transparent one):
/// a sprite with a 1-px outline, as ours have, becomes the pet's own cells again.
fn peeled(sprite: &RgbaImage) -> RgbaImage {
    let (w, h) = sprite.dimensions();
    let opaque = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < i64::from(w)
            && y < i64::from(h)
            && sprite.get_pixel(x as u32, y as u32).0[3] >= 128
    };
    RgbaImage::from_fn(w, h, |x, y| {
        let (x, y) = (i64::from(x), i64::from(y));
        let inside = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
            .iter()
            .all(|(dx, dy)| opaque(x + dx, y + dy));
        if inside {
            *sprite.get_pixel(x as u32, y as u32)
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    })
}

/// The sprite cropped to its opaque pixels: one pixel per cell over the pet.
fn opaque_box(sprite: &RgbaImage) -> RgbaImage {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in sprite.enumerate_pixels() {
        if p.0[3] >= 128 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
        }
    }
    if x1 <= x0 {
        return sprite.clone();
    }
    imageops::crop_imm(sprite, x0, y0, x1 - x0, y1 - y0).to_image()
}
