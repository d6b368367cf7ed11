//! Cleaning a raw foreground labelling into one solid pet: tensor morphology (max-pool
//! dilation/erosion), then small CPU passes for connected components and hole filling, and
//! the plausibility guard on the mask's area.

use std::collections::VecDeque;

use burn::tensor::Tensor;
use burn::tensor::module::{avg_pool2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, MaxPoolOptions, PadMode};
use image::{GrayImage, RgbaImage};

use crate::MlError;
use crate::cpu::{self, Along, Offload};
use crate::tensors::{mask_to_gray, read_f32};

/// A mask smaller than this share of the photo is a speck, not a pet.
pub(crate) const MIN_AREA: f32 = 0.03;
/// A mask larger than this share means the background was not told apart.
pub(crate) const MAX_AREA: f32 = 0.97;
/// The least alpha (of 255) that counts as pet when boxing a soft mask: fainter pixels are
/// the matte's fringe.
pub(crate) const VISIBLE_ALPHA: u8 = 8;

/// The pet's mask at working resolution.
#[derive(Debug, Clone)]
pub(crate) struct Mask {
    /// 255 = pet.
    pub image: GrayImage,
    /// Tight bounding box of the pet: `x0, y0, x1, y1`, end-exclusive.
    pub bbox: [u32; 4],
}

impl Mask {
    /// The working photo with the background made transparent, cropped to the pet.
    pub fn cutout(&self, working: &RgbaImage) -> RgbaImage {
        let [x0, y0, x1, y1] = self.bbox;
        let mut out = image::imageops::crop_imm(working, x0, y0, x1 - x0, y1 - y0).to_image();
        for (x, y, px) in out.enumerate_pixels_mut() {
            let keep = self.image.get_pixel(x + x0, y + y0).0[0];
            px.0[3] = px.0[3].min(keep);
        }
        out
    }
}

/// Dilation with a `k`×`k` square; outside the image counts as a copy of the edge, so a pet
/// running off the frame is neither grown nor eaten there.
///
/// # Shapes
/// - `m`: `[H, W]`, output: `[H, W]`
pub(crate) fn dilate(m: Tensor<2>, k: usize) -> Tensor<2> {
    let m = match cpu::max_square(m, k) {
        Offload::Done(dilated) => return dilated,
        Offload::Declined(m) => m,
    };
    let [h, w] = m.dims();
    let r = k / 2;
    // A square is a row segment then a column segment: 2k work per pixel, not k².
    let rows = m.reshape([1, 1, h, w]).pad([(0, 0), (r, r)], PadMode::Edge);
    let rows = max_pool2d(rows, MaxPoolOptions::new([1, k]).with_stride([1, 1]));
    let cols = rows.pad([(r, r), (0, 0)], PadMode::Edge);
    max_pool2d(cols, MaxPoolOptions::new([k, 1]).with_stride([1, 1])).reshape([h, w])
}

/// Erosion with a `k`×`k` square (dilation of the complement).
///
/// # Shapes
/// - `m`: `[H, W]`, output: `[H, W]`
pub(crate) fn erode(m: Tensor<2>, k: usize) -> Tensor<2> {
    dilate(m.neg(), k).neg()
}

/// Mean over a `k`×`k` box, edges replicated.
///
/// # Shapes
/// - `m`: `[H, W]`, output: `[H, W]`
pub(crate) fn box_blur(m: Tensor<2>, k: usize) -> Tensor<2> {
    let [h, w] = m.dims();
    box_blur_channels(m.reshape([1, h, w]), k).reshape([h, w])
}

/// [`box_blur`] of each channel, as a row pass and a column pass.
///
/// # Shapes
/// - `m`: `[C, H, W]`, output: `[C, H, W]`
pub(crate) fn box_blur_channels(m: Tensor<3>, k: usize) -> Tensor<3> {
    box_along(box_along(m, 2, k), 1, k)
}

/// Windows wider than this take the running-sum path: its cost does not grow with the window,
/// while pooling's does (the matte's colour windows are 19 to 39 pixels wide).
const RUNNING_SUM_FROM: usize = 9;

/// Mean over `k` neighbours along `dim` (1 = rows, 2 = columns), edges replicated.
///
/// # Shapes
/// - `m`: `[C, H, W]`, output: `[C, H, W]`
fn box_along(m: Tensor<3>, dim: usize, k: usize) -> Tensor<3> {
    let along = if dim == 2 {
        Along::Rows
    } else {
        Along::Columns
    };
    let m = match cpu::box_mean(m, along, k) {
        Offload::Done(mean) => return mean,
        Offload::Declined(m) => m,
    };
    let [c, h, w] = m.dims();
    let r = k / 2;
    let pads = if dim == 2 {
        [(0, 0), (r, r)]
    } else {
        [(r, r), (0, 0)]
    };
    let padded = m.pad(pads, PadMode::Edge);
    if k < RUNNING_SUM_FROM {
        let window = if dim == 2 { [1, k] } else { [k, 1] };
        let [_, ph, pw] = padded.dims();
        let pooled = avg_pool2d(
            padded.reshape([1, c, ph, pw]),
            AvgPoolOptions::new(window).with_stride([1, 1]),
        );
        return pooled.reshape([c, h, w]);
    }
    // Sums over a window are differences of a running sum, with a zero in front.
    let n = [c, h, w][dim];
    let mut zero_shape = padded.dims();
    zero_shape[dim] = 1;
    let zero = Tensor::zeros(zero_shape, &padded.device());
    let running = Tensor::cat(vec![zero, padded], dim).cumsum(dim);
    (running.clone().narrow(dim, k, n) - running.narrow(dim, 0, n)).div_scalar(k as f32)
}

/// Opens (drops specks and thin bridges to background clutter), closes (seals fur gaps),
/// keeps the component that covers the centre best, fills its holes and checks its area.
/// The result is row-major, one flag per pixel.
///
/// # Shapes
/// - `fg`: `[H, W]`, 1.0 = pet
pub(crate) fn solid(fg: Tensor<2>) -> Result<Vec<bool>, MlError> {
    let [h, w] = fg.dims();
    let opened = dilate(erode(fg, 3), 3);
    let closed = erode(dilate(opened, 5), 5);
    let bits: Vec<bool> = read_f32(closed)?.into_iter().map(|v| v > 0.5).collect();

    let mut bits = central_component(&bits, w, h);
    fill_holes(&mut bits, w, h);

    let area = bits.iter().filter(|&&b| b).count() as f32 / (w * h) as f32;
    if area < MIN_AREA {
        return Err(MlError::NoSubjectFound(format!(
            "only {:.0}% of the photo looks like a pet; try a photo where the whole pet is in \
             the picture, against a plainer background",
            area * 100.0
        )));
    }
    if area > MAX_AREA {
        return Err(MlError::NoSubjectFound(
            "the pet could not be told apart from the background; try a photo with some plain \
             background around the pet"
                .into(),
        ));
    }
    Ok(bits)
}

impl Mask {
    /// A hard mask from [`solid`]'s flags.
    pub fn from_bits(bits: &[bool], w: usize, h: usize) -> Result<Self, MlError> {
        Ok(Self {
            image: mask_to_gray(bits, w, h)?,
            bbox: bounding_box(bits, w, h),
        })
    }

    /// A soft mask; its box holds every pixel that is at least faintly pet.
    ///
    /// # Shapes
    /// - `alpha`: `[H, W]` in [0, 1]
    pub fn from_alpha(alpha: Tensor<2>) -> Result<Self, MlError> {
        let [h, w] = alpha.dims();
        let bytes: Vec<u8> = read_f32(alpha)?
            .into_iter()
            .map(|a| (a * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect();
        let visible: Vec<bool> = bytes.iter().map(|&a| a >= VISIBLE_ALPHA).collect();
        let image = GrayImage::from_raw(w as u32, h as u32, bytes)
            .ok_or_else(|| MlError::Backend("mask buffer has the wrong length".into()))?;
        Ok(Self {
            image,
            bbox: bounding_box(&visible, w, h),
        })
    }
}

/// The 4-connected component with the most pixels in the central ellipse (half the image's
/// size), falling back to the largest one when none reaches the centre.
fn central_component(bits: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut label = vec![0u32; bits.len()];
    let mut best = (0u32, (0usize, 0usize));
    let mut next = 0u32;
    let mut queue = VecDeque::new();
    for start in 0..bits.len() {
        if !bits[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        queue.push_back(start);
        let (mut central, mut size) = (0usize, 0usize);
        while let Some(i) = queue.pop_front() {
            let (x, y) = (i % w, i / w);
            size += 1;
            let dx = (x as f32 + 0.5) / w as f32 - 0.5;
            let dy = (y as f32 + 0.5) / h as f32 - 0.5;
            if dx * dx + dy * dy < 0.0625 {
                central += 1;
            }
            let mut visit = |j: usize| {
                if bits[j] && label[j] == 0 {
                    label[j] = next;
                    queue.push_back(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        if (central, size) > best.1 {
            best = (next, (central, size));
        }
    }
    label.iter().map(|&l| l != 0 && l == best.0).collect()
}

/// Background regions that do not reach the image edge and are small next to the pet are
/// holes in it (an eye, a collar highlight) and become pet. Bigger enclosed regions (the gap
/// between a dog's legs and its tail, the space between whiskers) are real background.
fn fill_holes(bits: &mut [bool], w: usize, h: usize) {
    let pet_area = bits.iter().filter(|&&b| b).count();
    let largest_hole = (pet_area / 100).max(4);
    let mut seen = vec![false; bits.len()];
    let mut queue = VecDeque::new();
    let mut region = Vec::new();
    for start in 0..bits.len() {
        if bits[start] || seen[start] {
            continue;
        }
        // Flood one background region, noting whether it touches the image edge.
        seen[start] = true;
        queue.push_back(start);
        region.clear();
        let mut open = false;
        while let Some(i) = queue.pop_front() {
            region.push(i);
            let (x, y) = (i % w, i / w);
            open |= x == 0 || y == 0 || x + 1 == w || y + 1 == h;
            for j in neighbours4(i, w, h) {
                if !bits[j] && !seen[j] {
                    seen[j] = true;
                    queue.push_back(j);
                }
            }
        }
        if !open && region.len() <= largest_hole {
            for &i in &region {
                bits[i] = true;
            }
        }
    }
}

/// The 4-neighbours of pixel `i` of a row-major `w`×`h` image, inside it.
pub(crate) fn neighbours4(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
        (y > 0).then(|| i - w),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// Tight box around the set pixels, end-exclusive; the whole image when none is set.
pub(crate) fn bounding_box(bits: &[bool], w: usize, h: usize) -> [u32; 4] {
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
        let (x, y) = (i % w, i / w);
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x + 1);
        y1 = y1.max(y + 1);
    }
    if x1 <= x0 || y1 <= y0 {
        return [0, 0, w as u32, h as u32];
    }
    [x0 as u32, y0 as u32, x1 as u32, y1 as u32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hole_inside_the_pet_is_filled_but_a_bay_open_to_the_edge_is_not() {
        #[rustfmt::skip]
        let mut bits = [
            0, 1, 1, 1, 0,
            0, 1, 0, 1, 0,
            0, 1, 1, 1, 0,
            0, 1, 0, 1, 0,
        ].map(|b| b == 1);
        fill_holes(&mut bits, 5, 4);
        assert!(bits[7], "the enclosed pixel is filled");
        assert!(
            !bits[17],
            "the pixel open to the bottom edge stays background"
        );
    }

    #[test]
    fn the_running_sum_box_matches_a_direct_mean_with_edges_replicated() {
        let (h, w, k) = (7usize, 23usize, 11usize);
        let values: Vec<f32> = (0..h * w).map(|i| ((i * 37) % 17) as f32 / 16.0).collect();
        let device = burn::tensor::Device::flex();
        let blurred = box_blur_channels(
            crate::tensors::from_f32(values.clone(), [1, h, w], &device),
            k,
        );
        let got = read_f32(blurred).expect("read");
        let at = |x: isize, y: isize| {
            let x = x.clamp(0, w as isize - 1) as usize;
            let y = y.clamp(0, h as isize - 1) as usize;
            values[y * w + x]
        };
        let r = (k / 2) as isize;
        for y in 0..h as isize {
            for x in 0..w as isize {
                let mut sum = 0.0;
                for dy in -r..=r {
                    for dx in -r..=r {
                        sum += at(x + dx, y + dy);
                    }
                }
                let want = sum / (k * k) as f32;
                let have = got[y as usize * w + x as usize];
                assert!((want - have).abs() < 1e-4, "({x}, {y}): {have} vs {want}");
            }
        }
    }

    #[test]
    fn a_large_enclosed_region_stays_background() {
        // A 40×40 frame of pet around a 20×20 window of background, with a speck hole in
        // the frame itself.
        let (w, h) = (40, 40);
        let mut bits: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                !((10..30).contains(&x) && (10..30).contains(&y))
            })
            .collect();
        bits[5 * w + 5] = false;
        fill_holes(&mut bits, w, h);
        assert!(bits[5 * w + 5], "the speck is filled");
        assert!(!bits[20 * w + 20], "the window between the legs stays open");
    }

    #[test]
    fn the_component_over_the_centre_wins_over_a_bigger_one_at_the_edge() {
        let (w, h) = (20, 20);
        let mut bits = vec![false; w * h];
        for y in 0..h {
            for x in 0..3 {
                bits[y * w + x] = true; // a 60-pixel strip on the left edge
            }
        }
        for y in 8..12 {
            for x in 8..12 {
                bits[y * w + x] = true; // a 16-pixel blob in the middle
            }
        }
        let kept = central_component(&bits, w, h);
        assert!(kept[10 * w + 10]);
        assert!(!kept[0]);
    }
}
