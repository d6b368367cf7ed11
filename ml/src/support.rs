//! Dropping what the pet stands or lies on. The net finds the salient *thing* in a photo, and
//! to it a kitten on a ledge or a goat on a rock is one thing (rembg keeps them too, with the
//! same weights). A surface the pet rests on gives itself away where the photo cuts it off: it
//! runs out of the frame at the bottom or a side, low down. So two colour models are fitted,
//! one to the pet's upper part and one to the mask where it leaves the frame low down, and the
//! part of the mask that looks like the second and hangs together with where it leaves the
//! frame is dropped — when the two models really differ. A pet whose own body runs out of the
//! frame looks like itself there, and is left whole.

use burn::tensor::{Tensor, s};

use crate::MlError;
use crate::colour_model::{ColourModels, MAX_VOTE, MIN_EVIDENCE, SMOOTHING};
use crate::mask::{self, bounding_box, box_blur, neighbours4};
use crate::tensors::{from_f32, read_f32};

/// Width of the frame's border band, as a share of the photo's short side.
const EDGE_SHARE: f32 = 0.025;
/// Surface seeds are in the lower half of the pet's box (from the top, as a share of its
/// height) ...
const SURFACE_FROM: f32 = 0.5;
/// ... pet seeds in its upper 40 % ...
const PET_UNTIL: f32 = 0.4;
/// ... and nothing in its upper quarter is ever taken for a surface.
const SEARCH_FROM: f32 = 0.25;
/// Fewer surface seeds than this share of the mask are a paw or a tail tip at the frame's
/// edge, not a surface.
const MIN_SEED_SHARE: f32 = 0.01;
/// A "surface" of more than this share of the mask would leave too little pet to be right.
const MAX_SURFACE_SHARE: f32 = 0.6;

/// `bits` (row-major, `w` wide, one solid pet from [`mask::solid`]) without the surface the
/// pet rests on, if it shows one; otherwise `bits` unchanged.
///
/// # Shapes
/// - `rgb`: `[3, H, W]` in [0, 1], the photo the mask was found in
pub(crate) fn drop_support(
    rgb: Tensor<3>,
    bits: Vec<bool>,
    w: usize,
    h: usize,
) -> Result<Vec<bool>, MlError> {
    let area = bits.iter().filter(|&&b| b).count();
    if area == 0 {
        return Ok(bits);
    }
    let [x0, y0, x1, y1] = bounding_box(&bits, w, h).map(|v| v as usize);
    let (bw, bh) = (x1 - x0, y1 - y0);
    let edge = ((w.min(h) as f32 * EDGE_SHARE) as usize).max(2);
    let row = |share: f32| y0 + (bh as f32 * share) as usize;
    let (surface_from, pet_until, search_from) =
        (row(SURFACE_FROM), row(PET_UNTIL), row(SEARCH_FROM));

    // Seeds, over the pet's box: 1.0 where a pixel surely belongs to that side.
    let n = bw * bh;
    let (mut pet, mut surface) = (vec![0.0f32; n], vec![0.0f32; n]);
    for y in y0..y1 {
        for x in x0..x1 {
            if !bits[y * w + x] {
                continue;
            }
            let border = x < edge || x + edge >= w || y + edge >= h;
            let i = (y - y0) * bw + (x - x0);
            if border && y >= surface_from {
                surface[i] = 1.0;
            } else if !border && y < pet_until {
                pet[i] = 1.0;
            }
        }
    }
    let count = |seeds: &[f32]| seeds.iter().filter(|&&v| v > 0.0).count();
    let min_seeds = (area as f32 * MIN_SEED_SHARE) as usize;
    if count(&surface) < min_seeds.max(1) || count(&pet) < min_seeds.max(1) {
        return Ok(bits);
    }

    let device = rgb.device();
    let x = rgb
        .slice(s![.., y0..y1, x0..x1])
        .reshape([3, n])
        .transpose(); // [n, 3]
    let models = ColourModels::seeded(
        x.clone(),
        [
            from_f32(pet.clone(), [n], &device),
            from_f32(surface.clone(), [n], &device),
        ],
    )?;
    let costs = models.costs(x); // [n, 2]
    // > 0: the pixel looks more like the pet than like the surface.
    let margin = (costs.clone().slice(s![.., 1..2]) - costs.slice(s![.., 0..1])).reshape([n]);
    let vote = box_blur(
        margin.clone().clamp(-MAX_VOTE, MAX_VOTE).reshape([bh, bw]),
        SMOOTHING,
    );
    let (margin, vote) = (read_f32(margin)?, read_f32(vote)?);

    // Both sides must be told apart by their colours, or the "surface" is more pet.
    let mean_over = |seeds: &[f32]| {
        let (sum, k) = seeds
            .iter()
            .zip(&margin)
            .filter(|(s, _)| **s > 0.0)
            .fold((0.0, 0usize), |(sum, k), (_, m)| (sum + m, k + 1));
        sum / k.max(1) as f32
    };
    if mean_over(&pet) < MIN_EVIDENCE || -mean_over(&surface) < MIN_EVIDENCE {
        return Ok(bits);
    }

    // The surface: what looks like it, below the pet's top, joined to where it leaves the frame.
    let looks_like_surface = |i: usize| {
        let (x, y) = (x0 + i % bw, y0 + i / bw);
        y >= search_from && bits[y * w + x] && vote[i] < 0.0
    };
    let mut taken = vec![false; n];
    let mut stack: Vec<usize> = (0..n)
        .filter(|&i| surface[i] > 0.0 && looks_like_surface(i))
        .collect();
    for &i in &stack {
        taken[i] = true;
    }
    while let Some(i) = stack.pop() {
        for j in neighbours4(i, bw, bh) {
            if !taken[j] && looks_like_surface(j) {
                taken[j] = true;
                stack.push(j);
            }
        }
    }
    // It must be no more than part of the mask, and lie below the rest on the whole.
    let (mut dropped, mut dropped_rows, mut rest_rows) = (0usize, 0usize, 0usize);
    for y in y0..y1 {
        for x in x0..x1 {
            if taken[(y - y0) * bw + x - x0] {
                dropped += 1;
                dropped_rows += y;
            } else if bits[y * w + x] {
                rest_rows += y;
            }
        }
    }
    let rest = area - dropped;
    let below = dropped_rows as f32 / dropped.max(1) as f32 > rest_rows as f32 / rest.max(1) as f32;
    if dropped == 0 || dropped as f32 > area as f32 * MAX_SURFACE_SHARE || !below {
        return Ok(bits);
    }

    let mut kept = bits.clone();
    for (i, _) in taken.iter().enumerate().filter(|(_, t)| **t) {
        kept[(y0 + i / bw) * w + x0 + i % bw] = false;
    }
    // What is left is cleaned as the net's mask was: a cut through the pet's middle would
    // leave pieces, of which the one over the centre stays. If nothing plausible is left,
    // the surface was not one.
    let values = kept.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    Ok(mask::solid(from_f32(values, [h, w], &device)).unwrap_or(bits))
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;

    const W: usize = 120;
    const H: usize = 80;

    /// A photo coloured by `paint`, and the mask of everything not white.
    fn scene(paint: impl Fn(usize, usize) -> [f32; 3]) -> (Tensor<3>, Vec<bool>) {
        let mut planes = vec![0.0; 3 * W * H];
        let mut bits = vec![false; W * H];
        for y in 0..H {
            for x in 0..W {
                let c = paint(x, y);
                for (k, v) in c.iter().enumerate() {
                    planes[k * W * H + y * W + x] = *v;
                }
                bits[y * W + x] = c != [1.0; 3];
            }
        }
        (from_f32(planes, [3, H, W], &Device::flex()), bits)
    }

    const GINGER: [f32; 3] = [0.85, 0.5, 0.2];
    const STONE: [f32; 3] = [0.45, 0.45, 0.5];
    const WHITE: [f32; 3] = [1.0; 3];

    #[test]
    fn a_ledge_running_out_of_the_frame_under_the_pet_is_dropped() {
        let cat = |x: usize, y: usize| (40..80).contains(&x) && (10..60).contains(&y);
        let (rgb, bits) = scene(|x, y| {
            if cat(x, y) {
                GINGER
            } else if y >= 60 && x >= 10 {
                STONE
            } else {
                WHITE
            }
        });
        let kept = drop_support(rgb, bits, W, H).expect("a mask");
        let wrong = (0..W * H).filter(|&i| kept[i] != cat(i % W, i / W)).count();
        assert!(
            wrong * 100 < 40 * 50,
            "{wrong} pixels differ from the cat alone"
        );
    }

    #[test]
    fn a_pet_whose_own_body_runs_out_of_the_frame_is_left_whole() {
        let (rgb, bits) = scene(|x, y| {
            if (30..90).contains(&x) && y >= 10 {
                GINGER
            } else {
                WHITE
            }
        });
        assert_eq!(drop_support(rgb, bits.clone(), W, H).expect("a mask"), bits);
    }

    #[test]
    fn a_pet_that_touches_no_edge_low_down_is_left_whole() {
        // A grey cat on a ginger cushion that ends inside the photo: no surface shows.
        let (rgb, bits) = scene(|x, y| {
            if (40..80).contains(&x) && (10..50).contains(&y) {
                STONE
            } else if (20..100).contains(&x) && (50..70).contains(&y) {
                GINGER
            } else {
                WHITE
            }
        });
        assert_eq!(drop_support(rgb, bits.clone(), W, H).expect("a mask"), bits);
    }
}
