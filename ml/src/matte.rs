//! Soft edges that keep fur: the net's mask is refined against the photo with a guided
//! filter (He, Sun and Tang 2010), then the colours of the edge pixels are decontaminated so
//! the old background does not show as a grey or green fringe.
//!
//! Everything is box filters and element-wise tensor maths, so it runs on any Burn device.
//! When the photo is in the CPU backend's memory the same maths runs as fused passes over
//! plain planes (`cpu::refine_matte`), which give these tensor ops' values to the bit.

use burn::tensor::Tensor;

use crate::cpu;
use crate::mask::{box_blur, box_blur_channels, dilate, erode};

/// Guided-filter regulariser: larger keeps the mask smoother, smaller follows the photo's
/// edges (fur strands) more closely. Intensities are in [0, 1].
pub(crate) const EPS: f32 = 1.0e-4;
/// Levels on the filtered matte: below `LOW` is background, above `HIGH` is pet. The box
/// filter's averaging leaves a faint halo a few pixels wide on both sides of an edge; this
/// clears it while keeping the gradual values of fur and whiskers in between.
pub(crate) const LOW: f32 = 0.15;
pub(crate) const HIGH: f32 = 0.85;
/// Guided-filter passes; see [`refine`].
pub(crate) const PASSES: usize = 2;
/// Below this alpha an edge pixel is mostly old background, and solving for the pet's colour
/// only amplifies noise: it takes the colour of the nearest sure-pet pixels instead.
pub(crate) const FAINT: f32 = 0.5;
/// Squared RGB distance between the local pet and background colours above which colour
/// alone decides the edge (0.04 is a difference of 0.2 in one channel).
pub(crate) const MIN_CONTRAST: f32 = 0.04;
/// Shares of a pixel's pet window deep inside the pet between which colour takes over from
/// the filtered alpha. A leg or a tail far from the body has no local pet colour (it would
/// read as black), and the projection would carve it away: there the filtered alpha stands.
/// The hand-over is gradual, so backends whose box sums differ in the last bits agree.
pub(crate) const PET_SUPPORT: (f32, f32) = (0.025, 0.075);

/// The refined mask and the photo's colours with the background taken out of edge pixels.
#[derive(Debug, Clone)]
pub(crate) struct Matte {
    /// `[H, W]`, 0 = background, 1 = pet.
    pub alpha: Tensor<2>,
    /// `[3, H, W]` in [0, 1].
    pub rgb: Tensor<3>,
}

/// Feathers `keep` (the cleaned, solid pet) against the photo `rgb` inside a band around its
/// edge, where the net's probabilities `soft` say the edge may be.
///
/// The filter's input is the hard mask, not the net's probabilities: those are blurred by
/// the net's 320-px resolution, and a blurred input keeps half the old background in every
/// edge pixel. Filtering the hard mask lets the photo decide: a pixel that looks like the
/// background side of its window goes to 0, one that looks like the pet side to 1.
/// Inside `keep` shrunk by the band the pet is solid; outside `keep` grown by the band, and
/// wherever the net is sure it saw background, nothing is kept.
///
/// # Shapes
/// - `rgb`: `[3, H, W]` in [0, 1]
/// - `soft`, `keep`: `[H, W]` in [0, 1]
pub(crate) fn refine(
    rgb: Tensor<3>,
    soft: Tensor<2>,
    keep: Tensor<2>,
    buffers: &cpu::BufferPool,
) -> Matte {
    let [_, h, w] = rgb.dims();
    let windows = Windows::of(h, w);
    match cpu::refine_matte(&rgb, &soft, &keep, windows, buffers) {
        Some(matte) => matte,
        None => refine_tensors(rgb, soft, keep, windows),
    }
}

/// The neighbourhoods the matte works in, scaled with the image so the result does not
/// depend on resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    /// Width of the band around the edge where the matte may differ from the solid mask.
    pub band: usize,
    /// Side of the guided filter's window.
    pub radius: usize,
}

impl Windows {
    pub(crate) fn of(h: usize, w: usize) -> Self {
        let long = h.max(w);
        Self {
            band: odd((long / 64).max(3)),
            radius: odd((long / 96).max(3)),
        }
    }

    /// The erosion that finds pet colour deeper inside than the band, past any tufts.
    pub(crate) fn deep(self) -> usize {
        2 * self.band + 1
    }

    /// The window of the local background colour.
    pub(crate) fn background(self) -> usize {
        odd(self.band * 2 + 1)
    }

    /// The window of the local pet colour: wider, since it comes from deeper inside.
    pub(crate) fn pet(self) -> usize {
        2 * self.background() + 1
    }
}

/// [`refine`] in tensor ops, on any device.
fn refine_tensors(rgb: Tensor<3>, soft: Tensor<2>, keep: Tensor<2>, windows: Windows) -> Matte {
    let sure = erode(keep.clone(), windows.band);
    let maybe = dilate(keep.clone(), windows.band) * soft.greater_elem(0.05).float();
    // Each pass moves the matte's edge closer to the photo's; the second one follows fur
    // that the net's smooth mask cut straight across.
    let guide = ColourGuide::new(&rgb, windows.radius);
    let mut alpha = keep.clone();
    for _ in 0..PASSES {
        alpha = guide
            .filter(alpha)
            .sub_scalar(LOW)
            .div_scalar(HIGH - LOW)
            .clamp(0.0, 1.0)
            .max_pair(sure.clone())
            * maybe.clone();
    }

    // Near the edge, where the local pet and background colours differ, each pixel's alpha
    // is where its colour falls between them. This carves background out from between tufts
    // of fur that the net's smooth mask (and so the filter's input) covered whole.
    let deep = erode(keep, windows.deep());
    let background = maybe.clone().neg().add_scalar(1.0);
    let pet_colour = local_mean(rgb.clone(), deep.clone(), windows.pet());
    let bg_colour = local_mean(rgb.clone(), background.clone(), windows.background());
    let (projected, contrast) = project(rgb.clone(), pet_colour.clone(), bg_colour.clone());
    let (from, to) = PET_SUPPORT;
    let support = box_blur(deep.clone(), windows.pet())
        .sub_scalar(from)
        .div_scalar(to - from)
        .clamp(0.0, 1.0);
    let in_band = maybe
        .clone()
        .greater_elem(0.5)
        .bool_and(deep.lower_elem(0.5));
    let use_colour = in_band.bool_and(contrast.greater_elem(MIN_CONTRAST));
    let by_colour =
        alpha.clone() * support.clone().neg().add_scalar(1.0) + projected * maybe.clone() * support;
    let alpha = alpha.mask_where(use_colour, by_colour);

    let rgb = decontaminate(rgb, alpha.clone(), pet_colour, bg_colour, sure);
    Matte { alpha, rgb }
}

/// Colour-guided filter (He, Sun and Tang, eq. 14): in every window the output is a linear
/// function of the photo's RGB, fitted to the input by least squares. A pet and a background
/// of similar brightness but different hue (a cream cat on a green lawn) are told apart, which
/// a grey guide cannot do.
///
/// What depends only on the photo — the windows' mean colours and the inverse of their
/// colour covariance — is computed once and shared by the passes: it is more than half the
/// filter's box filters and element-wise work.
struct ColourGuide {
    /// The photo's channels, `[H, W]` each.
    rgb: [Tensor<2>; 3],
    /// Their window means.
    mean: [Tensor<2>; 3],
    /// The regularised covariance's cofactors, in the order rr, rg, rb, gg, gb, bb, and its
    /// determinant.
    cofactors: [Tensor<2>; 6],
    det: Tensor<2>,
    k: usize,
}

impl ColourGuide {
    /// # Shapes
    /// - `rgb`: `[3, H, W]`
    fn new(rgb: &Tensor<3>, k: usize) -> Self {
        let [_, h, w] = rgb.dims();
        let channel = |i: usize| rgb.clone().narrow(0, i, 1).reshape([h, w]);
        let (r, g, b) = (channel(0), channel(1), channel(2));
        let mean_i = box_blur_channels(rgb.clone(), k);
        let mean = |i: usize| mean_i.clone().narrow(0, i, 1).reshape([h, w]);
        let (mr, mg, mb) = (mean(0), mean(1), mean(2));
        let cov = |c1: &Tensor<2>, m1: &Tensor<2>, c2: &Tensor<2>, m2: &Tensor<2>| {
            box_blur(c1.clone() * c2.clone(), k) - m1.clone() * m2.clone()
        };
        // The window's colour covariance, regularised: [[rr, rg, rb], [rg, gg, gb], [rb, gb, bb]].
        let rr = cov(&r, &mr, &r, &mr).add_scalar(EPS);
        let rg = cov(&r, &mr, &g, &mg);
        let rb = cov(&r, &mr, &b, &mb);
        let gg = cov(&g, &mg, &g, &mg).add_scalar(EPS);
        let gb = cov(&g, &mg, &b, &mb);
        let bb = cov(&b, &mb, &b, &mb).add_scalar(EPS);
        // Its inverse by cofactors (symmetric, so six of them).
        let c_rr = gg.clone() * bb.clone() - gb.clone() * gb.clone();
        let c_rg = gb.clone() * rb.clone() - rg.clone() * bb.clone();
        let c_rb = rg.clone() * gb.clone() - gg.clone() * rb.clone();
        let c_gg = rr.clone() * bb - rb.clone() * rb.clone();
        let c_gb = rb.clone() * rg.clone() - rr.clone() * gb;
        let c_bb = rr.clone() * gg - rg.clone() * rg.clone();
        let det = rr * c_rr.clone() + rg * c_rg.clone() + rb * c_rb.clone();
        Self {
            rgb: [r, g, b],
            mean: [mr, mg, mb],
            cofactors: [c_rr, c_rg, c_rb, c_gg, c_gb, c_bb],
            det: det.clamp_min(1.0e-12),
            k,
        }
    }

    /// `input` filtered with the photo as the guide.
    ///
    /// # Shapes
    /// - `input`: `[H, W]`; output: `[H, W]`
    fn filter(&self, input: Tensor<2>) -> Tensor<2> {
        let k = self.k;
        let [r, g, b] = &self.rgb;
        let [mr, mg, mb] = &self.mean;
        let [c_rr, c_rg, c_rb, c_gg, c_gb, c_bb] = &self.cofactors;
        let mean_p = box_blur(input.clone(), k);
        let cov_p = |c: &Tensor<2>, m: &Tensor<2>| {
            box_blur(c.clone() * input.clone(), k) - m.clone() * mean_p.clone()
        };
        let (pr, pg, pb) = (cov_p(r, mr), cov_p(g, mg), cov_p(b, mb));
        let a_r =
            (c_rr.clone() * pr.clone() + c_rg.clone() * pg.clone() + c_rb.clone() * pb.clone())
                / self.det.clone();
        let a_g =
            (c_rg.clone() * pr.clone() + c_gg.clone() * pg.clone() + c_gb.clone() * pb.clone())
                / self.det.clone();
        let a_b = (c_rb.clone() * pr + c_gb.clone() * pg + c_bb.clone() * pb) / self.det.clone();
        let offset =
            mean_p - a_r.clone() * mr.clone() - a_g.clone() * mg.clone() - a_b.clone() * mb.clone();
        box_blur(a_r, k) * r.clone()
            + box_blur(a_g, k) * g.clone()
            + box_blur(a_b, k) * b.clone()
            + box_blur(offset, k)
    }
}

/// Mean colour of the pixels `weight` selects in each `k`×`k` window, and whether the window
/// had any.
///
/// # Shapes
/// - `rgb`: `[3, H, W]`; `weight`: `[H, W]`; output: `[3, H, W]`, NaN-free (zero where empty)
fn local_mean(rgb: Tensor<3>, weight: Tensor<2>, k: usize) -> Tensor<3> {
    let [_, h, w] = rgb.dims();
    let share = box_blur(weight.clone(), k).reshape([1, h, w]);
    box_blur_channels(rgb * weight.reshape([1, h, w]), k) / share.clamp_min(1.0e-6)
}

/// Where each colour falls on the line from the background colour (0) to the pet colour (1),
/// and the squared distance between the two.
///
/// # Shapes
/// - all inputs `[3, H, W]`; outputs `[H, W]`
fn project(rgb: Tensor<3>, pet: Tensor<3>, bg: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
    let [_, h, w] = rgb.dims();
    let axis = pet - bg.clone();
    let contrast = (axis.clone() * axis.clone()).sum_dim(0).reshape([h, w]);
    let along = ((rgb - bg) * axis).sum_dim(0).reshape([h, w]);
    let t = (along / contrast.clone().clamp_min(1.0e-6)).clamp(0.0, 1.0);
    // Levels again: a pixel within a fifth of the way from either end is that end.
    let t = t.sub_scalar(0.2).div_scalar(0.6).clamp(0.0, 1.0);
    (t, contrast)
}

/// Solves `photo = α·pet + (1 − α)·background` for the pet's colour at edge pixels, with the
/// local background colour; faint edge pixels, where that solution is mostly noise, take the
/// local pet colour. Sure-pet pixels keep the photo's colour.
///
/// # Shapes
/// - `rgb`, `pet`, `bg`: `[3, H, W]`; `alpha`, `sure`: `[H, W]`; output: `[3, H, W]`
fn decontaminate(
    rgb: Tensor<3>,
    alpha: Tensor<2>,
    pet: Tensor<3>,
    bg: Tensor<3>,
    sure: Tensor<2>,
) -> Tensor<3> {
    let [c, h, w] = rgb.dims();
    let a = alpha.reshape([1, h, w]);
    let solved = ((rgb.clone() - bg * a.clone().neg().add_scalar(1.0))
        / a.clone().clamp_min(FAINT))
    .clamp(0.0, 1.0);
    let faint = a.lower_elem(FAINT).expand([c, h, w]);
    let edge = solved.mask_where(faint, pet);
    let inside = sure.reshape([1, h, w]).greater_elem(0.5).expand([c, h, w]);
    edge.mask_where(inside, rgb)
}

/// The nearest odd number at or above `n`, for centred box filters.
fn odd(n: usize) -> usize {
    n | 1
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::tensors::{from_f32, read_f32};

    /// A white disc on a green background, the net's mask a little too large and blurry.
    fn disc(size: usize) -> (Tensor<3>, Tensor<2>, Tensor<2>) {
        let device = Device::flex();
        let c = size as f32 / 2.0;
        let r = size as f32 / 4.0;
        let inside = |x: usize, y: usize| {
            let (dx, dy) = (x as f32 + 0.5 - c, y as f32 + 0.5 - c);
            (dx * dx + dy * dy).sqrt() < r
        };
        let mut rgb = vec![0.0; 3 * size * size];
        let mut soft = vec![0.0; size * size];
        let mut keep = vec![0.0; size * size];
        for y in 0..size {
            for x in 0..size {
                let i = y * size + x;
                let fg = inside(x, y);
                let colour = if fg { [1.0, 1.0, 1.0] } else { [0.1, 0.7, 0.1] };
                for ch in 0..3 {
                    rgb[ch * size * size + i] = colour[ch];
                }
                let (dx, dy) = (x as f32 + 0.5 - c, y as f32 + 0.5 - c);
                let d = (dx * dx + dy * dy).sqrt() - r;
                soft[i] = (0.5 - d / 6.0).clamp(0.0, 1.0);
                keep[i] = if d < 2.0 { 1.0 } else { 0.0 };
            }
        }
        (
            from_f32(rgb, [3, size, size], &device),
            from_f32(soft, [size, size], &device),
            from_f32(keep, [size, size], &device),
        )
    }

    #[test]
    fn the_matte_snaps_to_the_photos_edge_and_keeps_the_inside_solid() {
        let size = 128;
        let (rgb, soft, keep) = disc(size);
        let alpha =
            read_f32(refine(rgb, soft, keep, &cpu::BufferPool::default()).alpha).expect("read");
        let at = |x: usize, y: usize| alpha[y * size + x];
        assert_eq!(at(64, 64), 1.0, "centre is solid");
        assert_eq!(at(2, 2), 0.0, "far background is clear");
        // Radius 32 around 64: a pixel 3 px outside the disc was half-on in the blurry mask;
        // the guide (a hard colour edge) pulls it towards background.
        assert!(
            at(64 + 35, 64) < 0.25,
            "outside the edge: {}",
            at(64 + 35, 64)
        );
        assert!(
            at(64 + 29, 64) > 0.75,
            "inside the edge: {}",
            at(64 + 29, 64)
        );
    }

    /// The fused CPU matte computes what the tensor ops compute, to the bit, so a photo's
    /// matte does not depend on which path ran (and the GPU is held to one answer). Noisy
    /// colours over the disc put pixels on every branch: solid, band, faint and background.
    #[test]
    fn the_cpu_matte_gives_the_tensor_mattes_values() {
        let device = Device::flex();
        let noise = |i: usize, seed: usize| ((i * 7919 + seed * 104_729) % 1009) as f32 / 1008.0;
        let (h, w) = (200, 200);
        let (rgb, soft, keep) = disc(h);
        let speckled: Vec<f32> = read_f32(rgb)
            .expect("read")
            .into_iter()
            .enumerate()
            .map(|(i, v)| (0.8 * v + 0.2 * noise(i, 1)).min(1.0))
            .collect();
        // And a scene that is noise throughout, cut to a size no window divides.
        let (nh, nw) = (61, 93);
        let noisy = (
            from_f32(
                (0..3 * nh * nw).map(|i| noise(i, 2)).collect(),
                [3, nh, nw],
                &device,
            ),
            from_f32(
                (0..nh * nw).map(|i| noise(i, 3)).collect(),
                [nh, nw],
                &device,
            ),
            from_f32(
                (0..nh * nw)
                    .map(|i| if noise(i, 4) > 0.3 { 1.0 } else { 0.0 })
                    .collect(),
                [nh, nw],
                &device,
            ),
        );
        let scenes = [(from_f32(speckled, [3, h, w], &device), soft, keep), noisy];
        // Twice each through one pool: the second pass takes the first's buffers.
        let buffers = cpu::BufferPool::default();
        let scenes = scenes.into_iter().flat_map(|scene| [scene.clone(), scene]);
        for (rgb, soft, keep) in scenes {
            let [_, h, w] = rgb.dims();
            let windows = Windows::of(h, w);
            let fused =
                cpu::refine_matte(&rgb, &soft, &keep, windows, &buffers).expect("a CPU photo");
            let tensors = refine_tensors(rgb, soft, keep, windows);
            for (what, a, b) in [
                ("alpha", read_f32(fused.alpha), read_f32(tensors.alpha)),
                ("colours", read_f32(fused.rgb), read_f32(tensors.rgb)),
            ] {
                let (a, b) = (a.expect("read"), b.expect("read"));
                let differing = a.iter().zip(&b).filter(|(x, y)| x.to_bits() != y.to_bits());
                assert_eq!(
                    differing.count(),
                    0,
                    "{what} of {h}×{w}: of {} values",
                    a.len()
                );
            }
        }
    }

    #[test]
    fn decontamination_removes_the_background_from_edge_colours() {
        let device = Device::flex();
        // One row: background green, an edge pixel that is half white and half green, a faint
        // one that is mostly green, then white pet.
        let (h, w) = (1, 24);
        let mut rgb = vec![0.0; 3 * w];
        let mut alpha = vec![0.0; w];
        let mut sure = vec![0.0; w];
        for x in 0..w {
            let (colour, a) = match x {
                0..=8 => ([0.1, 0.7, 0.1], 0.0),
                9 => ([0.28, 0.76, 0.28], 0.2),
                10 => ([0.55, 0.85, 0.55], 0.5),
                _ => ([1.0, 1.0, 1.0], 1.0),
            };
            for ch in 0..3 {
                rgb[ch * w + x] = colour[ch];
            }
            alpha[x] = a;
            sure[x] = if x >= 12 { 1.0 } else { 0.0 };
        }
        let constant = |c: [f32; 3]| {
            let values = c.iter().flat_map(|&v| std::iter::repeat_n(v, w)).collect();
            from_f32(values, [3, h, w], &device)
        };
        let out = decontaminate(
            from_f32(rgb, [3, h, w], &device),
            from_f32(alpha, [h, w], &device),
            constant([1.0, 1.0, 1.0]),
            constant([0.1, 0.7, 0.1]),
            from_f32(sure, [h, w], &device),
        );
        let out = read_f32(out).expect("read");
        let faint = [out[9], out[w + 9], out[2 * w + 9]];
        assert_eq!(
            faint,
            [1.0, 1.0, 1.0],
            "a faint pixel takes the pet's colour"
        );
        let edge = [out[10], out[w + 10], out[2 * w + 10]];
        for v in edge {
            assert!(
                v > 0.95,
                "the edge pixel comes out white, not green: {edge:?}"
            );
        }
    }

    #[test]
    fn a_thin_leg_far_from_the_body_keeps_its_alpha() {
        // The disc, with a 4-px pink leg hanging 40 px below it: too thin to hold deep pet
        // of its own and too far from the body to borrow its colour.
        let size = 200;
        let (rgb, soft, keep) = disc(size);
        let (mut rgb, mut soft, mut keep) = (
            read_f32(rgb).expect("read"),
            read_f32(soft).expect("read"),
            read_f32(keep).expect("read"),
        );
        let leg = |x: usize, y: usize| (98..102).contains(&x) && (140..180).contains(&y);
        for y in 0..size {
            for x in 0..size {
                if leg(x, y) {
                    let i = y * size + x;
                    for (ch, v) in [0.9, 0.55, 0.6].into_iter().enumerate() {
                        rgb[ch * size * size + i] = v;
                    }
                    (soft[i], keep[i]) = (1.0, 1.0);
                }
            }
        }
        let device = Device::flex();
        let matte = refine_tensors(
            from_f32(rgb, [3, size, size], &device),
            from_f32(soft, [size, size], &device),
            from_f32(keep, [size, size], &device),
            Windows::of(size, size),
        );
        let alpha = read_f32(matte.alpha).expect("read");
        let low = (160..180)
            .flat_map(|y| (98..102).map(move |x| y * size + x))
            .filter(|&i| alpha[i] < 0.5)
            .count();
        assert_eq!(low, 0, "leg pixels carved away");
    }
}
