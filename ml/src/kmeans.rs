//! Weighted k-means in tensor operations: the colour models of the segmentation and the
//! sprite's palette. Initialisation is deterministic (luminance quantiles), so the same photo
//! always gives the same models.

use burn::tensor::{Int, Tensor};

use crate::MlError;
use crate::tensors::{from_f32, from_i64, read_f32};

/// Rec. 601 luma weights: the init spreads centroids from dark to light, as a person would.
pub(crate) const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// Squared Euclidean distance from every point to every centroid.
///
/// # Shapes
/// - `x`: `[N, C]`, `c`: `[K, C]`
/// - output: `[N, K]`
pub(crate) fn sq_distances(x: Tensor<2>, c: Tensor<2>) -> Tensor<2> {
    let x2 = x.clone().square().sum_dim(1); // [N, 1]
    let c2 = c.clone().square().sum_dim(1).transpose(); // [1, K]
    let cross = x.matmul(c.transpose()); // [N, K]
    // Expanding |x - c|² cancels large terms; rounding can dip just below zero.
    (x2 + c2 - cross.mul_scalar(2.0)).clamp_min(0.0)
}

/// Distance from every point to its nearest centroid.
///
/// # Shapes
/// - `x`: `[N, C]`, `c`: `[K, C]`
/// - output: `[N]`
pub(crate) fn nearest_distance(x: Tensor<2>, c: Tensor<2>) -> Tensor<1> {
    let [n, _] = x.dims();
    sq_distances(x, c).min_dim(1).reshape([n])
}

/// Index of every point's nearest centroid (the lowest index on ties).
///
/// # Shapes
/// - `x`: `[N, C]`, `c`: `[K, C]`
/// - output: `[N]`
pub(crate) fn nearest(x: Tensor<2>, c: Tensor<2>) -> Tensor<1, Int> {
    let [n, _] = x.dims();
    sq_distances(x, c).argmin(1).reshape([n])
}

/// `k` starting centroids: the points at the luminance quantiles of the members
/// (`weights > 0.5`). `None` when there are no members.
///
/// # Shapes
/// - `x`: `[N, 3]` colours, `weights`: `[N]`
/// - output: `[K, 3]`
pub(crate) fn init_by_luminance(
    x: Tensor<2>,
    weights: Tensor<1>,
    k: usize,
) -> Result<Option<Tensor<2>>, MlError> {
    let device = x.device();
    let [n, _] = x.dims();
    let members = weights.greater_elem(0.5).float(); // [N]
    let count = read_f32(members.clone().sum())?
        .first()
        .map_or(0, |&c| c.round() as usize);
    if count == 0 || k == 0 {
        return Ok(None);
    }
    let luma = x
        .clone()
        .matmul(from_f32(LUMA.to_vec(), [3, 1], &device))
        .reshape([n]);
    // Non-members sort after every member, so the first `count` sorted indices are members.
    let key = luma + (members.neg() + 1.0).mul_scalar(1.0e3);
    let order = key.argsort(0); // [N]
    let picks: Vec<i64> = (0..k)
        .map(|j| (((2 * j + 1) * count) / (2 * k)).min(count - 1) as i64)
        .collect();
    let rows = order.select(0, from_i64(picks, [k], &device)); // [K]
    Ok(Some(x.select(0, rows)))
}

/// Appends `extra` centroids, each the member farthest from every centroid so far. Small
/// but distinct colour groups (green eyes, a pink nose) get a colour of their own this way
/// instead of being averaged into the fur.
///
/// # Shapes
/// - `x`: `[N, C]`, `weights`: `[N]`, `c`: `[K, C]`
/// - output: `[K + extra, C]`
pub(crate) fn add_farthest(
    x: Tensor<2>,
    weights: Tensor<1>,
    c: Tensor<2>,
    extra: usize,
) -> Tensor<2> {
    let members = weights.greater_elem(0.5).float(); // [N]
    (0..extra).fold(c, |c, _| {
        let far = nearest_distance(x.clone(), c.clone()) * members.clone(); // [N]
        let pick = far.argmax(0); // [1]
        Tensor::cat(vec![c, x.clone().select(0, pick)], 0)
    })
}

/// Lloyd iterations of weighted k-means. A centroid that loses all its weight keeps its old
/// place instead of becoming NaN.
///
/// # Shapes
/// - `x`: `[N, C]`, `weights`: `[N]`, `c`: `[K, C]`
/// - output: centroids `[K, C]` and the weight each one holds `[K]`
pub(crate) fn lloyd(
    x: Tensor<2>,
    weights: Tensor<1>,
    mut c: Tensor<2>,
    iterations: usize,
) -> (Tensor<2>, Tensor<1>) {
    let [k, _] = c.dims();
    let mut counts = Tensor::<1>::zeros([k], &x.device());
    for _ in 0..iterations {
        let assign = sq_distances(x.clone(), c.clone()).argmin(1).squeeze_dim(1); // [N]
        (c, counts) = centroids_of(x.clone(), weights.clone(), assign, c);
    }
    (c, counts)
}

/// The update step of Lloyd's iteration: each centroid becomes the weighted mean of the points
/// assigned to it, and one that has none keeps its old place instead of becoming NaN.
///
/// # Shapes
/// - `x`: `[N, C]`, `weights`: `[N]`, `assign`: `[N]` (an index of `K` or more assigns the
///   point to none), `c`: `[K, C]`
/// - output: centroids `[K, C]` and the weight each one holds `[K]`
pub(crate) fn centroids_of(
    x: Tensor<2>,
    weights: Tensor<1>,
    assign: Tensor<1, Int>,
    c: Tensor<2>,
) -> (Tensor<2>, Tensor<1>) {
    let device = x.device();
    let [n, channels] = x.dims();
    let [k, _] = c.dims();
    let classes = Tensor::<1, Int>::arange(0..k as i64, &device)
        .reshape([1, k])
        .expand([n, k]);
    let resp =
        assign.reshape([n, 1]).expand([n, k]).equal(classes).float() * weights.reshape([n, 1]); // [N, K]
    let sums = resp.clone().transpose().matmul(x); // [K, C]
    let held = resp.sum_dim(0).transpose(); // [K, 1]
    let empty = held.clone().lower_elem(1.0e-6).expand([k, channels]);
    let c = (sums / held.clone().clamp_min(1.0e-6)).mask_where(empty, c);
    (c, held.reshape([k]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn two_separate_colour_groups_get_one_centroid_each_and_non_members_are_ignored() {
        let device = Device::flex();
        // Four dark reds, four light blues, and two pure greens that carry no weight.
        let mut points = Vec::new();
        for i in 0..4 {
            points.extend([0.3 + 0.01 * i as f32, 0.05, 0.05]);
            points.extend([0.6, 0.8, 0.95 - 0.01 * i as f32]);
        }
        points.extend([0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
        let x = from_f32(points, [10, 3], &device);
        let mut weights = vec![1.0; 8];
        weights.extend([0.0, 0.0]);
        let weights = from_f32(weights, [10], &device);

        let start = init_by_luminance(x.clone(), weights.clone(), 2)
            .expect("readback")
            .expect("members");
        let (c, held) = lloyd(x, weights, start, 5);
        let c = read_f32(c).expect("readback");
        let held = read_f32(held).expect("readback");
        assert!(
            (c[0] - 0.315).abs() < 1e-4 && c[1] < 0.1,
            "dark red first: {c:?}"
        );
        assert!(
            (c[5] - 0.935).abs() < 1e-4 && c[3] > 0.5,
            "light blue second: {c:?}"
        );
        assert_eq!(held, vec![4.0, 4.0]);
    }

    #[test]
    fn no_members_means_no_starting_centroids() {
        let device = Device::flex();
        let x = from_f32(vec![0.5; 6], [2, 3], &device);
        let none =
            init_by_luminance(x, from_f32(vec![0.0, 0.0], [2], &device), 3).expect("readback");
        assert!(none.is_none());
    }
}
