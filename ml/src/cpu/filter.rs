//! The matte's separable filters — box mean and max over a window, edges replicated — as
//! sliding passes over rows and columns. Burn's pooling recomputes each window and, for a
//! row segment, does so through generic strided loops; these cost O(1) (mean) or O(k) (max)
//! per pixel with the column passes vectorised across the row.

use rayon::prelude::*;

use super::arena::{recycle, take_exact};

/// Which way a pass runs over a `[height][width]` plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Along {
    /// Windows along each row (`x`).
    Rows,
    /// Windows along each column (`y`).
    Columns,
}

/// The mean over `k` neighbours (`k` odd) along `along`, for each of `planes` planes of
/// `[height][width]`; outside the plane repeats its edge.
pub(super) fn box_mean(
    input: &[f32],
    [height, width]: [usize; 2],
    along: Along,
    k: usize,
) -> Vec<f32> {
    let r = k / 2;
    let scale = 1.0 / k as f32;
    // Every float is written below.
    let mut output = take_exact(input.len());
    match along {
        Along::Rows => output
            .par_chunks_mut(width)
            .zip(input.par_chunks(width))
            .for_each(|(dst, src)| {
                let at = |i: isize| src[i.clamp(0, width as isize - 1) as usize];
                // A running sum in f64: exact enough that the last pixel of a long row does
                // not drift from its own window's mean.
                let mut sum: f64 = (-(r as isize)..=r as isize).map(|i| f64::from(at(i))).sum();
                for (x, out) in dst.iter_mut().enumerate() {
                    *out = (sum as f32) * scale;
                    let x = x as isize;
                    sum += f64::from(at(x + r as isize + 1)) - f64::from(at(x - r as isize));
                }
            }),
        Along::Columns => output
            .par_chunks_mut(height * width)
            .zip(input.par_chunks(height * width))
            .for_each(|(dst, src)| {
                let row = |y: isize| {
                    let y = y.clamp(0, height as isize - 1) as usize;
                    &src[y * width..][..width]
                };
                let mut sum = vec![0.0f32; width];
                for y in -(r as isize)..=r as isize {
                    sum.iter_mut().zip(row(y)).for_each(|(s, &v)| *s += v);
                }
                for (y, out) in dst.chunks_exact_mut(width).enumerate() {
                    let y = y as isize;
                    let (enter, leave) = (row(y + r as isize + 1), row(y - r as isize));
                    for (((o, s), &e), &l) in out.iter_mut().zip(&mut sum).zip(enter).zip(leave) {
                        *o = *s * scale;
                        *s += e - l;
                    }
                }
            }),
    }
    output
}

/// The `k`×`k` window mean of each `[H][W]` plane of `planes`: a row pass, then a column
/// pass, as `mask::box_blur` runs them.
pub(super) fn blur(planes: &[f32], dims: [usize; 2], k: usize) -> Vec<f32> {
    let rows = box_mean(planes, dims, Along::Rows, k);
    let blurred = box_mean(&rows, dims, Along::Columns, k);
    recycle(rows);
    blurred
}

/// The maximum over a `k`×`k` square (`k` odd) around each pixel of each `[height][width]`
/// plane; the square is cut at the edges, which is the same as repeating them.
pub(super) fn max_square(input: &[f32], [height, width]: [usize; 2], k: usize) -> Vec<f32> {
    let r = k / 2;
    // Every float of both is written below.
    let mut rows = take_exact(input.len());
    rows.par_chunks_mut(width)
        .zip(input.par_chunks(width))
        .for_each(|(dst, src)| {
            for (x, out) in dst.iter_mut().enumerate() {
                let window = &src[x.saturating_sub(r)..(x + r + 1).min(width)];
                *out = window.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            }
        });
    let mut output = take_exact(input.len());
    output
        .par_chunks_mut(height * width)
        .zip(rows.par_chunks(height * width))
        .for_each(|(dst, src)| {
            for (y, out) in dst.chunks_exact_mut(width).enumerate() {
                out.fill(f32::NEG_INFINITY);
                for wy in y.saturating_sub(r)..(y + r + 1).min(height) {
                    let row = &src[wy * width..][..width];
                    out.iter_mut().zip(row).for_each(|(o, &v)| *o = o.max(v));
                }
            }
        });
    recycle(rows);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct definitions: every window summed or scanned with edges repeated.
    fn direct(input: &[f32], [h, w]: [usize; 2], k: usize, along: Option<Along>) -> Vec<f32> {
        let r = (k / 2) as isize;
        let at = |y: isize, x: isize| {
            input[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]
        };
        let mut out = Vec::new();
        for y in 0..h as isize {
            for x in 0..w as isize {
                let window = (-r..=r).flat_map(|a| (-r..=r).map(move |b| (a, b)));
                out.push(match along {
                    Some(Along::Rows) => (-r..=r).map(|d| at(y, x + d)).sum::<f32>() / k as f32,
                    Some(Along::Columns) => (-r..=r).map(|d| at(y + d, x)).sum::<f32>() / k as f32,
                    None => window
                        .map(|(a, b)| at(y + a, x + b))
                        .fold(f32::MIN, f32::max),
                });
            }
        }
        out
    }

    fn sample(h: usize, w: usize) -> Vec<f32> {
        (0..h * w)
            .map(|i| ((i * 7919) % 101) as f32 / 100.0)
            .collect()
    }

    #[test]
    fn sliding_means_match_the_direct_mean_with_edges_repeated() {
        for (h, w, k) in [(7, 9, 3), (5, 4, 9), (1, 13, 5), (12, 3, 7)] {
            let input = sample(h, w);
            for along in [Along::Rows, Along::Columns] {
                let fast = box_mean(&input, [h, w], along, k);
                let slow = direct(&input, [h, w], k, Some(along));
                for (a, b) in fast.iter().zip(&slow) {
                    assert!((a - b).abs() < 1e-5, "{h}×{w} k={k} {along:?}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn the_max_square_matches_the_direct_maximum() {
        for (h, w, k) in [(7, 9, 3), (5, 4, 9), (1, 13, 5), (12, 3, 7)] {
            let input = sample(h, w);
            assert_eq!(
                max_square(&input, [h, w], k),
                direct(&input, [h, w], k, None)
            );
        }
    }
}
