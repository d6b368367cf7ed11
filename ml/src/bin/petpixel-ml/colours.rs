//! `petpixel-ml cells` and `petpixel-ml colour-error`: how faithful a sprite's colours are
//! to the photo, scored the same way for our sprite and for a peer's. `cells` writes our
//! pixelized pet one pixel per cell; `colour-error` scores any such grid against the cut-out
//! (see `ml::colour_error`). `scripts/bench-ml.sh` runs pyxelate on the same cut-out and grid
//! size when a checkout of it is at hand, and scores both.

use std::path::Path;

use image::RgbaImage;
use ml::{ColourError, Pipeline, SpriteOptions};

use crate::{Failure, read_photo};

/// A cut-out or grid from a file: any format the pipeline reads, with its alpha kept.
fn read_rgba(path: &Path) -> Result<RgbaImage, Failure> {
    Ok(read_photo(path)?.to_rgba8())
}

/// Our sprite's cells for `cutout`: pixelized with `opts`, in the photo's orientation.
pub fn pet_cells(
    pipeline: &Pipeline,
    cutout: &RgbaImage,
    opts: &SpriteOptions,
) -> Result<RgbaImage, ml::MlError> {
    pipeline.pixelize(cutout, opts)?.pet_cells()
}

/// `cells CUTOUT OUT`: writes our pixelized pet, one pixel per cell, to `out` (PNG).
pub fn cells(
    pipeline: &Pipeline,
    cutout: &Path,
    out: &Path,
    opts: &SpriteOptions,
) -> Result<(), Failure> {
    let grid = pet_cells(pipeline, &read_rgba(cutout)?, opts)
        .map_err(|e| Failure::Failed(format!("{}: {e}", cutout.display())))?;
    grid.save_with_format(out, image::ImageFormat::Png)
        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", out.display())))?;
    println!(
        "wrote {}×{} cells of {} to {}",
        grid.width(),
        grid.height(),
        cutout.display(),
        out.display()
    );
    Ok(())
}

/// One line of figures: the RMS error, what it was taken over, and the shape's agreement.
pub fn describe(error: &ColourError) -> String {
    format!(
        "{:>6.2} levels RMS over {} cells, shape IoU {:.3}",
        error.rms, error.cells, error.shape_iou
    )
}

/// `colour-error CUTOUT GRID...`: each grid's colour error against the cut-out, and its ratio
/// to the first grid's.
pub fn colour_error(cutout: &Path, grids: &[String]) -> Result<(), Failure> {
    let reference = read_rgba(cutout)?;
    let mut first: Option<f64> = None;
    for grid in grids {
        let path = Path::new(grid);
        let error = ml::colour_error(&reference, &read_rgba(path)?)
            .map_err(|e| Failure::Failed(format!("{grid}: {e}")))?;
        let ratio = match first {
            None => {
                first = Some(error.rms);
                String::new()
            }
            Some(base) => format!(
                "  ({:.2}× the first grid's error)",
                error.rms / base.max(f64::EPSILON)
            ),
        };
        println!("{grid}: {}{ratio}", describe(&error));
    }
    Ok(())
}
