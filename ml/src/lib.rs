//! PetPixel's image pipeline: cut the pet out of a photo, turn it into a pixel-art sprite and
//! animate it into a sprite sheet, with the heavy lifting done as Burn tensor operations.
//!
//! ```no_run
//! let pipeline = ml::Pipeline::cpu();
//! let photo = image::open("cat.jpg").expect("a photo");
//! let out = pipeline.run(&photo, &ml::SpriteOptions::default()).expect("a sprite");
//! out.sheet.image.save("sheet.png").expect("written");
//! ```

mod animate;
mod decode;
mod kmeans;
mod mask;
mod pixelize;
mod segment;
mod sheet;
mod tensors;

use std::time::{Duration, Instant};

use burn::tensor::Device;
use image::{DynamicImage, GrayImage, Rgba, RgbaImage};

pub use decode::{MAX_PHOTO_SIDE, decode_photo};
pub use sheet::{Animation, SpriteSheet};

/// Sprite sizes the game's tile grid supports.
pub const SPRITE_SIZES: [u32; 3] = [32, 48, 64];

/// How big and how colourful the sprite should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpriteOptions {
    /// Height of one frame in pixels: 32, 48 or 64.
    pub sprite_size: u32,
    /// Most colours in the sprite's palette (2 to 32), not counting the outline.
    pub palette_size: usize,
}

impl Default for SpriteOptions {
    fn default() -> Self {
        Self {
            sprite_size: 48,
            palette_size: 12,
        }
    }
}

impl SpriteOptions {
    fn validate(&self) -> Result<(), MlError> {
        if !SPRITE_SIZES.contains(&self.sprite_size) {
            return Err(MlError::InvalidOptions(format!(
                "sprite size must be 32, 48 or 64 px, not {}",
                self.sprite_size
            )));
        }
        if !(2..=32).contains(&self.palette_size) {
            return Err(MlError::InvalidOptions(format!(
                "palette size must be between 2 and 32 colours, not {}",
                self.palette_size
            )));
        }
        Ok(())
    }
}

/// Why a photo could not be turned into a sprite. The messages are plain words a pet owner
/// can act on; they never contain internal details except for `Backend`.
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
}

/// Everything one photo turns into.
#[derive(Debug, Clone)]
pub struct SpriteOutput {
    /// The foreground mask at working resolution (255 = pet, 0 = background).
    pub mask: GrayImage,
    /// The photo at working resolution, background transparent, cropped to the pet.
    pub cutout: RgbaImage,
    /// The single pixel-art sprite (idle frame 0), outline included.
    pub sprite: RgbaImage,
    /// All animation frames in one row, with their frame table.
    pub sheet: SpriteSheet,
    /// The sprite's palette (opaque colours, darkest first); every opaque pixel of every frame
    /// is one of these or `outline`.
    pub palette: Vec<Rgba<u8>>,
    /// The outline colour drawn around the sprite.
    pub outline: Rgba<u8>,
}

/// Wall-clock time of each pipeline stage, for benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimings {
    /// Shrinking to working resolution, segmentation and mask clean-up.
    pub segment: Duration,
    /// Cropping, pooling onto the sprite grid, palette and mapping.
    pub pixelize: Duration,
    /// Building the animation frames, outlines and the sheet image.
    pub animate: Duration,
}

/// The image pipeline bound to one Burn device. Create it once and share it: it is cheap to
/// clone and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Pipeline {
    device: Device,
}

impl Pipeline {
    /// A pipeline on the pure-Rust CPU backend (Flex), which needs no GPU or drivers.
    pub fn cpu() -> Self {
        Self::with_device(Device::flex())
    }

    /// A pipeline on any Burn device, e.g. `Device::wgpu(..)` with the `wgpu` feature.
    pub fn with_device(device: Device) -> Self {
        Self { device }
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
        let started = Instant::now();
        let working = tensors::working_image(photo)?;
        let rgba = tensors::rgba_to_tensor(&working, &self.device);
        let mask = segment::foreground_mask(rgba.clone())?;
        let segmented = Instant::now();

        let pixels = pixelize::pixelize(rgba, &mask, opts)?;
        let pixelized = Instant::now();

        let sheet = animate::sprite_sheet(&pixels)?;
        let sprite =
            image::imageops::crop_imm(&sheet.image, 0, 0, sheet.frame_width, sheet.frame_height)
                .to_image();
        let animated = Instant::now();

        let timings = StageTimings {
            segment: segmented - started,
            pixelize: pixelized - segmented,
            animate: animated - pixelized,
        };
        let output = SpriteOutput {
            cutout: mask.cutout(&working),
            mask: mask.image,
            sprite,
            sheet,
            palette: pixels.palette.clone(),
            outline: pixels.outline,
        };
        Ok((output, timings))
    }
}
