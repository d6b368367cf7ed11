//! Edge-preserving smoothing before sampling: a Kuwahara filter weighted by the pet's alpha.
//! Each pixel takes the mean colour of whichever of the four squares it is a corner of is the
//! most even in Oklab lightness, so fur texture flattens into areas of one colour (which the
//! grid then samples as shading, not speckle) while the edges between areas stay sharp.

use burn::tensor::ops::PadMode;
use burn::tensor::{Tensor, s};

use crate::mask::box_blur_channels;
use crate::quantize::oklab;

/// Below this much pet in a square, its colour is not trusted (background).
const MIN_COVER: f32 = 1.0e-3;

/// The Kuwahara filter with squares `2 * half + 1` pixels wide, each pixel of the squares
/// counted by its alpha (background does not bleed in).
///
/// # Shapes
/// - `rgb`: `[3, H, W]` sRGB in [0, 1], output the same
/// - `alpha`: `[1, H, W]` in [0, 1]
pub(crate) fn kuwahara(rgb: Tensor<3>, alpha: Tensor<3>, half: usize) -> Tensor<3> {
    let [_, h, w] = rgb.dims();
    let side = 2 * half + 1;
    let lightness = oklab(rgb.clone().reshape([3, h * w]).transpose())
        .slice(s![.., 0..1])
        .reshape([1, h, w]);
    let weighted = Tensor::cat(
        vec![
            rgb * alpha.clone(),
            alpha.clone(),
            lightness.clone() * alpha.clone(),
            lightness.clone() * lightness * alpha,
        ],
        0,
    ); // [6, H, W]
    // Means over squares centred on each pixel; a pixel's four squares are the ones centred
    // `half` up or down and left or right of it.
    let means = box_blur_channels(weighted, side).pad([(half, half), (half, half)], PadMode::Edge);
    let (mut colours, mut spreads) = (Vec::new(), Vec::new());
    for dy in [0, 2 * half] {
        for dx in [0, 2 * half] {
            let square = means.clone().slice(s![.., dy..dy + h, dx..dx + w]); // [6, H, W]
            let cover = square.clone().slice(s![3..4, .., ..]);
            let share = cover.clone().clamp_min(MIN_COVER);
            let mean = square.clone().slice(s![4..5, .., ..]) / share.clone();
            let spread =
                square.clone().slice(s![5..6, .., ..]) / share.clone() - mean.clone() * mean;
            // A square of background never wins.
            let spread = spread.mask_fill(cover.lower_elem(MIN_COVER), f32::MAX);
            colours.push((square.slice(s![0..3, .., ..]) / share).reshape([1, 3, h, w]));
            spreads.push(spread);
        }
    }
    let calmest = Tensor::cat(spreads, 0).argmin(0); // [1, H, W]
    Tensor::cat(colours, 0)
        .gather(0, calmest.reshape([1, 1, h, w]).expand([1, 3, h, w]))
        .reshape([3, h, w])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensors::{from_f32, read_f32};

    #[test]
    fn texture_flattens_and_an_edge_stays_sharp() {
        let device = burn::tensor::Device::flex();
        // Left half: dark fur with a fine check of two shades; right half: light, plain.
        let (w, h) = (16, 8);
        let mut rgb = vec![0.0; 3 * w * h];
        for y in 0..h {
            for x in 0..w {
                let v = if x < w / 2 {
                    if (x + y) % 2 == 0 { 0.2 } else { 0.3 }
                } else {
                    0.9
                };
                for c in 0..3 {
                    rgb[c * w * h + y * w + x] = v;
                }
            }
        }
        let alpha = from_f32(vec![1.0; w * h], [1, h, w], &device);
        let out = read_f32(kuwahara(from_f32(rgb, [3, h, w], &device), alpha, 1)).expect("read");
        let at = |x: usize, y: usize| out[y * w + x];
        for y in 1..h - 1 {
            for x in 1..w / 2 - 1 {
                assert!((at(x, y) - 0.25).abs() < 0.07, "({x}, {y}) = {}", at(x, y));
            }
            assert!(at(w / 2 - 1, y) < 0.35, "the dark side's edge stays dark");
            assert!(
                (at(w / 2, y) - 0.9).abs() < 1e-4,
                "the light side's edge stays light"
            );
        }
    }

    #[test]
    fn background_does_not_bleed_into_the_pet() {
        let device = burn::tensor::Device::flex();
        let (w, h) = (8, 8);
        // A red pet on the left on a green background the mask leaves out.
        let mut rgb = vec![0.0; 3 * w * h];
        let mut alpha = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let pet = x < 4;
                rgb[(if pet { 0 } else { 1 }) * w * h + y * w + x] = 1.0;
                alpha[y * w + x] = if pet { 1.0 } else { 0.0 };
            }
        }
        let out = kuwahara(
            from_f32(rgb, [3, h, w], &device),
            from_f32(alpha, [1, h, w], &device),
            2,
        );
        let out = read_f32(out).expect("read");
        for y in 0..h {
            for x in 0..4 {
                assert!(out[w * h + y * w + x] < 1e-4, "no green at ({x}, {y})");
                assert!((out[y * w + x] - 1.0).abs() < 1e-4, "red at ({x}, {y})");
            }
        }
    }
}
