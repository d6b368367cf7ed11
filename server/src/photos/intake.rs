//! Upload validation: only PNG, JPEG and WebP by content, size and pixel limits checked from
//! the header before anything is decoded, EXIF orientation applied, metadata dropped by
//! re-encoding.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::config::Limits;

/// Photos are stored at most this large on their long side; the pipeline never needs more.
pub const STORED_MAX_SIDE: u32 = 4096;
/// Long side of the thumbnail kept with each photo (library and lists).
pub const THUMBNAIL_SIDE: u32 = 256;
/// Long side of the preview kept with each photo (what pages show instead of the original).
pub const PREVIEW_SIDE: u32 = 1024;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max_mb} MB")]
    TooLarge { max_mb: usize },
    #[error("only PNG, JPEG and WebP photos are accepted")]
    UnsupportedType,
    #[error(
        "the photo is {width}×{height}; at most {max_side} px per side and {max_mp} megapixels are accepted"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_side: u32,
        max_mp: u64,
    },
    #[error("the photo is {width}×{height}; it must be at least {min}×{min} px")]
    TooSmall { width: u32, height: u32, min: u32 },
    #[error("the image file is damaged or incomplete")]
    Corrupt,
    #[error("the crop must lie inside the {width}×{height} photo")]
    CropOutside { width: u32, height: u32 },
}

/// A photo that passed every check, re-encoded as PNG without metadata, with its thumbnail
/// and preview.
#[derive(Debug)]
pub struct AcceptedPhoto {
    pub png: Vec<u8>,
    /// At most [`THUMBNAIL_SIDE`] px on its long side, PNG.
    pub thumbnail_png: Vec<u8>,
    /// At most [`PREVIEW_SIDE`] px on its long side, PNG.
    pub preview_png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The format the visitor sent.
    pub content_type: &'static str,
}

/// What an upload's header says, already checked against the limits: nothing is decoded yet.
#[derive(Debug, Clone, Copy)]
pub struct Inspected {
    format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
    /// Bytes that decoding and storing it may hold at once, for the server's decode budget.
    pub memory_bytes: u64,
}

/// Checks an upload's size, type (by content) and dimensions (from the header) against the
/// limits. Cheap: only headers are read.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, IntakeError> {
    if bytes.is_empty() {
        return Err(IntakeError::Empty);
    }
    if bytes.len() > limits.max_upload_bytes {
        return Err(IntakeError::TooLarge {
            max_mb: limits.max_upload_bytes / (1024 * 1024),
        });
    }
    let format = image::guess_format(bytes).map_err(|_| IntakeError::UnsupportedType)?;
    let content_type = match format {
        ImageFormat::Png => "image/png",
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        _ => return Err(IntakeError::UnsupportedType),
    };

    // The header alone tells the size: refuse bombs before a single pixel is decoded.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| IntakeError::Corrupt)?;
    let too_many = u64::from(width) * u64::from(height) > limits.max_pixels;
    if width > limits.max_dimension || height > limits.max_dimension || too_many {
        return Err(IntakeError::TooManyPixels {
            width,
            height,
            max_side: limits.max_dimension,
            max_mp: limits.max_pixels / 1_000_000,
        });
    }
    if width < limits.min_dimension || height < limits.min_dimension {
        return Err(IntakeError::TooSmall {
            width,
            height,
            min: limits.min_dimension,
        });
    }
    let bytes_per_pixel = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map(|d| u64::from(d.color_type().bytes_per_pixel()))
        .map_err(|_| IntakeError::Corrupt)?;
    Ok(Inspected {
        format,
        width,
        height,
        content_type,
        memory_bytes: memory_bytes(width, height, bytes_per_pixel),
    })
}

/// The decoded photo, plus the stored copy and its versions (RGBA, at most
/// [`STORED_MAX_SIDE`]) alive beside it, plus their PNG encodings.
fn memory_bytes(width: u32, height: u32, bytes_per_pixel: u64) -> u64 {
    let pixels = u64::from(width) * u64::from(height);
    let stored = pixels.min(u64::from(STORED_MAX_SIDE).pow(2));
    pixels * bytes_per_pixel + stored * 4 * 3
}

/// Checks and normalises an upload. CPU-heavy: call it off the async runtime.
pub fn accept(bytes: &[u8], limits: &Limits) -> Result<AcceptedPhoto, IntakeError> {
    decode(bytes, &inspect(bytes, limits)?, limits)
}

/// Decodes an inspected upload: EXIF orientation applied, shrunk to [`STORED_MAX_SIDE`],
/// re-encoded without metadata. CPU-heavy: call it off the async runtime.
pub fn decode(
    bytes: &[u8],
    inspected: &Inspected,
    limits: &Limits,
) -> Result<AcceptedPhoto, IntakeError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), inspected.format);
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(limits.max_dimension);
    decode_limits.max_image_height = Some(limits.max_dimension);
    // RGBA16 is the widest buffer a decoder may need, plus slack for its own state.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(|_| IntakeError::Corrupt)?;
    let orientation = decoder.orientation().map_err(|_| IntakeError::Corrupt)?;
    let mut photo = DynamicImage::from_decoder(decoder).map_err(|_| IntakeError::Corrupt)?;
    photo.apply_orientation(orientation);
    // Shrunk by averaging the pixels each new pixel covers: filtered resizing would hold a
    // floating-point copy of the whole photo (over 500 MB for a 48 MP photo), averaging holds
    // only the two images, and is the right filter for shrinking anyway.
    let photo = if photo.width().max(photo.height()) > STORED_MAX_SIDE {
        photo.thumbnail(STORED_MAX_SIDE, STORED_MAX_SIDE)
    } else {
        photo
    };
    stored(photo, inspected.content_type)
}

/// Bytes cropping a stored photo of this size may hold at once.
pub fn crop_memory_bytes(width: u32, height: u32) -> u64 {
    memory_bytes(width, height, 4)
}

/// A rectangle of a stored photo (one `accept` made) as a photo of its own, checked again
/// against the stored pixels and the smallest photo accepted. CPU work: call it off the
/// async runtime.
pub fn crop(
    stored_png: &[u8],
    limits: &Limits,
    rect: app::dto::CropRequest,
) -> Result<AcceptedPhoto, IntakeError> {
    let photo = image::load_from_memory_with_format(stored_png, ImageFormat::Png)
        .map_err(|_| IntakeError::Corrupt)?;
    let (width, height) = (photo.width(), photo.height());
    let inside =
        |start: u32, len: u32, size: u32| start.checked_add(len).is_some_and(|e| e <= size);
    if !inside(rect.x, rect.width, width) || !inside(rect.y, rect.height, height) {
        return Err(IntakeError::CropOutside { width, height });
    }
    if rect.width < limits.min_dimension || rect.height < limits.min_dimension {
        return Err(IntakeError::TooSmall {
            width: rect.width,
            height: rect.height,
            min: limits.min_dimension,
        });
    }
    stored(
        photo.crop_imm(rect.x, rect.y, rect.width, rect.height),
        "image/png",
    )
}

/// The photo as the PNG we keep (8-bit RGBA, no metadata), with its smaller versions.
fn stored(photo: DynamicImage, content_type: &'static str) -> Result<AcceptedPhoto, IntakeError> {
    let photo = DynamicImage::ImageRgba8(photo.into_rgba8());
    let preview = fit(&photo, PREVIEW_SIDE);
    let thumbnail = fit(&preview, THUMBNAIL_SIDE);
    Ok(AcceptedPhoto {
        png: png(&photo)?,
        thumbnail_png: png(&thumbnail)?,
        preview_png: png(&preview)?,
        width: photo.width(),
        height: photo.height(),
        content_type,
    })
}

/// The photo scaled down to at most `side` on its long side (never up), by averaging the
/// pixels each new pixel covers (as `decode` shrinks: see there).
fn fit(photo: &DynamicImage, side: u32) -> DynamicImage {
    if photo.width().max(photo.height()) <= side {
        photo.clone()
    } else {
        photo.thumbnail(side, side)
    }
}

fn png(photo: &DynamicImage) -> Result<Vec<u8>, IntakeError> {
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    photo
        .write_with_encoder(encoder)
        .map_err(|_| IntakeError::Corrupt)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut out, ImageFormat::Png)
            .expect("encode");
        out.into_inner()
    }

    /// A valid PNG header that claims `width`×`height`, with no pixel data behind it.
    fn png_header_only(width: u32, height: u32) -> Vec<u8> {
        let mut v = png(64, 64);
        v[16..20].copy_from_slice(&width.to_be_bytes());
        v[20..24].copy_from_slice(&height.to_be_bytes());
        // Fix the IHDR CRC so the decoder trusts the header.
        let crc = crc32(&v[12..29]);
        v[29..33].copy_from_slice(&crc.to_be_bytes());
        v.truncate(64);
        v
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_normal_png_is_accepted_and_reencoded() {
        let photo = accept(&png(120, 80), &Limits::default()).expect("accepted");
        assert_eq!(
            (photo.width, photo.height, photo.content_type),
            (120, 80, "image/png")
        );
        assert_eq!(
            image::guess_format(&photo.png).expect("png"),
            ImageFormat::Png
        );
    }

    #[test]
    fn thumbnail_and_preview_fit_their_sides_and_keep_the_aspect_ratio() {
        let dims = |bytes: &[u8]| {
            let img = image::load_from_memory_with_format(bytes, ImageFormat::Png).expect("png");
            (img.width(), img.height())
        };
        let photo = accept(&png(2000, 1000), &Limits::default()).expect("accepted");
        assert_eq!(dims(&photo.png), (2000, 1000));
        assert_eq!(dims(&photo.preview_png), (PREVIEW_SIDE, PREVIEW_SIDE / 2));
        assert_eq!(
            dims(&photo.thumbnail_png),
            (THUMBNAIL_SIDE, THUMBNAIL_SIDE / 2)
        );
        // A small photo is never enlarged.
        let small = accept(&png(120, 80), &Limits::default()).expect("accepted");
        assert_eq!(dims(&small.preview_png), (120, 80));
        assert_eq!(dims(&small.thumbnail_png), (120, 80));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let bomb = png_header_only(60_000, 60_000);
        assert!(matches!(
            accept(&bomb, &Limits::default()),
            Err(IntakeError::TooManyPixels { .. })
        ));
        let wide = png_header_only(11_000, 11_000);
        assert!(matches!(
            accept(&wide, &Limits::default()),
            Err(IntakeError::TooManyPixels { .. })
        ));
    }

    #[test]
    fn other_types_are_refused_by_content_not_name() {
        for bytes in [
            &b"GIF89a\x01\x00\x01\x00"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"%PDF-1.4",
            b"hello",
        ] {
            assert_eq!(
                accept(bytes, &Limits::default()).expect_err("refused"),
                IntakeError::UnsupportedType
            );
        }
    }

    #[test]
    fn truncated_and_empty_files_are_refused() {
        let mut truncated = png(200, 200);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(
            accept(&truncated, &Limits::default()).expect_err("refused"),
            IntakeError::Corrupt
        );
        assert_eq!(
            accept(&[], &Limits::default()).expect_err("refused"),
            IntakeError::Empty
        );
    }

    #[test]
    fn size_limits_apply() {
        let limits = Limits {
            max_upload_bytes: 2048,
            ..Limits::default()
        };
        assert!(matches!(
            accept(&png(300, 300), &limits),
            Err(IntakeError::TooLarge { .. })
        ));
        assert!(matches!(
            accept(&png(8, 8), &Limits::default()),
            Err(IntakeError::TooSmall { .. })
        ));
    }
}
