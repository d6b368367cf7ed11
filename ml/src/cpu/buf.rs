//! [`Buf`]: U²-Net-p's activations on the CPU, as plain shared `f32` buffers.

use std::sync::Arc;

use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

use super::prepared::{self, Layout};
use super::{Layers, arena, conv, pool, resize, winograd};

/// An `[N, C, H, W]` activation in row-major order. Cloning shares the values, and the
/// layers read them in place: a Burn tensor would copy a shared input to read it.
#[derive(Debug, Clone)]
pub(crate) struct Buf {
    /// The values first; a recycled buffer may be longer (see `arena`).
    values: Arc<Vec<f32>>,
    dims: [usize; 4],
}

impl Buf {
    /// The first `dims`' worth of `values`, laid out as `dims`.
    ///
    /// # Panics
    /// When `values` is too short: a bug in the kernels, not something input can cause.
    pub(crate) fn new(values: Vec<f32>, dims: [usize; 4]) -> Self {
        assert!(
            values.len() >= dims.iter().product::<usize>(),
            "Buf {dims:?}"
        );
        Self {
            values: Arc::new(values),
            dims,
        }
    }

    /// The values, without a copy when this is the last holder.
    pub(crate) fn into_values(mut self) -> Vec<f32> {
        let len = self.len();
        let mut values = match Arc::get_mut(&mut self.values) {
            Some(values) => std::mem::take(values),
            None => self.data().to_vec(),
        };
        values.truncate(len);
        values
    }

    fn len(&self) -> usize {
        self.dims.iter().product()
    }

    fn data(&self) -> &[f32] {
        &self.values[..self.len()]
    }

    fn from_tensor(t: Tensor<4>) -> Self {
        let dims = t.dims();
        Self::new(t.into_data().iter::<f32>().collect(), dims)
    }

    fn to_tensor(&self) -> Tensor<4> {
        let data = TensorData::new(self.data().to_vec(), self.dims);
        Tensor::from_data(data, &Device::flex())
    }

    /// Burn's op on the CPU, for settings the kernels here do not handle.
    fn through_burn(parts: &[Self], op: impl FnOnce(Vec<Tensor<4>>) -> Tensor<4>) -> Self {
        Self::from_tensor(op(parts.iter().map(Self::to_tensor).collect()))
    }

    /// [`Self::through_burn`] for one input.
    fn through_burn_one(&self, op: impl FnOnce(Tensor<4>) -> Tensor<4>) -> Self {
        Self::from_tensor(op(self.to_tensor()))
    }

    /// The same elementwise `f` over every value.
    fn map(&self, f: impl Fn(f32) -> f32 + Sync) -> Self {
        let mut out = arena::take(self.len());
        out[..self.len()]
            .par_chunks_mut(1 << 14)
            .zip(self.data().par_chunks(1 << 14))
            .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x)));
        Self::new(out, self.dims)
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if let Some(values) = Arc::get_mut(&mut self.values) {
            arena::recycle(std::mem::take(values));
        }
    }
}

impl Layers for Buf {
    fn dims(&self) -> [usize; 4] {
        self.dims
    }

    fn add(self, other: Self) -> Self {
        if self.dims != other.dims {
            // Broadcasting: not in U²-Net-p, left to Burn.
            return self.through_burn_one(|a| a.add(other.to_tensor()));
        }
        let mut out = arena::take(self.len());
        out[..self.len()]
            .par_chunks_mut(1 << 14)
            .zip(
                self.data()
                    .par_chunks(1 << 14)
                    .zip(other.data().par_chunks(1 << 14)),
            )
            .for_each(|(o, (a, b))| {
                o.iter_mut()
                    .zip(a.iter().zip(b))
                    .for_each(|(o, (&a, &b))| *o = a + b);
            });
        Self::new(out, self.dims)
    }

    fn conv2d(conv: &Conv2d, parts: Vec<Self>, with_relu: bool) -> Self {
        let fallback = |parts: &[Self]| {
            Self::through_burn(parts, |t| <Tensor<4> as Layers>::conv2d(conv, t, with_relu))
        };
        let Some(dims) = concatenated(&parts) else {
            return fallback(&parts);
        };
        let Some(g) = conv::Geometry::of(conv, dims) else {
            return fallback(&parts);
        };
        let layout = if winograd::handles(&g) {
            Layout::Winograd
        } else {
            Layout::Direct
        };
        let Some(weights) = prepared::weights(conv.weight.id, layout, || {
            let weight = conv.weight.val().into_data();
            let bias = conv.bias.as_ref().map(|b| b.val().into_data());
            let values = weight.as_slice::<f32>().ok()?;
            let panels = match layout {
                Layout::Winograd => winograd::transform_weights(values, &g),
                Layout::Direct => conv::pack_weights(values, &g),
            };
            let bias = g.biases(bias.as_ref().and_then(|b| b.as_slice::<f32>().ok()));
            Some(prepared::Weights { panels, bias })
        }) else {
            return fallback(&parts);
        };
        let inputs: Vec<&[f32]> = parts.iter().map(Self::data).collect();
        let run = match layout {
            Layout::Winograd => winograd::run,
            Layout::Direct => conv::run,
        };
        let out = run(&g, &inputs, &weights.panels, &weights.bias, with_relu);
        Self::new(out, g.output_dims())
    }

    fn max_pool2d(p: &MaxPool2d, x: Self) -> Self {
        match pool::Window::of(p, x.dims) {
            Some(window) => Self::new(pool::run(&window, x.data()), window.output_dims()),
            None => x.through_burn_one(|t| p.forward(t)),
        }
    }

    fn interpolate(x: Self, options: InterpolateOptions) -> Self {
        let [n, c, h, w] = x.dims;
        let bilinear = matches!(options.mode, InterpolateMode::Bilinear) && !options.align_corners;
        match options.output_size {
            Some([oh, ow]) if bilinear && h * w * oh * ow > 0 => {
                let out = resize::bilinear(x.data(), [n * c, h, w], [oh, ow]);
                Self::new(out, [n, c, oh, ow])
            }
            _ => x.through_burn_one(|t| burn::tensor::module::interpolate(t, options)),
        }
    }

    fn cat(parts: Vec<Self>, dim: usize) -> Self {
        let Some(dims) = concatenated(&parts).filter(|_| dim == 1) else {
            return Self::through_burn(&parts, |t| Tensor::cat(t, dim));
        };
        let total: usize = dims.iter().product();
        let mut out = arena::take(total);
        let image = total / dims[0].max(1);
        for (n, dst) in out[..total].chunks_mut(image.max(1)).enumerate() {
            let mut at = 0;
            for part in &parts {
                let len = part.len() / dims[0].max(1);
                dst[at..at + len].copy_from_slice(&part.data()[n * len..][..len]);
                at += len;
            }
        }
        Self::new(out, dims)
    }

    fn sigmoid(self) -> Self {
        self.map(|x| 1.0 / (1.0 + (-x).exp()))
    }
}

/// The dims of `parts` concatenated along channels, when they agree on the other dims.
fn concatenated(parts: &[Buf]) -> Option<[usize; 4]> {
    let [n, _, h, w] = parts.first()?.dims;
    let mut channels = 0;
    for part in parts {
        let [pn, pc, ph, pw] = part.dims;
        if [pn, ph, pw] != [n, h, w] {
            return None;
        }
        channels += pc;
    }
    Some([n, channels, h, w])
}
