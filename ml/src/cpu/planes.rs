//! Element-wise passes over several `[H][W]` planes at once, split into parallel tasks that
//! each take the same stretch of pixels of every plane.

use rayon::prelude::*;

/// Pixels per parallel task.
pub(super) const CHUNK: usize = 1 << 14;

/// The first `P` planes of `n` pixels of `values`, as parallel tasks over the same
/// `CHUNK`-pixel stretch of each.
pub(super) fn planes<const P: usize>(
    values: &[f32],
    n: usize,
) -> impl IndexedParallelIterator<Item = [&[f32]; P]> {
    let tasks = n.div_ceil(CHUNK);
    (0..tasks).into_par_iter().map(move |t| {
        let span = t * CHUNK..((t + 1) * CHUNK).min(n);
        std::array::from_fn(|p| &values[p * n..][span.clone()])
    })
}

/// [`planes`] for writing.
pub(super) fn planes_mut<const P: usize>(
    values: &mut [f32],
    n: usize,
) -> impl IndexedParallelIterator<Item = [&mut [f32]; P]> {
    let mut split: Vec<std::slice::ChunksMut<'_, f32>> = values[..P * n]
        .chunks_mut(n.max(1))
        .map(|plane| plane.chunks_mut(CHUNK))
        .collect();
    let tasks = n.div_ceil(CHUNK);
    let rows: Vec<[&mut [f32]; P]> = (0..tasks)
        .map(|_| std::array::from_fn(|p| split[p].next().unwrap_or_default()))
        .collect();
    rows.into_par_iter()
}
