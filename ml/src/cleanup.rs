//! Cleanup as a pixel artist does it after downscaling: a *lone* pixel — opaque, with no
//! 4-neighbour of its own colour — is photo noise (fur texture, a stray highlight) unless it
//! stands out sharply from everything around it, as an eye, a nose or a catchlight does. Noise
//! takes the colour of its closest-coloured neighbour; features stay.
//!
//! Measured by `petpixel-ml art-stats` (issue 20): hand-made sprites have about 6 % lone
//! pixels, a shrunken photo about 15 %.

use image::Rgba;

/// A lone pixel whose brightness differs from its neighbours' mean by more than this (0–1)
/// is a deliberate feature and kept.
const FEATURE_CONTRAST: f32 = 0.25;

/// Merges the lone pixels of an indexed grid (`w` wide, row by row; `transparent` marks
/// no pet) into their neighbourhood, keeping features. Pixels are visited row by row and each
/// sees the merges before it, so a patch of speckle settles into one colour rather than
/// trading colours back and forth.
pub(crate) fn merge_lone_pixels(
    indices: &mut [i64],
    w: usize,
    palette: &[Rgba<u8>],
    transparent: i64,
) {
    if w == 0 {
        return;
    }
    let h = indices.len() / w;
    let colour = |i: i64| usize::try_from(i).ok().and_then(|i| palette.get(i));
    for y in 0..h {
        for x in 0..w {
            let here = indices[y * w + x];
            let Some(&own) = colour(here) else { continue };
            let neighbours: Vec<i64> = [
                (x.wrapping_sub(1), y),
                (x + 1, y),
                (x, y.wrapping_sub(1)),
                (x, y + 1),
            ]
            .into_iter()
            .filter(|&(nx, ny)| nx < w && ny < h)
            .map(|(nx, ny)| indices[ny * w + nx])
            .filter(|&n| n != transparent && colour(n).is_some())
            .collect();
            if neighbours.is_empty() || neighbours.contains(&here) {
                continue;
            }
            let around = neighbours
                .iter()
                .filter_map(|&n| colour(n))
                .map(|c| luma(*c))
                .sum::<f32>()
                / neighbours.len() as f32;
            if (luma(own) - around).abs() > FEATURE_CONTRAST {
                continue;
            }
            let closest = neighbours
                .iter()
                .copied()
                .min_by_key(|&n| colour(n).map_or(u32::MAX, |c| distance(own, *c)));
            if let Some(closest) = closest {
                indices[y * w + x] = closest;
            }
        }
    }
}

fn luma(c: Rgba<u8>) -> f32 {
    (0.299 * f32::from(c.0[0]) + 0.587 * f32::from(c.0[1]) + 0.114 * f32::from(c.0[2])) / 255.0
}

fn distance(a: Rgba<u8>, b: Rgba<u8>) -> u32 {
    (0..3)
        .map(|i| {
            let d = i32::from(a.0[i]) - i32::from(b.0[i]);
            (d * d) as u32
        })
        .sum()
}

/// Parts of the pet smaller than this (cells) that touch nothing else are specks.
const SPECK_CELLS: usize = 3;

/// Clears the specks of an indexed grid: pieces of the pet of fewer than [`SPECK_CELLS`]
/// cells that touch no other part, not even at a corner — the tip of a horn or a tuft whose
/// thin link to the body fell under half a cell. Outlined, one cell would float beside the
/// pet as a cross. The largest piece always stays.
pub(crate) fn drop_specks(indices: &mut [i64], w: usize, transparent: i64) {
    if w == 0 {
        return;
    }
    let h = indices.len() / w;
    let mut seen = vec![false; indices.len()];
    let mut pieces: Vec<Vec<usize>> = Vec::new();
    for start in 0..indices.len() {
        if seen[start] || indices[start] == transparent {
            continue;
        }
        seen[start] = true;
        let mut piece = vec![start];
        let mut next = 0;
        while next < piece.len() {
            let (x, y) = (piece[next] % w, piece[next] / w);
            next += 1;
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if !seen[j] && indices[j] != transparent {
                        seen[j] = true;
                        piece.push(j);
                    }
                }
            }
        }
        pieces.push(piece);
    }
    let largest = pieces.iter().map(Vec::len).max().unwrap_or(0);
    for piece in pieces.iter().filter(|p| p.len() < SPECK_CELLS.min(largest)) {
        for &i in piece {
            indices[i] = transparent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PALETTE: [Rgba<u8>; 4] = [
        Rgba([5, 5, 5, 255]),       // 0: black (an eye)
        Rgba([120, 80, 40, 255]),   // 1: brown fur
        Rgba([135, 95, 50, 255]),   // 2: a shade lighter
        Rgba([240, 240, 240, 255]), // 3: white
    ];
    const CLEAR: i64 = 4;

    #[test]
    fn speckle_merges_and_an_eye_stays() {
        #[rustfmt::skip]
        let mut grid = vec![
            1, 1, 1, 1, 1,
            1, 2, 1, 0, 1,
            1, 1, 1, 1, 1,
            CLEAR, 1, 1, 1, CLEAR,
        ];
        merge_lone_pixels(&mut grid, 5, &PALETTE, CLEAR);
        #[rustfmt::skip]
        assert_eq!(grid, vec![
            1, 1, 1, 1, 1,
            1, 1, 1, 0, 1,
            1, 1, 1, 1, 1,
            CLEAR, 1, 1, 1, CLEAR,
        ]);
    }

    #[test]
    fn pairs_are_not_lone_and_a_checker_settles_into_one_colour() {
        // Two lighter pixels side by side are a shape, not noise.
        let mut pair = vec![1, 2, 2, 1, 1, 1, 1, 1];
        merge_lone_pixels(&mut pair, 4, &PALETTE, CLEAR);
        assert_eq!(pair, vec![1, 2, 2, 1, 1, 1, 1, 1]);
        // A checker of two close shades is texture: it becomes flat.
        let mut checker = vec![1, 2, 2, 1];
        merge_lone_pixels(&mut checker, 2, &PALETTE, CLEAR);
        assert_eq!(checker, vec![2, 2, 2, 2]);
        let mut empty: Vec<i64> = Vec::new();
        merge_lone_pixels(&mut empty, 0, &PALETTE, CLEAR);
    }

    #[test]
    fn a_speck_beside_the_pet_goes_and_a_part_touching_it_at_a_corner_stays() {
        #[rustfmt::skip]
        let mut grid = vec![
            1, 1, 1, CLEAR, CLEAR, 3,
            1, 1, 1, CLEAR, CLEAR, CLEAR,
            1, 1, 1, 2, CLEAR, CLEAR,
            CLEAR, CLEAR, CLEAR, CLEAR, 2, 2,
        ];
        let kept = {
            let mut g = grid.clone();
            g[5] = CLEAR;
            g
        };
        drop_specks(&mut grid, 6, CLEAR);
        assert_eq!(grid, kept);
        // A pet that is all one small piece stays.
        let mut tiny = vec![CLEAR, 1, CLEAR, CLEAR];
        drop_specks(&mut tiny, 2, CLEAR);
        assert_eq!(tiny, vec![CLEAR, 1, CLEAR, CLEAR]);
    }
}
