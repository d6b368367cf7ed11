//! The selective outline ("sel-out") pixel artists draw: the line around the pet is a darker
//! shade of the colour it borders, taken from the sprite's own palette, rather than one dark
//! colour everywhere. A white cat gets a grey line, a ginger one a brown line, and only the
//! darkest fills fall back to the style's outline colour, which is darker than them all. The
//! shading is lit from above: the line along the top of the pet is one shade darker than the
//! fill, the rest two.
//!
//! Shades are palette indices, so the outline adds no colours: a 16-colour style keeps its 16
//! plus the one outline colour it always had.

use burn::tensor::Device;
use image::Rgba;

use crate::MlError;
use crate::quantize::{colours_tensor, oklab};
use crate::rig::Grid;
use crate::tensors::read_f32;

/// The shade aimed for: this share of the fill's Oklab lightness.
const SHADE_LIGHTNESS: f32 = 0.45;
/// A shade is at least this much darker (Oklab lightness, 0–1) than its fill; a step smaller
/// than that does not read as a line.
const MIN_STEP: f32 = 0.06;
/// Weight of a hue or chroma difference against a lightness difference when picking a shade:
/// a shade keeps the fill's hue (a brown line for a ginger cat, not a grey one).
const HUE_WEIGHT: f32 = 4.0;

/// Palette index → index of its outline shade (a darker palette colour or the outline index);
/// the transparent and outline indices map to the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shades {
    lookup: Vec<i64>,
    outline: i64,
}

impl Shades {
    /// The shades of `palette` (opaque colours, darkest first, as the pipeline keeps them:
    /// [`Shades::outlined`] ranks darkness by index), whose outline colour `outline` has the
    /// index `palette.len() + 1`.
    pub fn of(palette: &[Rgba<u8>], outline: Rgba<u8>, device: &Device) -> Result<Self, MlError> {
        let mut colours = palette.to_vec();
        colours.push(outline);
        let lab: Vec<[f32; 3]> = read_f32(oklab(colours_tensor(&colours, device)))?
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let outline_index = palette.len() as i64 + 1;
        let (outline_lab, fills) = lab.split_last().ok_or_else(|| {
            MlError::Backend("the palette and outline are read back empty".into())
        })?;
        let lookup = fills
            .iter()
            .map(|fill| {
                let target = fill[0] * SHADE_LIGHTNESS;
                let cost = |c: &[f32; 3]| {
                    (c[0] - target).powi(2)
                        + HUE_WEIGHT * ((c[1] - fill[1]).powi(2) + (c[2] - fill[2]).powi(2))
                };
                // The outline colour is always a candidate: it is the shade of last resort.
                fills
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c[0] <= fill[0] - MIN_STEP)
                    .map(|(i, c)| (i as i64, cost(c)))
                    .chain([(outline_index, cost(outline_lab))])
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map_or(outline_index, |(i, _)| i)
            })
            .collect();
        Ok(Self {
            lookup,
            outline: outline_index,
        })
    }

    /// The shade of the cell value `index`.
    fn of_index(&self, index: i64) -> i64 {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.lookup.get(i))
            .copied()
            .unwrap_or(self.outline)
    }

    /// Adds the outline to a frame: every empty cell 4-adjacent to the pet (the classic
    /// pixel-art outline; 8-adjacency would thicken diagonals) takes the shade of the pet cell
    /// beside it, one step darker on top of the pet, two elsewhere; beside several, the darkest.
    pub fn outlined(&self, frame: Grid) -> Grid {
        let mut out = frame.clone();
        for y in 0..frame.height as i64 {
            for x in 0..frame.width as i64 {
                if frame.opaque(x, y) {
                    continue;
                }
                let below = frame
                    .opaque(x, y + 1)
                    .then(|| self.of_index(frame.get(x, y + 1)));
                let sides = [(-1, 0), (1, 0), (0, -1)]
                    .into_iter()
                    .filter(|&(dx, dy)| frame.opaque(x + dx, y + dy))
                    .map(|(dx, dy)| self.of_index(self.of_index(frame.get(x + dx, y + dy))));
                // Palette indices run darkest first and the outline's is past them all, so
                // the darkest shade is the one whose colour is darkest, not the lowest index.
                if let Some(shade) = below.into_iter().chain(sides).max_by_key(|&s| self.rank(s)) {
                    out.set(x, y, shade);
                }
            }
        }
        let mut frame = frame;
        let out = thinned(&mut frame, out);
        let out = evened(&frame, out);
        self.sealed(out)
    }

    /// The outlined frame without pinholes: a clear cell whose four neighbours are all drawn
    /// (where the line closes round a cell the pet only touches diagonally) takes the darkest
    /// of their colours, so no single background pixel shows through the sprite.
    fn sealed(&self, mut out: Grid) -> Grid {
        let drawn = out.clone();
        for y in 0..drawn.height as i64 {
            for x in 0..drawn.width as i64 {
                let sides = [(-1, 0), (1, 0), (0, -1), (0, 1)];
                if drawn.opaque(x, y) || !sides.iter().all(|&(dx, dy)| drawn.opaque(x + dx, y + dy))
                {
                    continue;
                }
                let darkest = sides
                    .iter()
                    .map(|&(dx, dy)| drawn.get(x + dx, y + dy))
                    .max_by_key(|&s| self.rank(s));
                if let Some(shade) = darkest {
                    out.set(x, y, shade);
                }
            }
        }
        out
    }

    /// How dark the colour at `index` is: the outline darkest, then the palette darkest first.
    fn rank(&self, index: i64) -> i64 {
        if index == self.outline {
            i64::MAX
        } else {
            -index
        }
    }
}

/// The outline without its doubles, as a pixel artist's "pixel-perfect" line is drawn: where
/// the pet has a one-cell step, the 4-adjacent ring turns an L-shaped corner, a cell thicker
/// than the line around it. A line cell whose only line neighbours are one beside it and one
/// above or below it, meeting the pet on its other two sides, is that corner: the pet's fill
/// takes it (the step's inner corner rounded, as an artist rounds it) and the line runs
/// diagonally past it, still unbroken. Cleared instead, it would be a hole between fill and
/// line, the background showing through. The fill is the colour of the pet beside it that the
/// cell diagonally inside the corner shares, else the one beside it in its row. Cells are
/// visited row by row and see the changes before them, so two corners never open one gap;
/// `frame` gains the cells the fill takes.
fn thinned(frame: &mut Grid, mut out: Grid) -> Grid {
    let line = |frame: &Grid, out: &Grid, x: i64, y: i64| !frame.opaque(x, y) && out.opaque(x, y);
    for y in 0..out.height as i64 {
        for x in 0..out.width as i64 {
            if !line(frame, &out, x, y) {
                continue;
            }
            let beside: Vec<i64> = [-1, 1]
                .into_iter()
                .filter(|&dx| line(frame, &out, x + dx, y))
                .collect();
            let above_below: Vec<i64> = [-1, 1]
                .into_iter()
                .filter(|&dy| line(frame, &out, x, y + dy))
                .collect();
            let ([dx], [dy]) = (beside.as_slice(), above_below.as_slice()) else {
                continue;
            };
            let (in_row, in_column) = ((x - dx, y), (x, y - dy));
            let corner = frame.opaque(in_row.0, in_row.1) && frame.opaque(in_column.0, in_column.1);
            if corner && !line(frame, &out, x + dx, y + dy) {
                let inside = frame.get(x - dx, y - dy);
                let fill = if frame.get(in_column.0, in_column.1) == inside {
                    inside
                } else {
                    frame.get(in_row.0, in_row.1)
                };
                frame.set(x, y, fill);
                out.set(x, y, fill);
            }
        }
    }
    out
}

/// Reach of the mode filter that evens the outline: cells within this many rows and columns.
const EVEN_REACH: i64 = 2;

/// The outline evened out: each outline cell takes the shade most common among the outline
/// cells around it (itself included, [`EVEN_REACH`] either way; a tie keeps its own), so the
/// line runs in stretches of one shade rather than flickering wherever the fill beside it
/// does. Cells are visited row by row and see the changes before them, as lone fill pixels
/// are.
fn evened(frame: &Grid, mut out: Grid) -> Grid {
    let line = |out: &Grid, x: i64, y: i64| !frame.opaque(x, y) && out.opaque(x, y);
    let mut counts: Vec<(i64, usize)> = Vec::new();
    for y in 0..out.height as i64 {
        for x in 0..out.width as i64 {
            if !line(&out, x, y) {
                continue;
            }
            counts.clear();
            for dy in -EVEN_REACH..=EVEN_REACH {
                for dx in -EVEN_REACH..=EVEN_REACH {
                    if !line(&out, x + dx, y + dy) {
                        continue;
                    }
                    let shade = out.get(x + dx, y + dy);
                    match counts.iter_mut().find(|(s, _)| *s == shade) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((shade, 1)),
                    }
                }
            }
            let here = out.get(x, y);
            let own = counts
                .iter()
                .find(|(s, _)| *s == here)
                .map_or(0, |&(_, n)| n);
            if let Some(&(shade, n)) = counts.iter().max_by_key(|(_, n)| *n)
                && n > own
            {
                out.set(x, y, shade);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(r: u8, g: u8, b: u8) -> Rgba<u8> {
        Rgba([r, g, b, 255])
    }

    #[test]
    fn a_shade_is_a_darker_colour_of_the_same_hue_and_the_darkest_fall_back_to_the_outline() {
        // Darkest first, as the pipeline's palettes are.
        let palette = [
            rgb(50, 50, 50),    // 0: dark grey
            rgb(80, 50, 30),    // 1: dark brown
            rgb(200, 120, 60),  // 2: ginger
            rgb(190, 190, 190), // 3: light grey
        ];
        let shades =
            Shades::of(&palette, rgb(10, 8, 12), &Device::flex()).expect("shades of a palette");
        let outline = 5;
        // Ginger → the dark brown, though the dark grey is nearer the lightness aimed for;
        // light grey → the dark grey, though the brown is nearer; the darkest → the outline.
        assert_eq!(shades.lookup, vec![outline, outline, 1, 0]);
    }

    #[test]
    fn the_outline_rings_the_pet_lit_from_above() {
        // Greys from dark to light (0–3); clear is 4, the outline 5.
        let palette = [
            rgb(30, 30, 30),
            rgb(90, 90, 90),
            rgb(150, 150, 150),
            rgb(235, 235, 235),
        ];
        let shades = Shades::of(&palette, rgb(0, 0, 0), &Device::flex()).expect("shades");
        assert_eq!(shades.lookup, vec![5, 0, 0, 1]);
        let (w, clear) = (10, 4);
        let mut grid = Grid {
            width: w,
            height: 4,
            cells: vec![clear; 4 * w],
            clear,
        };
        for y in 1..=2 {
            for x in 2..=7 {
                grid.set(x, y, 3);
            }
        }
        let out = shades.outlined(grid);
        let row = |y: usize| out.cells[y * w..(y + 1) * w].to_vec();
        // Above the light pet: one shade darker; beside and below it: two.
        assert_eq!(row(0), vec![4, 4, 1, 1, 1, 1, 1, 1, 4, 4]);
        assert_eq!(row(1), vec![4, 0, 3, 3, 3, 3, 3, 3, 0, 4]);
        assert_eq!(row(2), row(1));
        assert_eq!(row(3), vec![4, 4, 0, 0, 0, 0, 0, 0, 4, 4]);
    }

    #[test]
    fn a_clear_cell_the_line_closes_round_is_sealed_with_the_darkest_shade_beside_it() {
        // Two pet cells touching only at corners of the cell between them: that cell touches
        // no pet, so the ring leaves it clear, but its four neighbours are all ring.
        let pet = crate::rig::tests::drawn(&[
            ".....", //
            ".#...", //
            ".....", //
            "...#.", //
            ".....",
        ]);
        let shades =
            Shades::of(&[rgb(200, 200, 200)], rgb(0, 0, 0), &Device::flex()).expect("shades");
        let out = shades.outlined(pet.clone());
        let outline = 2;
        assert_eq!(
            out.get(2, 2),
            outline,
            "the pinhole is sealed with the line's shade"
        );
        for y in 0..out.height as i64 {
            for x in 0..out.width as i64 {
                let enclosed = [(-1, 0), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .all(|&(dx, dy)| out.opaque(x + dx, y + dy));
                assert!(out.opaque(x, y) || !enclosed, "a pinhole at ({x}, {y})");
            }
        }
        assert_eq!(
            (out.get(1, 1), out.get(3, 3)),
            (pet.get(1, 1), pet.get(3, 3))
        );
    }

    #[test]
    fn a_lone_shade_in_the_outline_takes_the_one_around_it() {
        let (w, clear) = (7, 9);
        let mut line = Grid {
            width: w,
            height: 2,
            cells: vec![clear; 2 * w],
            clear,
        };
        let mut pet = line.clone();
        for x in 0..w as i64 {
            pet.set(x, 1, 0);
            line.set(x, 0, if x == 3 { 2 } else { 1 });
        }
        let out = evened(&pet, {
            let mut both = pet.clone();
            both.cells[..w].copy_from_slice(&line.cells[..w]);
            both
        });
        assert_eq!(out.cells[..w].to_vec(), vec![1; w]);
        assert_eq!(
            out.cells[w..].to_vec(),
            vec![0; w],
            "the fill is left alone"
        );
    }

    #[test]
    fn an_l_shaped_corner_where_the_pet_steps_in_is_filled_and_the_line_stays_unbroken() {
        // A pet ('#') whose upper part steps in two cells on the left; the outline in '+'.
        let pet = crate::rig::tests::drawn(&[
            "........", //
            "....##..", //
            "....##..", //
            "..####..", //
            "..####..", //
            "........",
        ]);
        let shades =
            Shades::of(&[rgb(200, 200, 200)], rgb(0, 0, 0), &Device::flex()).expect("shades");
        let out = shades.outlined(pet.clone());
        let drawn: Vec<String> = (0..out.height as i64)
            .map(|y| {
                (0..out.width as i64)
                    .map(|x| match (pet.opaque(x, y), out.opaque(x, y)) {
                        (true, _) => '#',
                        (false, true) if out.get(x, y) == pet.get(3, 3) => '*',
                        (false, true) => '+',
                        (false, false) => '.',
                    })
                    .collect()
            })
            .collect();
        // The ring's cell at (3, 2), beside the upper part and above the lower, made an L
        // with (3, 1) and (2, 2): the fill takes it and the line steps diagonally from one to
        // the other, with no hole between line and fill.
        assert_eq!(
            drawn,
            vec![
                "....++..", "...+##+.", "..+*##+.", ".+####+.", ".+####+.", "..++++..",
            ],
            "{drawn:#?}"
        );
        assert_eq!(out.get(3, 2), pet.get(3, 3), "the corner is the pet's fill");
    }
}
