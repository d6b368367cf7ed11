//! How much a sprite looks drawn, keeps the pet's shape and moves: the figures
//! `petpixel-ml art-stats` prints and the ML bench records (issue 20). Measurements, not steps
//! of the pipeline: they read finished sprites (ours or hand-made ones) as plain images.
//!
//! - **Pixel-art texture.** Hand-made sprites are built from flat regions and shade ramps; a
//!   shrunken photo is speckle. Measured as the share of *lone* pixels (opaque, no 4-neighbour
//!   of the same colour) and the mean size of a 4-connected same-colour region.
//! - **Jaggies.** One-cell notches in the silhouette: transparent pixels with three or four
//!   opaque 4-neighbours, a step in and straight out again that a pixel artist smooths away.
//! - **Shape.** The sprite's opaque cells against the cells the cut-out covers at least half
//!   (outline included, the sprite possibly mirrored), and how much of the cut-out's skeleton
//!   — where legs, tails and ears are — lands on opaque cells (thin-part recall).
//! - **Motion.** Between neighbouring frames of a cycle: how far the body (the upper part of
//!   the pet) moves, and how far the legs (the lower part, front and back halves apart) move
//!   relative to it. A walk in which legs move reads as walking; a shear reads as sliding.

use std::collections::HashMap;

use image::RgbaImage;

use crate::MlError;
use crate::mask::{VISIBLE_ALPHA, bounding_box};

/// A sprite pixel at least this opaque (of 255) is drawn; pixel art has no half-transparency.
const OPAQUE: u8 = 128;
/// The share of the pet's height, from the top, taken as its body when measuring motion.
const BODY_SHARE: f64 = 0.6;
/// The share of the pet's height, from the bottom, taken as its legs.
const LEG_SHARE: f64 = 0.3;
/// The largest shift (pixels) looked for between two frames.
const MAX_SHIFT: i32 = 4;

/// Colour texture of a sprite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Texture {
    /// Distinct opaque colours.
    pub colours: usize,
    /// Opaque pixels.
    pub pixels: usize,
    /// Share of opaque pixels with no 4-neighbour of the same colour (0–1).
    pub lone_share: f64,
    /// Mean size in pixels of a 4-connected region of one colour.
    pub mean_region: f64,
    /// Transparent pixels with three or four opaque 4-neighbours: notches in the outline.
    pub notches: usize,
}

/// Colours, lone pixels and region sizes of `sprite`'s opaque pixels, and the notches in its
/// silhouette.
pub fn texture(sprite: &RgbaImage) -> Texture {
    let (w, h) = (sprite.width() as usize, sprite.height() as usize);
    let colour = |x: usize, y: usize| {
        let p = sprite.get_pixel(x as u32, y as u32).0;
        (p[3] >= OPAQUE).then_some([p[0], p[1], p[2]])
    };
    let mut colours = HashMap::new();
    let (mut pixels, mut lone, mut regions, mut notches) = (0usize, 0usize, 0usize, 0usize);
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let Some(c) = colour(x, y) else {
                let walls = neighbours(x, y, w, h)
                    .filter(|&(nx, ny)| colour(nx, ny).is_some())
                    .count();
                notches += usize::from(walls >= 3);
                continue;
            };
            pixels += 1;
            *colours.entry(c).or_insert(0usize) += 1;
            if neighbours(x, y, w, h).all(|(nx, ny)| colour(nx, ny) != Some(c)) {
                lone += 1;
            }
            if seen[y * w + x] {
                continue;
            }
            // A new region: flood it.
            regions += 1;
            seen[y * w + x] = true;
            stack.push((x, y));
            while let Some((px, py)) = stack.pop() {
                for (nx, ny) in neighbours(px, py, w, h) {
                    if !seen[ny * w + nx] && colour(nx, ny) == Some(c) {
                        seen[ny * w + nx] = true;
                        stack.push((nx, ny));
                    }
                }
            }
        }
    }
    Texture {
        colours: colours.len(),
        pixels,
        lone_share: ratio(lone, pixels),
        mean_region: ratio(pixels, regions),
        notches,
    }
}

/// How well a sprite keeps the pet's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Intersection over union of the sprite's opaque cells with the cells the cut-out
    /// covers at least half, over the sprite's box.
    pub iou: f64,
    /// Whether the sprite faces the other way from the cut-out (the better match mirrored).
    pub mirrored: bool,
    /// Share of the cut-out's skeleton pixels whose cell is opaque in the sprite.
    pub thin_recall: f64,
}

/// `sprite`'s shape against `cutout` (the pet on a transparent background): the sprite's
/// opaque box is laid over the cut-out's visible box, cell by cell.
pub fn shape(sprite: &RgbaImage, cutout: &RgbaImage) -> Result<Shape, MlError> {
    let drawn = opaque_cells(sprite)?;
    let (cw, ch) = (cutout.width() as usize, cutout.height() as usize);
    let visible: Vec<bool> = cutout.pixels().map(|p| p.0[3] >= VISIBLE_ALPHA).collect();
    if !visible.contains(&true) {
        return Err(MlError::NotComparable(
            "the cut-out is entirely transparent".into(),
        ));
    }
    let [x0, y0, x1, y1] = bounding_box(&visible, cw, ch).map(|v| v as usize);
    let (bw, bh) = (x1 - x0, y1 - y0);
    let (gw, gh) = (drawn.w, drawn.h);
    // Cut-out coverage per cell, by area (a cell reaches from the floor of its start to the
    // ceiling of its end, as adaptive average pooling does).
    let span = |i: usize, cells: usize, len: usize| {
        let (i, cells, len) = (i as u64, cells as u64, len as u64);
        (
            (i * len / cells) as usize,
            ((i + 1) * len).div_ceil(cells) as usize,
        )
    };
    let mut covered = vec![false; gw * gh];
    for gy in 0..gh {
        let (ya, yb) = span(gy, gh, bh);
        for gx in 0..gw {
            let (xa, xb) = span(gx, gw, bw);
            let mut alpha = 0u64;
            for y in y0 + ya..y0 + yb {
                for x in x0 + xa..x0 + xb {
                    alpha += u64::from(cutout.get_pixel(x as u32, y as u32).0[3]);
                }
            }
            let area = ((yb - ya) * (xb - xa)) as u64 * 255;
            covered[gy * gw + gx] = alpha * 2 >= area;
        }
    }
    let iou_of = |mirror: bool| {
        let (mut both, mut either) = (0usize, 0usize);
        for gy in 0..gh {
            for gx in 0..gw {
                let sx = if mirror { gw - 1 - gx } else { gx };
                let (a, b) = (drawn.bits[gy * gw + sx], covered[gy * gw + gx]);
                both += usize::from(a && b);
                either += usize::from(a || b);
            }
        }
        ratio(both, either)
    };
    let (straight, mirrored) = (iou_of(false), iou_of(true));
    let mirror = mirrored > straight;

    // The cut-out's skeleton, at its own resolution, checked against the sprite's cells.
    let skeleton = skeleton(&visible, cw, ch);
    let (mut bones, mut kept) = (0usize, 0usize);
    for (i, _) in skeleton.iter().enumerate().filter(|(_, s)| **s) {
        let (x, y) = (i % cw, i / cw);
        let gx = ((x - x0) * gw / bw).min(gw - 1);
        let gy = ((y - y0) * gh / bh).min(gh - 1);
        let sx = if mirror { gw - 1 - gx } else { gx };
        bones += 1;
        kept += usize::from(drawn.bits[gy * gw + sx]);
    }
    Ok(Shape {
        iou: straight.max(mirrored),
        mirrored: mirror,
        thin_recall: ratio(kept, bones),
    })
}

/// How a cycle of frames moves, as medians over neighbouring pairs (the last to the first
/// included: a cycle loops).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Frames in the cycle.
    pub frames: usize,
    /// How far the body moves between neighbouring frames (pixels, the larger of x and y).
    pub body: f64,
    /// How far the legs move relative to the body (pixels, the larger of the front and the
    /// back half's shift).
    pub legs: f64,
}

/// The motion of `frames`, one cycle of one animation (all of one size).
pub fn motion(frames: &[RgbaImage]) -> Result<Motion, MlError> {
    let Some(first) = frames.first() else {
        return Err(MlError::NotComparable("no frames".into()));
    };
    let (w, h) = (first.width() as usize, first.height() as usize);
    if frames
        .iter()
        .any(|f| (f.width() as usize, f.height() as usize) != (w, h))
    {
        return Err(MlError::NotComparable("frames of different sizes".into()));
    }
    let masks: Vec<Vec<bool>> = frames
        .iter()
        .map(|f| f.pixels().map(|p| p.0[3] >= OPAQUE).collect())
        .collect();
    // One frame of reference for every frame: the box around the pet in any of them.
    let union: Vec<bool> = (0..w * h).map(|i| masks.iter().any(|m| m[i])).collect();
    if !union.contains(&true) {
        return Err(MlError::NotComparable("every frame is empty".into()));
    }
    let [x0, y0, x1, y1] = bounding_box(&union, w, h).map(|v| v as usize);
    let height = (y1 - y0) as f64;
    let body_rows = (y0, y0 + (height * BODY_SHARE).round() as usize);
    let leg_rows = (y1 - (height * LEG_SHARE).round().max(1.0) as usize, y1);
    let middle = (x0 + x1) / 2;
    let halves = [(x0, middle), (middle, x1)];

    let (mut bodies, mut legs) = (Vec::new(), Vec::new());
    let pairs = if frames.len() > 1 { frames.len() } else { 0 };
    for i in 0..pairs {
        let (a, b) = (&masks[i], &masks[(i + 1) % frames.len()]);
        let body = best_shift(a, b, w, body_rows, (x0, x1), None);
        let leg = halves
            .iter()
            .map(|&cols| {
                let (dx, dy) = best_shift(a, b, w, leg_rows, cols, Some(body));
                (dx - body.0).abs().max((dy - body.1).abs())
            })
            .max()
            .unwrap_or(0);
        bodies.push(f64::from(body.0.abs().max(body.1.abs())));
        legs.push(f64::from(leg));
    }
    Ok(Motion {
        frames: frames.len(),
        body: median(&mut bodies),
        legs: median(&mut legs),
    })
}

/// The shift `(dx, dy)` that best lays `b`'s pixels in `rows` × `cols` over `a`'s: fewest
/// pixels set in one and not the other, the smallest shift winning ties (starting from
/// `prefer`, the body's shift, when given: legs that do not move follow the body).
fn best_shift(
    a: &[bool],
    b: &[bool],
    w: usize,
    rows: (usize, usize),
    cols: (usize, usize),
    prefer: Option<(i32, i32)>,
) -> (i32, i32) {
    let h = a.len() / w.max(1);
    let at = |m: &[bool], x: i64, y: i64| {
        x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h && m[y as usize * w + x as usize]
    };
    let start = prefer.unwrap_or((0, 0));
    let cost = |(dx, dy): (i32, i32)| {
        let mut cost = 0usize;
        for y in rows.0..rows.1 {
            for x in cols.0..cols.1 {
                let (x, y) = (x as i64, y as i64);
                cost += usize::from(at(a, x, y) != at(b, x + i64::from(dx), y + i64::from(dy)));
            }
        }
        cost
    };
    let mut best = (cost(start), start);
    for dy in -MAX_SHIFT..=MAX_SHIFT {
        for dx in -MAX_SHIFT..=MAX_SHIFT {
            let c = cost((dx, dy));
            let distance = |(x, y): (i32, i32)| (x - start.0).abs() + (y - start.1).abs();
            if c < best.0 || (c == best.0 && distance((dx, dy)) < distance(best.1)) {
                best = (c, (dx, dy));
            }
        }
    }
    best.1
}

/// A sprite's opaque pixels over its opaque box.
struct Cells {
    bits: Vec<bool>,
    w: usize,
    h: usize,
}

fn opaque_cells(sprite: &RgbaImage) -> Result<Cells, MlError> {
    let (w, h) = (sprite.width() as usize, sprite.height() as usize);
    let bits: Vec<bool> = sprite.pixels().map(|p| p.0[3] >= OPAQUE).collect();
    if !bits.contains(&true) {
        return Err(MlError::NotComparable(
            "the sprite is entirely transparent".into(),
        ));
    }
    let [x0, y0, x1, y1] = bounding_box(&bits, w, h).map(|v| v as usize);
    let (cw, ch) = (x1 - x0, y1 - y0);
    let mut cells = vec![false; cw * ch];
    for y in 0..ch {
        for x in 0..cw {
            cells[y * cw + x] = bits[(y0 + y) * w + x0 + x];
        }
    }
    Ok(Cells {
        bits: cells,
        w: cw,
        h: ch,
    })
}

/// Zhang–Suen thinning: the one-pixel-wide skeleton of `mask`.
fn skeleton(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut bits = mask.to_vec();
    let mut changed = true;
    let mut remove = Vec::new();
    while changed {
        changed = false;
        for pass in 0..2 {
            remove.clear();
            for y in 1..h.saturating_sub(1) {
                for x in 1..w.saturating_sub(1) {
                    if !bits[y * w + x] {
                        continue;
                    }
                    // P2..P9 clockwise from the pixel above.
                    let p = [
                        bits[(y - 1) * w + x],
                        bits[(y - 1) * w + x + 1],
                        bits[y * w + x + 1],
                        bits[(y + 1) * w + x + 1],
                        bits[(y + 1) * w + x],
                        bits[(y + 1) * w + x - 1],
                        bits[y * w + x - 1],
                        bits[(y - 1) * w + x - 1],
                    ];
                    let set = p.iter().filter(|b| **b).count();
                    let rises = (0..8).filter(|&i| !p[i] && p[(i + 1) % 8]).count();
                    let (first, second) = if pass == 0 {
                        (p[0] && p[2] && p[4], p[2] && p[4] && p[6])
                    } else {
                        (p[0] && p[2] && p[6], p[0] && p[4] && p[6])
                    };
                    if (2..=6).contains(&set) && rises == 1 && !first && !second {
                        remove.push(y * w + x);
                    }
                }
            }
            for &i in &remove {
                bits[i] = false;
            }
            changed |= !remove.is_empty();
        }
    }
    bits
}

fn neighbours(x: usize, y: usize, w: usize, h: usize) -> impl Iterator<Item = (usize, usize)> {
    let (x, y) = (x as i64, y as i64);
    [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
        .into_iter()
        .filter(move |&(nx, ny)| nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h)
        .map(|(nx, ny)| (nx as usize, ny as usize))
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    const CLEAR: Rgba<u8> = Rgba([0, 0, 0, 0]);

    fn image(rows: &[&str]) -> RgbaImage {
        let (w, h) = (rows[0].len() as u32, rows.len() as u32);
        RgbaImage::from_fn(w, h, |x, y| match rows[y as usize].as_bytes()[x as usize] {
            b'.' => CLEAR,
            b'a' => Rgba([200, 40, 40, 255]),
            b'b' => Rgba([40, 200, 40, 255]),
            _ => Rgba([40, 40, 200, 255]),
        })
    }

    #[test]
    fn flat_regions_have_no_lone_pixels_and_speckle_does() {
        let flat = texture(&image(&["aabb", "aabb", "cccc"]));
        assert_eq!(
            (flat.colours, flat.pixels, flat.lone_share, flat.mean_region),
            (3, 12, 0.0, 4.0)
        );
        let speckle = texture(&image(&["abab", "baba", "....", "c..."]));
        assert_eq!((speckle.colours, speckle.pixels), (3, 9));
        assert_eq!(speckle.lone_share, 1.0);
        assert_eq!(speckle.mean_region, 1.0);
    }

    #[test]
    fn a_step_in_and_straight_out_again_is_a_notch_and_a_corner_is_not() {
        assert_eq!(texture(&image(&["aabb", "aabb", "cccc"])).notches, 0);
        // A hole, a bite out of the top edge and, at the bottom right, an inner corner.
        let bitten = texture(&image(&["a.aa.", "aaaa.", "a.aa.", "aaaa.", "aaa.."]));
        assert_eq!(bitten.notches, 2);
    }

    #[test]
    fn the_same_shape_scores_one_mirrored_or_not_and_a_lost_leg_costs_recall() {
        // A pet as a big cut-out (4 × 4 px per cell of `rows`).
        let big = |rows: [&'static str; 4]| {
            RgbaImage::from_fn(16, 16, move |x, y| {
                let cell = rows[(y / 4) as usize].as_bytes()[(x / 4) as usize];
                if cell == b'a' {
                    Rgba([90, 90, 90, 255])
                } else {
                    CLEAR
                }
            })
        };
        // One thin leg, on the left.
        let one_leg = ["aaaa", "aaaa", "a...", "a..."];
        let same = shape(&image(&one_leg), &big(one_leg)).expect("comparable");
        assert_eq!(
            (same.iou, same.mirrored, same.thin_recall),
            (1.0, false, 1.0)
        );
        let facing_away = image(&["aaaa", "aaaa", "...a", "...a"]);
        let mirrored = shape(&facing_away, &big(one_leg)).expect("comparable");
        assert_eq!((mirrored.iou, mirrored.mirrored), (1.0, true));
        // Two legs, one of them lost in the sprite.
        let lost = shape(&facing_away, &big(["aaaa", "aaaa", "a..a", "a..a"])).expect("comparable");
        assert!(lost.iou < 0.9, "{lost:?}");
        assert!(lost.thin_recall < 0.9, "{lost:?}");
        assert!(shape(&image(&["...."]), &big(one_leg)).is_err());
    }

    #[test]
    fn legs_that_swing_move_and_a_sliding_pet_does_not() {
        // A body over two legs; in the second frame the legs spread by two pixels each.
        let stand = image(&[
            "..........",
            "..aaaaaa..",
            "..aaaaaa..",
            "..aaaaaa..",
            "..aaaaaa..",
            "...a..a...",
            "...a..a...",
            "...a..a...",
        ]);
        let stride = image(&[
            "..........",
            "..aaaaaa..",
            "..aaaaaa..",
            "..aaaaaa..",
            "..aaaaaa..",
            ".a......a.",
            ".a......a.",
            ".a......a.",
        ]);
        let walking = motion(&[stand.clone(), stride]).expect("frames");
        assert_eq!((walking.frames, walking.body, walking.legs), (2, 0.0, 2.0));
        // The whole pet one pixel to the right: the body moves, the legs with it.
        let slid = RgbaImage::from_fn(10, 8, |x, y| {
            if x == 0 {
                CLEAR
            } else {
                *stand.get_pixel(x - 1, y)
            }
        });
        let sliding = motion(&[stand, slid]).expect("frames");
        assert_eq!((sliding.body, sliding.legs), (1.0, 0.0));
    }

    #[test]
    fn the_skeleton_of_a_bar_is_a_line() {
        let (w, h) = (12, 5);
        let bar: Vec<bool> = (0..w * h)
            .map(|i| (1..4).contains(&(i / w)) && (1..11).contains(&(i % w)))
            .collect();
        let bones = skeleton(&bar, w, h);
        let count = bones.iter().filter(|b| **b).count();
        assert!((6..=10).contains(&count), "{count}");
        assert!(
            bones
                .iter()
                .enumerate()
                .filter(|(_, b)| **b)
                .all(|(i, _)| i / w == 2)
        );
    }
}
