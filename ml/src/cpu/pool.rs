//! Max pooling without padding: U²-Net-p's 2×2, stride 2, ceil-mode downsampling.

use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2d;
use rayon::prelude::*;

/// The sizes of one pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    planes: usize,
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    out: [usize; 2],
}

impl Window {
    /// The window when this path handles `pool` on an input of `dims`: no padding, no
    /// dilation, a kernel that fits the input.
    pub(super) fn of(
        pool: &MaxPool2d,
        [batch, channels, height, width]: [usize; 4],
    ) -> Option<Self> {
        let (kernel, stride) = (pool.kernel_size, pool.stride);
        let plain = matches!(pool.padding, PaddingConfig2d::Valid)
            && pool.dilation == [1, 1]
            && kernel.iter().chain(&stride).all(|&v| v > 0)
            && kernel[0] <= height
            && kernel[1] <= width;
        let out = [
            out_size(height, kernel[0], stride[0], pool.ceil_mode),
            out_size(width, kernel[1], stride[1], pool.ceil_mode),
        ];
        plain.then_some(Self {
            planes: batch * channels,
            batch,
            channels,
            height,
            width,
            kernel,
            stride,
            out,
        })
    }

    pub(super) fn output_dims(&self) -> [usize; 4] {
        [self.batch, self.channels, self.out[0], self.out[1]]
    }
}

/// Windows along one side. In ceil mode a last, partial window is added when it starts inside
/// the input (PyTorch's and ONNX's rule).
fn out_size(size: usize, kernel: usize, stride: usize, ceil: bool) -> usize {
    let span = size - kernel;
    let windows = if ceil {
        span.div_ceil(stride)
    } else {
        span / stride
    } + 1;
    if ceil && (windows - 1) * stride >= size {
        windows - 1
    } else {
        windows
    }
}

/// `input` (`[planes][height][width]`) max-pooled to `[planes][out_h][out_w]`, at the start of
/// the returned buffer (which may be longer); a partial window
/// at the edge takes the maximum of the pixels it covers. NaN is ignored (`f32::max`): ReLU
/// outputs, which is what the net pools, have none.
pub(super) fn run(w: &Window, input: &[f32]) -> Vec<f32> {
    let [out_h, out_w] = w.out;
    let [kh, kw] = w.kernel;
    let [sh, sw] = w.stride;
    // Every output is written below; the buffer may be longer.
    let len = w.planes * out_h * out_w;
    let mut output = super::arena::take(len);
    output[..len]
        .par_chunks_mut(out_h * out_w)
        .zip(input.par_chunks(w.height * w.width))
        .for_each(|(dst, src)| {
            // Rows first: the window's rows folded into one, a whole row at a time (vectorised).
            let mut folded = vec![f32::NEG_INFINITY; w.width];
            for (oy, dst_row) in dst.chunks_exact_mut(out_w).enumerate() {
                let top = oy * sh;
                folded.fill(f32::NEG_INFINITY);
                for y in top..(top + kh).min(w.height) {
                    let row = &src[y * w.width..][..w.width];
                    folded.iter_mut().zip(row).for_each(|(f, &v)| *f = f.max(v));
                }
                if (kw, sw) == (2, 2) {
                    // U²-Net-p's case: pairs, and a last lone column in ceil mode.
                    let pairs = folded.chunks_exact(2);
                    let lone = pairs.remainder().first().copied();
                    for (out, pair) in dst_row.iter_mut().zip(pairs) {
                        *out = pair[0].max(pair[1]);
                    }
                    if let (Some(v), Some(last)) = (lone, dst_row.get_mut(w.width / 2)) {
                        *last = v;
                    }
                    continue;
                }
                for (ox, out) in dst_row.iter_mut().enumerate() {
                    let left = ox * sw;
                    let window = &folded[left..(left + kw).min(w.width)];
                    *out = window.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                }
            }
        });
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_mode_keeps_the_partial_window() {
        assert_eq!(out_size(320, 2, 2, true), 160);
        assert_eq!(out_size(5, 2, 2, true), 3);
        assert_eq!(out_size(5, 2, 2, false), 2);
        assert_eq!(out_size(2, 2, 2, true), 1);
    }

    /// One plane of `[height, width]` pooled by `kernel` windows at `stride` into `out`.
    fn window([height, width]: [usize; 2], kernel: usize, stride: usize, out: usize) -> Window {
        Window {
            planes: 1,
            batch: 1,
            channels: 1,
            height,
            width,
            kernel: [kernel; 2],
            stride: [stride; 2],
            out: [out; 2],
        }
    }

    #[test]
    fn pools_with_other_windows_and_strides() {
        // 3×3 windows, stride 1, over 4×4: floor mode gives 2×2.
        let w = window([4, 4], 3, 1, 2);
        let input: Vec<f32> = (0..16).map(|v| ((v * 5) % 16) as f32).collect();
        let want: Vec<f32> = [(0, 0), (0, 1), (1, 0), (1, 1)]
            .iter()
            .map(|&(oy, ox)| {
                let cells = (oy..oy + 3).flat_map(|y| (ox..ox + 3).map(move |x| y * 4 + x));
                cells.map(|i| input[i]).fold(f32::MIN, f32::max)
            })
            .collect();
        assert_eq!(run(&w, &input), want);
    }

    #[test]
    fn pools_odd_sizes_with_partial_windows() {
        let w = window([3, 3], 2, 2, 2);
        let input = [1.0, 5.0, 2.0, 3.0, 4.0, -1.0, 7.0, 0.0, -3.0];
        assert_eq!(run(&w, &input), vec![5.0, 2.0, 7.0, -3.0]);
    }
}
