//! Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray, 2016) for U²-Net-p's big 3×3
//! convolutions: the 64-output layers at 80² and up, about 28 of its 39.5 GFLOP (see
//! [`handles`]).
//!
//! A 4×4 block of one output channel needs 144 multiply-adds per input channel done directly.
//! Winograd transforms the 6×6 input patch under it (`Bᵀ d B`) and the 3×3 kernel (`G g Gᵀ`,
//! once per call) into 6×6 matrices whose element-wise product, transformed back
//! (`Aᵀ m A`), is that block: 36 multiplications. Summed over input channels before the way
//! back, the products become 36 independent matrix products `[cout × cin] · [cin × tiles]`,
//! run by the same register-blocked kernel shape as the direct convolution: 4× fewer
//! multiply-adds, for the price of two transforms that are mostly additions.
//!
//! Layout: each band of tile rows copies the input rows it reads into a *polyphase* strip —
//! per channel 16 planes, one per (row mod 4, column mod 4) of the zero-padded input — so
//! with tiles numbered row-major over the band, element (i, j) of every tile's patch sits at
//! a fixed offset from the tile's number, and 16 tiles' elements are one vector load.

use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;
use std::cell::RefCell;
use std::ops::Range;

use super::arena;
use super::conv::{Geometry, band_outputs, image_planes, load, store};
use super::shuffle::{deinterleave4, interleave4};

/// Output tile side.
const M: usize = 4;
/// Input patch side: the tile and the kernel's reach, `M + 3 - 1`.
const P: usize = 6;
/// Elements of a transformed patch: one matrix product each.
const XI: usize = P * P;
/// Output channels per call of the product kernel.
const BLOCK: usize = 8;
/// SIMD vectors of tiles per chunk: a chunk is the tiles one product kernel call covers.
const VECTORS: usize = 3;
/// Input channels transformed and multiplied at a time. A chunk's transformed input for all
/// of a 128-channel layer is 885 KB, most of the core's L2 cache; 64 channels' is half that,
/// and the second group's products are added to the first's. (16 at a time measured slower:
/// the sums' extra loads and stores cost more than the smaller working set saved.)
const GROUP: usize = 64;
/// The most lanes a vector has (AVX-512).
const MAX_LANES: usize = 16;
/// Floats after a band's rows in each polyphase plane: the last chunk's surplus tiles read
/// up to a chunk and a patch's reach (one row and one column of tiles) past the rows.
const TAIL: usize = VECTORS * MAX_LANES + 1;
/// Floats of scratch a worker thread keeps between layers (16 MiB); more is let go.
const KEEP: usize = (16 << 20) / size_of::<f32>();

/// Input transform (Lavin & Gray's F(4×4, 3×3), interpolation points 0, ±1, ±2): the
/// kernels run it factored by hand ([`input_row`]); the tests hold them to it.
#[cfg(test)]
const BT: [[f32; P]; P] = [
    [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
    [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
    [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
    [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
];
/// Kernel transform, applied in `f64` once per layer.
const G: [[f64; 3]; P] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];
/// Output transform, run as [`output_row`].
#[cfg(test)]
const AT: [[f32; P]; M] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
    [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
    [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
];

/// Output channels and pixels from which the transforms pay for themselves. They cost per
/// input and per output channel while the products they save scale with both, and small
/// images leave the chunks of tiles part empty. Over several runs `benches/kernels.rs`
/// measured U²-Net-p's 16-output layers (64→16, 32→16) at 0.65–1.04× the direct kernel's
/// speed, its 64-output layers 1.05–1.6× faster at 160×160 and 320×320, 0.7–1.2× at 80×80
/// (1.25–1.45× for these layers together), and 0.45–1.1× at 40×40 and below.
const MIN_OUTPUTS: usize = 32;
const MIN_PIXELS: usize = 64 * 64;

/// Whether this path takes the convolution: 3×3, undilated, and enough output channels.
pub(super) fn handles(g: &Geometry) -> bool {
    g.kernel == 3
        && g.dilation == 1
        && g.pad == 1
        && g.cout >= MIN_OUTPUTS
        && g.height * g.width >= MIN_PIXELS
}

/// How an image is cut into tiles and bands.
#[derive(Debug, Clone, Copy)]
struct Tiling {
    /// Tile rows over the image.
    rows: usize,
    /// Tiles per row of a polyphase plane: the image's tile columns and one more, which the
    /// last column's patches reach into. Tiles in that column are computed and dropped.
    cols: usize,
    /// Tile rows per band.
    band: usize,
}

impl Tiling {
    fn of(g: &Geometry) -> Self {
        let rows = g.height.div_ceil(M);
        let cols = g.width.div_ceil(M) + 1;
        // A band's strip is read once, by the input transform, so it need not stay in cache;
        // about 2 MiB keeps the rows it copies twice (the patches' overlap) few. Up to 8
        // bands per image to share among the cores, but each of at least two chunks of
        // tiles: a band of fewer tiles than a chunk computes the chunk anyway.
        let tile_row_bytes = g.cin * M * M * cols * size_of::<f32>();
        let fit = ((2 << 20) / tile_row_bytes).max(1);
        let bands = (rows * cols / (2 * VECTORS * MAX_LANES)).clamp(1, 8);
        Self {
            rows,
            cols,
            band: rows.div_ceil(bands).min(fit),
        }
    }

    /// Floats per polyphase plane for a band of `n` tile rows: its rows, the row below that
    /// its patches reach into, and a tail the last chunk's surplus tiles read.
    fn plane(&self, n: usize) -> usize {
        skewed((n + 1) * self.cols + TAIL)
    }
}

/// The stride for one of many planes of `floats` that are read or written side by side: an
/// odd number of cache lines. A stride of whole 4 KiB pages would put the same element of
/// every plane in the same set of the L1 cache, which holds only 8 lines per set, and the
/// 36 planes of a transform would keep evicting each other; an odd number of lines spreads
/// 64 planes over different sets.
fn skewed(floats: usize) -> usize {
    floats.next_multiple_of(32) + 16
}

/// The convolution of the channels of `parts` taken in order (each `[batch][channels][height]
/// [width]`, as if concatenated) by the 3×3 kernels `weights` ([`transform_weights`]'s
/// panels) plus `bias` (one per output channel), with ReLU when `with_relu`:
/// `[batch][cout][height][width]` at the start of the returned buffer.
pub(super) fn run(
    g: &Geometry,
    parts: &[&[f32]],
    weights: &[f32],
    bias: &[f32],
    with_relu: bool,
) -> Vec<f32> {
    let tiling = Tiling::of(g);
    let pixels = g.height * g.width;
    // Every output float is written below, so a recycled buffer needs no clearing.
    let len = g.batch * g.cout * pixels;
    let mut output = arena::take(len);
    let arch = Arch::new();
    for (image, out) in output[..len].chunks_exact_mut(g.cout * pixels).enumerate() {
        let planes = image_planes(g, parts, image);
        band_outputs(g, out, tiling.band * M)
            .into_par_iter()
            .enumerate()
            .for_each(|(band, mut outs)| {
                SCRATCH.with(|scratch| {
                    let mut scratch = scratch.borrow_mut();
                    arch.dispatch(Band {
                        g,
                        tiling,
                        planes: &planes,
                        weights,
                        bias,
                        relu: with_relu,
                        first: band * tiling.band,
                        outs: &mut outs,
                        scratch: &mut scratch,
                    });
                    if scratch.strip.len() + scratch.v.len() + scratch.m.len() > KEEP {
                        *scratch = Scratch::default();
                    }
                });
            });
    }
    output
}

/// A worker thread's buffers, reused for every band it takes.
#[derive(Debug, Default)]
struct Scratch {
    /// The band's polyphase strip: `[cin][16][plane]`.
    strip: Vec<f32>,
    /// One chunk's transformed input, one group of channels: `[36][GROUP][chunk]`.
    v: Vec<f32>,
    /// One chunk's products: `[cout / BLOCK][36][BLOCK][chunk]`. Block-major, so the output
    /// transform of one channel reads its 36 products from ~57 KB rather than from 36 rows
    /// 12 KB apart (one page each, more than the L1 TLB holds beside the rest).
    m: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The first `len` floats of `buffer`, grown when short (with any contents).
fn grown(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    &mut buffer[..len]
}

/// `G g Gᵀ` for every (output, input) channel pair of the 3×3 kernels `w` (`[cout][cin][3]
/// [3]`), as panels the product kernel reads in order: `[ξ][block of BLOCK outputs][cin]
/// [BLOCK]`. Channels past `cout` are zero.
pub(super) fn transform_weights(w: &[f32], g: &Geometry) -> Vec<f32> {
    let blocks = g.cout.div_ceil(BLOCK);
    let mut panels = vec![0.0f32; XI * blocks * g.cin * BLOCK];
    for (co, filter) in w.chunks_exact(g.cin * 9).enumerate() {
        let (block, lane) = (co / BLOCK, co % BLOCK);
        for (ci, k) in filter.chunks_exact(9).enumerate() {
            let gk: [[f64; 3]; P] = std::array::from_fn(|i| {
                std::array::from_fn(|j| (0..3).map(|l| G[i][l] * f64::from(k[l * 3 + j])).sum())
            });
            for (i, gki) in gk.iter().enumerate() {
                for (j, gj) in G.iter().enumerate() {
                    let value: f64 = gki.iter().zip(gj).map(|(a, b)| a * b).sum();
                    let xi = i * P + j;
                    panels[((xi * blocks + block) * g.cin + ci) * BLOCK + lane] = value as f32;
                }
            }
        }
    }
    panels
}

/// Copies the zero-padded input rows that tile rows `first..first + n` read into polyphase
/// planes: plane `(py, px)` of a channel holds, at `ry * cols + tx`, padded row
/// `4 (first + ry) + py`, padded column `4 tx + px` (the padding is one pixel each side).
/// Every float of `strip` is written.
#[inline(always)]
fn fill_strip<S: Simd>(
    simd: S,
    planes: &[&[f32]],
    g: &Geometry,
    t: &Tiling,
    first: usize,
    n: usize,
    strip: &mut [f32],
) {
    let lanes = size_of::<S::f32s>() / size_of::<f32>();
    let plane = t.plane(n);
    let filled = (n + 1) * t.cols;
    let mut padded = vec![0.0f32; M * t.cols];
    for (dst, src) in strip.chunks_exact_mut(M * M * plane).zip(planes) {
        for ry in 0..=n {
            for py in 0..M {
                // Padded row `r` is input row `r - 1`. Of the row of tiles below the band,
                // the patches reach only the first two rows (a patch is 6 rows high).
                let y = (M * (first + ry) + py).checked_sub(1);
                match y.filter(|&y| y < g.height && (ry < n || py < P - M)) {
                    Some(y) => padded[1..=g.width].copy_from_slice(&src[y * g.width..][..g.width]),
                    None => padded[1..=g.width].fill(0.0),
                }
                // The row's four column phases, deinterleaved.
                let phases = &mut dst[py * M * plane..][..M * plane];
                let (q0, rest) = phases.split_at_mut(plane);
                let (q1, rest) = rest.split_at_mut(plane);
                let (q2, q3) = rest.split_at_mut(plane);
                let at = ry * t.cols;
                let mut tx = 0;
                while tx + lanes <= t.cols {
                    let run: [S::f32s; M] =
                        std::array::from_fn(|v| load::<S>(&padded[M * tx + v * lanes..][..lanes]));
                    let Some([a, b, c, d]) = deinterleave4(simd, run) else {
                        break;
                    };
                    store::<S>(&mut q0[at + tx..][..lanes], a);
                    store::<S>(&mut q1[at + tx..][..lanes], b);
                    store::<S>(&mut q2[at + tx..][..lanes], c);
                    store::<S>(&mut q3[at + tx..][..lanes], d);
                    tx += lanes;
                }
                for ((((a, b), c), d), px) in q0[at + tx..at + t.cols]
                    .iter_mut()
                    .zip(&mut q1[at + tx..at + t.cols])
                    .zip(&mut q2[at + tx..at + t.cols])
                    .zip(&mut q3[at + tx..at + t.cols])
                    .zip(padded[M * tx..].chunks_exact(M))
                {
                    (*a, *b, *c, *d) = (px[0], px[1], px[2], px[3]);
                }
            }
        }
        // The tail the last chunk's surplus tiles read (not the skew beyond it).
        for phase in dst.chunks_exact_mut(plane) {
            phase[filled..][..TAIL].fill(0.0);
        }
    }
}

/// One band of tile rows of one image, all output channels.
struct Band<'a, 'o> {
    g: &'a Geometry,
    tiling: Tiling,
    /// The image's input planes, channel by channel.
    planes: &'a [&'a [f32]],
    weights: &'a [f32],
    bias: &'a [f32],
    relu: bool,
    /// The band's first tile row.
    first: usize,
    /// Per output channel, the band's rows of it.
    outs: &'a mut [&'o mut [f32]],
    scratch: &'a mut Scratch,
}

impl WithSimd for Band<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        let lanes = size_of::<S::f32s>() / size_of::<f32>();
        let chunk = VECTORS * lanes;
        let Band {
            g,
            tiling,
            planes,
            weights,
            bias,
            relu,
            first,
            outs,
            scratch,
        } = self;
        let n = tiling.band.min(tiling.rows - first);
        let blocks = g.cout.div_ceil(BLOCK);
        let Scratch { strip, v, m } = scratch;
        let strip = grown(strip, g.cin * M * M * tiling.plane(n));
        let v_stride = skewed(GROUP.min(g.cin) * chunk);
        let m_stride = skewed(BLOCK * chunk);
        let v = grown(v, XI * v_stride);
        let m = grown(m, blocks * XI * m_stride);
        fill_strip(simd, planes, g, &tiling, first, n, strip);
        let tiles = n * tiling.cols;
        let chunks = Chunks {
            tiling,
            plane: tiling.plane(n),
            cin: g.cin,
            blocks,
            lanes,
            v_stride,
            m_stride,
        };
        for start in (0..tiles).step_by(chunk) {
            for group in (0..g.cin).step_by(GROUP) {
                let channels = group..(group + GROUP).min(g.cin);
                chunks.transform_input(simd, strip, start, channels.clone(), v);
                chunks.multiply(simd, v, weights, channels, m);
            }
            chunks.transform_output(simd, m, start, tiles, g.width, bias, relu, outs);
        }
    }
}

/// The sizes one band's chunks of tiles work with.
struct Chunks {
    tiling: Tiling,
    plane: usize,
    cin: usize,
    blocks: usize,
    lanes: usize,
    /// Floats from one ξ to the next in `v` and, within a block of channels, in `m` (see
    /// [`skewed`]).
    v_stride: usize,
    m_stride: usize,
}

impl Chunks {
    fn chunk(&self) -> usize {
        VECTORS * self.lanes
    }

    /// `Bᵀ d B` for the tiles `start..start + chunk` of input channels `channels`, into `v`
    /// (`[ξ][channel - channels.start][chunk]`).
    #[inline(always)]
    fn transform_input<S: Simd>(
        &self,
        simd: S,
        strip: &[f32],
        start: usize,
        channels: Range<usize>,
        v: &mut [f32],
    ) {
        let (lanes, chunk, plane, cols) = (self.lanes, self.chunk(), self.plane, self.tiling.cols);
        let group = &strip[channels.start * M * M * plane..channels.end * M * M * plane];
        for (c, phases) in group.chunks_exact(M * M * plane).enumerate() {
            for vector in 0..VECTORS {
                let t = start + vector * lanes;
                // Rows first (d B), then columns (Bᵀ ·). Arrays are built whole, not zeroed
                // and filled (the zeroing stayed in, as memset calls). The closure only works
                // out offsets; vectors are made by plain calls, not closures, which would be
                // compiled without the SIMD target features.
                let at = |i| (phases, plane, t + (i / M) * cols, (i % M) * M, lanes);
                let rows = [
                    input_row(simd, patch_row::<S>(at(0))),
                    input_row(simd, patch_row::<S>(at(1))),
                    input_row(simd, patch_row::<S>(at(2))),
                    input_row(simd, patch_row::<S>(at(3))),
                    input_row(simd, patch_row::<S>(at(4))),
                    input_row(simd, patch_row::<S>(at(5))),
                ];
                for k in 0..P {
                    let column = input_row(simd, column(&rows, k));
                    for (l, value) in column.into_iter().enumerate() {
                        let at = (l * P + k) * self.v_stride + c * chunk + vector * lanes;
                        store::<S>(&mut v[at..][..lanes], value);
                    }
                }
            }
        }
    }

    /// The 36 products `weights[ξ] · v[ξ]` over input channels `channels` into `m`
    /// (`[cout / BLOCK][ξ][BLOCK][chunk]`), added to what is there unless these are the first.
    #[inline(always)]
    fn multiply<S: Simd>(
        &self,
        simd: S,
        v: &[f32],
        weights: &[f32],
        channels: Range<usize>,
        m: &mut [f32],
    ) {
        let (chunk, cin, count) = (self.chunk(), self.cin, channels.len());
        let add = channels.start > 0;
        for xi in 0..XI {
            let x = &v[xi * self.v_stride..][..count * chunk];
            for b in 0..self.blocks {
                let panel = xi * self.blocks + b;
                let w = &weights[(panel * cin + channels.start) * BLOCK..][..count * BLOCK];
                let out = &mut m[(b * XI + xi) * self.m_stride..][..BLOCK * chunk];
                // AVX-512's 32 registers hold 8 channels × 3 vectors of sums beside the
                // loads; AVX2 and NEON take 4 channels at a time.
                if self.lanes >= 16 {
                    self.product::<S, 8>(simd, x, w, out, 0, add);
                } else {
                    self.product::<S, 4>(simd, x, w, out, 0, add);
                    self.product::<S, 4>(simd, x, w, out, 4, add);
                }
            }
        }
    }

    /// Channels `first..first + C` of one block of one product, added to `out` when `add`.
    #[inline(always)]
    fn product<S: Simd, const C: usize>(
        &self,
        simd: S,
        x: &[f32],
        w: &[f32],
        out: &mut [f32],
        first: usize,
        add: bool,
    ) {
        let (lanes, chunk) = (self.lanes, self.chunk());
        let mut acc = [[simd.splat_f32s(0.0); VECTORS]; C];
        if add {
            for (c, row) in acc.iter_mut().enumerate() {
                for (v, a) in row.iter_mut().enumerate() {
                    *a = load::<S>(&out[(first + c) * chunk + v * lanes..][..lanes]);
                }
            }
        }
        for (xs, ws) in x.chunks_exact(chunk).zip(w.chunks_exact(BLOCK)) {
            let mut loaded = [simd.splat_f32s(0.0); VECTORS];
            for (v, x) in loaded.iter_mut().enumerate() {
                *x = load::<S>(&xs[v * lanes..][..lanes]);
            }
            let xs = loaded;
            for (row, &weight) in acc.iter_mut().zip(&ws[first..first + C]) {
                let wv = simd.splat_f32s(weight);
                for (a, &xv) in row.iter_mut().zip(&xs) {
                    *a = simd.mul_add_e_f32s(wv, xv, *a);
                }
            }
        }
        // Stored by value, so the sums stay in registers through the loop above.
        for (c, row) in acc.into_iter().enumerate() {
            for (v, value) in row.into_iter().enumerate() {
                store::<S>(&mut out[(first + c) * chunk + v * lanes..][..lanes], value);
            }
        }
    }

    /// `Aᵀ m A` plus bias (and ReLU) for the chunk's tiles of every output channel, written
    /// to the band's rows of each channel; tiles past the band or the image's right edge are
    /// dropped.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn transform_output<S: Simd>(
        &self,
        simd: S,
        m: &[f32],
        start: usize,
        tiles: usize,
        width: usize,
        bias: &[f32],
        relu: bool,
        outs: &mut [&mut [f32]],
    ) {
        let (lanes, chunk, cols) = (self.lanes, self.chunk(), self.tiling.cols);
        let zero = simd.splat_f32s(0.0);
        for (co, (out, &b)) in outs.iter_mut().zip(bias).enumerate() {
            let rows_here = out.len() / width;
            let b = simd.splat_f32s(b);
            for vector in 0..VECTORS {
                let base = start + vector * lanes;
                if base >= tiles {
                    break;
                }
                let at = (co / BLOCK * XI * self.m_stride) + (co % BLOCK) * chunk + vector * lanes;
                let row = |i| (m, at + i * P * self.m_stride, self.m_stride, lanes);
                let rows = [
                    output_row(simd, products_row::<S>(row(0))),
                    output_row(simd, products_row::<S>(row(1))),
                    output_row(simd, products_row::<S>(row(2))),
                    output_row(simd, products_row::<S>(row(3))),
                    output_row(simd, products_row::<S>(row(4))),
                    output_row(simd, products_row::<S>(row(5))),
                ];
                // `columns[q][p]`: lane `l` is pixel (p, q) of tile `base + l`.
                let mut columns = [
                    output_row(simd, column(&rows, 0)),
                    output_row(simd, column(&rows, 1)),
                    output_row(simd, column(&rows, 2)),
                    output_row(simd, column(&rows, 3)),
                ];
                for value in columns.iter_mut().flatten() {
                    *value = simd.add_f32s(*value, b);
                    if relu {
                        *value = simd.max_f32s(*value, zero);
                    }
                }
                let count = lanes.min(tiles - base);
                let (ty, tx) = (base / cols, base % cols);
                // The common case: every tile lies in one tile row, inside the image, and
                // each row of pixels goes straight to its place.
                if count == lanes && tx + lanes <= cols.min(width / M) && (ty + 1) * M <= rows_here
                {
                    for p in 0..M {
                        let at = (ty * M + p) * width + tx * M;
                        tile_row(simd, column(&columns, p), &mut out[at..][..M * lanes]);
                    }
                    continue;
                }
                // Row `p` of every tile of the vector, tile after tile. (Made here: zeroing
                // it for every vector of tiles showed in profiles as a memset.)
                let mut lines = [[0.0f32; M * MAX_LANES]; M];
                for (p, line) in lines.iter_mut().enumerate() {
                    tile_row(simd, column(&columns, p), &mut line[..M * lanes]);
                }
                // Tiles across a row end, or past the image's right or bottom edge: each
                // run of tiles in one tile row is copied, what lies outside dropped.
                let (mut l, mut ty, mut tx) = (0, ty, tx);
                while l < count {
                    let n = (cols - tx).min(count - l);
                    let x0 = tx * M;
                    if x0 < width {
                        let across = (n * M).min(width - x0);
                        for (p, line) in lines.iter().enumerate() {
                            let y = ty * M + p;
                            if y < rows_here {
                                out[y * width + x0..][..across]
                                    .copy_from_slice(&line[l * M..][..across]);
                            }
                        }
                    }
                    (l, ty, tx) = (l + n, ty + 1, 0);
                }
            }
        }
    }
}

/// Row `i` of the 6×6 patches of `lanes` tiles from `t` on: `(phases, plane, t + (i / 4) ·
/// cols, (i mod 4) · 4, lanes)` (see [`fill_strip`]'s layout).
#[inline(always)]
fn patch_row<S: Simd>(
    (phases, plane, t, phase_row, lanes): (&[f32], usize, usize, usize, usize),
) -> [S::f32s; P] {
    let at = |phase: usize, shift: usize| &phases[phase * plane + t + shift..][..lanes];
    [
        load::<S>(at(phase_row, 0)),
        load::<S>(at(phase_row + 1, 0)),
        load::<S>(at(phase_row + 2, 0)),
        load::<S>(at(phase_row + 3, 0)),
        load::<S>(at(phase_row, 1)),
        load::<S>(at(phase_row + 1, 1)),
    ]
}

/// Row `i` of a block's products: `(m, start of row i, stride between ξ, lanes)`.
#[inline(always)]
fn products_row<S: Simd>((m, at, stride, lanes): (&[f32], usize, usize, usize)) -> [S::f32s; P] {
    let at = |j: usize| &m[at + j * stride..][..lanes];
    [
        load::<S>(at(0)),
        load::<S>(at(1)),
        load::<S>(at(2)),
        load::<S>(at(3)),
        load::<S>(at(4)),
        load::<S>(at(5)),
    ]
}

/// Element `k` of each of `N` arrays.
#[inline(always)]
fn column<T: Copy, const N: usize, const K: usize>(rows: &[[T; K]; N], k: usize) -> [T; N] {
    std::array::from_fn(|i| rows[i][k])
}

/// Row `row` of pixels of `lanes` tiles (`row[q]` lane `l`: pixel `q` of tile `l`), as
/// `dst[l * M + q]`.
#[inline(always)]
fn tile_row<S: Simd>(simd: S, row: [S::f32s; M], dst: &mut [f32]) {
    let lanes = size_of::<S::f32s>() / size_of::<f32>();
    if let Some(interleaved) = interleave4(simd, row) {
        for (chunk, v) in dst.chunks_exact_mut(lanes).zip(interleaved) {
            store::<S>(chunk, v);
        }
        return;
    }
    let mut staged = [[0.0f32; MAX_LANES]; M];
    for (s, v) in staged.iter_mut().zip(row) {
        store::<S>(&mut s[..lanes], v);
    }
    for (l, pixels) in dst.chunks_exact_mut(M).enumerate() {
        for (q, pixel) in pixels.iter_mut().enumerate() {
            *pixel = staged[q][l];
        }
    }
}

/// `Bᵀ x`, factored by hand: 13 operations instead of the matrix's 22 non-zero products.
/// A generic loop over the matrix would leave the skipping of zeros to the optimiser, which
/// does not unroll it inside the SIMD kernels.
#[inline(always)]
fn input_row<S: Simd>(simd: S, [d0, d1, d2, d3, d4, d5]: [S::f32s; P]) -> [S::f32s; P] {
    let t0 = simd.mul_add_e_f32s(simd.splat_f32s(-4.0), d2, d4); // d4 - 4 d2
    let t1 = simd.mul_add_e_f32s(simd.splat_f32s(-4.0), d1, d3); // d3 - 4 d1
    let t2 = simd.sub_f32s(d4, d2);
    let t3 = simd.mul_f32s(simd.splat_f32s(2.0), simd.sub_f32s(d3, d1));
    [
        simd.mul_add_e_f32s(
            simd.splat_f32s(4.0),
            d0,
            simd.mul_add_e_f32s(simd.splat_f32s(-5.0), d2, d4),
        ),
        simd.add_f32s(t0, t1),
        simd.sub_f32s(t0, t1),
        simd.add_f32s(t2, t3),
        simd.sub_f32s(t2, t3),
        simd.mul_add_e_f32s(
            simd.splat_f32s(4.0),
            d1,
            simd.mul_add_e_f32s(simd.splat_f32s(-5.0), d3, d5),
        ),
    ]
}

/// `Aᵀ x`, factored by hand: 10 operations.
#[inline(always)]
fn output_row<S: Simd>(simd: S, [m0, m1, m2, m3, m4, m5]: [S::f32s; P]) -> [S::f32s; M] {
    let (a, b) = (simd.add_f32s(m1, m2), simd.sub_f32s(m1, m2));
    let (p, q) = (simd.add_f32s(m3, m4), simd.sub_f32s(m3, m4));
    [
        simd.add_f32s(simd.add_f32s(m0, a), p),
        simd.mul_add_e_f32s(simd.splat_f32s(2.0), q, b),
        simd.mul_add_e_f32s(simd.splat_f32s(4.0), p, a),
        simd.add_f32s(simd.mul_add_e_f32s(simd.splat_f32s(8.0), q, b), m5),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-factored rows are the matrices: column `k` of each is its response to the
    /// `k`-th unit vector.
    #[test]
    fn the_factored_rows_are_the_matrices() {
        let simd = pulp::Scalar::new();
        for k in 0..P {
            let unit: [f32; P] = std::array::from_fn(|j| if j == k { 1.0 } else { 0.0 });
            let input = input_row(simd, unit);
            let output = output_row(simd, unit);
            for r in 0..P {
                assert_eq!(input[r], BT[r][k], "Bᵀ[{r}][{k}]");
            }
            for r in 0..M {
                assert_eq!(output[r], AT[r][k], "Aᵀ[{r}][{k}]");
            }
        }
    }

    /// The three matrices against the definition: a 4×4 block of the 3×3 correlation of a
    /// 6×6 patch, for a patch and kernel of distinct values.
    #[test]
    fn the_transforms_give_the_correlation() {
        let d: [[f64; P]; P] =
            std::array::from_fn(|i| std::array::from_fn(|j| ((i * 7 + j * 3) % 11) as f64 - 5.0));
        let k: [[f64; 3]; 3] =
            std::array::from_fn(|i| std::array::from_fn(|j| ((i * 5 + j) % 7) as f64 * 0.25 - 0.7));
        let bt = BT.map(|r| r.map(f64::from));
        let at = AT.map(|r| r.map(f64::from));
        // V = Bᵀ d B, U = G k Gᵀ, Y = Aᵀ (U ⊙ V) A.
        let v: [[f64; P]; P] = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                (0..P)
                    .flat_map(|a| (0..P).map(move |b| (a, b)))
                    .map(|(a, b)| bt[i][a] * d[a][b] * bt[j][b])
                    .sum()
            })
        });
        let u: [[f64; P]; P] = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                (0..3)
                    .flat_map(|a| (0..3).map(move |b| (a, b)))
                    .map(|(a, b)| G[i][a] * k[a][b] * G[j][b])
                    .sum()
            })
        });
        for y in 0..M {
            for x in 0..M {
                let winograd: f64 = (0..P)
                    .flat_map(|a| (0..P).map(move |b| (a, b)))
                    .map(|(a, b)| at[y][a] * u[a][b] * v[a][b] * at[x][b])
                    .sum();
                let direct: f64 = (0..3)
                    .flat_map(|a| (0..3).map(move |b| (a, b)))
                    .map(|(a, b)| d[y + a][x + b] * k[a][b])
                    .sum();
                assert!(
                    (winograd - direct).abs() < 1e-9,
                    "({y}, {x}): {winograd} vs {direct}"
                );
            }
        }
    }
}
