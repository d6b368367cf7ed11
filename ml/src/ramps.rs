//! Hue-shifted shade ramps, the way pixel artists build a palette: the sprite's colours fall
//! into a few hue families, each a ramp of shades from dark to light, and along a ramp the hue
//! turns warmer towards the highlights and cooler towards the shadows (an orange fur's light
//! shades lean yellow and its shadows red; a green's highlights lean yellow, its shadows teal).
//!
//! The ramps are fitted to the photo, not imposed on it: a family's hue is a straight line in
//! lightness, least squares over its shades (weighted by the cells each holds and its
//! chroma, which is where hue can be seen), turned at least [`MIN_TURN`] towards warm
//! highlights and at most [`MAX_TURN`]. Each shade keeps its own lightness and chroma, so the
//! ramp keeps the photo's tones and only its hues become one coherent progression. Grey
//! families have no hue to shift and are left as they are.
//!
//! Families are found among the palette's colours (not the pixels), unweighted: a pet's eyes
//! or nose, a handful of cells, still make a family of their own rather than being pulled
//! into the fur's.

use burn::tensor::Tensor;

use crate::MlError;
use crate::quantize::{oklab, srgb_from_oklab};
use crate::tensors::{from_f32, read_f32};

/// Shades per family the palette is divided for: 16 colours make 4 families.
const SHADES_PER_FAMILY: usize = 4;
/// Oklab chroma under which a family is grey (a cat's grey fur is ~0.01, a ginger's ~0.08).
const NEUTRAL_CHROMA: f32 = 0.025;
/// Least turn of the hue towards warm per unit of Oklab lightness: over a ramp from
/// lightness 0.35 to 0.75 the highlights sit 16° warmer than the shadows.
const MIN_TURN: f32 = 40.0;
/// Most turn per unit of lightness, so a fit over noisy hues does not spin a ramp round.
const MAX_TURN: f32 = 150.0;
/// The hue (Oklab, degrees) highlights turn towards: between orange and yellow. Shadows turn
/// away from it, towards red and violet for warm colours and teal and blue for cool ones.
const WARM_POLE: f32 = 100.0;
/// A turn moving a colour less than this in Oklab (a, b) leaves it as it was: far under a
/// level of any channel.
const UNMOVED: f32 = 1.0e-4;
/// Lloyd iterations for grouping a few dozen colours at most.
const FAMILY_ITERATIONS: usize = 8;

/// The palette's colours as hue-shifted ramps.
///
/// # Shapes
/// - `colours`: `[K, 3]` sRGB in [0, 1]; `held`: `[K]`, the cells (or weight) each colour holds
/// - output: `[K, 3]` sRGB in [0, 1], in the same order
pub(crate) fn ramped(colours: Tensor<2>, held: Tensor<1>) -> Result<Tensor<2>, MlError> {
    let device = colours.device();
    let [k, _] = colours.dims();
    let lab: Vec<[f32; 3]> = read_f32(oklab(colours.clone()))?
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    let held = read_f32(held)?;
    let shifted = hue_shifted(&lab, &held, (k / SHADES_PER_FAMILY).max(1));
    // Colours left as they are (greys, lone accents) keep their exact sRGB: a round trip
    // through Oklab in f32 can move a level.
    let moved: Vec<f32> = shifted
        .iter()
        .map(|s| f32::from(u8::from(s.is_some())))
        .collect();
    if !moved.contains(&1.0) {
        return Ok(colours);
    }
    let lab = shifted
        .iter()
        .zip(&lab)
        .flat_map(|(s, l)| s.unwrap_or(*l))
        .collect();
    let moved = from_f32(moved, [k, 1], &device)
        .greater_elem(0.5)
        .expand([k, 3]);
    Ok(colours.mask_where(moved, srgb_from_oklab(from_f32(lab, [k, 3], &device))))
}

/// `lab` (Oklab colours) as ramps of `families` hue families, `held` weighing each colour:
/// the new colour of each one whose hue turned, `None` for the rest (greys, accents alone in
/// their family, shades already where the ramp puts them).
pub(crate) fn hue_shifted(
    lab: &[[f32; 3]],
    held: &[f32],
    families: usize,
) -> Vec<Option<[f32; 3]>> {
    let family = families_of(lab, families);
    let mut out = vec![None; lab.len()];
    for f in 0..families {
        let members: Vec<usize> = (0..lab.len()).filter(|&i| family[i] == f).collect();
        if let Some(hues) = ramp_hues(lab, held, &members) {
            for (&i, hue) in members.iter().zip(hues) {
                let [l, a, b] = lab[i];
                let chroma = a.hypot(b);
                let turned = [l, chroma * hue.cos(), chroma * hue.sin()];
                // A grey in a coloured family, or a shade already on the line, stays put.
                if (turned[1] - a).hypot(turned[2] - b) > UNMOVED {
                    out[i] = Some(turned);
                }
            }
        }
    }
    out
}

/// The new hue (radians) of each member, or `None` for a grey family or one that holds no
/// cells (nothing to fit).
fn ramp_hues(lab: &[[f32; 3]], held: &[f32], members: &[usize]) -> Option<Vec<f32>> {
    let weight = |i: usize| held.get(i).copied().unwrap_or(0.0).max(0.0);
    let chroma = |i: usize| lab[i][1].hypot(lab[i][2]);
    let cells: f32 = members.iter().map(|&i| weight(i)).sum();
    if cells <= 0.0
        || members.iter().map(|&i| weight(i) * chroma(i)).sum::<f32>() / cells < NEUTRAL_CHROMA
    {
        return None;
    }
    // Hue is seen in proportion to chroma: a near-grey shade's hue is mostly noise.
    let w = |i: usize| weight(i) * chroma(i).powi(2);
    let total: f32 = members.iter().map(|&i| w(i)).sum();
    let (sin, cos) = members.iter().fold((0.0, 0.0), |(s, c), &i| {
        let h = lab[i][2].atan2(lab[i][1]);
        (s + w(i) * h.sin(), c + w(i) * h.cos())
    });
    let mean_hue = sin.atan2(cos);
    let offset = |i: usize| wrap(lab[i][2].atan2(lab[i][1]) - mean_hue);
    let mean_l = members.iter().map(|&i| w(i) * lab[i][0]).sum::<f32>() / total;
    let mean_offset = members.iter().map(|&i| w(i) * offset(i)).sum::<f32>() / total;
    let spread: f32 = members
        .iter()
        .map(|&i| w(i) * (lab[i][0] - mean_l).powi(2))
        .sum();
    let fitted = if spread > f32::EPSILON {
        members
            .iter()
            .map(|&i| w(i) * (lab[i][0] - mean_l) * (offset(i) - mean_offset))
            .sum::<f32>()
            / spread
    } else {
        0.0
    };
    let towards_warm = warm_direction(mean_hue);
    let turn =
        towards_warm * (towards_warm * fitted).clamp(MIN_TURN.to_radians(), MAX_TURN.to_radians());
    Some(
        members
            .iter()
            .map(|&i| mean_hue + mean_offset + turn * (lab[i][0] - mean_l))
            .collect(),
    )
}

/// +1 when turning `hue` (radians) anticlockwise brings it nearer the warm pole, else −1.
fn warm_direction(hue: f32) -> f32 {
    if wrap(WARM_POLE.to_radians() - hue) >= 0.0 {
        1.0
    } else {
        -1.0
    }
}

/// An angle brought into (−π, π].
fn wrap(angle: f32) -> f32 {
    use std::f32::consts::{PI, TAU};
    let a = angle.rem_euclid(TAU);
    if a > PI { a - TAU } else { a }
}

/// The family of each colour: k-means over the colours' (a, b), unweighted, seeded with the
/// greyest colour and then each time the colour farthest from every seed so far, so the
/// grouping is the same for the same palette.
fn families_of(lab: &[[f32; 3]], families: usize) -> Vec<usize> {
    let ab: Vec<[f32; 2]> = lab.iter().map(|c| [c[1], c[2]]).collect();
    let distance = |p: [f32; 2], q: [f32; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
    let nearest = |p: [f32; 2], centres: &[[f32; 2]]| {
        centres
            .iter()
            .enumerate()
            .map(|(j, &c)| (j, distance(p, c)))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map_or(0, |(j, _)| j)
    };
    let Some(greyest) = ab
        .iter()
        .copied()
        .min_by(|p, q| distance(*p, [0.0; 2]).total_cmp(&distance(*q, [0.0; 2])))
    else {
        return Vec::new();
    };
    let mut centres = vec![greyest];
    while centres.len() < families.min(ab.len()) {
        let farthest = ab
            .iter()
            .copied()
            .max_by(|p, q| {
                let d = |x: [f32; 2]| distance(x, centres[nearest(x, &centres)]);
                d(*p).total_cmp(&d(*q))
            })
            .unwrap_or(greyest);
        centres.push(farthest);
    }
    let mut family: Vec<usize> = ab.iter().map(|&p| nearest(p, &centres)).collect();
    for _ in 0..FAMILY_ITERATIONS {
        for (j, centre) in centres.iter_mut().enumerate() {
            let (sum, count) = ab
                .iter()
                .zip(&family)
                .filter(|(_, f)| **f == j)
                .fold(([0.0f32; 2], 0.0f32), |(s, n), (p, _)| {
                    ([s[0] + p[0], s[1] + p[1]], n + 1.0)
                });
            // A centre left without colours keeps its place.
            if count > 0.0 {
                *centre = [sum[0] / count, sum[1] / count];
            }
        }
        family = ab.iter().map(|&p| nearest(p, &centres)).collect();
    }
    family
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn lch(l: f32, c: f32, hue_degrees: f32) -> [f32; 3] {
        let h = hue_degrees.to_radians();
        [l, c * h.cos(), c * h.sin()]
    }

    fn hue(c: [f32; 3]) -> f32 {
        c[2].atan2(c[1]).to_degrees()
    }

    /// The colours after ramping, those left alone as they were.
    fn shifted(lab: &[[f32; 3]], held: &[f32], families: usize) -> Vec<[f32; 3]> {
        hue_shifted(lab, held, families)
            .into_iter()
            .zip(lab)
            .map(|(s, l)| s.unwrap_or(*l))
            .collect()
    }

    #[test]
    fn an_orange_ramp_turns_yellow_in_the_light_and_red_in_the_shadow_keeping_its_tones() {
        // Four shades of one hue (a ginger fur without any shift of its own).
        let lab: Vec<_> = [0.35, 0.5, 0.65, 0.8]
            .into_iter()
            .map(|l| lch(l, 0.08, 60.0))
            .collect();
        let out = shifted(&lab, &[10.0; 4], 1);
        let hues: Vec<f32> = out.iter().map(|&c| hue(c)).collect();
        assert!(
            hues.windows(2).all(|w| w[1] > w[0]),
            "warmer when lighter: {hues:?}"
        );
        // The least turn, centred on the fur's hue: 40° per unit of lightness over 0.45.
        assert!((hues[3] - hues[0] - 18.0).abs() < 0.1, "{hues:?}");
        assert!(((hues[0] + hues[3]) / 2.0 - 60.0).abs() < 0.1, "{hues:?}");
        for (before, after) in lab.iter().zip(&out) {
            assert!((before[0] - after[0]).abs() < 1e-6, "lightness kept");
            let chroma = |c: &[f32; 3]| c[1].hypot(c[2]);
            assert!((chroma(before) - chroma(after)).abs() < 1e-6, "chroma kept");
        }
    }

    #[test]
    fn a_green_ramp_turns_towards_yellow_in_the_light_and_teal_in_the_shadow() {
        let lab: Vec<_> = [0.3, 0.5, 0.7]
            .into_iter()
            .map(|l| lch(l, 0.1, 145.0))
            .collect();
        let out = shifted(&lab, &[1.0; 3], 1);
        let hues: Vec<f32> = out.iter().map(|&c| hue(c)).collect();
        assert!(hues.windows(2).all(|w| w[1] < w[0]), "{hues:?}");
    }

    #[test]
    fn a_ramp_that_already_shifts_within_the_limits_keeps_its_own_hues() {
        // 80° per unit of lightness, warm in the light: between the least and the most turn.
        let lab: Vec<_> = [0.3, 0.5, 0.7, 0.9]
            .into_iter()
            .map(|l| lch(l, 0.06, 50.0 + 80.0 * (l - 0.6)))
            .collect();
        assert_eq!(hue_shifted(&lab, &[3.0, 1.0, 2.0, 5.0], 1), vec![None; 4]);
    }

    #[test]
    fn greys_and_a_lone_accent_stay_as_they_are_while_the_fur_is_shifted() {
        let mut lab = vec![
            lch(0.2, 0.005, 250.0),
            lch(0.6, 0.01, 80.0),
            lch(0.95, 0.004, 100.0),
        ];
        lab.extend([0.4, 0.55, 0.7].map(|l| lch(l, 0.09, 55.0)));
        lab.push(lch(0.6, 0.15, 140.0)); // a green eye
        let turned = hue_shifted(&lab, &[5.0, 5.0, 5.0, 9.0, 9.0, 9.0, 1.0], 3);
        assert_eq!(turned[..3], [None; 3], "the greys stay");
        assert_eq!(turned[6], None, "so does the eye, alone in its family");
        let out = shifted(&lab, &[5.0, 5.0, 5.0, 9.0, 9.0, 9.0, 1.0], 3);
        assert!(hue(out[5]) > hue(out[3]) + 10.0, "the fur is a warm ramp");
        // Seeds: the greyest colour, then the eye (farthest from it), then the fur.
        assert_eq!(families_of(&lab, 3), vec![0, 0, 0, 2, 2, 2, 1]);
    }

    #[test]
    fn colours_that_hold_no_cells_are_left_as_they_are() {
        let lab: Vec<_> = [0.4, 0.6].into_iter().map(|l| lch(l, 0.1, 30.0)).collect();
        assert_eq!(hue_shifted(&lab, &[0.0, 0.0], 1), vec![None; 2]);
    }

    #[test]
    fn a_ginger_palette_comes_back_in_srgb_as_a_ramp_its_greys_untouched() {
        let device = Device::flex();
        // Four shades of one Oklab hue and chroma, and a white.
        let lab: Vec<f32> = [0.4, 0.5, 0.6, 0.7]
            .into_iter()
            .flat_map(|l| lch(l, 0.09, 55.0))
            .chain([1.0, 0.0, 0.0])
            .collect();
        let colours = srgb_from_oklab(from_f32(lab.clone(), [5, 3], &device));
        let before = read_f32(colours.clone()).expect("readback");
        let out = ramped(colours, from_f32(vec![4.0; 5], [5], &device)).expect("ramped");
        let after = read_f32(out.clone()).expect("readback");
        assert_eq!(after[12..], before[12..], "white is exactly white");
        let turned: Vec<[f32; 3]> = read_f32(oklab(out))
            .expect("readback")
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        assert!(hue(turned[3]) > 57.0 && hue(turned[0]) < 53.0, "{turned:?}");
        for (i, c) in turned.iter().take(4).enumerate() {
            assert!(
                (c[0] - lab[3 * i]).abs() < 2e-3,
                "lightness kept: {turned:?}"
            );
        }
    }

    #[test]
    fn a_palette_with_nothing_to_turn_comes_back_exactly() {
        let device = Device::flex();
        let colours = from_f32(
            vec![
                0.0, 0.0, 0.0, //
                0.5, 0.5, 0.5, //
                1.0, 1.0, 1.0, //
                0.9, 0.5, 0.2, //
            ],
            [4, 3],
            &device,
        );
        let out = read_f32(ramped(colours, from_f32(vec![1.0; 4], [4], &device)).expect("ramped"))
            .expect("readback");
        let expected = [0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 0.9, 0.5, 0.2];
        // The greys have no hue, and the orange is the only coloured shade: nothing turns.
        assert_eq!(out, expected);
    }
}
