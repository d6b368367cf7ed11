//! The image models behind one narrow interface: cut a pet out of a photo, draw a cut-out on
//! a sprite grid in a look, animate a sprite. Everything else in the server handles
//! bytes and records; this module alone knows `ml` (Burn), and only processes that run work
//! (`petpixel worker`, or `serve` with its in-process worker) load it.
//!
//! The calls are blocking (inference); [`Engine`] runs them on the blocking pool, at most
//! `ml_concurrency` at once, never on the async runtime.

use std::sync::Arc;

use domain::{CutoutMethod, Gait, Look};
use game_runtime::format::Animation;
use tokio::sync::Semaphore;

use crate::jobs::StageError;

/// A pet cut out of a photo.
pub struct CutOut {
    /// The pet on a transparent background, PNG.
    pub png: Vec<u8>,
    /// The mask over the whole photo, PNG.
    pub mask_png: Vec<u8>,
    pub method: CutoutMethod,
}

/// A cut-out drawn on a sprite grid, before animation.
pub struct Sprite {
    /// The indexed sprite, for [`ImageEngine::animate`]; opaque to everyone else.
    pub pixels: Vec<u8>,
    /// The resting sprite with its outline.
    pub png: Vec<u8>,
    /// `[r, g, b]`, outline last.
    pub palette: Vec<[u8; 3]>,
}

/// A sprite's animation frames.
pub struct Sheet {
    pub png: Vec<u8>,
    pub preview_gif: Vec<u8>,
    /// The frame table in Aseprite's sheet-JSON layout.
    pub frame_table: Vec<u8>,
    pub frame_width: u16,
    pub frame_height: u16,
    pub frame_count: u16,
    pub animations: Vec<Animation>,
}

/// The image models. Every method blocks: call them through [`Engine`].
pub trait ImageEngine: Send + Sync + 'static {
    /// Where the models run, e.g. `flex (cpu)`, for `/health`.
    fn backend(&self) -> String;
    fn cut_out(&self, photo_png: &[u8]) -> Result<CutOut, StageError>;
    fn pixelize(&self, cutout_png: &[u8], look: Look) -> Result<Sprite, StageError>;
    fn animate(&self, pixels: &[u8], gait: Option<Gait>) -> Result<Sheet, StageError>;
}

/// The models, shared by every stage and studio job of a process, with the permits that
/// bound the photos processed at once (each holds one blocking thread and a few hundred MB
/// at most).
#[derive(Clone)]
pub struct Engine {
    models: Arc<dyn ImageEngine>,
    permits: Arc<Semaphore>,
}

impl Engine {
    pub fn new(models: Arc<dyn ImageEngine>, concurrency: usize) -> Self {
        Self {
            models,
            permits: Arc::new(Semaphore::new(concurrency)),
        }
    }

    pub fn backend(&self) -> String {
        self.models.backend()
    }

    pub async fn cut_out(&self, photo_png: bytes::Bytes) -> Result<CutOut, StageError> {
        self.blocking(move |m| m.cut_out(&photo_png)).await
    }

    pub async fn pixelize(
        &self,
        cutout_png: bytes::Bytes,
        look: Look,
    ) -> Result<Sprite, StageError> {
        self.blocking(move |m| m.pixelize(&cutout_png, look)).await
    }

    pub async fn animate(
        &self,
        pixels: bytes::Bytes,
        gait: Option<Gait>,
    ) -> Result<Sheet, StageError> {
        self.blocking(move |m| m.animate(&pixels, gait)).await
    }

    /// Runs model work on the blocking pool once a permit is free. The permit moves into the
    /// work: a caller that stops waiting (a stage timeout) cannot start more image work than
    /// `ml_concurrency` allows while the abandoned run finishes.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn ImageEngine) -> Result<T, StageError> + Send + 'static,
    ) -> Result<T, StageError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| StageError::internal("image permits", e))?;
        let models = Arc::clone(&self.models);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&*models)
        })
        .await
        .map_err(|e| StageError::internal("image task", e))?
    }
}

/// The models in Burn (`ml`), on the configured device.
#[cfg(feature = "ml")]
pub mod burn {
    use std::io::Cursor;

    use domain::{CutoutMethod, Look};
    use game_runtime::format::Animation;
    use image::{ImageFormat, RgbaImage};

    use super::{CutOut, ImageEngine, Sheet, Sprite};
    use crate::config::{MlCompute, MlCutoutNet};
    use crate::jobs::StageError;

    pub struct BurnEngine {
        pipeline: ml::Pipeline,
        compute: MlCompute,
    }

    impl BurnEngine {
        /// Loads the models on `compute`, cutting out with `net`: a plain error when this
        /// build lacks that backend or net.
        pub fn load(compute: MlCompute, net: MlCutoutNet) -> Result<Self, ml::MlError> {
            let device = match compute {
                MlCompute::Cpu => ml::Compute::Cpu,
                MlCompute::Wgpu => ml::Compute::Wgpu,
                MlCompute::Cuda => ml::Compute::Cuda,
            };
            let net = match net {
                MlCutoutNet::U2netp => ml::CutoutNet::U2NetP,
                MlCutoutNet::U2net => ml::CutoutNet::U2Net,
            };
            Ok(Self {
                pipeline: ml::Pipeline::with_net(device.device()?, net)?,
                compute,
            })
        }
    }

    impl ImageEngine for BurnEngine {
        fn backend(&self) -> String {
            match self.compute {
                MlCompute::Cpu => "flex (cpu)".to_owned(),
                MlCompute::Wgpu => "wgpu".to_owned(),
                MlCompute::Cuda => "cuda".to_owned(),
            }
        }

        fn cut_out(&self, photo_png: &[u8]) -> Result<CutOut, StageError> {
            let photo = image::load_from_memory_with_format(photo_png, ImageFormat::Png)
                .map_err(|e| StageError::internal("decode stored photo", e))?;
            let cutout = self
                .pipeline
                .remove_background(&photo)
                .map_err(rejected_or_internal)?;
            Ok(CutOut {
                png: png(&cutout.image)?,
                mask_png: png(&cutout.mask)?,
                method: match cutout.method {
                    ml::SegmentMethod::Neural => CutoutMethod::Neural,
                    ml::SegmentMethod::PhotoAlpha => CutoutMethod::PhotoAlpha,
                    ml::SegmentMethod::ColourModel => CutoutMethod::ColourModel,
                },
            })
        }

        fn pixelize(&self, cutout_png: &[u8], look: Look) -> Result<Sprite, StageError> {
            let cutout = decode_cutout(cutout_png)?;
            let pixels = self
                .pipeline
                .pixelize(&cutout, &options(look))
                .map_err(rejected_or_internal)?;
            let still = self.pipeline.still(&pixels).map_err(rejected_or_internal)?;
            let mut palette: Vec<[u8; 3]> = pixels
                .palette
                .iter()
                .map(|&[r, g, b, _]| [r, g, b])
                .collect();
            let [r, g, b, _] = pixels.outline;
            palette.push([r, g, b]);
            Ok(Sprite {
                pixels: serde_json::to_vec(&pixels)
                    .map_err(|e| StageError::internal("encode pixels", e))?,
                png: png(&still)?,
                palette,
            })
        }

        fn animate(&self, pixels: &[u8], gait: Option<domain::Gait>) -> Result<Sheet, StageError> {
            let pixels: ml::Pixelized = serde_json::from_slice(pixels)
                .map_err(|e| StageError::internal("stored pixels", e))?;
            let sheet = self
                .pipeline
                .animate(&pixels, gait)
                .map_err(rejected_or_internal)?
                .sheet;
            let animations = sheet
                .animations
                .iter()
                .map(|a| {
                    Ok(Animation {
                        name: a.name.clone(),
                        first: to_u16(a.first)?,
                        count: to_u16(a.count)?,
                        fps: u8::try_from(a.fps).unwrap_or(u8::MAX),
                    })
                })
                .collect::<Result<_, StageError>>()?;
            Ok(Sheet {
                preview_gif: sheet
                    .preview_gif()
                    .map_err(|e| StageError::internal("encode preview", e))?,
                frame_table: serde_json::to_vec_pretty(&sheet.frame_table_json())
                    .map_err(|e| StageError::internal("encode frame table", e))?,
                png: png(&sheet.image)?,
                frame_width: to_u16(sheet.frame_width)?,
                frame_height: to_u16(sheet.frame_height)?,
                frame_count: to_u16(sheet.frame_count())?,
                animations,
            })
        }
    }

    fn options(look: Look) -> ml::SpriteOptions {
        ml::SpriteOptions {
            sprite_size: look.size.get(),
            style: look.style,
            dither: look.dither,
            gait: look.gait,
        }
    }

    /// The photo's fault (told to the owner as is) or ours.
    fn rejected_or_internal(e: ml::MlError) -> StageError {
        match e {
            ml::MlError::NoSubjectFound(_) | ml::MlError::ImageTooSmall { .. } => {
                StageError::Rejected(e.to_string())
            }
            other => StageError::internal("image pipeline", other),
        }
    }

    fn to_u16(v: u32) -> Result<u16, StageError> {
        u16::try_from(v)
            .map_err(|_| StageError::Internal(format!("sprite dimension {v} out of range")))
    }

    fn decode_cutout(png: &[u8]) -> Result<RgbaImage, StageError> {
        image::load_from_memory_with_format(png, ImageFormat::Png)
            .map(|image| image.to_rgba8())
            .map_err(|e| StageError::internal("decode stored cut-out", e))
    }

    /// A picture as PNG bytes (RGBA sprites and cut-outs, grey masks).
    fn png<P>(img: &image::ImageBuffer<P, Vec<u8>>) -> Result<Vec<u8>, StageError>
    where
        P: image::Pixel<Subpixel = u8> + image::PixelWithColorType,
    {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png)
            .map_err(|e| StageError::internal("encode png", e))?;
        Ok(out.into_inner())
    }
}
