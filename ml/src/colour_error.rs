//! How faithful a sprite's colours are to the photo: each opaque cell of the sprite's grid
//! against the cut-out averaged over the area that cell covers. A measurement for the
//! benchmark (ours and a peer's grid scored alike), not a step of the pipeline.

use image::RgbaImage;

use crate::MlError;
use crate::mask::{VISIBLE_ALPHA, bounding_box};

/// A grid cell at least this opaque (of 255) is pet; pixel art has no half-transparent cells.
const OPAQUE_CELL: u8 = 128;

/// How far a sprite grid's colours are from the area-averaged cut-out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourError {
    /// Root mean square difference of the red, green and blue levels (0–255) over `cells`.
    pub rms: f64,
    /// Cells compared: opaque in the grid and at least partly covered by the cut-out.
    pub cells: usize,
    /// Intersection over union of the grid's opaque cells with the cells the cut-out covers
    /// at least half: whether the sprite has the pet's shape, apart from its colours.
    pub shape_iou: f64,
}

/// Scores `grid` (one pixel per sprite cell, transparent where there is no pet) against
/// `cutout` (the pet on a transparent background, as [`crate::Cutout`] holds it).
///
/// The grid spans the cut-out's visible box, the same box the pipeline pixelizes, and each
/// cell averages the pixels it covers as adaptive average pooling does (a cell reaches from
/// the floor of its start to the ceiling of its end). Colours are averaged weighted by
/// alpha, so the transparent background does not tint the pet's edge. The average is taken
/// here in `f64` rather than with `resample`'s area filter, which the pipeline itself
/// shrinks cut-outs with: the reference must not share the code it judges.
pub fn colour_error(cutout: &RgbaImage, grid: &RgbaImage) -> Result<ColourError, MlError> {
    let (gw, gh) = (grid.width() as usize, grid.height() as usize);
    if gw == 0 || gh == 0 {
        return Err(MlError::NotComparable("the grid is empty".into()));
    }
    let visible: Vec<bool> = cutout.pixels().map(|p| p.0[3] >= VISIBLE_ALPHA).collect();
    if !visible.contains(&true) {
        return Err(MlError::NotComparable(
            "the cut-out is entirely transparent".into(),
        ));
    }
    let (w, h) = (cutout.width() as usize, cutout.height() as usize);
    let [x0, y0, x1, y1] = bounding_box(&visible, w, h).map(|v| v as usize);
    let (bw, bh) = (x1 - x0, y1 - y0);
    let span = |i: usize, cells: usize, len: usize| {
        // In u64: a cell index times a side of a huge cut-out may not fit 32 bits.
        let (i, cells, len) = (i as u64, cells as u64, len as u64);
        (
            (i * len / cells) as usize,
            (((i + 1) * len).div_ceil(cells)) as usize,
        )
    };

    let (mut squared, mut cells) = (0.0f64, 0usize);
    let (mut both, mut either) = (0usize, 0usize);
    for gy in 0..gh {
        let (ya, yb) = span(gy, gh, bh);
        for gx in 0..gw {
            let (xa, xb) = span(gx, gw, bw);
            let (mut weight, mut sum) = (0.0f64, [0.0f64; 3]);
            for y in y0 + ya..y0 + yb {
                for x in x0 + xa..x0 + xb {
                    let [r, g, b, a] = cutout.get_pixel(x as u32, y as u32).0;
                    let a = f64::from(a) / 255.0;
                    weight += a;
                    for (s, c) in sum.iter_mut().zip([r, g, b]) {
                        *s += a * f64::from(c);
                    }
                }
            }
            let coverage = weight / ((yb - ya) * (xb - xa)) as f64;
            let cell = grid.get_pixel(gx as u32, gy as u32).0;
            let opaque = cell[3] >= OPAQUE_CELL;
            both += usize::from(opaque && coverage >= 0.5);
            either += usize::from(opaque || coverage >= 0.5);
            if opaque && weight > 0.0 {
                cells += 1;
                for (s, c) in sum.iter().zip(cell) {
                    squared += (f64::from(c) - s / weight).powi(2);
                }
            }
        }
    }
    if cells == 0 {
        return Err(MlError::NotComparable(
            "the grid has no opaque cell over the pet".into(),
        ));
    }
    Ok(ColourError {
        rms: (squared / (3 * cells) as f64).sqrt(),
        cells,
        shape_iou: both as f64 / either.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    /// A 40×30 cut-out: a transparent border of 5 px around a 30×20 pet whose left half is
    /// red and right half blue, with a half-transparent column at the seam.
    fn two_tone() -> RgbaImage {
        RgbaImage::from_fn(40, 30, |x, y| {
            if !(5..35).contains(&x) || !(5..25).contains(&y) {
                Rgba([0, 255, 0, 0])
            } else if x == 20 {
                Rgba([90, 90, 90, 128])
            } else if x < 20 {
                Rgba([200, 40, 40, 255])
            } else {
                Rgba([30, 60, 220, 255])
            }
        })
    }

    #[test]
    fn the_area_average_itself_scores_zero() {
        // 3×2 cells over the 30×20 box: each cell is 10×10 pixels, the middle column holds
        // the seam, whose grey counts by its alpha.
        let seam = |red: f64, blue: f64, grey: f64| {
            let w = 90.0 + 10.0 * 128.0 / 255.0;
            ((50.0 * red + 40.0 * blue + 10.0 * 128.0 / 255.0 * grey) / w).round() as u8
        };
        let middle = Rgba([
            seam(200.0, 30.0, 90.0),
            seam(40.0, 60.0, 90.0),
            seam(40.0, 220.0, 90.0),
            255,
        ]);
        let grid = RgbaImage::from_fn(3, 2, |x, _| match x {
            0 => Rgba([200, 40, 40, 255]),
            1 => middle,
            _ => Rgba([30, 60, 220, 255]),
        });
        let error = colour_error(&two_tone(), &grid).expect("scored");
        assert_eq!(error.cells, 6);
        assert!(error.rms < 0.5, "only rounding is left: {error:?}");
        assert_eq!(error.shape_iou, 1.0);
    }

    #[test]
    fn an_offset_colour_scores_its_size() {
        // Only the red column drawn, 12 levels too red: RMS over three channels is 12/√3.
        let only_left = RgbaImage::from_fn(3, 2, |x, _| {
            if x == 0 {
                Rgba([212, 40, 40, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        });
        let error = colour_error(&two_tone(), &only_left).expect("scored");
        assert_eq!(error.cells, 2);
        assert!((error.rms - 12.0 / 3f64.sqrt()).abs() < 1e-9, "{error:?}");
        // Two of the six covered cells are drawn.
        assert!((error.shape_iou - 2.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn cells_beyond_the_pet_do_not_count_as_colour() {
        // A transparent hole under one drawn cell: that cell has no colour to compare with,
        // and counts against the shape instead.
        let mut cutout = two_tone();
        for y in 5..15 {
            for x in 5..15 {
                cutout.put_pixel(x, y, Rgba([0, 0, 0, 0]));
            }
        }
        let grid = RgbaImage::from_fn(3, 2, |x, _| {
            if x == 0 {
                Rgba([200, 40, 40, 255])
            } else {
                Rgba([30, 60, 220, 255])
            }
        });
        let error = colour_error(&cutout, &grid).expect("scored");
        assert_eq!(
            error.cells, 5,
            "the cell over the hole has nothing to compare"
        );
        assert!(error.shape_iou < 1.0);
    }

    #[test]
    fn grids_and_cut_outs_with_nothing_to_compare_are_refused() {
        let clear = RgbaImage::from_pixel(3, 2, Rgba([0, 0, 0, 0]));
        assert!(matches!(
            colour_error(&two_tone(), &clear),
            Err(MlError::NotComparable(_))
        ));
        assert!(matches!(
            colour_error(&two_tone(), &RgbaImage::new(0, 4)),
            Err(MlError::NotComparable(_))
        ));
        let solid = RgbaImage::from_pixel(3, 2, Rgba([1, 2, 3, 255]));
        assert!(matches!(
            colour_error(&RgbaImage::from_pixel(8, 8, Rgba([9, 9, 9, 7])), &solid),
            Err(MlError::NotComparable(_))
        ));
    }

    #[test]
    fn a_grid_finer_than_the_cut_out_still_scores() {
        // More cells than pixels: each cell still covers at least one pixel.
        let cutout = RgbaImage::from_pixel(3, 2, Rgba([10, 20, 30, 255]));
        let grid = RgbaImage::from_pixel(7, 5, Rgba([10, 20, 30, 255]));
        let error = colour_error(&cutout, &grid).expect("scored");
        assert_eq!((error.cells, error.rms, error.shape_iou), (35, 0.0, 1.0));
    }
}
