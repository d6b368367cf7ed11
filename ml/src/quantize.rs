//! Mapping the sprite's pixels onto a style's palette in tensor operations: k-means palettes
//! shaped into hue-shifted ramps (optionally snapped to the SNES's 15-bit colours), fixed
//! palettes (every colour, or the best few), brightness ramps, and 4×4 Bayer ordered
//! dithering.

use burn::tensor::{Device, Int, Tensor, s};
use image::Rgba;

use crate::MlError;
use crate::kmeans::{LUMA, add_farthest, centroids_of, init_by_luminance, lloyd, nearest};
use crate::ramps::ramped;
use crate::style::{Method, Style};
use crate::tensors::{from_f32, from_i64, read_f32};

/// Lloyd iterations for the palette; it converges well within this on a few thousand pixels.
const PALETTE_ITERATIONS: usize = 12;
/// How much darker than the darkest palette colour a photo palette's outline is.
const OUTLINE_DARKEN: f32 = 0.45;
/// The least difference (levels, in the channel that differs most) between a photo palette's
/// outline and its darkest colour for the two to be told apart at game size.
const MIN_OUTLINE_STEP: u8 = 12;
/// Share of the pet's pixels below the darkest and above the lightest band of a ramp, so a
/// glint or a shadow does not squeeze every other tone into one band.
const RAMP_CLIP: f32 = 0.02;
/// Limits of the ramp's tone curve: enough to balance a light or dark pet, not to posterize it.
const RAMP_GAMMA: (f32, f32) = (0.4, 2.5);
/// The 4×4 Bayer threshold matrix.
const BAYER: [u8; 16] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5];

/// The sprite's pixels as palette indices.
#[derive(Debug, Clone)]
pub(crate) struct Quantized {
    /// The colours used, darkest first.
    pub palette: Vec<Rgba<u8>>,
    /// Index into `palette` per pixel; meaningless where the weight is zero.
    pub indices: Tensor<1, Int>,
    /// The outline colour; on the style's palette when it has a fixed one.
    pub outline: Rgba<u8>,
}

/// Maps every pixel onto the style's palette. Only pixels with weight take part in choosing
/// colours; every pixel gets an index.
///
/// # Shapes
/// - `pixels`: `[N, 3]` colours in [0, 1], `N = grid[0] · grid[1]` in row-major order
/// - `weights`: `[N]`, 1.0 = pet
pub(crate) fn quantize(
    pixels: Tensor<2>,
    weights: Tensor<1>,
    grid: [usize; 2],
    style: Style,
    dither: bool,
) -> Result<Quantized, MlError> {
    let device = pixels.device();
    let [n, _] = pixels.dims();
    let members = read_f32(weights.clone().greater_elem(0.5).float().sum())?
        .first()
        .map_or(0, |&c| c.round() as usize);
    if members == 0 {
        return Err(too_thin());
    }
    let offsets = dither.then(|| bayer(grid, &device)); // [N, 1] in (-0.5, 0.5)
    let fixed = fixed_palette(style);

    let (candidates, assigned) = match crate::style::method(style) {
        Method::KMeans { colours, snes } => {
            let (centroids, held) = kmeans(pixels.clone(), weights.clone(), colours)?;
            let ramps = ramped(centroids, held)?;
            let c = if snes {
                to_bgr555(ramps)
            } else {
                to_8_bit(ramps)
            };
            let assigned = nearest_dithered(pixels, c.clone(), offsets)?;
            (c, assigned)
        }
        Method::Subset { colours } => {
            let palette = colours_tensor(&fixed, &device);
            let (centroids, _) = kmeans(pixels.clone(), weights.clone(), colours)?;
            let picks = nearest(oklab(centroids), oklab(palette.clone()));
            let c = palette.select(0, picks);
            let assigned = nearest_perceptual(pixels, c.clone(), offsets)?;
            (c, assigned)
        }
        Method::Nearest => {
            let c = colours_tensor(&fixed, &device);
            let assigned = nearest_perceptual(pixels, c.clone(), offsets)?;
            (c, assigned)
        }
        Method::Ramp => {
            let c = colours_tensor(&fixed, &device);
            let assigned = ramp(pixels, weights.clone(), members, fixed.len(), offsets)?;
            (c, assigned)
        }
    };

    let k = candidates.dims()[0];
    let used = assigned
        .clone()
        .reshape([n, 1])
        .expand([n, k])
        .equal(
            Tensor::<1, Int>::arange(0..k as i64, &device)
                .reshape([1, k])
                .expand([n, k]),
        )
        .float()
        .mul(weights.reshape([n, 1]))
        .sum_dim(0); // [1, K]
    let (palette, lookup) = compact_palette(&read_f32(candidates)?, &read_f32(used)?);
    let indices = from_i64(lookup, [k], &device).select(0, assigned); // [N]
    let outline = outline(style, &fixed, &palette);
    Ok(Quantized {
        palette,
        indices,
        outline,
    })
}

fn too_thin() -> MlError {
    MlError::NoSubjectFound("the pet is too thin to draw at this sprite size".into())
}

/// The style's fixed palette, darkest first (a ramp needs that order); empty for photo styles.
fn fixed_palette(style: Style) -> Vec<Rgba<u8>> {
    let mut palette = crate::style::palette(style).unwrap_or_default();
    palette.sort_by_key(|c| (luma(c), c.0));
    palette
}

/// Luma ×1000 in integers, for sorting colours dark to light.
fn luma(c: &Rgba<u8>) -> u32 {
    299 * u32::from(c.0[0]) + 587 * u32::from(c.0[1]) + 114 * u32::from(c.0[2])
}

/// # Shapes
/// - output: `[K, 3]` in [0, 1]
pub(crate) fn colours_tensor(colours: &[Rgba<u8>], device: &Device) -> Tensor<2> {
    let values = colours
        .iter()
        .flat_map(|c| [0, 1, 2].map(|i| f32::from(c.0[i]) / 255.0))
        .collect();
    from_f32(values, [colours.len(), 3], device)
}

/// `k` colours by weighted k-means: two thirds spread over the brightness range, the rest
/// for small distinct groups (eyes, a nose).
///
/// # Shapes
/// - `pixels`: `[N, 3]`, `weights`: `[N]`
/// - output: centroids `[k, 3]` and the weight each holds `[k]`
fn kmeans(
    pixels: Tensor<2>,
    weights: Tensor<1>,
    k: usize,
) -> Result<(Tensor<2>, Tensor<1>), MlError> {
    let outliers = k / 3;
    let start =
        init_by_luminance(pixels.clone(), weights.clone(), k - outliers)?.ok_or_else(too_thin)?;
    let start = add_farthest(pixels.clone(), weights.clone(), start, outliers);
    Ok(lloyd(pixels, weights, start, PALETTE_ITERATIONS))
}

/// Rounds colours to 8 bits, so pixels are matched against the colours they will be drawn in.
///
/// # Shapes
/// - `c`: `[K, 3]` in [0, 1], output the same
fn to_8_bit(c: Tensor<2>) -> Tensor<2> {
    c.clamp(0.0, 1.0)
        .mul_scalar(255.0)
        .round()
        .div_scalar(255.0)
}

/// Snaps colours to the SNES's 5 bits per channel, expanded back to 8 bits the way hardware
/// and emulators do (`v << 3 | v >> 2`).
///
/// # Shapes
/// - `c`: `[K, 3]` in [0, 1], output the same
fn to_bgr555(c: Tensor<2>) -> Tensor<2> {
    let v = c.clamp(0.0, 1.0).mul_scalar(31.0).round(); // [K, 3] in 0..=31
    (v.clone().mul_scalar(8.0) + v.div_scalar(4.0).floor()).div_scalar(255.0)
}

/// The host-side version of [`to_bgr555`] for single colours.
fn snap_bgr555(c: Rgba<u8>) -> Rgba<u8> {
    let snap = |v: u8| {
        let five = (u16::from(v) * 31 + 127) / 255;
        ((five << 3) | (five >> 2)) as u8
    };
    Rgba([snap(c.0[0]), snap(c.0[1]), snap(c.0[2]), c.0[3]])
}

/// sRGB to Oklab, where distances follow how different colours look: a fixed palette's
/// nearest colour keeps a pet's light and dark fur apart instead of matching hue alone.
///
/// # Shapes
/// - `rgb`: `[N, 3]` sRGB in [0, 1]
/// - output: `[N, 3]` (L, a, b)
pub(crate) fn oklab(rgb: Tensor<2>) -> Tensor<2> {
    let device = rgb.device();
    let rgb = rgb.clamp(0.0, 1.0);
    let low = rgb.clone().lower_equal_elem(0.04045);
    let linear = rgb
        .clone()
        .add_scalar(0.055)
        .div_scalar(1.055)
        .powf_scalar(2.4)
        .mask_where(low, rgb.div_scalar(12.92)); // [N, 3]
    #[rustfmt::skip]
    let to_lms = vec![
        0.412_221_46, 0.211_903_5, 0.088_302_46,
        0.536_332_55, 0.680_699_5, 0.281_718_85,
        0.051_445_995, 0.107_396_96, 0.629_978_7,
    ];
    #[rustfmt::skip]
    let to_lab = vec![
        0.210_454_26, 1.977_998_5, 0.025_904_037,
        0.793_617_8, -2.428_592_2, 0.782_771_8,
        -0.004_072_047, 0.450_593_7, -0.808_675_77,
    ];
    let lms = linear
        .matmul(from_f32(to_lms, [3, 3], &device))
        .clamp_min(0.0)
        .powf_scalar(1.0 / 3.0); // [N, 3]
    lms.matmul(from_f32(to_lab, [3, 3], &device))
}

/// Oklab back to sRGB, the inverse of [`oklab`]; colours outside the sRGB gamut are clamped.
///
/// # Shapes
/// - `lab`: `[N, 3]` (L, a, b)
/// - output: `[N, 3]` sRGB in [0, 1]
pub(crate) fn srgb_from_oklab(lab: Tensor<2>) -> Tensor<2> {
    let device = lab.device();
    #[rustfmt::skip]
    let to_lms = vec![
        1.0, 1.0, 1.0,
        0.396_337_78, -0.105_561_346, -0.089_484_18,
        0.215_803_76, -0.063_854_17, -1.291_485_5,
    ];
    #[rustfmt::skip]
    let to_rgb = vec![
        4.076_741_7, -1.268_438, -0.004_196_086,
        -3.307_711_6, 2.609_757_4, -0.703_418_6,
        0.230_969_94, -0.341_319_4, 1.707_614_7,
    ];
    let lms = lab.matmul(from_f32(to_lms, [3, 3], &device)); // [N, 3]
    // Cubed by multiplying: a float power of a negative value is NaN.
    let linear = (lms.clone() * lms.clone() * lms)
        .matmul(from_f32(to_rgb, [3, 3], &device))
        .clamp(0.0, 1.0);
    let low = linear.clone().lower_equal_elem(0.003_130_8);
    linear
        .clone()
        .powf_scalar(1.0 / 2.4)
        .mul_scalar(1.055)
        .sub_scalar(0.055)
        .mask_where(low, linear.mul_scalar(12.92))
}

/// Nearest candidate for every pixel in Oklab, the pixels' lightness first nudged by the
/// dither thresholds, about one step between neighbouring candidates at most.
///
/// # Shapes
/// - `pixels`: `[N, 3]`, `candidates`: `[K, 3]`, `offsets`: `[N, 1]`
/// - output: `[N]`
fn nearest_perceptual(
    pixels: Tensor<2>,
    candidates: Tensor<2>,
    offsets: Option<Tensor<2>>,
) -> Result<Tensor<1, Int>, MlError> {
    let device = pixels.device();
    let (pixels, candidates) = (oklab(pixels), oklab(candidates));
    let Some(offsets) = offsets else {
        return Ok(nearest(pixels, candidates));
    };
    let spread = dither_spread(&read_f32(candidates.clone())?) * 3f32.sqrt();
    let lightness = from_f32(vec![1.0, 0.0, 0.0], [1, 3], &device);
    Ok(nearest(
        pixels + offsets.mul_scalar(spread) * lightness,
        candidates,
    ))
}

/// The 4×4 Bayer thresholds tiled over the sprite grid, centred on zero.
///
/// # Shapes
/// - output: `[h · w, 1]` in (-0.5, 0.5), row-major
fn bayer(grid: [usize; 2], device: &Device) -> Tensor<2> {
    let [h, w] = grid;
    let values = BAYER
        .iter()
        .map(|&v| (f32::from(v) + 0.5) / 16.0 - 0.5)
        .collect();
    from_f32(values, [4, 4], device)
        .repeat(&[h.div_ceil(4), w.div_ceil(4)])
        .slice(s![0..h, 0..w])
        .reshape([h * w, 1])
}

/// Nearest candidate for every pixel, the pixels first nudged along the grey axis by the
/// dither thresholds, about one step between neighbouring candidates at most.
///
/// # Shapes
/// - `pixels`: `[N, 3]`, `candidates`: `[K, 3]`, `offsets`: `[N, 1]`
/// - output: `[N]`
fn nearest_dithered(
    pixels: Tensor<2>,
    candidates: Tensor<2>,
    offsets: Option<Tensor<2>>,
) -> Result<Tensor<1, Int>, MlError> {
    let Some(offsets) = offsets else {
        return Ok(nearest(pixels, candidates));
    };
    let spread = dither_spread(&read_f32(candidates.clone())?);
    Ok(nearest(pixels + offsets.mul_scalar(spread), candidates))
}

/// The median distance from a candidate colour to its nearest different one, per channel:
/// thresholds of ± half that move a pixel between neighbouring colours and no further.
fn dither_spread(colours: &[f32]) -> f32 {
    let colours: Vec<&[f32]> = colours.chunks_exact(3).collect();
    let mut gaps: Vec<f32> = colours
        .iter()
        .filter_map(|a| {
            colours
                .iter()
                .map(|b| (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f32>().sqrt())
                .filter(|&d| d > 1.0e-4)
                .min_by(f32::total_cmp)
        })
        .collect();
    if gaps.is_empty() {
        return 0.0;
    }
    gaps.sort_by(f32::total_cmp);
    gaps[gaps.len() / 2] / 3f32.sqrt()
}

/// Brightness bands: the pet's tones, from its darkest to its lightest (a few clipped at each
/// end), spread over `levels` bands with the median tone in the middle.
///
/// # Shapes
/// - `pixels`: `[N, 3]`, `weights`: `[N]`, `offsets`: `[N, 1]`
/// - output: `[N]` band indices, 0 = darkest
fn ramp(
    pixels: Tensor<2>,
    weights: Tensor<1>,
    members: usize,
    levels: usize,
    offsets: Option<Tensor<2>>,
) -> Result<Tensor<1, Int>, MlError> {
    let device = pixels.device();
    let [n, _] = pixels.dims();
    let luma = pixels
        .matmul(from_f32(LUMA.to_vec(), [3, 1], &device))
        .reshape([n]); // [N]
    // Non-members sort after every member, so the first `members` sorted values are the pet's.
    let outside = weights.greater_elem(0.5).float().neg() + 1.0;
    let sorted = (luma.clone() + outside.mul_scalar(1.0e3)).sort(0);
    let clip = (members as f32 * RAMP_CLIP) as usize;
    let picks = [clip, members / 2, members - 1 - clip.min(members - 1)].map(|i| i as i64);
    let q = read_f32(sorted.select(0, from_i64(picks.to_vec(), [3], &device)))?;
    let (lo, hi) = (q[0], q[2].max(q[0] + 1.0e-3));
    // A gamma that puts the median tone halfway up the ramp, so a mostly light or mostly
    // dark pet still gets all of its bands.
    let median = ((q[1] - lo) / (hi - lo)).clamp(0.05, 0.95);
    let gamma = (0.5f32.ln() / median.ln()).clamp(RAMP_GAMMA.0, RAMP_GAMMA.1);
    let top = (levels - 1) as f32;
    let band = luma
        .sub_scalar(lo)
        .div_scalar(hi - lo)
        .clamp(0.0, 1.0)
        .powf_scalar(gamma)
        .mul_scalar(top)
        .add_scalar(0.5); // [N]
    let band = match offsets {
        Some(o) => band + o.reshape([n]),
        None => band,
    };
    Ok(band.floor().clamp(0.0, top).int())
}

/// The palette actually used, deduplicated after rounding to 8 bits and sorted darkest first,
/// with a lookup from candidate to palette index.
fn compact_palette(candidates: &[f32], used: &[f32]) -> (Vec<Rgba<u8>>, Vec<i64>) {
    let to_u8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let colours: Vec<Rgba<u8>> = candidates
        .chunks_exact(3)
        .map(|c| Rgba([to_u8(c[0]), to_u8(c[1]), to_u8(c[2]), 255]))
        .collect();
    let mut palette: Vec<Rgba<u8>> = colours
        .iter()
        .zip(used)
        .filter(|(_, u)| **u > 0.0)
        .map(|(c, _)| *c)
        .collect();
    palette.sort_by_key(|c| (luma(c), c.0));
    palette.dedup();
    let lookup = colours
        .iter()
        .map(|c| palette.iter().position(|p| p == c).unwrap_or(0) as i64)
        .collect();
    (palette, lookup)
}

/// Cleanup moves cells between colours (a lone pixel takes its neighbour's), so a photo
/// palette's colours are no longer the means of the cells drawn in them. This is the last
/// half-step of Lloyd's iteration with the cleaned-up cells held fixed: each colour becomes
/// the mean of its cells' colours, shaped into ramps again ([`crate::ramps`]) and snapped for
/// the SNES, the palette is put back in order, darkest first and without repeats, and the
/// outline follows the darkest colour. Fixed palettes come back as they are; a colour no cell
/// is drawn in any more is left out.
///
/// `cells` are palette indices row by row (`palette.len()` means transparent) and `colours`
/// the colours the cells were quantized from, `[cells, 3]` RGB in [0, 1].
pub(crate) fn refit(
    style: Style,
    palette: Vec<Rgba<u8>>,
    outline_colour: Rgba<u8>,
    cells: &mut [i64],
    colours: Tensor<2>,
) -> Result<(Vec<Rgba<u8>>, Rgba<u8>), MlError> {
    if !matches!(crate::style::method(style), Method::KMeans { .. }) {
        return Ok((palette, outline_colour));
    }
    let device = colours.device();
    let (k, n) = (palette.len(), cells.len());
    let transparent = k as i64;
    // The transparent index is `k`, one past the palette: it assigns a cell to no colour.
    let (means, held) = centroids_of(
        colours,
        Tensor::ones([n], &device),
        from_i64(cells.to_vec(), [n], &device),
        colours_tensor(&palette, &device),
    );
    let ramps = ramped(means, held.clone())?;
    let snapped = match crate::style::method(style) {
        Method::KMeans { snes: true, .. } => to_bgr555(ramps),
        _ => to_8_bit(ramps),
    };
    let used = read_f32(held)?;
    let (palette, lookup) = compact_palette(&read_f32(snapped)?, &used);
    for cell in cells.iter_mut() {
        if let Some(&to) = usize::try_from(*cell).ok().and_then(|i| lookup.get(i)) {
            *cell = to;
        } else if *cell == transparent {
            *cell = palette.len() as i64;
        }
    }
    let outline_colour = outline(style, &[], &palette);
    Ok((palette, outline_colour))
}

/// The outline: the darkest colour of a fixed palette, or a darker shade of the sprite's
/// darkest colour (snapped to 15 bits for the SNES).
fn outline(style: Style, fixed: &[Rgba<u8>], palette: &[Rgba<u8>]) -> Rgba<u8> {
    if let Some(darkest) = fixed.first() {
        return *darkest;
    }
    let darker = palette.first().map_or(Rgba([16, 12, 20, 255]), |c| {
        let d = |v: u8| (f32::from(v) * OUTLINE_DARKEN).round() as u8;
        let darker = Rgba([d(c.0[0]), d(c.0[1]), d(c.0[2]), 255]);
        // A shade no one can tell from the darkest colour (a black pet's) adds a colour to
        // the sprite, not a line: the outline is then that colour itself.
        let step = (0..3)
            .map(|i| c.0[i].abs_diff(darker.0[i]))
            .max()
            .unwrap_or(0);
        if step < MIN_OUTLINE_STEP { *c } else { darker }
    });
    match crate::style::method(style) {
        Method::KMeans { snes: true, .. } => snap_bgr555(darker),
        _ => darker,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bgr555_snapping_keeps_black_and_white_and_lands_on_15_bit_colours() {
        let device = Device::flex();
        let c = from_f32(vec![0.0, 1.0, 0.5, 0.1, 0.2, 0.3], [2, 3], &device);
        let snapped = read_f32(to_bgr555(c)).expect("readback");
        for v in snapped {
            let byte = (v * 255.0).round() as u8;
            let five = byte >> 3;
            assert_eq!(byte, (five << 3) | (five >> 2), "{byte} is a 15-bit level");
        }
        assert_eq!(
            snap_bgr555(Rgba([0, 255, 128, 255])),
            Rgba([0, 255, 132, 255])
        );
    }

    #[test]
    fn the_bayer_tiles_repeat_every_four_pixels_and_average_to_zero() {
        let device = Device::flex();
        let t = read_f32(bayer([5, 6], &device)).expect("readback");
        assert_eq!(t.len(), 30);
        assert_eq!(t[0], t[4]);
        assert_eq!(t[0], t[4 * 6]);
        let tile: f32 = (0..4)
            .flat_map(|y| (0..4).map(move |x| y * 6 + x))
            .map(|i| t[i])
            .sum();
        assert!(tile.abs() < 1e-5);
    }

    #[test]
    fn a_photo_outline_is_a_darker_shade_unless_the_darkest_colour_is_already_black() {
        let brown = [Rgba([100, 80, 60, 255]), Rgba([200, 180, 160, 255])];
        assert_eq!(
            outline(Style::Classic16, &[], &brown),
            Rgba([45, 36, 27, 255])
        );
        let black = [Rgba([2, 2, 2, 255]), Rgba([240, 240, 240, 255])];
        assert_eq!(outline(Style::Classic16, &[], &black), black[0]);
    }

    #[test]
    fn refitting_makes_each_photo_colour_the_mean_of_its_cells_and_keeps_fixed_palettes() {
        let device = Device::flex();
        let palette = vec![
            Rgba([10, 10, 10, 255]),
            Rgba([128, 128, 128, 255]),
            Rgba([250, 250, 250, 255]),
        ];
        // Four cells: two drawn in grey (one merged there from white by cleanup, so no
        // cell is white any more), one black, one transparent.
        let mut cells = vec![1, 1, 0, 3];
        let colours = from_f32(
            vec![
                0.4, 0.4, 0.4, //
                0.6, 0.6, 0.6, //
                0.0, 0.0, 0.0, //
                0.9, 0.9, 0.9, // transparent: left out
            ],
            [4, 3],
            &device,
        );
        let (fitted, line) = refit(
            Style::Classic16,
            palette.clone(),
            Rgba([4, 4, 4, 255]),
            &mut cells,
            colours.clone(),
        )
        .expect("refit");
        assert_eq!(
            fitted,
            vec![Rgba([0, 0, 0, 255]), Rgba([128, 128, 128, 255])]
        );
        assert_eq!(
            cells,
            vec![1, 1, 0, 2],
            "white is gone, transparent follows"
        );
        assert_eq!(line, Rgba([0, 0, 0, 255]));

        let mut fixed_cells = vec![1, 1, 0, 3];
        let (kept, _) = refit(
            Style::GameBoy,
            palette.clone(),
            Rgba([4, 4, 4, 255]),
            &mut fixed_cells,
            colours,
        )
        .expect("refit");
        assert_eq!((kept, fixed_cells), (palette, vec![1, 1, 0, 3]));
    }

    #[test]
    fn a_ramp_spreads_a_grey_gradient_over_every_band() {
        let device = Device::flex();
        let n = 40;
        let values = (0..n)
            .flat_map(|i| [i as f32 / (n - 1) as f32; 3])
            .collect();
        let pixels = from_f32(values, [n, 3], &device);
        let weights = from_f32(vec![1.0; n], [n], &device);
        let q = quantize(pixels, weights, [4, 10], Style::GameBoy, false).expect("quantized");
        assert_eq!(q.palette.len(), 4);
        let idx = q.indices.try_into_vec_as::<i64>().expect("readback");
        assert_eq!(idx.first(), Some(&0));
        assert_eq!(idx.last(), Some(&3));
        assert!(idx.windows(2).all(|w| w[0] <= w[1]), "monotone: {idx:?}");
    }
}
