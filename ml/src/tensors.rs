//! Moving pixels between the `image` crate and Burn tensors, and the working-resolution photo.

use burn::tensor::{Device, Int, Tensor, TensorData};
use image::{DynamicImage, GrayImage, RgbaImage};

use crate::MlError;
use crate::resample::{self, Filter};

/// Long side of the working image: enough detail for a 64-px sprite, small enough that the
/// segmentation's per-pixel work stays in the milliseconds on a CPU.
pub(crate) const WORKING_SIZE: u32 = 512;
/// Shortest side (after shrinking) that still leaves a recognisable subject.
pub(crate) const MIN_SIDE: u32 = 16;
/// Panoramas and strips are refused: once scaled down their short side has no detail left.
const MAX_RATIO: u32 = 8;

/// Shrinks the photo to at most `WORKING_SIZE` on its long side, as 8-bit RGBA.
///
/// Any colour type works (grayscale, 16-bit, float, with or without alpha): `to_rgba8` converts.
pub(crate) fn working_image(photo: &DynamicImage) -> Result<RgbaImage, MlError> {
    let (w, h) = (photo.width(), photo.height());
    let too_small = MlError::ImageTooSmall {
        width: w,
        height: h,
        min: MIN_SIDE,
        max_ratio: MAX_RATIO,
    };
    if w.min(h) < MIN_SIDE || w.max(h) > w.min(h).saturating_mul(MAX_RATIO) {
        return Err(too_small);
    }
    let working = if w.max(h) > WORKING_SIZE {
        // Lanczos is what rembg resizes with, and the net's edge depends on how sharp the
        // whiskers it sees are. In one step even from 12 MP: that costs ~11 ms here, and an
        // area-averaging step before it (to 1024 px) moved the mask's IoU against rembg's
        // at 12 MP from 0.975 to 0.970.
        let (to_w, to_h) = resample::fit(w, h, WORKING_SIZE);
        resample::resize(photo, to_w, to_h, Filter::Lanczos3)?
    } else {
        photo.to_rgba8()
    };
    if working.width().min(working.height()) < MIN_SIDE {
        return Err(too_small);
    }
    Ok(working)
}

/// The image as a float tensor in [0, 1].
///
/// # Shapes
/// - output: `[4, H, W]` (R, G, B, A)
pub(crate) fn rgba_to_tensor(img: &RgbaImage, device: &Device) -> Tensor<3> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let values: Vec<f32> = img.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect();
    Tensor::<3>::from_data(TensorData::new(values, [h, w, 4]), device).permute([2, 0, 1])
}

/// A cut-out as an opaque colour tensor and its alpha as the mask.
///
/// # Shapes
/// - output: `[4, H, W]` in [0, 1] with alpha 1, and the mask at `[H, W]`
pub(crate) fn cutout_to_tensor(
    cutout: &RgbaImage,
    device: &Device,
) -> Result<(Tensor<3>, crate::mask::Mask), MlError> {
    let shrunk;
    let cutout = if cutout.width().max(cutout.height()) > WORKING_SIZE {
        shrunk = shrink_cutout(cutout)?;
        &shrunk
    } else {
        cutout
    };
    let (w, h) = (cutout.width() as usize, cutout.height() as usize);
    if w.min(h) < 2 {
        return Err(MlError::NoSubjectFound(
            "the cut-out is empty; try another photo".into(),
        ));
    }
    let rgba = rgba_to_tensor(cutout, device);
    let alpha = rgba.clone().narrow(0, 3, 1).reshape([h, w]);
    let coverage = read_f32(alpha.clone().mean())?
        .first()
        .copied()
        .unwrap_or(0.0);
    if coverage < 0.01 {
        return Err(MlError::NoSubjectFound(
            "the cut-out is almost entirely transparent; try another photo".into(),
        ));
    }
    let opaque = Tensor::cat(
        vec![rgba.narrow(0, 0, 3), Tensor::ones([1, h, w], device)],
        0,
    );
    let mask = crate::mask::Mask::from_alpha(alpha)?;
    Ok((opaque, mask))
}

/// A full-size cut-out (a sticker PNG) shrunk to the working size before it becomes a
/// tensor, as photos are: the sprite grid is at most 128 px wide, and turning 12 MP into
/// floats alone would take most of a second. The average weights colour by alpha, so the
/// transparent pixels' colour does not tint the edge.
fn shrink_cutout(cutout: &RgbaImage) -> Result<RgbaImage, MlError> {
    let (w, h) = resample::fit(cutout.width(), cutout.height(), WORKING_SIZE);
    resample::rgba_resize(cutout, w, h, Filter::Area)
}

/// Reads a float tensor back to the host.
pub(crate) fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, MlError> {
    t.try_into_vec_as::<f32>().map_err(backend)
}

/// A float tensor from host values.
pub(crate) fn from_f32<const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// An integer tensor from host values.
pub(crate) fn from_i64<const D: usize>(
    values: Vec<i64>,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D, Int> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Turns a backend failure into the crate's error, keeping the backend's words for the logs.
pub(crate) fn backend(err: impl std::fmt::Display) -> MlError {
    MlError::Backend(err.to_string())
}

/// An 8-bit RGBA image from a tensor of channel values in [0, 255].
///
/// # Shapes
/// - `t`: `[H, W, 4]`
pub(crate) fn tensor_to_rgba(t: Tensor<3>) -> Result<RgbaImage, MlError> {
    let [h, w, _] = t.dims();
    let bytes: Vec<u8> = read_f32(t.clamp(0.0, 255.0).round())?
        .into_iter()
        .map(|v| v as u8)
        .collect();
    RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| MlError::Backend("sheet buffer has the wrong length".into()))
}

/// An 8-bit gray image from a boolean-valued host mask.
pub(crate) fn mask_to_gray(
    mask: &[bool],
    width: usize,
    height: usize,
) -> Result<GrayImage, MlError> {
    let bytes = mask.iter().map(|&m| if m { 255 } else { 0 }).collect();
    GrayImage::from_raw(width as u32, height as u32, bytes)
        .ok_or_else(|| MlError::Backend("mask buffer has the wrong length".into()))
}
