//! U²-Net-p's layers on the CPU, written for its shapes.
//!
//! Burn's CPU backend (flex) is general: its convolution goes through NHWC and im2col copies,
//! its pooling and resizing compute indices per pixel in `f64`, and reading a tensor that is
//! also held elsewhere copies it. On U²-Net-p those overheads cost more than the arithmetic:
//! the forward pass took ~0.85 s on two cores where onnxruntime takes 0.15 s.
//!
//! So the generated model's forward pass is generic over [`Layers`] (see `build.rs`): with
//! Burn tensors it runs Burn's ops, as on a GPU; with [`Buf`] — plain shared `f32` buffers —
//! it runs the kernels here, which do the same maths directly on NCHW data: a direct
//! convolution with run-time SIMD dispatch ([`conv`]), Winograd's F(4×4, 3×3) for the big 3×3
//! layers ([`winograd`]), max pooling, bilinear resizing, and concatenation folded into the
//! convolution that reads it.
//!
//! The matte's box and max filters ([`box_mean`], [`max_square`]) work on Burn tensors and
//! take these kernels when the tensor lives on the CPU; so does the whole matte refinement
//! ([`refine_matte`]), as fused passes that give the tensor ops' values to the bit.

mod arena;
mod buf;
mod conv;
mod filter;
mod guide;
mod matte;
mod planes;
mod pool;
mod prepared;
mod resize;
mod shuffle;
mod winograd;

pub(crate) use arena::{BufferPool, reuse};
pub(crate) use buf::Buf;
pub(crate) use filter::Along;
pub(crate) use prepared::{Prepared, scope as with_prepared};

use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::activation::relu;
use burn::tensor::ops::InterpolateOptions;
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::matte::{Matte, Windows};

/// The operations U²-Net-p's generated forward pass is made of, on one kind of activation.
///
/// # Shapes
/// Activations are `[N, C, H, W]`.
pub(crate) trait Layers: Clone + Sized {
    fn dims(&self) -> [usize; 4];
    fn add(self, other: Self) -> Self;
    /// `conv` over `parts` concatenated along channels, then ReLU when `with_relu`.
    fn conv2d(conv: &Conv2d, parts: Vec<Self>, with_relu: bool) -> Self;
    fn max_pool2d(pool: &MaxPool2d, x: Self) -> Self;
    fn interpolate(x: Self, options: InterpolateOptions) -> Self;
    fn cat(parts: Vec<Self>, dim: usize) -> Self;
    fn sigmoid(self) -> Self;
}

/// Burn's own ops: the GPU path, and the reference the CPU kernels are tested against.
impl Layers for Tensor<4> {
    fn dims(&self) -> [usize; 4] {
        Tensor::dims(self)
    }

    fn add(self, other: Self) -> Self {
        Tensor::add(self, other)
    }

    fn conv2d(conv: &Conv2d, mut parts: Vec<Self>, with_relu: bool) -> Self {
        let x = match parts.len() {
            1 => parts.swap_remove(0),
            _ => Tensor::cat(parts, 1),
        };
        let y = conv.forward(x);
        if with_relu { relu(y) } else { y }
    }

    fn max_pool2d(pool: &MaxPool2d, x: Self) -> Self {
        pool.forward(x)
    }

    fn interpolate(x: Self, options: InterpolateOptions) -> Self {
        burn::tensor::module::interpolate(x, options)
    }

    fn cat(parts: Vec<Self>, dim: usize) -> Self {
        Tensor::cat(parts, dim)
    }

    fn sigmoid(self) -> Self {
        burn::tensor::activation::sigmoid(self)
    }
}

// The calls `build.rs` writes into the generated model.

pub(crate) fn conv2d<L: Layers>(conv: &Conv2d, x: L, with_relu: bool) -> L {
    L::conv2d(conv, vec![x], with_relu)
}

pub(crate) fn conv2d_cat<L: Layers>(conv: &Conv2d, parts: Vec<L>, with_relu: bool) -> L {
    L::conv2d(conv, parts, with_relu)
}

pub(crate) fn max_pool2d<L: Layers>(pool: &MaxPool2d, x: L) -> L {
    L::max_pool2d(pool, x)
}

pub(crate) fn interpolate<L: Layers>(x: L, options: InterpolateOptions) -> L {
    L::interpolate(x, options)
}

pub(crate) fn cat<L: Layers>(parts: Vec<L>, dim: usize) -> L {
    L::cat(parts, dim)
}

pub(crate) fn sigmoid<L: Layers>(x: L) -> L {
    x.sigmoid()
}

/// `values` (`[planes][height][width]`) resized bilinearly (half-pixel centres) to
/// `[planes][out_h][out_w]`.
pub(crate) fn bilinear(values: &[f32], dims: [usize; 3], out: [usize; 2]) -> Vec<f32> {
    let mut resized = resize::bilinear(values, dims, out);
    resized.truncate(dims[0] * out[0] * out[1]);
    resized
}

/// A tensor that an op here either computed, or handed back untouched for Burn's path.
#[derive(Debug)]
pub(crate) enum Offload<T> {
    Done(T),
    Declined(T),
}

/// The maximum over a `k`×`k` square around each pixel (`k` odd), edges repeated.
///
/// # Shapes
/// - `m`: `[H, W]`, output: `[H, W]`
pub(crate) fn max_square(m: Tensor<2>, k: usize) -> Offload<Tensor<2>> {
    let [h, w] = m.dims();
    if !(on_cpu(&m) && k % 2 == 1 && h * w > 0) {
        return Offload::Declined(m);
    }
    with_values(m, |values| filter::max_square(values, [h, w], k))
}

/// The mean over `k` neighbours (`k` odd) along rows or columns of each channel, edges
/// repeated.
///
/// # Shapes
/// - `m`: `[C, H, W]`, output: `[C, H, W]`
pub(crate) fn box_mean(m: Tensor<3>, along: Along, k: usize) -> Offload<Tensor<3>> {
    let [_, h, w] = m.dims();
    if !(on_cpu(&m) && k % 2 == 1 && h * w > 0) {
        return Offload::Declined(m);
    }
    with_values(m, |values| filter::box_mean(values, [h, w], along, k))
}

/// The matte's refinement (`matte::refine`) as fused passes over plain planes, when the
/// photo and both masks are `f32` tensors in the CPU backend's memory, its planes taken
/// from and left in `buffers`; `None` leaves it to the tensor ops.
///
/// # Shapes
/// - `rgb`: `[3, H, W]`; `soft`, `keep`: `[H, W]`
pub(crate) fn refine_matte(
    rgb: &Tensor<3>,
    soft: &Tensor<2>,
    keep: &Tensor<2>,
    windows: Windows,
    buffers: &BufferPool,
) -> Option<Matte> {
    let [c, h, w] = rgb.dims();
    let same = c == 3 && soft.dims() == [h, w] && keep.dims() == [h, w];
    if !(same && on_cpu(rgb) && on_cpu(soft) && on_cpu(keep) && h * w > 0) {
        return None;
    }
    let device = rgb.device();
    let (rgb_data, soft_data, keep_data) = (
        rgb.clone().into_data(),
        soft.clone().into_data(),
        keep.clone().into_data(),
    );
    let (rgb, soft, keep) = (
        rgb_data.as_slice::<f32>().ok()?,
        soft_data.as_slice::<f32>().ok()?,
        keep_data.as_slice::<f32>().ok()?,
    );
    let planes = reuse(buffers, || matte::refine(rgb, soft, keep, [h, w], windows));
    Some(Matte {
        alpha: Tensor::from_data(TensorData::new(planes.alpha, [h, w]), &device),
        rgb: Tensor::from_data(TensorData::new(planes.rgb, [3, h, w]), &device),
    })
}

/// `f(values)` as a tensor of `m`'s shape, or `m` back when its values cannot be read as `f32`.
fn with_values<const D: usize>(
    m: Tensor<D>,
    f: impl FnOnce(&[f32]) -> Vec<f32>,
) -> Offload<Tensor<D>> {
    let (device, shape) = (m.device(), m.dims());
    let data = m.into_data();
    match data.as_slice::<f32>() {
        Ok(values) => Offload::Done(Tensor::from_data(
            TensorData::new(f(values), shape),
            &device,
        )),
        Err(_) => Offload::Declined(Tensor::from_data(data, &device)),
    }
}

/// Whether `x` is an `f32` tensor in the CPU backend's memory.
fn on_cpu<const D: usize>(x: &Tensor<D>) -> bool {
    x.dtype() == DType::F32 && x.device() == Device::flex()
}

/// The convolution paths one at a time, for `benches/kernels.rs`: not part of the API.
#[doc(hidden)]
pub mod bench {
    use super::conv::Geometry;
    use super::{conv, winograd};

    /// Which kernel runs a convolution.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Path {
        /// `conv`: the direct convolution.
        Direct,
        /// `winograd`: F(4×4, 3×3).
        Winograd,
    }

    /// A same-padded, undilated 3×3 convolution of one `[cin][side][side]` image by
    /// `weights` (`[cout][cin][3][3]`) plus `bias`, with ReLU, on `path`.
    pub fn conv3x3(
        path: Path,
        cin: usize,
        side: usize,
        input: &[f32],
        weights: &[f32],
        bias: &[f32],
    ) -> Vec<f32> {
        let cout = bias.len();
        let g = Geometry {
            batch: 1,
            cin,
            cout,
            height: side,
            width: side,
            kernel: 3,
            dilation: 1,
            pad: 1,
        };
        let mut out = match path {
            Path::Direct => conv::run(&g, &[input], &conv::pack_weights(weights, &g), bias, true),
            Path::Winograd => {
                let panels = winograd::transform_weights(weights, &g);
                winograd::run(&g, &[input], &panels, bias, true)
            }
        };
        out.truncate(cout * side * side);
        out
    }
}

#[cfg(test)]
mod tests {
    //! Every kernel against Burn's own op on the same values, over the settings U²-Net-p uses
    //! and the edges it does not (odd sizes, 1-pixel images, channel counts off the blocks).

    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::ops::InterpolateMode;

    use super::*;

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.0) - 1.0)
            .collect()
    }

    fn pair(dims: [usize; 4], seed: usize) -> (Tensor<4>, Buf) {
        let v = values(dims.iter().product(), seed);
        let t = Tensor::from_data(TensorData::new(v.clone(), dims), &Device::flex());
        (t, Buf::new(v, dims))
    }

    fn assert_close(burn: Tensor<4>, ours: Buf, what: &str) {
        assert_eq!(burn.dims(), ours.dims(), "{what}: dims");
        let want: Vec<f32> = burn.into_data().iter::<f32>().collect();
        let have = ours.into_values();
        let worst = want
            .iter()
            .zip(&have)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{what}: differs from Burn by {worst}");
    }

    #[test]
    fn convolutions_match_burn() {
        let cases = [
            // (cin, cout, h, w, kernel, dilation, relu)
            (3, 64, 9, 11, 3, 1, true),
            (16, 16, 20, 20, 3, 2, true),
            (16, 16, 10, 10, 3, 8, true),
            (35, 17, 7, 5, 3, 1, false),
            (64, 1, 13, 16, 3, 1, false),
            (6, 1, 8, 8, 1, 1, false),
            (5, 9, 1, 1, 3, 1, true),
            (4, 12, 3, 50, 5, 1, false),
            (32, 16, 37, 45, 3, 1, true),
            (128, 64, 24, 23, 3, 1, false),
            // Winograd's: edges that cut tiles (61 wide, 70 high), channels off the block;
            // a column 3 wide, so a vector of tiles spans several rows.
            (16, 40, 70, 61, 3, 1, true),
            (8, 32, 1366, 3, 3, 1, false),
        ];
        for (i, (cin, cout, h, w, k, d, relu)) in cases.into_iter().enumerate() {
            let pad = d * (k - 1) / 2;
            let conv = Conv2dConfig::new([cin, cout], [k, k])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .with_dilation([d, d])
                .init(&Device::flex());
            // Two parts, as a folded concatenation hands them over.
            let first = cin / 2;
            let (a, a_buf) = pair([2, first, h, w], i);
            let (b, b_buf) = pair([2, cin - first, h, w], i + 100);
            let parts: Vec<Buf> = if first == 0 {
                vec![b_buf]
            } else {
                vec![a_buf, b_buf]
            };
            let tensors = if first == 0 { vec![b] } else { vec![a, b] };
            let burn = <Tensor<4> as Layers>::conv2d(&conv, tensors, relu);
            let ours = Buf::conv2d(&conv, parts, relu);
            assert_close(burn, ours, &format!("conv {cin}→{cout} {h}×{w} k{k} d{d}"));
        }
    }

    #[test]
    fn settings_the_kernels_do_not_handle_still_match_burn() {
        // Stride 2: Burn's path, through the buffers.
        let conv = Conv2dConfig::new([3, 4], [3, 3])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&Device::flex());
        let (t, b) = pair([1, 3, 9, 9], 7);
        let burn = <Tensor<4> as Layers>::conv2d(&conv, vec![t], true);
        assert_close(burn, Buf::conv2d(&conv, vec![b], true), "strided conv");
        let (t, b) = pair([1, 2, 5, 5], 8);
        let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([9, 3]);
        let burn = <Tensor<4> as Layers>::interpolate(t, options.clone());
        assert_close(burn, Buf::interpolate(b, options), "nearest resize");
    }

    #[test]
    fn pooling_resizing_and_the_rest_match_burn() {
        for (h, w, ceil) in [(320, 320, true), (9, 7, true), (9, 7, false), (2, 3, true)] {
            let pool = MaxPool2dConfig::new([2, 2])
                .with_strides([2, 2])
                .with_ceil_mode(ceil)
                .init();
            let (t, b) = pair([1, 3, h, w], h);
            let burn = <Tensor<4> as Layers>::max_pool2d(&pool, t);
            assert_close(
                burn,
                Buf::max_pool2d(&pool, b),
                &format!("pool {h}×{w} {ceil}"),
            );
        }
        for (from, to) in [
            ([10, 10], [20, 20]),
            ([7, 5], [320, 13]),
            ([1, 1], [4, 4]),
            ([9, 9], [3, 4]),
        ] {
            let (t, b) = pair([1, 2, from[0], from[1]], 3);
            let options = InterpolateOptions::new(InterpolateMode::Bilinear).with_output_size(to);
            let burn = <Tensor<4> as Layers>::interpolate(t, options.clone());
            assert_close(
                burn,
                Buf::interpolate(b, options),
                &format!("resize {from:?}→{to:?}"),
            );
        }
        let (t1, b1) = pair([2, 3, 4, 5], 1);
        let (t2, b2) = pair([2, 2, 4, 5], 2);
        let (t3, b3) = pair([2, 3, 4, 5], 3);
        let burn = <Tensor<4> as Layers>::cat(vec![t1.clone(), t2], 1);
        assert_close(burn, Buf::cat(vec![b1.clone(), b2], 1), "cat");
        assert_close(t1.clone().add(t3), b1.clone().add(b3), "add");
        assert_close(Layers::sigmoid(t1), Layers::sigmoid(b1), "sigmoid");
    }
}
