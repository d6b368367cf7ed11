//! Cutting the pet out: the photo's own transparency when it has some, else U²-Net-p's
//! saliency cleaned into one solid subject and matted against the photo; the colour-model
//! segmentation is the fallback when the net's mask is implausible (a tight crop of a face,
//! where the net picks out only the eyes).

use std::time::{Duration, Instant};

use burn::tensor::{Tensor, s};
use image::RgbaImage;

use crate::colour_model::grabcut_like;
use crate::cpu::BufferPool;
use crate::mask::{self, Mask};
use crate::matte::refine;
use crate::support;
use crate::tensors::{from_f32, read_f32};
use crate::u2net::U2Net;
use crate::{MlError, SegmentMethod};

/// Below this raw peak probability the net saw nothing salient, and min-max normalising its
/// output would only magnify noise.
const MIN_PEAK: f32 = 0.5;

/// The pet's mask and the photo to take its colours from.
#[derive(Debug, Clone)]
pub(crate) struct Segmentation {
    pub mask: Mask,
    /// `[4, H, W]` in [0, 1]: the working photo, edge colours decontaminated.
    pub rgba: Tensor<3>,
    pub method: SegmentMethod,
    /// Time spent in the net: resizing to its input, the forward pass, resizing back.
    pub net_time: Duration,
}

/// Finds the pet in the working photo.
///
/// # Shapes
/// - `rgba`: `[4, H, W]` in [0, 1], the same pixels as `working`
pub(crate) fn segment(
    net: &U2Net,
    matte_buffers: &BufferPool,
    working: &RgbaImage,
    rgba: Tensor<3>,
) -> Result<Segmentation, MlError> {
    let [_, h, w] = rgba.dims();
    let alpha = rgba.clone().slice(s![3..4, .., ..]).reshape([h, w]); // [H, W]
    let transparent = mean(alpha.clone().lower_elem(0.5).float())?;
    if (mask::MIN_AREA..=mask::MAX_AREA).contains(&transparent) {
        // A cut-out sticker: its own alpha is the mask.
        let bits = mask::solid(alpha.greater_equal_elem(0.5).float())?;
        return Ok(Segmentation {
            mask: Mask::from_bits(&bits, w, h)?,
            rgba,
            method: SegmentMethod::PhotoAlpha,
            net_time: Duration::ZERO,
        });
    }
    // Transparent pixels of an otherwise opaque photo become white, a plain background.
    let rgb = rgba.clone().slice(s![0..3, .., ..]); // [3, H, W]
    let rgb = rgb * alpha.clone().unsqueeze_dim(0) + alpha.neg().add_scalar(1.0).unsqueeze_dim(0);

    let started = Instant::now();
    let (saliency, peak) = net.saliency(working)?; // [H, W]
    let net_time = started.elapsed();
    let neural = if peak < MIN_PEAK {
        Err(MlError::NoSubjectFound(
            "nothing in the photo stands out from the background; try a photo with the pet \
             clearly in view"
                .into(),
        ))
    } else {
        mask::solid(saliency.clone().greater_elem(0.5).float())
            .and_then(|bits| support::drop_support(rgb.clone(), bits, w, h))
    };
    let bits = match neural {
        Ok(bits) => bits,
        Err(neural_err) => {
            // The colour model decides on its own; if it fails too, the net's words stand.
            let Ok(bits) = grabcut_like(rgb.clone()).and_then(mask::solid) else {
                return Err(neural_err);
            };
            return Ok(Segmentation {
                mask: Mask::from_bits(&bits, w, h)?,
                rgba: opaque(rgb),
                method: SegmentMethod::ColourModel,
                net_time,
            });
        }
    };
    let keep = bits_tensor(&bits, w, h, &rgb.device());
    let matte = refine(rgb, saliency, keep, matte_buffers);
    Ok(Segmentation {
        mask: Mask::from_alpha(matte.alpha)?,
        rgba: opaque(matte.rgb),
        method: SegmentMethod::Neural,
        net_time,
    })
}

/// RGB with a fully opaque alpha channel; the mask carries the transparency.
///
/// # Shapes
/// - `rgb`: `[3, H, W]`, output: `[4, H, W]`
fn opaque(rgb: Tensor<3>) -> Tensor<3> {
    let [_, h, w] = rgb.dims();
    let alpha = Tensor::ones([1, h, w], &rgb.device());
    Tensor::cat(vec![rgb, alpha], 0)
}

/// # Shapes
/// - output: `[H, W]`, 1.0 where `bits` is set
fn bits_tensor(bits: &[bool], w: usize, h: usize, device: &burn::tensor::Device) -> Tensor<2> {
    let values = bits.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    from_f32(values, [h, w], device)
}

fn mean<const D: usize>(t: Tensor<D>) -> Result<f32, MlError> {
    Ok(read_f32(t.mean())?.first().copied().unwrap_or(0.0))
}
