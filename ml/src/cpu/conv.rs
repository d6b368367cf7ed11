//! Direct 3×3 (and any odd square) convolution on NCHW planes.
//!
//! Burn's CPU backend (flex) runs a 3×3 convolution as an NHWC copy, an im2col copy and a
//! gemm per 512-pixel tile. On U²-Net-p's layers (16 to 128 channels, 320×320 down to 10×10,
//! dilations up to 8) those copies cost more than the arithmetic.
//!
//! Here each band of output rows copies the input rows it reads into a zero-padded strip that
//! stays in the core's cache, so each tap of the kernel is a fixed offset from the output pixel
//! and a run of output pixels is a run of fused multiply-adds over contiguous memory: no
//! im2col, no packing. A block of output channels shares every input load, and bias and ReLU
//! are applied as the block is stored. `pulp` picks AVX-512, AVX2+FMA, NEON or scalar code
//! when the program runs, so one binary stays portable and the crate keeps `unsafe` out.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;
use std::cell::RefCell;
use std::ops::Range;

use super::arena;

/// Output channels per block: one kernel call, one packed weight panel.
const BLOCK: usize = 8;
/// SIMD vectors of output pixels each kernel call accumulates.
const VECTORS: usize = 3;
/// Floats of zeros after each strip plane, so the last tile of pixels may read past the
/// plane's end: a tile is `VECTORS` vectors of up to 16 lanes (AVX-512).
const TAIL: usize = VECTORS * 16;

/// The sizes one convolution works with (direct here, or `winograd`'s).
#[derive(Debug, Clone, Copy)]
pub(super) struct Geometry {
    pub(super) batch: usize,
    pub(super) cin: usize,
    pub(super) cout: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) kernel: usize,
    pub(super) dilation: usize,
    /// Zeros around each input plane: `dilation * (kernel - 1) / 2` keeps the size.
    pub(super) pad: usize,
}

impl Geometry {
    /// The geometry when this path handles `conv` on `x`.
    pub(super) fn of(conv: &Conv2d, [batch, cin, height, width]: [usize; 4]) -> Option<Self> {
        let [cout, wcin, kh, kw] = conv.weight.dims();
        let [dy, dx] = conv.dilation;
        let kernel = kh;
        let pad = dy * (kernel.saturating_sub(1)) / 2;
        let same = matches!(conv.padding, PaddingConfig2d::Explicit(t, l, b, r)
            if [t, l, b, r] == [pad; 4]);
        let handled = batch > 0
            && conv.groups == 1
            && conv.stride == [1, 1]
            && wcin == cin
            && kh == kw
            && kernel % 2 == 1
            && dy == dx
            && same
            && cout > 0
            && height > 0
            && width > 0;
        handled.then_some(Self {
            batch,
            cin,
            cout,
            height,
            width,
            kernel,
            dilation: dy,
            pad,
        })
    }

    /// One bias per output channel, zero where the layer has none.
    pub(super) fn biases(&self, values: Option<&[f32]>) -> Vec<f32> {
        (0..self.cout)
            .map(|c| values.and_then(|b| b.get(c)).copied().unwrap_or(0.0))
            .collect()
    }

    pub(super) fn output_dims(&self) -> [usize; 4] {
        [self.batch, self.cout, self.height, self.width]
    }

    fn padded_width(&self) -> usize {
        self.width + 2 * self.pad
    }

    /// Output rows per parallel task: as many as keep the strip of input rows they read
    /// (with the kernel's reach above and below) near 1 MiB, and at least 8 tasks per image
    /// where it has the rows.
    fn band_rows(&self) -> usize {
        let row_bytes = self.cin * self.padded_width() * size_of::<f32>();
        let fit = (1024 * 1024 / row_bytes)
            .saturating_sub(2 * self.pad)
            .max(1);
        fit.min(self.height.div_ceil(8)).max(1)
    }

    /// Offsets of the kernel's taps from an output pixel's position in the padded plane.
    fn taps(&self) -> Vec<usize> {
        let (k, d, wp) = (self.kernel, self.dilation, self.padded_width());
        (0..k * k).map(|t| (t / k) * d * wp + (t % k) * d).collect()
    }
}

/// The convolution of the channels of `parts` taken in order (each `[batch][channels][height]
/// [width]`, as if concatenated along channels) by the kernels `panels` ([`pack_weights`]'s)
/// plus `biases` (one per output channel), with ReLU when `with_relu`:
/// `[batch][cout][height][width]`, at the start of the returned buffer (which may be longer).
/// Taking the parts separately spares the concatenation's copy.
pub(super) fn run(
    g: &Geometry,
    parts: &[&[f32]],
    panels: &[f32],
    biases: &[f32],
    with_relu: bool,
) -> Vec<f32> {
    let pixels = g.height * g.width;
    // Every output float is written below, so a recycled buffer needs no clearing.
    let len = g.batch * g.cout * pixels;
    let mut output = arena::take(len);
    let (rows, taps, arch) = (g.band_rows(), g.taps(), Arch::new());
    let panel = g.cin * g.kernel * g.kernel * BLOCK;
    for (image, out) in output[..len].chunks_exact_mut(g.cout * pixels).enumerate() {
        let planes = image_planes(g, parts, image);
        // Work is split by bands of output rows. Each band copies the input rows it reads
        // into a zero-padded strip of its own, small enough to stay in the core's cache while
        // every block of output channels reads it.
        band_outputs(g, out, rows)
            .into_par_iter()
            .enumerate()
            .for_each(|(band, mut outs)| {
                let first_row = band * rows;
                let band_rows = (first_row + rows).min(g.height) - first_row;
                STRIP.with(|strip| {
                    let mut strip = strip.borrow_mut();
                    let plane = strip_plane(g, band_rows);
                    if strip.len() < g.cin * plane {
                        strip.resize(g.cin * plane, 0.0);
                    }
                    fill_strip(
                        &planes,
                        g,
                        first_row,
                        band_rows,
                        &mut strip[..g.cin * plane],
                    );
                    for (b, outs) in outs.chunks_mut(BLOCK).enumerate() {
                        arch.dispatch(Block {
                            g,
                            taps: &taps,
                            input: &strip[..],
                            plane,
                            weights: &panels[b * panel..][..panel],
                            bias: &biases[b * BLOCK..][..outs.len()],
                            outs,
                            rows: 0..band_rows,
                            relu: with_relu,
                        });
                    }
                    if strip.len() > STRIP_KEEP {
                        *strip = Vec::new();
                    }
                });
            });
    }
    output
}

/// Image `image`'s input planes, channel by channel across the concatenated `parts`.
pub(super) fn image_planes<'a>(g: &Geometry, parts: &[&'a [f32]], image: usize) -> Vec<&'a [f32]> {
    let pixels = g.height * g.width;
    parts
        .iter()
        .flat_map(|part| {
            let image_len = part.len() / g.batch;
            part[image * image_len..][..image_len].chunks_exact(pixels)
        })
        .collect()
}

/// One image's output (`[cout][height][width]`) cut into bands of `rows` rows: per band, its
/// slice of every output channel, so parallel tasks write disjoint memory without `unsafe`.
pub(super) fn band_outputs<'o>(
    g: &Geometry,
    out: &'o mut [f32],
    rows: usize,
) -> Vec<Vec<&'o mut [f32]>> {
    let mut bands: Vec<Vec<&mut [f32]>> = (0..g.height.div_ceil(rows))
        .map(|_| Vec::with_capacity(g.cout))
        .collect();
    for channel in out.chunks_mut(g.height * g.width) {
        for (band, part) in bands.iter_mut().zip(channel.chunks_mut(rows * g.width)) {
            band.push(part);
        }
    }
    bands
}

/// Strip floats a worker thread keeps between convolutions (4 MiB): U²-Net-p's are about 1 MiB
/// (see `Geometry::band_rows`); a bigger one (a single row of a huge image) is let go.
const STRIP_KEEP: usize = (4 << 20) / size_of::<f32>();

thread_local! {
    /// Each worker thread's strip, reused for every band the thread takes.
    static STRIP: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Floats per channel of a strip for `rows` output rows: the rows the kernel reaches above
/// and below, padded sideways, and a tail the last tile may read into (it starts before the
/// last row's end and reaches a tile and the kernel's width further).
fn strip_plane(g: &Geometry, rows: usize) -> usize {
    (rows + 2 * g.pad) * g.padded_width() + TAIL + 2 * g.pad
}

/// Copies the input rows that output rows `first..first + rows` read, for every channel,
/// into zero-padded planes of `strip_plane` floats. Every float of `strip` is written.
fn fill_strip(planes: &[&[f32]], g: &Geometry, first: usize, rows: usize, strip: &mut [f32]) {
    let (wp, pad, width) = (g.padded_width(), g.pad, g.width);
    let plane = strip_plane(g, rows);
    for (dst, src) in strip.chunks_exact_mut(plane).zip(planes) {
        let (body, tail) = dst.split_at_mut((rows + 2 * pad) * wp);
        tail.fill(0.0);
        for (sy, dst_row) in body.chunks_exact_mut(wp).enumerate() {
            // Strip row `sy` is input row `first + sy - pad`.
            match (first + sy).checked_sub(pad).filter(|&y| y < g.height) {
                Some(y) => {
                    dst_row[..pad].fill(0.0);
                    dst_row[pad..pad + width].copy_from_slice(&src[y * width..][..width]);
                    dst_row[pad + width..].fill(0.0);
                }
                None => dst_row.fill(0.0),
            }
        }
    }
}

/// Weights `w` (`[cout][cin][k][k]`) as panels of `BLOCK` output channels,
/// `[block][cin][tap][BLOCK]`, so a kernel call reads the block's weights for one tap as one
/// contiguous run. Channels past `cout` are zero.
pub(super) fn pack_weights(w: &[f32], g: &Geometry) -> Vec<f32> {
    let kk = g.kernel * g.kernel;
    let blocks = g.cout.div_ceil(BLOCK);
    let mut panels = vec![0.0f32; blocks * g.cin * kk * BLOCK];
    for (co, filter) in w.chunks_exact(g.cin * kk).enumerate() {
        let (block, lane) = (co / BLOCK, co % BLOCK);
        for (ci, taps) in filter.chunks_exact(kk).enumerate() {
            for (t, &value) in taps.iter().enumerate() {
                panels[((block * g.cin + ci) * kk + t) * BLOCK + lane] = value;
            }
        }
    }
    panels
}

/// One block of output channels over one image.
struct Block<'a, 'o> {
    g: &'a Geometry,
    taps: &'a [usize],
    /// The band's strip: `plane` floats per input channel.
    input: &'a [f32],
    plane: usize,
    weights: &'a [f32],
    bias: &'a [f32],
    /// Per channel of this block, its `[rows][width]` part of the output.
    outs: &'a mut [&'o mut [f32]],
    /// The output rows this call computes.
    rows: Range<usize>,
    relu: bool,
}

impl WithSimd for Block<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        let lanes = size_of::<S::f32s>() / size_of::<f32>();
        // AVX-512 has 32 vector registers: 8 channels × 3 vectors of accumulators fit beside
        // the loads. AVX2 and NEON have 16 (or 32 narrower ones), so they take 4 at a time.
        let mut block = self;
        let channels = block.bias.len();
        if channels == 1 {
            block.run::<S, 1>(simd, 0);
        } else if lanes >= 16 {
            block.run::<S, 8>(simd, 0);
        } else {
            block.run::<S, 4>(simd, 0);
            if channels > 4 {
                block.run::<S, 4>(simd, 4);
            }
        }
    }
}

impl Block<'_, '_> {
    /// Channels `first..first + C` of the block (those past the block's end are computed
    /// from zero weights and dropped).
    #[inline(always)]
    fn run<S: Simd, const C: usize>(&mut self, simd: S, first: usize) {
        let g = self.g;
        let lanes = size_of::<S::f32s>() / size_of::<f32>();
        let tile = VECTORS * lanes;
        let (wp, plane, kk) = (g.padded_width(), self.plane, g.kernel * g.kernel);
        let channels = self.bias.len();
        // Output pixels are walked in padded-row coordinates (`y * wp + x`), so every tap is
        // a constant offset; the `2 * pad` columns per row that fall outside are dropped.
        let (top, end) = (self.rows.start, self.rows.end);
        let span = end * wp;
        let mut base = top * wp;
        while base < span {
            let mut acc = [[simd.splat_f32s(0.0); VECTORS]; C];
            for (c, row) in acc.iter_mut().enumerate() {
                let b = self.bias.get(first + c).copied().unwrap_or(0.0);
                *row = [simd.splat_f32s(b); VECTORS];
            }
            for ci in 0..g.cin {
                let src = &self.input[ci * plane + base..];
                let w = &self.weights[ci * kk * BLOCK..][..kk * BLOCK];
                for (t, &offset) in self.taps.iter().enumerate() {
                    let run = &src[offset..][..tile];
                    let xs: [S::f32s; VECTORS] =
                        std::array::from_fn(|v| load::<S>(&run[v * lanes..][..lanes]));
                    let wt = &w[t * BLOCK + first..][..C];
                    for (row, &weight) in acc.iter_mut().zip(wt) {
                        let wv = simd.splat_f32s(weight);
                        for (a, &xv) in row.iter_mut().zip(&xs) {
                            *a = simd.mul_add_e_f32s(wv, xv, *a);
                        }
                    }
                }
            }
            // Store by value, so the accumulators stay in registers through the loop above.
            let (y, x) = (base / wp, base % wp);
            let whole = y < end && x + tile <= g.width;
            let mut buf = [0.0f32; TAIL];
            let zero = simd.splat_f32s(0.0);
            for (c, row) in acc
                .into_iter()
                .enumerate()
                .take(channels.saturating_sub(first))
            {
                let out = &mut *self.outs[first + c];
                let mut row = row;
                if self.relu {
                    for v in &mut row {
                        *v = simd.max_f32s(*v, zero);
                    }
                }
                if whole {
                    // The common case: the tile lies inside one row of the image.
                    let dst = &mut out[(y - top) * g.width + x..][..tile];
                    for (chunk, v) in dst.chunks_exact_mut(lanes).zip(row) {
                        store::<S>(chunk, v);
                    }
                    continue;
                }
                // A tile across a row's end: walk its pixels back to (y, x), keep the inside.
                for (chunk, v) in buf.chunks_exact_mut(lanes).zip(row) {
                    store::<S>(chunk, v);
                }
                let (mut y, mut x) = (y, x);
                for &value in &buf[..tile] {
                    if y >= end {
                        break;
                    }
                    if x < g.width {
                        out[(y - top) * g.width + x] = value;
                    }
                    x += 1;
                    if x == wp {
                        (x, y) = (0, y + 1);
                    }
                }
            }
            base += tile;
        }
    }
}

/// One vector from `lanes` floats at any alignment.
#[inline(always)]
pub(super) fn load<S: Simd>(values: &[f32]) -> S::f32s {
    bytemuck::pod_read_unaligned(bytemuck::cast_slice(values))
}

/// One vector into `lanes` floats at any alignment. `Simd::partial_store_f32s` would do, but
/// it is a call to a masked store even when the slice is whole, in the hottest loops.
#[inline(always)]
pub(super) fn store<S: Simd>(values: &mut [f32], v: S::f32s) {
    bytemuck::cast_slice_mut::<f32, u8>(values).copy_from_slice(bytemuck::bytes_of(&v));
}
