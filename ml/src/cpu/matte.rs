//! The matte's refinement (`matte::refine`) on plain CPU planes.
//!
//! After the guided filter, the tensor version is about 90 element-wise tensor ops (local
//! colour means, the projection onto the pet–background axis, decontamination), each a fresh
//! allocation and a pass over memory. Here the masks are made once, the two local means are
//! a product pass and box means each, and everything after them is one pass per pixel.
//! Every value is computed by the same `f32` operations in the same order as the tensor
//! version, so both give the same matte to the bit (tested in `matte`).

use rayon::prelude::*;

use super::arena::{recycle, take_exact};
use super::filter::{blur, max_square};
use super::guide::ColourGuide;
use super::planes::{CHUNK, planes, planes_mut};
use crate::matte::{EPS, FAINT, HIGH, LOW, MIN_CONTRAST, PASSES, PET_SUPPORT, Windows};

/// The refined alpha (`[H][W]`) and the decontaminated colours (`[3][H][W]`).
pub(crate) struct Planes {
    pub alpha: Vec<f32>,
    pub rgb: Vec<f32>,
}

/// `matte::refine` on planes: `rgb` is `[3][H][W]`, `soft` and `keep` are `[H][W]`.
pub(crate) fn refine(
    rgb: &[f32],
    soft: &[f32],
    keep: &[f32],
    dims: [usize; 2],
    windows: Windows,
) -> Planes {
    let n = dims[0] * dims[1];
    let (rgb, soft, keep) = (&rgb[..3 * n], &soft[..n], &keep[..n]);
    let sure = erode(keep, dims, windows.band);
    let mut maybe = dilate(keep, dims, windows.band);
    for (grown, &s) in maybe.iter_mut().zip(soft) {
        *grown *= if s > 0.05 { 1.0 } else { 0.0 };
    }

    let guide = ColourGuide::new(rgb, dims, windows.radius, EPS);
    let mut alpha = take_exact(n);
    alpha.copy_from_slice(keep);
    for _ in 0..PASSES {
        let filtered = guide.filter(&alpha);
        alpha
            .par_chunks_mut(CHUNK)
            .zip(filtered.par_chunks(CHUNK))
            .zip(sure.par_chunks(CHUNK).zip(maybe.par_chunks(CHUNK)))
            .for_each(|((alpha, filtered), (sure, maybe))| {
                for i in 0..alpha.len() {
                    let levelled = ((filtered[i] - LOW) / (HIGH - LOW)).clamp(0.0, 1.0);
                    alpha[i] = max_pair(levelled, sure[i]) * maybe[i];
                }
            });
        recycle(filtered);
    }
    drop(guide);

    let deep = erode(keep, dims, windows.deep());
    let mut background = take_exact(n);
    for (b, &m) in background.iter_mut().zip(&maybe) {
        *b = -m + 1.0;
    }
    let pet_colour = local_mean(rgb, &deep, dims, windows.pet());
    let pet_share = blur(&deep, dims, windows.pet());
    let bg_colour = local_mean(rgb, &background, dims, windows.background());
    recycle(background);

    // Every float is written below.
    let mut colours = take_exact(3 * n);
    alpha
        .par_chunks_mut(CHUNK)
        .zip(planes_mut::<3>(&mut colours, n))
        .zip(planes::<3>(rgb, n))
        .zip(planes::<3>(&pet_colour, n).zip(planes::<3>(&bg_colour, n)))
        .zip(
            deep.par_chunks(CHUNK)
                .zip(pet_share.par_chunks(CHUNK))
                .zip(maybe.par_chunks(CHUNK).zip(sure.par_chunks(CHUNK))),
        )
        .for_each(
            |((((alpha, out), rgb), (pet, bg)), ((deep, pet_share), (maybe, sure)))| {
                for i in 0..alpha.len() {
                    let axis: [f32; 3] = std::array::from_fn(|c| pet[c][i] - bg[c][i]);
                    // Summed over channels from zero, as `sum_dim` does.
                    let contrast = 0.0 + axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2];
                    let along = (0..3).fold(0.0, |sum, c| sum + (rgb[c][i] - bg[c][i]) * axis[c]);
                    let t = (along / clamp_min(contrast, 1.0e-6)).clamp(0.0, 1.0);
                    let projected = ((t - 0.2) / 0.6).clamp(0.0, 1.0);
                    let in_band = maybe[i] > 0.5 && deep[i] < 0.5;
                    if in_band && contrast > MIN_CONTRAST {
                        let (from, to) = PET_SUPPORT;
                        let support = ((pet_share[i] - from) / (to - from)).clamp(0.0, 1.0);
                        alpha[i] = alpha[i] * (1.0 - support) + projected * maybe[i] * support;
                    }
                    // Decontamination.
                    let a = alpha[i];
                    for c in 0..3 {
                        out[c][i] = if sure[i] > 0.5 {
                            rgb[c][i]
                        } else if a < FAINT {
                            pet[c][i]
                        } else {
                            ((rgb[c][i] - bg[c][i] * (-a + 1.0)) / clamp_min(a, FAINT))
                                .clamp(0.0, 1.0)
                        };
                    }
                }
            },
        );
    // The masks and local colours are dropped, not recycled: giving them back measured no
    // faster (the pool already holds the guide's bigger planes) and cost 7 MiB more at a
    // 12 MP job's peak.
    Planes {
        alpha,
        rgb: colours,
    }
}

/// Mean colour of the pixels `weight` selects in each `k`×`k` window, zero where none
/// (`matte::local_mean`).
fn local_mean(rgb: &[f32], weight: &[f32], dims: [usize; 2], k: usize) -> Vec<f32> {
    let n = weight.len();
    let share = blur(weight, dims, k);
    let mut weighted = take_exact(3 * n);
    for (out, channel) in weighted.chunks_exact_mut(n).zip(rgb.chunks_exact(n)) {
        for ((o, &v), &w) in out.iter_mut().zip(channel).zip(weight) {
            *o = v * w;
        }
    }
    let mut sums = blur(&weighted, dims, k);
    recycle(weighted);
    for channel in sums.chunks_exact_mut(n) {
        for (s, &share) in channel.iter_mut().zip(&share) {
            *s /= clamp_min(share, 1.0e-6);
        }
    }
    recycle(share);
    sums
}

/// Dilation with a `k`×`k` square, edges repeated (`mask::dilate`).
fn dilate(m: &[f32], dims: [usize; 2], k: usize) -> Vec<f32> {
    max_square(m, dims, k)
}

/// Erosion with a `k`×`k` square: dilation of the negation, negated (`mask::erode`).
fn erode(m: &[f32], dims: [usize; 2], k: usize) -> Vec<f32> {
    let mut negated = take_exact(m.len());
    for (n, &v) in negated.iter_mut().zip(m) {
        *n = -v;
    }
    let mut eroded = max_square(&negated, dims, k);
    recycle(negated);
    eroded.iter_mut().for_each(|v| *v = -*v);
    eroded
}

/// Burn's `max_pair`: `b` where `a < b`, else `a`.
fn max_pair(a: f32, b: f32) -> f32 {
    if a < b { b } else { a }
}

/// Burn's `clamp_min`: NaN passes through.
fn clamp_min(x: f32, min: f32) -> f32 {
    if x.is_nan() || x > min { x } else { min }
}
