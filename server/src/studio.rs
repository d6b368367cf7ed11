//! The pixel-art studio: cuts pets out of stored photos and draws them in styles. Each result
//! is kept in blob storage next to the photo, so it is made once however often it is asked
//! for, and a game reuses the cut-out its owner already saw.
//!
//! Blob layout under `images/{id}/`: `cutout.png`, `mask.png`, `cutout.json` (written last:
//! its presence means the others are complete), and `art/{look}/` with `sprite.png`,
//! `sheet.png`, `sheet.json`, `preview.gif` and `art.json` (again last).

use std::sync::Arc;

use bytes::Bytes;
use image::{ImageFormat, RgbaImage};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use uuid::Uuid;

use app::dto::{CutoutMethod, Look};

use crate::blobs::{BlobError, Blobs};
use crate::pipeline::PipelineError;

/// The image pipeline's options for drawing `look`.
fn sprite_options(look: &Look) -> ml::SpriteOptions {
    ml::SpriteOptions {
        sprite_size: look.size.get(),
        style: look.style,
        dither: look.dither,
    }
}

/// What `cutout.json` records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoutMeta {
    pub method: CutoutMethod,
}

/// What `art.json` records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtMeta {
    /// `#rrggbb`, outline last.
    pub palette: Vec<String>,
}

/// A stored cut-out: its PNG bytes as stored, and how it was made.
pub struct StoredCutout {
    pub png: Bytes,
    pub meta: CutoutMeta,
}

/// Files a look is made of, the names the art route serves.
pub const ART_FILES: [&str; 4] = ["sprite.png", "sheet.png", "sheet.json", "preview.gif"];

pub struct Studio {
    blobs: Blobs,
    ml: Arc<ml::Pipeline>,
    /// Shared with the game pipeline: bounds the photos processed at once (each holds one
    /// blocking thread and a few hundred MB at most).
    permits: Arc<Semaphore>,
}

/// A game's animation frames: the sheet's layout, and the sheet (PNG) and its animated
/// preview (GIF) encoded.
pub struct AnimatedSheet {
    pub sheet: ml::SpriteSheet,
    pub png: Vec<u8>,
    pub gif: Vec<u8>,
}

impl Studio {
    pub fn new(blobs: Blobs, ml: Arc<ml::Pipeline>, permits: Arc<Semaphore>) -> Self {
        Self { blobs, ml, permits }
    }

    pub fn cutout_key(image_id: Uuid) -> String {
        format!("images/{image_id}/cutout.png")
    }

    pub fn mask_key(image_id: Uuid) -> String {
        format!("images/{image_id}/mask.png")
    }

    pub fn art_key(image_id: Uuid, look: &Look, file: &str) -> String {
        format!("images/{image_id}/art/{}/{file}", look.slug())
    }

    /// How the photo's pet was cut out, once it has been.
    pub async fn cutout_meta(&self, image_id: Uuid) -> Result<Option<CutoutMeta>, PipelineError> {
        self.json(&format!("images/{image_id}/cutout.json")).await
    }

    /// The looks drawn from the photo so far (those whose files are complete).
    pub async fn looks(&self, image_id: Uuid) -> Result<Vec<Look>, PipelineError> {
        let keys = self
            .blobs
            .list(&format!("images/{image_id}/art"))
            .await
            .map_err(|e| PipelineError::internal("list looks", e))?;
        Ok(keys
            .iter()
            .filter_map(|key| key.strip_suffix("/art.json"))
            .filter_map(|folder| folder.rsplit('/').next())
            .filter_map(Look::from_slug)
            .collect())
    }

    /// The pet cut out of the photo stored at `original_key`, made on first use.
    pub async fn cutout(
        &self,
        image_id: Uuid,
        original_key: &str,
    ) -> Result<StoredCutout, PipelineError> {
        let meta_key = format!("images/{image_id}/cutout.json");
        if let Some(meta) = self.json::<CutoutMeta>(&meta_key).await? {
            let png = self.blobs.get(&Self::cutout_key(image_id)).await?;
            return Ok(StoredCutout { png, meta });
        }

        let original = self.blobs.get(original_key).await?;
        let ml = Arc::clone(&self.ml);
        let (method, cutout_png, mask_png) = self
            .blocking(move || {
                let photo = image::load_from_memory_with_format(&original, ImageFormat::Png)
                    .map_err(|e| PipelineError::internal("decode stored photo", e))?;
                let cutout = ml.remove_background(&photo).map_err(rejected_or_internal)?;
                let cutout_png = png(&cutout.image)?;
                let mask_png = png(&cutout.mask)?;
                Ok((cutout.method, cutout_png, mask_png))
            })
            .await?;
        let meta = CutoutMeta {
            method: cutout_method(method),
        };
        let png = Bytes::from(cutout_png);
        self.blobs
            .put(&Self::cutout_key(image_id), png.clone())
            .await?;
        self.blobs
            .put(&Self::mask_key(image_id), Bytes::from(mask_png))
            .await?;
        self.blobs
            .put(&meta_key, Bytes::from(to_json(&meta)?))
            .await?;
        Ok(StoredCutout { png, meta })
    }

    /// The cut-out pet drawn in `look`, made on first use.
    pub async fn art(
        &self,
        image_id: Uuid,
        original_key: &str,
        look: Look,
    ) -> Result<ArtMeta, PipelineError> {
        let meta_key = Self::art_key(image_id, &look, "art.json");
        if let Some(meta) = self.json::<ArtMeta>(&meta_key).await? {
            return Ok(meta);
        }
        let cutout = self.cutout(image_id, original_key).await?.png;
        let ml = Arc::clone(&self.ml);
        let files = self
            .blocking(move || {
                let cutout = decode_cutout(&cutout)?;
                let art = ml
                    .pixel_art(&cutout, &sprite_options(&look))
                    .map_err(rejected_or_internal)?;
                let json = serde_json::to_vec_pretty(&art.sheet.frame_table_json())
                    .map_err(|e| PipelineError::internal("encode frame table", e))?;
                let gif = art
                    .sheet
                    .preview_gif()
                    .map_err(|e| PipelineError::internal("encode preview", e))?;
                let mut palette: Vec<String> = art.palette.iter().map(|c| hex(rgb(*c))).collect();
                palette.push(hex(rgb(art.outline)));
                Ok((
                    [png(&art.sprite)?, png(&art.sheet.image)?, json, gif],
                    palette,
                ))
            })
            .await?;
        let (blobs, palette) = files;
        for (file, bytes) in ART_FILES.iter().zip(blobs) {
            self.blobs
                .put(&Self::art_key(image_id, &look, file), Bytes::from(bytes))
                .await?;
        }
        let meta = ArtMeta { palette };
        self.blobs
            .put(&meta_key, Bytes::from(to_json(&meta)?))
            .await?;
        Ok(meta)
    }

    /// Draws a stored cut-out (PNG) on the sprite grid in `look`, for a game: the indexed
    /// sprite and its picture (PNG).
    pub async fn pixelize(
        &self,
        cutout_png: Bytes,
        look: Look,
    ) -> Result<(ml::Pixelized, Vec<u8>), PipelineError> {
        let ml = Arc::clone(&self.ml);
        self.blocking(move || {
            let cutout = decode_cutout(&cutout_png)?;
            let pixels = ml
                .pixelize(&cutout, &sprite_options(&look))
                .map_err(rejected_or_internal)?;
            let sprite = ml.still(&pixels).map_err(rejected_or_internal)?;
            Ok((pixels, png(&sprite)?))
        })
        .await
    }

    /// Animates an indexed sprite into its sheet, then encodes it on the blocking pool
    /// outside the image permits (encoding is not model work; holding a permit for it would
    /// keep the next photo's model run waiting).
    pub async fn animate(&self, pixels: ml::Pixelized) -> Result<AnimatedSheet, PipelineError> {
        let ml = Arc::clone(&self.ml);
        let sheet = self
            .blocking(move || Ok(ml.animate(&pixels).map_err(rejected_or_internal)?.sheet))
            .await?;
        tokio::task::spawn_blocking(move || {
            let gif = sheet
                .preview_gif()
                .map_err(|e| PipelineError::internal("encode preview", e))?;
            Ok(AnimatedSheet {
                png: png(&sheet.image)?,
                gif,
                sheet,
            })
        })
        .await
        .map_err(|e| PipelineError::internal("encode task", e))?
    }

    /// Runs image work on the blocking pool once a permit is free. The permit moves into the
    /// work: a caller that stops waiting (a stage timeout) cannot start more image work than
    /// `ml_concurrency` allows while the abandoned run finishes.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PipelineError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| PipelineError::internal("permits", e))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| PipelineError::internal("image task", e))?
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, PipelineError> {
        match self.blobs.get(key).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| PipelineError::internal("stored metadata", e)),
            Err(BlobError::NotFound(_)) => Ok(None),
            Err(e) => Err(PipelineError::internal("read blob", e)),
        }
    }
}

/// The photo's fault (told to the owner as is) or ours.
fn rejected_or_internal(e: ml::MlError) -> PipelineError {
    match e {
        ml::MlError::NoSubjectFound(_) | ml::MlError::ImageTooSmall { .. } => {
            PipelineError::Rejected(e.to_string())
        }
        other => PipelineError::internal("image pipeline", other),
    }
}

fn cutout_method(method: ml::SegmentMethod) -> CutoutMethod {
    match method {
        ml::SegmentMethod::Neural => CutoutMethod::Neural,
        ml::SegmentMethod::PhotoAlpha => CutoutMethod::PhotoAlpha,
        ml::SegmentMethod::ColourModel => CutoutMethod::ColourModel,
    }
}

fn rgb(c: image::Rgba<u8>) -> [u8; 3] {
    [c.0[0], c.0[1], c.0[2]]
}

/// A colour as `#rrggbb`.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A stored cut-out's picture (call on the blocking pool).
fn decode_cutout(png: &[u8]) -> Result<RgbaImage, PipelineError> {
    image::load_from_memory_with_format(png, ImageFormat::Png)
        .map(|image| image.to_rgba8())
        .map_err(|e| PipelineError::internal("decode stored cut-out", e))
}

/// A picture as PNG bytes (RGBA sprites and cut-outs, grey masks).
pub fn png<P>(img: &image::ImageBuffer<P, Vec<u8>>) -> Result<Vec<u8>, PipelineError>
where
    P: image::Pixel<Subpixel = u8> + image::PixelWithColorType,
{
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| PipelineError::internal("encode png", e))?;
    Ok(out.into_inner())
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, PipelineError> {
    serde_json::to_vec(value).map_err(|e| PipelineError::internal("encode metadata", e))
}
