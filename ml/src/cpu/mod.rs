//! U²-Net-p's layers on the CPU, written for its shapes.
//!
//! Burn's CPU backend (flex) is general: its convolution goes through NHWC and im2col copies,
//! its pooling and resizing compute indices per pixel in `f64`. On U²-Net-p those overheads
//! cost more than the arithmetic, and the forward pass took ~0.85 s on two cores where
//! onnxruntime takes 0.15 s. These kernels do the same maths directly on NCHW data.
//!
//! The generated model calls [`conv2d`], [`max_pool2d`] and [`interpolate`] (see `build.rs`);
//! the matte calls [`max_square`] and [`box_mean`]. Each runs its own kernel when the tensor
//! lives on the CPU (flex) in `f32` and the settings are ones it handles; otherwise — every
//! GPU, any other setting — Burn's op runs, so the wgpu and CUDA paths are unchanged.

mod conv;
mod filter;
mod pool;
mod resize;
mod scratch;

pub(crate) use filter::Along;
pub(crate) use scratch::reuse as reuse_scratch;

use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::activation::relu;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{DType, Device, Tensor, TensorData};

/// `conv` applied to `x`, followed by ReLU when `with_relu`.
///
/// # Shapes
/// - `x`: `[N, C_in, H, W]`, output: `[N, C_out, H', W']`
pub(crate) fn conv2d(conv: &Conv2d, x: Tensor<4>, with_relu: bool) -> Tensor<4> {
    conv2d_cat(conv, vec![x], with_relu)
}

/// `conv` applied to `parts` concatenated along channels, followed by ReLU when `with_relu`.
/// On the CPU the concatenation is never built: the convolution reads the parts in place.
///
/// # Shapes
/// - `parts`: `[N, C_k, H, W]` each, with the `C_k` adding up to `C_in`
/// - output: `[N, C_out, H', W']`
pub(crate) fn conv2d_cat(conv: &Conv2d, parts: Vec<Tensor<4>>, with_relu: bool) -> Tensor<4> {
    let burn = |mut parts: Vec<Tensor<4>>| {
        let x = match parts.len() {
            1 => parts.swap_remove(0),
            _ => Tensor::cat(parts, 1),
        };
        let y = conv.forward(x);
        if with_relu { relu(y) } else { y }
    };
    let Some(dims) = concatenated_dims(&parts) else {
        return burn(parts);
    };
    let Some(g) = conv::Geometry::of(conv, dims) else {
        return burn(parts);
    };
    let device = parts[0].device();
    let data: Vec<TensorData> = parts.into_iter().map(Tensor::into_data).collect();
    let weight = conv.weight.val().into_data();
    let bias = conv.bias.as_ref().map(|b| b.val().into_data());
    let bias_values = match &bias {
        Some(b) => b.as_slice::<f32>().ok(),
        None => None,
    };
    let values: Option<Vec<&[f32]>> = data.iter().map(|d| d.as_slice::<f32>().ok()).collect();
    match (values, weight.as_slice::<f32>()) {
        (Some(values), Ok(weight_values)) => {
            let out = conv::run(&g, &values, weight_values, bias_values, with_relu);
            from_values(out, g.output_dims(), &device)
        }
        // Not reachable for f32 tensors on flex, but a wrong guess must not cost a result.
        _ => burn(
            data.into_iter()
                .map(|d| Tensor::from_data(d, &device))
                .collect(),
        ),
    }
}

/// The dims of `parts` concatenated along channels, when all are `f32` on the CPU and agree
/// on the other dims.
fn concatenated_dims(parts: &[Tensor<4>]) -> Option<[usize; 4]> {
    let [n, _, h, w] = parts.first()?.dims();
    let mut channels = 0;
    for part in parts {
        let [pn, pc, ph, pw] = part.dims();
        if !on_cpu(part) || [pn, ph, pw] != [n, h, w] {
            return None;
        }
        channels += pc;
    }
    Some([n, channels, h, w])
}

/// `pool` applied to `x`.
///
/// # Shapes
/// - `x`: `[N, C, H, W]`, output: `[N, C, H', W']`
pub(crate) fn max_pool2d(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let window = on_cpu(&x)
        .then(|| pool::Window::of(pool, x.dims()))
        .flatten();
    let Some(window) = window else {
        return pool.forward(x);
    };
    let device = x.device();
    let input = x.into_data();
    match input.as_slice::<f32>() {
        Ok(values) => from_values(pool::run(&window, values), window.output_dims(), &device),
        Err(_) => pool.forward(Tensor::from_data(input, &device)),
    }
}

/// Burn's `interpolate`, with bilinear resizing on the CPU done here.
///
/// # Shapes
/// - `x`: `[N, C, H, W]`, output: `[N, C, out_h, out_w]` from `options`
pub(crate) fn interpolate(x: Tensor<4>, options: InterpolateOptions) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let bilinear = matches!(options.mode, InterpolateMode::Bilinear) && !options.align_corners;
    let size = options.output_size;
    let handled = |[oh, ow]: &[usize; 2]| bilinear && on_cpu(&x) && h * w * oh * ow > 0;
    let Some([out_h, out_w]) = size.filter(handled) else {
        return burn::tensor::module::interpolate(x, options);
    };
    let device = x.device();
    let input = x.into_data();
    match input.as_slice::<f32>() {
        Ok(values) => {
            let out = resize::bilinear(values, [n * c, h, w], [out_h, out_w]);
            from_values(out, [n, c, out_h, out_w], &device)
        }
        Err(_) => burn::tensor::module::interpolate(Tensor::from_data(input, &device), options),
    }
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

fn from_values(values: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, shape), device)
}
