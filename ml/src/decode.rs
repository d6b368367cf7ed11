//! Decoding untrusted photo bytes with size limits, so a decompression bomb is refused before
//! it is allocated.

use std::io::Cursor;

use image::{DynamicImage, ImageReader, Limits};

use crate::MlError;

/// Longest side accepted: a 50-MP phone photo is about 8700 px.
pub const MAX_PHOTO_SIDE: u32 = 12_000;
/// Most bytes a decoder may allocate (a 12 000² RGBA8 image is 576 MB, 16-bit twice that).
const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Decodes a PNG, JPEG, WebP or GIF photo (format sniffed from the bytes), refusing images
/// larger than [`MAX_PHOTO_SIDE`] on a side.
pub fn decode_photo(bytes: &[u8]) -> Result<DynamicImage, MlError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| MlError::UnreadableImage(e.to_string()))?;
    if reader.format().is_none() {
        return Err(MlError::UnreadableImage(
            "not a PNG, JPEG, WebP or GIF file".into(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| MlError::UnreadableImage(e.to_string()))
}
