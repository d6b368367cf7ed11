//! Shrinking photos: Lanczos-3 (what rembg resizes with) and area averaging, through
//! `fast_image_resize`, whose fixed-point SIMD convolutions run on all cores.
//!
//! The `image` crate's own resize is a scalar `f32` loop on one thread: shrinking a 1-MP
//! photo to the working size took 22–40 ms of a ~450 ms background removal, and a 12-MP
//! one ~130 ms, more than the pixelization after it.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, RgbImage, RgbaImage};

use crate::MlError;

/// How the pixels are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Lanczos-3: sharp, what rembg and PIL use.
    Lanczos3,
    /// The mean of the source pixels under each target pixel: fast and alias-free for
    /// large factors, a little soft.
    Area,
}

/// `photo` resized to exactly `width × height`, as RGBA. Colour is weighted by alpha, so the
/// colour of transparent pixels does not bleed into their neighbours.
pub(crate) fn resize(
    photo: &DynamicImage,
    width: u32,
    height: u32,
    filter: Filter,
) -> Result<RgbaImage, MlError> {
    match photo {
        // The common cases (JPEG, opaque and transparent PNG) are read in place; any other
        // colour type is converted first.
        DynamicImage::ImageRgb8(rgb) => {
            let small = run(
                rgb.as_raw(),
                rgb.dimensions(),
                PixelType::U8x3,
                (width, height),
                filter,
            )?;
            let small = RgbImage::from_raw(width, height, small).ok_or_else(size_mismatch)?;
            Ok(DynamicImage::ImageRgb8(small).to_rgba8())
        }
        DynamicImage::ImageRgba8(rgba) => rgba_resize(rgba, width, height, filter),
        other => rgba_resize(&other.to_rgba8(), width, height, filter),
    }
}

/// [`resize`] for an RGBA image.
pub(crate) fn rgba_resize(
    image: &RgbaImage,
    width: u32,
    height: u32,
    filter: Filter,
) -> Result<RgbaImage, MlError> {
    let small = run(
        image.as_raw(),
        image.dimensions(),
        PixelType::U8x4,
        (width, height),
        filter,
    )?;
    RgbaImage::from_raw(width, height, small).ok_or_else(size_mismatch)
}

/// The size that fits `(width, height)` into a `side × side` square, keeping the aspect
/// ratio, rounded to whole pixels and at least 1 (as `image`'s `resize` does).
pub(crate) fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let ratio = f64::from(side) / f64::from(width.max(height).max(1));
    let scale = |v: u32| ((f64::from(v) * ratio).round() as u32).clamp(1, side);
    (scale(width), scale(height))
}

fn run(
    pixels: &[u8],
    (width, height): (u32, u32),
    pixel_type: PixelType,
    (to_width, to_height): (u32, u32),
    filter: Filter,
) -> Result<Vec<u8>, MlError> {
    let src = ImageRef::new(width, height, pixels, pixel_type).map_err(resize_error)?;
    let mut dst = Image::new(to_width, to_height, pixel_type);
    let filter = match filter {
        Filter::Lanczos3 => FilterType::Lanczos3,
        Filter::Area => FilterType::Box,
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(resize_error)?;
    Ok(dst.into_vec())
}

fn resize_error(err: impl std::fmt::Display) -> MlError {
    MlError::Backend(format!("resizing the photo failed: {err}"))
}

fn size_mismatch() -> MlError {
    MlError::Backend("the resized photo has the wrong number of pixels".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, Rgba};

    #[test]
    fn fit_keeps_the_aspect_ratio_and_at_least_one_pixel() {
        assert_eq!(fit(1224, 816, 512), (512, 341));
        assert_eq!(fit(816, 1224, 512), (341, 512));
        assert_eq!(fit(4000, 3000, 1024), (1024, 768));
        assert_eq!(fit(8000, 10, 512), (512, 1));
        assert_eq!(fit(300, 300, 320), (320, 320));
    }

    /// Against the `image` crate's Lanczos-3 on smooth gradients: the same filter, so the
    /// same picture up to rounding of the fixed-point weights. (Across a hard edge the two
    /// clamp the filter's ringing differently, by up to 7 levels.)
    #[test]
    fn lanczos_matches_the_image_crates() {
        let photo = RgbImage::from_fn(640, 480, |x, y| {
            Rgb([
                (x * 255 / 639) as u8,
                (y * 255 / 479) as u8,
                (x * y * 255 / (639 * 479)) as u8,
            ])
        });
        let ours = resize(
            &DynamicImage::ImageRgb8(photo.clone()),
            320,
            240,
            Filter::Lanczos3,
        )
        .expect("resizes");
        let theirs =
            image::imageops::resize(&photo, 320, 240, image::imageops::FilterType::Lanczos3);
        let worst = ours
            .pixels()
            .zip(theirs.pixels())
            .flat_map(|(a, b)| (0..3).map(move |c| a.0[c].abs_diff(b.0[c])))
            .max();
        assert!(
            worst.is_some_and(|d| d <= 3),
            "largest difference {worst:?}"
        );
        assert!(
            ours.pixels().all(|p| p.0[3] == 255),
            "an RGB photo stays opaque"
        );
    }

    /// Area averaging of a 2×2 checkerboard of black and white to one pixel is mid grey, and
    /// transparent pixels lend no colour.
    #[test]
    fn area_means_and_alpha_weighting() {
        let board = RgbaImage::from_fn(4, 4, |x, y| {
            if (x + y) % 2 == 0 {
                Rgba([255, 255, 255, 255])
            } else {
                Rgba([0, 0, 0, 255])
            }
        });
        let grey = rgba_resize(&board, 1, 1, Filter::Area).expect("resizes");
        assert!(
            grey.get_pixel(0, 0).0[..3]
                .iter()
                .all(|&v| v.abs_diff(128) <= 1)
        );

        let half = RgbaImage::from_fn(4, 4, |x, _| {
            if x < 2 {
                Rgba([200, 40, 10, 255])
            } else {
                Rgba([0, 255, 0, 0])
            }
        });
        let mixed = rgba_resize(&half, 1, 1, Filter::Area).expect("resizes");
        let [r, g, b, a] = mixed.get_pixel(0, 0).0;
        assert!(a.abs_diff(128) <= 1, "alpha {a}");
        assert!(
            r.abs_diff(200) <= 2 && g.abs_diff(40) <= 2 && b.abs_diff(10) <= 2,
            "{r} {g} {b}"
        );
    }

    #[test]
    fn grey_and_sixteen_bit_photos_resize_too() {
        let grey = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
            40,
            20,
            image::Luma([65535u16]),
        ));
        let small = resize(&grey, 20, 10, Filter::Lanczos3).expect("resizes");
        assert_eq!(small.dimensions(), (20, 10));
        assert!(small.pixels().all(|p| p.0 == [255, 255, 255, 255]));
    }
}
