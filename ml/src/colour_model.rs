//! The fallback background removal, without a neural network: a GrabCut-like loop of colour models for pet
//! and background (k-means clusters turned into isotropic Gaussians with mixture weights), a
//! spatial prior against the corners, and a box-filtered decision that stands in for GrabCut's
//! pairwise smoothness term. All per-pixel work is tensor operations.

use burn::tensor::{Int, Tensor, s};

use crate::MlError;
use crate::kmeans::{add_farthest, init_by_luminance, lloyd, nearest, sq_distances};
use crate::mask::box_blur;
use crate::tensors::{from_f32, read_f32};

/// Colour clusters per model: striped fur and a cluttered room each need several shades.
const CLUSTERS: usize = 8;
/// Lloyd steps when the models are first fitted to their seeds.
const INIT_STEPS: usize = 5;
/// Lloyd steps per round afterwards; the clusters only drift a little between rounds.
const REFIT_STEPS: usize = 1;
/// Rounds of re-estimating both models from the current labelling; each round moves colours
/// that the background explains better (more of it, tighter) out of the pet model.
const ROUNDS: usize = 3;
/// Slope of the spatial prior (nats per unit of elliptic radius) outside the inscribed
/// ellipse: from radius 1.25 on it outweighs any colour evidence.
const CORNER_PRIOR: f32 = 4.0;
/// Colour clusters of the whole photo that are judged pet or background to seed the models.
const SEED_CLUSTERS: usize = 12;
/// Smallest variance of a colour cluster, so a flat patch does not become infinitely sure.
const MIN_VARIANCE: f32 = 0.002;
/// Side of the box filter that smooths the per-pixel decision.
pub(crate) const SMOOTHING: usize = 5;
/// Largest say (nats) one pixel has in its neighbours' decision.
pub(crate) const MAX_VOTE: f32 = 1.0;
/// Below this per-channel variance the photo is one flat colour.
const FLAT_VARIANCE: f32 = 1.0e-4;
/// Below this mean margin (nats) the two colour models barely differ, so the "pet" would be
/// drawn by the spatial prior alone.
pub(crate) const MIN_EVIDENCE: f32 = 1.0;

/// The pet and background colour models side by side, so both are fitted and evaluated by
/// the same tensor operations: clusters as isotropic Gaussians with mixture weights.
#[derive(Debug, Clone)]
pub(crate) struct ColourModels {
    /// Pet clusters then background clusters, `[2·K, 3]`
    centroids: Tensor<2>,
    /// `1 / (2σ²)` per cluster, `[1, 2, K]`
    precision: Tensor<3>,
    /// `1.5·ln σ² − ln π` per cluster, `[1, 2, K]`: the cost of a pixel on the centroid
    offset: Tensor<3>,
}

impl ColourModels {
    /// Negative log-likelihood (constants dropped) of each pixel under each model's best
    /// cluster; column 0 is the pet, column 1 the background.
    ///
    /// # Shapes
    /// - `x`: `[N, 3]`, output: `[N, 2]`
    pub(crate) fn costs(&self, x: Tensor<2>) -> Tensor<2> {
        let [n, _] = x.dims();
        let d = sq_distances(x, self.centroids.clone()).reshape([n, 2, CLUSTERS]);
        (d * self.precision.clone() + self.offset.clone())
            .min_dim(2)
            .reshape([n, 2])
    }

    /// Both models fitted to their seed pixels: `seeds[0]` the pet's, `seeds[1]` the
    /// other side's (1.0 = a seed).
    ///
    /// # Shapes
    /// - `x`: `[N, 3]`, `seeds`: `[N]` each
    pub(crate) fn seeded(x: Tensor<2>, seeds: [Tensor<1>; 2]) -> Result<Self, MlError> {
        let [pet, other] = seeds;
        let starts = vec![
            start(x.clone(), pet.clone(), CLUSTERS)?,
            start(x.clone(), other.clone(), CLUSTERS)?,
        ];
        let membership = Tensor::stack::<2>(vec![pet, other], 1); // [N, 2]
        Ok(Self::fit(x, membership, Tensor::cat(starts, 0), INIT_STEPS))
    }

    /// Moves both models' clusters to the pixels they own (Lloyd steps), then measures each
    /// cluster's share and spread.
    ///
    /// # Shapes
    /// - `x`: `[N, 3]`, `membership`: `[N, 2]` (pet weight, background weight),
    ///   `centroids`: `[2·K, 3]`
    fn fit(x: Tensor<2>, membership: Tensor<2>, mut centroids: Tensor<2>, steps: usize) -> Self {
        let device = x.device();
        let [n, _] = x.dims();
        let classes = Tensor::<1, Int>::arange(0..CLUSTERS as i64, &device)
            .reshape([1, 1, CLUSTERS])
            .expand([n, 2, CLUSTERS]);
        let membership = membership.reshape([n, 2, 1]);
        // Squared distances `[N, 2, K]` and ownership `[N, 2, K]` (one-hot per model, times
        // the pixel's weight in that model).
        let assign = |centroids: Tensor<2>| {
            let d = sq_distances(x.clone(), centroids).reshape([n, 2, CLUSTERS]);
            let nearest = d.clone().argmin(2).expand([n, 2, CLUSTERS]);
            let resp = nearest.equal(classes.clone()).float() * membership.clone();
            (d, resp)
        };
        for _ in 0..steps {
            let (_, resp) = assign(centroids.clone());
            let held = resp.clone().sum_dim(0).reshape([2 * CLUSTERS, 1]);
            let sums = resp
                .reshape([n, 2 * CLUSTERS])
                .transpose()
                .matmul(x.clone()); // [2K, 3]
            // A cluster that owns nothing keeps its place instead of becoming NaN.
            let empty = held.clone().lower_elem(1.0e-6).expand([2 * CLUSTERS, 3]);
            centroids = (sums / held.clamp_min(1.0e-6)).mask_where(empty, centroids);
        }
        let (d, resp) = assign(centroids.clone());
        let held = resp.clone().sum_dim(0); // [1, 2, K]
        let share = held.clone() / held.clone().sum_dim(2).clamp_min(1.0e-6); // [1, 2, K]
        let variance = ((resp * d).sum_dim(0) / held.mul_scalar(3.0).clamp_min(1.0e-6))
            .clamp_min(MIN_VARIANCE); // [1, 2, K]
        Self {
            centroids,
            precision: variance.clone().mul_scalar(2.0).recip(),
            offset: variance.log().mul_scalar(1.5) - share.clamp_min(1.0e-6).log(),
        }
    }
}

/// The iterative two-model segmentation.
///
/// # Shapes
/// - `rgb`: `[3, H, W]` in [0, 1]
/// - output: `[H, W]`, 1.0 = pet, 0.0 = background
pub(crate) fn grabcut_like(rgb: Tensor<3>) -> Result<Tensor<2>, MlError> {
    let device = rgb.device();
    let [_, h, w] = rgb.dims();
    let n = h * w;
    let x = rgb.reshape([3, n]).transpose(); // [N, 3]

    let variance = mean(x.clone().var(0))?;
    if variance < FLAT_VARIANCE {
        return Err(MlError::NoSubjectFound(
            "the photo is almost a single colour, so there is nothing to cut out".into(),
        ));
    }

    // Elliptic radius: 0 at the centre, 1 on the ellipse touching the four edges.
    let axis = |len: usize| {
        (Tensor::<1, Int>::arange(0..len as i64, &device).float() + 0.5 - len as f32 / 2.0)
            / (len as f32 / 2.0)
    };
    let radius = (axis(h).square().reshape([h, 1]) + axis(w).square().reshape([1, w]))
        .sqrt()
        .reshape([n]); // [N]

    // Pets are photographed roughly centred and background fills the frame's edges: a
    // colour that is denser in the middle quarter than in the border band starts as pet.
    // Judging whole colour clusters (not pixels) copes with a pet running off the frame (its
    // fur is still mostly central) and with background showing around the pet in the
    // middle (a lawn is still mostly at the edges).
    let centre = radius.clone().lower_elem(0.5).float(); // [N]
    let band = (h.min(w) / 20).max(2);
    let border = Tensor::<2>::ones([h, w], &device)
        .slice_fill(s![band..h - band, band..w - band], 0.0)
        .reshape([n]); // [N]
    let everything = Tensor::<1>::ones([n], &device);
    let palette = start(x.clone(), everything.clone(), SEED_CLUSTERS)?;
    let palette = add_farthest(x.clone(), everything.clone(), palette, SEED_CLUSTERS / 3);
    let (palette, _) = lloyd(x.clone(), everything, palette, INIT_STEPS);
    let clusters = palette.dims()[0];
    let owner = nearest(x.clone(), palette)
        .reshape([n, 1])
        .expand([n, clusters])
        .equal(
            Tensor::<1, Int>::arange(0..clusters as i64, &device)
                .reshape([1, clusters])
                .expand([n, clusters]),
        )
        .float(); // [N, C]
    let density = |region: Tensor<1>| {
        let area = region.clone().sum().reshape([1, 1]).clamp_min(1.0);
        (owner.clone() * region.reshape([n, 1])).sum_dim(0) / area // [1, C]
    };
    let pet_colour = density(centre).greater(density(border)).float(); // [1, C]
    let seed = owner.matmul(pet_colour.transpose()).reshape([n]); // [N]

    let not_seed = seed.clone().neg().add_scalar(1.0);
    let mut models = ColourModels::seeded(x.clone(), [seed, not_seed])?;

    // Neutral inside the inscribed ellipse, so the pet must earn its pixels by colour (a
    // centre bonus let a lawn around the pet win ties and then keep itself in the pet
    // model); steep in the corners beyond, where clutter sits far more often than the pet.
    let prior = radius
        .neg()
        .add_scalar(1.0)
        .clamp_max(0.0)
        .mul_scalar(CORNER_PRIOR); // [N]
    let mut fg = Tensor::<1>::zeros([n], &device);
    let mut margin = Tensor::<1>::zeros([n], &device);
    for round in 0..ROUNDS {
        let costs = models.costs(x.clone()); // [N, 2]
        // > 0: the pixel looks more like pet than background.
        margin = (costs.clone().slice(s![.., 1..2]) - costs.slice(s![.., 0..1])).reshape([n]);
        // Clamped, so the blur is a vote of neighbours rather than the loudest one winning.
        let vote = margin.clone().clamp(-MAX_VOTE, MAX_VOTE) + prior.clone();
        let score = box_blur(vote.reshape([h, w]), SMOOTHING);
        fg = score.greater_elem(0.0).float().reshape([n]);
        if round + 1 < ROUNDS {
            let membership =
                Tensor::stack::<2>(vec![fg.clone(), fg.clone().neg().add_scalar(1.0)], 1);
            models = ColourModels::fit(x.clone(), membership, models.centroids, REFIT_STEPS);
        }
    }

    // How much better each side's own model explains it, per pixel of that side.
    let fg_share = mean(fg.clone())?.clamp(1.0e-3, 1.0 - 1.0e-3);
    let for_pet = mean(margin.clone() * fg.clone())? / fg_share;
    let for_background = -mean(margin * fg.clone().neg().add_scalar(1.0))? / (1.0 - fg_share);
    if for_pet.min(for_background) < MIN_EVIDENCE {
        return Err(MlError::NoSubjectFound(
            "nothing in the photo stands out from the background".into(),
        ));
    }
    Ok(fg.reshape([h, w]))
}

/// Starting clusters for one model: luminance quantiles of its seed pixels, or, for an empty
/// seed, clusters far from every colour so they claim no pixels.
///
/// # Shapes
/// - `x`: `[N, 3]`, `seed`: `[N]`
/// - output: `[k, 3]`
fn start(x: Tensor<2>, seed: Tensor<1>, k: usize) -> Result<Tensor<2>, MlError> {
    let device = x.device();
    Ok(init_by_luminance(x, seed, k)?
        .unwrap_or_else(|| from_f32(vec![10.0; k * 3], [k, 3], &device)))
}

/// The mean of all elements, on the host.
fn mean<const D: usize>(t: Tensor<D>) -> Result<f32, MlError> {
    Ok(read_f32(t.mean())?.first().copied().unwrap_or(0.0))
}
