//! Pixelization: crop to the pet, smooth texture into areas, area-average onto the sprite
//! grid, boost the colours a little and map every pixel onto the style's palette, ready to
//! animate.

use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{Bool, Int, Tensor, TensorData, s};
use image::{Rgba, RgbaImage};

use crate::cleanup::{drop_specks, merge_lone_pixels};
use crate::mask::{Mask, erode};
use crate::quantize::{Quantized, quantize, refit};
use crate::silhouette::pet_cells;
use crate::smooth::kuwahara;
use crate::tensors::{from_f32, from_i64, read_f32};
use crate::{MlError, SpriteOptions};

/// Saturation gain: averaging many photo pixels into one washes colours out.
const SATURATION: f32 = 1.15;
/// Contrast gain around mid-grey, for the same reason.
const CONTRAST: f32 = 1.08;
/// Half-width of the smoothing squares as a share of a cell's width (at least a pixel): over
/// the 15 test photos at 48 px, 3×3 squares took the mean same-colour region from 5.8 to
/// 6.0 px and the colour error from 12.2 to 13.4 levels; cell-wide squares reached 6.7 px but
/// 15.9 levels, past the bound of 1.3 × 10.4.
const SMOOTHING_SHARE: f32 = 0.15;
/// Largest half-width of the smoothing squares (pixels of the working photo).
const MAX_SMOOTHING: usize = 8;
/// Columns kept free on each side: one for the outline, two for the run's leg shift.
pub(crate) const SIDE_MARGIN: usize = 3;

/// The sprite on its frame canvas as palette indices, before animation and outline.
#[derive(Debug, Clone)]
pub(crate) struct PixelSprite {
    /// Palette index per pixel, `[frame_height, frame_width]`; `palette.len()` = transparent.
    pub indices: Tensor<2, Int>,
    /// Opaque colours, darkest first.
    pub palette: Vec<Rgba<u8>>,
    /// Colour of the 1-px outline.
    pub outline: Rgba<u8>,
    /// Height of the pet in sprite pixels.
    pub content_height: usize,
    /// Whether the pet was mirrored to face right.
    pub mirrored: bool,
}

impl PixelSprite {
    /// The index that means "transparent".
    pub fn transparent(&self) -> i64 {
        self.palette.len() as i64
    }

    /// The index that means "outline".
    pub fn outline_index(&self) -> i64 {
        self.palette.len() as i64 + 1
    }
}

/// Largest side of a stored sprite canvas: far above the 64-px sprites plus margins.
const MAX_STORED_SIDE: u32 = 512;

/// An indexed sprite as plain data (what a job stores between pixelizing and animating): the
/// pet on its frame canvas, facing right, before animation and outline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pixelized {
    pub width: u32,
    pub height: u32,
    /// Palette index per pixel, row by row; `palette.len()` means transparent.
    pub indices: Vec<u8>,
    /// Opaque colours (RGBA), darkest first.
    pub palette: Vec<[u8; 4]>,
    /// The 1-px outline's colour.
    pub outline: [u8; 4],
    /// Height of the pet in sprite pixels.
    pub content_height: u32,
    /// Whether the pet was mirrored to face right (it looked left in the photo). Sprites
    /// stored before this was recorded read as not mirrored.
    #[serde(default)]
    pub mirrored: bool,
}

impl Pixelized {
    pub(crate) fn from_sprite(sprite: PixelSprite) -> Result<Self, MlError> {
        let [height, width] = sprite.indices.dims();
        let indices = sprite
            .indices
            .try_into_vec_as::<i64>()
            .map_err(crate::tensors::backend)?
            .into_iter()
            .map(|i| u8::try_from(i).map_err(|_| MlError::Backend(format!("palette index {i}"))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            width: width as u32,
            height: height as u32,
            indices,
            palette: sprite.palette.iter().map(|c| c.0).collect(),
            outline: sprite.outline.0,
            content_height: sprite.content_height as u32,
            mirrored: sprite.mirrored,
        })
    }

    /// Refuses stored data that is not a sprite this crate could have made.
    fn check(&self) -> Result<(), MlError> {
        let bad = |what: &str| MlError::InvalidOptions(format!("stored sprite: {what}"));
        let (w, h) = (self.width, self.height);
        if !(1..=MAX_STORED_SIDE).contains(&w) || !(1..=MAX_STORED_SIDE).contains(&h) {
            return Err(bad("canvas size out of range"));
        }
        if self.indices.len() != (w * h) as usize {
            return Err(bad("pixel count does not match the canvas"));
        }
        if self.palette.is_empty() || self.palette.len() > 64 {
            return Err(bad("palette size out of range"));
        }
        if self.content_height == 0 || self.content_height > h {
            return Err(bad("pet height out of range"));
        }
        let transparent = self.palette.len();
        if self.indices.iter().any(|&i| usize::from(i) > transparent) {
            return Err(bad("index outside the palette"));
        }
        Ok(())
    }

    /// The pet's cells in colour, one pixel per cell and the background transparent, as the
    /// photo showed it (mirrored back if it was turned to face right): the grid the colour
    /// error is measured on. Margins, headroom and the ground row are left out.
    pub fn pet_cells(&self) -> Result<RgbaImage, MlError> {
        self.check()?;
        let (w, h) = (self.width as usize, self.height as usize);
        let ch = self.content_height as usize;
        if w <= 2 * SIDE_MARGIN || ch + 1 > h {
            return Err(MlError::InvalidOptions(
                "stored sprite: canvas smaller than its margins".into(),
            ));
        }
        let (cw, top) = (w - 2 * SIDE_MARGIN, h - 1 - ch);
        let mut cells = RgbaImage::new(cw as u32, ch as u32);
        for (x, y, cell) in cells.enumerate_pixels_mut() {
            let column = if self.mirrored {
                cw - 1 - x as usize
            } else {
                x as usize
            };
            let index = self.indices[(top + y as usize) * w + SIDE_MARGIN + column];
            // The transparent index is one past the palette, so `get` leaves it clear.
            if let Some(&colour) = self.palette.get(usize::from(index)) {
                *cell = Rgba(colour);
            }
        }
        Ok(cells)
    }

    /// Back onto `device`, checked: stored data is not trusted to be well formed.
    pub(crate) fn to_sprite(&self, device: &burn::tensor::Device) -> Result<PixelSprite, MlError> {
        self.check()?;
        let (w, h) = (self.width, self.height);
        Ok(PixelSprite {
            indices: from_i64(
                self.indices.iter().map(|&i| i64::from(i)).collect(),
                [h as usize, w as usize],
                device,
            ),
            palette: self.palette.iter().map(|&c| Rgba(c)).collect(),
            outline: Rgba(self.outline),
            content_height: self.content_height as usize,
            mirrored: self.mirrored,
        })
    }
}

/// Rows kept free above the pet for the tallest stretch or hop, plus the outline.
pub(crate) fn headroom(sprite_size: usize) -> usize {
    (sprite_size / 16).max(3) + 1
}

/// Turns the working photo and its mask into an indexed sprite facing right.
///
/// # Shapes
/// - `rgba`: `[4, H, W]` in [0, 1], the working photo
pub(crate) fn pixelize(
    rgba: Tensor<3>,
    mask: &Mask,
    opts: &SpriteOptions,
) -> Result<PixelSprite, MlError> {
    let device = rgba.device();
    let [_, h, w] = rgba.dims();
    let [x0, y0, x1, y1] = mask.bbox.map(|v| v as usize);
    let (bw, bh) = (x1 - x0, y1 - y0);

    let size = opts.sprite_size as usize;
    let headroom = headroom(size);
    // Grid size: the pet fills the frame height under the headroom, its width follows the
    // aspect ratio but the frame is at most twice as wide as it is tall.
    let mut ch = size - headroom - 1;
    let mut cw = ((ch * bw) as f32 / bh as f32).round().max(2.0) as usize;
    let max_cw = 2 * size - 2 * SIDE_MARGIN;
    if cw > max_cw {
        cw = max_cw;
        ch = ((cw * bh) as f32 / bw as f32).round().max(2.0) as usize;
    }

    let mask_values = mask
        .image
        .as_raw()
        .iter()
        .map(|&v| f32::from(v) / 255.0)
        .collect();
    let mask_t = from_f32(mask_values, [1, h, w], &device);
    let crop = rgba.slice(s![.., y0..y1, x0..x1]); // [4, bh, bw]
    let alpha = crop.clone().slice(s![3..4, .., ..]) * mask_t.slice(s![.., y0..y1, x0..x1]); // [1, bh, bw]
    // Pool premultiplied colour so background pixels do not bleed into the pet's edge. The
    // photo's own edge pixels are already a blend of pet and background (a green halo on a
    // dog on grass), so colour comes from the mask shrunk by a pixel wherever that has any.
    let inner = erode(alpha.clone().reshape([bh, bw]), 3).reshape([1, bh, bw]);
    // Texture flattened into areas before sampling, in squares a fraction of a cell wide.
    let cell = bh as f32 / ch as f32;
    let half = ((cell * SMOOTHING_SHARE).round() as usize).clamp(1, MAX_SMOOTHING);
    let rgb = kuwahara(crop.slice(s![0..3, .., ..]), alpha.clone(), half); // [3, bh, bw]
    let stacked = Tensor::cat(
        vec![
            rgb.clone() * alpha.clone(),
            alpha,
            rgb * inner.clone(),
            inner,
        ],
        0,
    )
    .reshape([1, 8, bh, bw]);
    let pooled = adaptive_avg_pool2d(stacked, [ch, cw]).reshape([8, ch, cw]);
    let coverage = pooled.clone().slice(s![3..4, .., ..]); // [1, ch, cw]
    let inner_coverage = pooled.clone().slice(s![7..8, .., ..]); // [1, ch, cw]
    let edge_colour = pooled.clone().slice(s![0..3, .., ..]) / coverage.clone().clamp_min(1.0e-6);
    let inner_colour = pooled.slice(s![4..7, .., ..]) / inner_coverage.clone().clamp_min(1.0e-6);
    let colour = edge_colour.mask_where(
        inner_coverage.greater_elem(0.05).expand([3, ch, cw]),
        inner_colour,
    ); // [3, ch, cw]
    let pet = pet_cells(&read_f32(coverage)?, cw);
    let opaque = Tensor::<2, Bool>::from_data(TensorData::new(pet, [ch, cw]), &device); // [ch, cw]

    let mirrored = faces_left(opaque.clone().float())?;
    let (colour, opaque) = if mirrored {
        (colour.flip([2]), opaque.flip([1]))
    } else {
        (colour, opaque)
    };
    let colour = boost(colour);

    let n = ch * cw;
    let pixels = colour.reshape([3, n]).transpose(); // [n, 3]
    let weights = opaque.clone().float().reshape([n]); // [n]
    let Quantized {
        palette,
        indices,
        outline,
    } = quantize(pixels.clone(), weights, [ch, cw], opts.style, opts.dither)?;
    let transparent = palette.len() as i64;
    let indices = indices
        .reshape([ch, cw])
        .mask_fill(opaque.bool_not(), transparent); // [ch, cw]
    let mut grid = indices
        .try_into_vec_as::<i64>()
        .map_err(crate::tensors::backend)?;
    drop_specks(&mut grid, cw, transparent);
    // Dithering's checkers are deliberate, and its colours are spread by design; otherwise
    // lone pixels are photo noise, and the colours are fitted again to the cells left.
    let (palette, outline) = if opts.dither {
        (palette, outline)
    } else {
        merge_lone_pixels(&mut grid, cw, &palette, transparent);
        refit(opts.style, palette, outline, &mut grid, pixels)?
    };
    let transparent = palette.len() as i64;
    let indices = from_i64(grid, [ch, cw], &device);

    let frame_w = cw + 2 * SIDE_MARGIN;
    let top = size - 1 - ch;
    let canvas = Tensor::<2, Int>::full([size, frame_w], transparent, &device)
        .slice_assign(s![top..size - 1, SIDE_MARGIN..SIDE_MARGIN + cw], indices);

    Ok(PixelSprite {
        indices: canvas,
        palette,
        outline,
        content_height: ch,
        mirrored,
    })
}

/// Whether the pet looks left: the upper part of a side-on animal (its head) sits on the side
/// it faces. Frontal faces are balanced and stay as photographed.
///
/// # Shapes
/// - `opaque`: `[ch, cw]`, 1.0 = pet
fn faces_left(opaque: Tensor<2>) -> Result<bool, MlError> {
    let device = opaque.device();
    let [ch, cw] = opaque.dims();
    let xs = Tensor::<1, Int>::arange(0..cw as i64, &device)
        .float()
        .reshape([1, cw]);
    let upper = opaque.clone().slice(s![0..(ch * 2 / 5).max(1), ..]);
    let moments = Tensor::cat(
        vec![
            (upper.clone() * xs.clone()).sum().reshape([1]),
            upper.sum().reshape([1]),
            (opaque.clone() * xs).sum().reshape([1]),
            opaque.sum().reshape([1]),
        ],
        0,
    );
    let m = read_f32(moments)?;
    let (upper_x, all_x) = (m[0] / m[1].max(1.0), m[2] / m[3].max(1.0));
    Ok(upper_x < all_x - 0.03 * cw as f32)
}

/// Lifts saturation and contrast a little, as pixel artists do after downscaling.
///
/// # Shapes
/// - `rgb`: `[3, h, w]` in [0, 1], output the same
fn boost(rgb: Tensor<3>) -> Tensor<3> {
    let device = rgb.device();
    let luma = (rgb.clone() * from_f32(vec![0.299, 0.587, 0.114], [3, 1, 1], &device)).sum_dim(0); // [1, h, w]
    let saturated = luma.clone() + (rgb - luma) * SATURATION;
    ((saturated - 0.5) * CONTRAST + 0.5).clamp(0.0, 1.0)
}
