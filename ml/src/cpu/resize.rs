//! Bilinear resizing with half-pixel centres (`align_corners = false`), as ONNX's `Resize`
//! in U²-Net-p's export and Burn's `interpolate` compute it.

use rayon::prelude::*;

/// For each output coordinate along one side: the two input coordinates it blends and the
/// weight of the second.
fn taps(input: usize, output: usize) -> Vec<(usize, usize, f32)> {
    let ratio = input as f64 / output as f64;
    (0..output)
        .map(|o| {
            let at = ((o as f64 + 0.5) * ratio - 0.5).max(0.0);
            let low = (at.floor() as usize).min(input - 1);
            let high = (low + 1).min(input - 1);
            (low, high, (at - low as f64) as f32)
        })
        .collect()
}

/// `input` (`[planes][height][width]`) resized to `[planes][out_h][out_w]`, at the start of the
/// returned buffer (which may be longer).
pub(super) fn bilinear(
    input: &[f32],
    [planes, height, width]: [usize; 3],
    [out_h, out_w]: [usize; 2],
) -> Vec<f32> {
    let (rows, cols) = (taps(height, out_h), taps(width, out_w));
    // Every output is written below; the buffer may be longer.
    let len = planes * out_h * out_w;
    let mut output = super::arena::take(len);
    if len == 0 {
        return output;
    }
    output[..len]
        .par_chunks_mut(out_h * out_w)
        .zip(input.par_chunks(height * width))
        .for_each(|(dst, src)| {
            // One pass per output row: blend the two source rows, then the two columns.
            let mut blended = vec![0.0f32; width];
            for (dst_row, &(top, bottom, wy)) in dst.chunks_exact_mut(out_w).zip(&rows) {
                let (a, b) = (
                    &src[top * width..][..width],
                    &src[bottom * width..][..width],
                );
                for ((m, &a), &b) in blended.iter_mut().zip(a).zip(b) {
                    *m = a + (b - a) * wy;
                }
                for (out, &(left, right, wx)) in dst_row.iter_mut().zip(&cols) {
                    let (l, r) = (blended[left], blended[right]);
                    *out = l + (r - l) * wx;
                }
            }
        });
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_blends_with_half_pixel_centres() {
        // 1-D: [0, 4] doubled → centres at -0.25, 0.25, 0.75, 1.25 → clamped blends.
        let out = bilinear(&[0.0, 4.0], [1, 1, 2], [1, 4]);
        assert_eq!(out, vec![0.0, 1.0, 3.0, 4.0]);
    }

    #[test]
    fn same_size_is_the_identity() {
        let input: Vec<f32> = (0..12).map(|v| v as f32).collect();
        assert_eq!(bilinear(&input, [1, 3, 4], [3, 4]), input);
    }
}
