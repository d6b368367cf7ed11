//! The matte's colour-guided filter (`matte::ColourGuide`) on plain CPU planes.
//!
//! The tensor version makes about 130 tensors per matte, each a fresh allocation and a pass
//! over memory for one multiplication or subtraction. Here each step's element-wise maths
//! is one pass over all its planes, and the box means are `filter::box_mean`, as on the
//! tensor path. Every value is computed by the same `f32` operations in the same order as
//! the tensor version, so both give the same matte to the bit (tested in `matte`).

use rayon::prelude::*;

use super::arena::{recycle, take_exact};
use super::filter::blur;
use super::planes::{CHUNK, planes, planes_mut};

/// What the filter needs of the photo, for any number of inputs.
#[derive(Debug)]
pub(super) struct ColourGuide {
    dims: [usize; 2],
    k: usize,
    /// `[3][H][W]`: the photo's channels.
    rgb: Vec<f32>,
    /// `[3][H][W]`: their window means.
    mean: Vec<f32>,
    /// `[7][H][W]`: the regularised window covariance's cofactors (rr, rg, rb, gg, gb, bb)
    /// and its determinant.
    inverse: Vec<f32>,
}

impl ColourGuide {
    /// `rgb`: `[3][H][W]`; `k`: the window side (odd); `eps`: the regulariser.
    pub(super) fn new(rgb: &[f32], [h, w]: [usize; 2], k: usize, eps: f32) -> Self {
        let n = h * w;
        let mut own = take_exact(3 * n);
        own.copy_from_slice(&rgb[..3 * n]);
        let rgb = own;
        let mean = blur(&rgb, [h, w], k);
        // The window sums of rr, rg, rb, gg, gb, bb.
        // Every float of these is written below.
        let mut products = take_exact(6 * n);
        planes_mut::<6>(&mut products, n)
            .zip(planes::<3>(&rgb, n))
            .for_each(|([rr, rg, rb, gg, gb, bb], [r, g, b])| {
                for i in 0..r.len() {
                    (rr[i], rg[i], rb[i]) = (r[i] * r[i], r[i] * g[i], r[i] * b[i]);
                    (gg[i], gb[i], bb[i]) = (g[i] * g[i], g[i] * b[i], b[i] * b[i]);
                }
            });
        let sums = blur(&products, [h, w], k);
        recycle(products);
        let mut inverse = take_exact(7 * n);
        planes_mut::<7>(&mut inverse, n)
            .zip(planes::<6>(&sums, n).zip(planes::<3>(&mean, n)))
            .for_each(|(out, (s, [mr, mg, mb]))| {
                let [c_rr, c_rg, c_rb, c_gg, c_gb, c_bb, det] = out;
                for i in 0..mr.len() {
                    let rr = (s[0][i] - mr[i] * mr[i]) + eps;
                    let rg = s[1][i] - mr[i] * mg[i];
                    let rb = s[2][i] - mr[i] * mb[i];
                    let gg = (s[3][i] - mg[i] * mg[i]) + eps;
                    let gb = s[4][i] - mg[i] * mb[i];
                    let bb = (s[5][i] - mb[i] * mb[i]) + eps;
                    c_rr[i] = gg * bb - gb * gb;
                    c_rg[i] = gb * rb - rg * bb;
                    c_rb[i] = rg * gb - gg * rb;
                    c_gg[i] = rr * bb - rb * rb;
                    c_gb[i] = rb * rg - rr * gb;
                    c_bb[i] = rr * gg - rg * rg;
                    det[i] = (rr * c_rr[i] + rg * c_rg[i] + rb * c_rb[i]).max(1.0e-12);
                }
            });
        recycle(sums);
        Self {
            dims: [h, w],
            k,
            rgb,
            mean,
            inverse,
        }
    }

    /// `input` (`[H][W]`) filtered with the photo as the guide.
    pub(super) fn filter(&self, input: &[f32]) -> Vec<f32> {
        let ([h, w], k) = (self.dims, self.k);
        let n = h * w;
        // The window means of p, rp, gp, bp.
        let mut products = take_exact(4 * n);
        planes_mut::<4>(&mut products, n)
            .zip(input[..n].par_chunks(CHUNK).zip(planes::<3>(&self.rgb, n)))
            .for_each(|([p, rp, gp, bp], (input, [r, g, b]))| {
                p.copy_from_slice(input);
                for i in 0..p.len() {
                    (rp[i], gp[i], bp[i]) = (r[i] * p[i], g[i] * p[i], b[i] * p[i]);
                }
            });
        let means = blur(&products, [h, w], k);
        // Per window, the linear map from colour to input: a (per channel) and the offset.
        let mut coefficients = products;
        planes_mut::<4>(&mut coefficients, n)
            .zip(planes::<4>(&means, n).zip(planes::<3>(&self.mean, n)))
            .zip(planes::<7>(&self.inverse, n))
            .for_each(|(([a_r, a_g, a_b, offset], (m, [mr, mg, mb])), c)| {
                let [mean_p, m_rp, m_gp, m_bp] = m;
                let [c_rr, c_rg, c_rb, c_gg, c_gb, c_bb, det] = c;
                for i in 0..mr.len() {
                    let pr = m_rp[i] - mr[i] * mean_p[i];
                    let pg = m_gp[i] - mg[i] * mean_p[i];
                    let pb = m_bp[i] - mb[i] * mean_p[i];
                    a_r[i] = (c_rr[i] * pr + c_rg[i] * pg + c_rb[i] * pb) / det[i];
                    a_g[i] = (c_rg[i] * pr + c_gg[i] * pg + c_gb[i] * pb) / det[i];
                    a_b[i] = (c_rb[i] * pr + c_gb[i] * pg + c_bb[i] * pb) / det[i];
                    offset[i] = mean_p[i] - a_r[i] * mr[i] - a_g[i] * mg[i] - a_b[i] * mb[i];
                }
            });
        recycle(means);
        let smooth = blur(&coefficients, [h, w], k);
        let mut output = coefficients;
        output.truncate(n);
        output
            .par_chunks_mut(CHUNK)
            .zip(planes::<4>(&smooth, n).zip(planes::<3>(&self.rgb, n)))
            .for_each(|(out, ([a_r, a_g, a_b, offset], [r, g, b]))| {
                for i in 0..out.len() {
                    out[i] = a_r[i] * r[i] + a_g[i] * g[i] + a_b[i] * b[i] + offset[i];
                }
            });
        recycle(smooth);
        output
    }
}

impl Drop for ColourGuide {
    /// The planes go back to the pass's buffers (see `arena`), for the next matte.
    fn drop(&mut self) {
        for planes in [&mut self.rgb, &mut self.mean, &mut self.inverse] {
            recycle(std::mem::take(planes));
        }
    }
}
