//! PetPixel's image pipeline: cut the pet out of a photo, turn it into a pixel-art sprite and
//! animate it into a sprite sheet, with the heavy lifting done as Burn tensor operations.
//!
//! ```no_run
//! let pipeline = ml::Pipeline::cpu().expect("the segmentation net loads");
//! let photo = image::open("cat.jpg").expect("a photo");
//! let out = pipeline.run(&photo, &ml::SpriteOptions::default()).expect("a sprite");
//! out.sheet.image.save("sheet.png").expect("written");
//! ```

mod animate;
mod art_stats;
mod cleanup;
mod colour_error;
mod colour_model;
mod compute;
mod cpu;
mod decode;
mod kmeans;
mod mask;
mod matte;
mod outline;
mod pixelize;
mod quantize;
mod ramps;
mod resample;
mod rig;
mod segment;
mod sheet;
mod silhouette;
mod smooth;
mod style;
mod support;
mod tensors;
mod u2net;

use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use image::{DynamicImage, GrayImage, Rgba, RgbaImage};

pub use art_stats::{Motion, Shape, Texture, motion, shape, texture};
pub use colour_error::{ColourError, colour_error};
pub use compute::{Compute, UnknownCompute};
#[doc(hidden)]
pub use cpu::bench as kernel_bench;
pub use decode::{MAX_PHOTO_SIDE, decode_photo};
pub use pixelize::Pixelized;
pub use rig::Gait;
pub use sheet::{Animation, PREVIEW_SCALE, PREVIEW_SEQUENCE, SpriteSheet};
pub use style::{Style, StyleInfo, info as style_info, palette};
pub use u2net::{CutoutNet, UnknownCutoutNet, WeightReport};

/// Intersection over union of two masks thresholded at half, `ours` resized (bilinear) to
/// `reference`'s size first: how the benchmark and the tests compare masks with rembg's.
pub fn mask_iou(ours: &GrayImage, reference: &GrayImage) -> f64 {
    let ours = image::imageops::resize(
        ours,
        reference.width(),
        reference.height(),
        image::imageops::FilterType::Triangle,
    );
    let (mut both, mut either) = (0u64, 0u64);
    for (a, b) in ours.pixels().zip(reference.pixels()) {
        let (a, b) = (a.0[0] >= 128, b.0[0] >= 128);
        both += u64::from(a && b);
        either += u64::from(a || b);
    }
    both as f64 / either.max(1) as f64
}

/// Sprite sizes the game's tile grid supports.
pub const SPRITE_SIZES: [u32; 3] = [32, 48, 64];

/// How big the sprite should be and how it should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpriteOptions {
    /// Height of one frame in pixels: 32, 48 or 64.
    pub sprite_size: u32,
    /// The palette the sprite is drawn in.
    pub style: Style,
    /// Ordered (4×4 Bayer) dithering between neighbouring palette colours; it shows most with
    /// small fixed palettes such as `game-boy`.
    pub dither: bool,
    /// How the pet walks and runs; `None` chooses from its silhouette (legs found: walk).
    pub gait: Option<Gait>,
}

impl Default for SpriteOptions {
    fn default() -> Self {
        Self {
            sprite_size: 48,
            style: Style::Classic16,
            dither: false,
            gait: None,
        }
    }
}

impl SpriteOptions {
    /// Checks the options before any work is done; [`Pipeline::run`] calls this too.
    pub fn validate(&self) -> Result<(), MlError> {
        if !SPRITE_SIZES.contains(&self.sprite_size) {
            return Err(MlError::InvalidOptions(format!(
                "sprite size must be 32, 48 or 64 px, not {}",
                self.sprite_size
            )));
        }
        Ok(())
    }
}

/// Why a photo could not be turned into a sprite. The messages are plain words a pet owner
/// can act on; they never contain internal details except for `Backend` and `Encode`.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// The photo (or its short side once scaled to the working size) is too small to work with.
    #[error(
        "the photo is too small ({width}×{height} px): it needs at least {min} px on each side, \
         and no more than {max_ratio}:1 between its long and short side"
    )]
    ImageTooSmall {
        width: u32,
        height: u32,
        min: u32,
        max_ratio: u32,
    },
    /// The bytes are not a photo we can read (unknown format, corrupt, or over the size limit).
    #[error("the file could not be read as a photo: {0}")]
    UnreadableImage(String),
    /// Segmentation found nothing that looks like a subject standing out from a background.
    #[error("no pet found in the photo: {0}")]
    NoSubjectFound(String),
    /// The caller asked for something the pipeline does not make.
    #[error("unsupported sprite options: {0}")]
    InvalidOptions(String),
    /// The tensor backend failed; this is a bug or a broken device, not a bad photo.
    #[error("image backend failed: {0}")]
    Backend(String),
    /// A sprite grid and a cut-out that [`colour_error`] cannot compare: an empty grid, a
    /// transparent cut-out, or no opaque cell over the pet.
    #[error("the grid cannot be scored against the cut-out: {0}")]
    NotComparable(String),
    /// Writing an output image (the preview GIF) failed; a bug, not a bad photo.
    #[error("the sprite could not be encoded: {0}")]
    Encode(String),
}

/// How the pet was told apart from the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentMethod {
    /// U²-Net-p, refined with a guided-filter matte.
    Neural,
    /// The photo came with transparency, which is kept as it is.
    PhotoAlpha,
    /// The net's mask was implausible (a tight crop of a face, say) and the colour-model
    /// fallback found the pet instead; worth offering the owner a crop step.
    ColourModel,
}

/// Everything one photo turns into.
#[derive(Debug, Clone)]
pub struct SpriteOutput {
    /// The foreground mask at working resolution (255 = pet, 0 = background, soft edges).
    pub mask: GrayImage,
    /// How the mask was found.
    pub method: SegmentMethod,
    /// The photo at working resolution, background transparent, cropped to the pet.
    pub cutout: RgbaImage,
    /// The single pixel-art sprite (idle frame 0), outline included.
    pub sprite: RgbaImage,
    /// All animation frames in one row, with their frame table.
    pub sheet: SpriteSheet,
    /// The sprite's palette (opaque colours, darkest first); every opaque pixel of every frame
    /// is one of these or `outline`.
    pub palette: Vec<Rgba<u8>>,
    /// The outline colour of the pet's darkest parts; elsewhere the outline is a darker shade
    /// of the fill it borders, from `palette` (a selective outline).
    pub outline: Rgba<u8>,
}

/// The pet cut out of its photo.
#[derive(Debug, Clone)]
pub struct Cutout {
    /// The photo at working resolution cropped to the pet, background transparent, edge
    /// colours cleaned of the old background.
    pub image: RgbaImage,
    /// The mask over the whole working-resolution photo (255 = pet, soft edges).
    pub mask: GrayImage,
    /// How the mask was found.
    pub method: SegmentMethod,
}

/// A cut-out drawn as pixel art and animated.
#[derive(Debug, Clone)]
pub struct PixelArt {
    /// The single sprite (idle frame 0), outline included.
    pub sprite: RgbaImage,
    /// All animation frames in one row, with their frame table.
    pub sheet: SpriteSheet,
    /// The sprite's palette (opaque colours, darkest first).
    pub palette: Vec<Rgba<u8>>,
    /// The outline colour of the pet's darkest parts (see [`SpriteOutput::outline`]).
    pub outline: Rgba<u8>,
}

/// Wall-clock time of each pipeline stage, for benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimings {
    /// Shrinking the photo to working resolution (area-average) and into a tensor.
    pub shrink: Duration,
    /// Segmentation and mask clean-up.
    pub segment: Duration,
    /// The part of `segment` spent in the net: resizing to its input, the forward pass and
    /// resizing its output back.
    pub net: Duration,
    /// Cropping, pooling onto the sprite grid, palette and mapping.
    pub pixelize: Duration,
    /// Building the animation frames, outlines and the sheet image.
    pub animate: Duration,
}

/// The image pipeline bound to one Burn device, with the segmentation net loaded. Create it
/// once and share it: it is cheap to clone and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Pipeline {
    device: Device,
    net: Arc<u2net::U2Net>,
    /// The matte's planes, kept from one removal to the next (see `cpu::arena`).
    matte_buffers: Arc<cpu::BufferPool>,
}

impl Pipeline {
    /// A pipeline on the pure-Rust CPU backend (Flex), which needs no GPU or drivers.
    pub fn cpu() -> Result<Self, MlError> {
        Self::with_device(Device::flex())
    }

    /// A pipeline on the device `compute` names; GPU choices need their cargo feature.
    pub fn on(compute: Compute) -> Result<Self, MlError> {
        Self::with_device(compute.device()?)
    }

    /// A pipeline on any Burn device, e.g. `Device::wgpu(..)` with the `wgpu` feature.
    pub fn with_device(device: Device) -> Result<Self, MlError> {
        Self::with_net(device, CutoutNet::default())
    }

    /// A pipeline on `device` that cuts out with `net`; the full U²-Net needs the
    /// `full-u2net` feature, and a build without it says so.
    pub fn with_net(device: Device, net: CutoutNet) -> Result<Self, MlError> {
        let (net, _) = u2net::U2Net::load(net, &device)?;
        Ok(Self {
            device,
            net: Arc::new(net),
            matte_buffers: Arc::default(),
        })
    }

    /// The net this pipeline cuts out with.
    pub fn cutout_net(&self) -> CutoutNet {
        self.net.net()
    }

    /// Loads the segmentation net's embedded weights into its architecture on `device` and
    /// reports how they landed (every tensor placed, none left over).
    pub fn check_weights(device: &Device) -> Result<WeightReport, MlError> {
        Self::check_net_weights(device, CutoutNet::default())
    }

    /// [`Pipeline::check_weights`] for `net`.
    pub fn check_net_weights(device: &Device, net: CutoutNet) -> Result<WeightReport, MlError> {
        u2net::U2Net::load(net, device).map(|(_, report)| report)
    }

    /// Turns a photo of a pet into a mask, a cutout, a sprite and an animated sprite sheet.
    pub fn run(&self, photo: &DynamicImage, opts: &SpriteOptions) -> Result<SpriteOutput, MlError> {
        self.run_timed(photo, opts).map(|(output, _)| output)
    }

    /// Like [`Pipeline::run`], also reporting how long each stage took.
    pub fn run_timed(
        &self,
        photo: &DynamicImage,
        opts: &SpriteOptions,
    ) -> Result<(SpriteOutput, StageTimings), MlError> {
        opts.validate()?;
        let (cutout, [shrink, segment, net]) = self.remove_background_timed(photo)?;
        let (art, pixelize, animate) = self.pixel_art_timed(&cutout.image, opts)?;
        let timings = StageTimings {
            shrink,
            segment,
            net,
            pixelize,
            animate,
        };
        let output = SpriteOutput {
            mask: cutout.mask,
            method: cutout.method,
            cutout: cutout.image,
            sprite: art.sprite,
            sheet: art.sheet,
            palette: art.palette,
            outline: art.outline,
        };
        Ok((output, timings))
    }

    /// Cuts the pet out of a photo. The result is what [`Pipeline::pixel_art`] takes, so a
    /// caller can store it and try styles without segmenting again.
    pub fn remove_background(&self, photo: &DynamicImage) -> Result<Cutout, MlError> {
        self.remove_background_timed(photo)
            .map(|(cutout, _)| cutout)
    }

    /// Draws a cut-out (transparent background, as [`Pipeline::remove_background`] makes, or
    /// any sticker-style PNG) as a pixel-art sprite and animates it.
    pub fn pixel_art(&self, cutout: &RgbaImage, opts: &SpriteOptions) -> Result<PixelArt, MlError> {
        opts.validate()?;
        self.pixel_art_timed(cutout, opts).map(|(art, _, _)| art)
    }

    /// Draws a cut-out on the sprite grid in a palette, without animating it: the first half of
    /// [`Pipeline::pixel_art`], for callers that store the result between the two halves.
    pub fn pixelize(&self, cutout: &RgbaImage, opts: &SpriteOptions) -> Result<Pixelized, MlError> {
        opts.validate()?;
        let (rgba, mask) = tensors::cutout_to_tensor(cutout, &self.device)?;
        Pixelized::from_sprite(pixelize::pixelize(rgba, &mask, opts)?)
    }

    /// The resting sprite with its outline, as a picture.
    pub fn still(&self, pixels: &Pixelized) -> Result<RgbaImage, MlError> {
        animate::still(&pixels.to_sprite(&self.device)?)
    }

    /// Animates a pixelized sprite: the second half of [`Pipeline::pixel_art`]. `gait`
    /// overrides the one its silhouette suggests.
    pub fn animate(&self, pixels: &Pixelized, gait: Option<Gait>) -> Result<PixelArt, MlError> {
        self.art(&pixels.to_sprite(&self.device)?, gait)
    }

    fn art(&self, pixels: &pixelize::PixelSprite, gait: Option<Gait>) -> Result<PixelArt, MlError> {
        let sheet = animate::sprite_sheet(pixels, gait)?;
        let sprite = sheet.frame(0);
        Ok(PixelArt {
            sprite,
            sheet,
            palette: pixels.palette.clone(),
            outline: pixels.outline,
        })
    }

    fn remove_background_timed(
        &self,
        photo: &DynamicImage,
    ) -> Result<(Cutout, [Duration; 3]), MlError> {
        let started = Instant::now();
        let working = tensors::working_image(photo)?;
        let rgba = tensors::rgba_to_tensor(&working, &self.device);
        let shrunk = Instant::now();
        let found = segment::segment(&self.net, &self.matte_buffers, &working, rgba)?;
        let colours = tensors::tensor_to_rgba(found.rgba.permute([1, 2, 0]).mul_scalar(255.0))?;
        let cutout = Cutout {
            image: found.mask.cutout(&colours),
            mask: found.mask.image,
            method: found.method,
        };
        Ok((cutout, [shrunk - started, shrunk.elapsed(), found.net_time]))
    }

    fn pixel_art_timed(
        &self,
        cutout: &RgbaImage,
        opts: &SpriteOptions,
    ) -> Result<(PixelArt, Duration, Duration), MlError> {
        let started = Instant::now();
        let (rgba, mask) = tensors::cutout_to_tensor(cutout, &self.device)?;
        let pixels = pixelize::pixelize(rgba, &mask, opts)?;
        let pixelized = Instant::now();
        let art = self.art(&pixels, opts.gait)?;
        Ok((art, pixelized - started, pixelized.elapsed()))
    }
}
