//! Making the studio's results: a photo's cut-out, a look's sprite and its animation, each
//! made once and kept in the photo's folder (`photos::keys`), so however often it is asked
//! for, and by whichever process, the models run once per photo and look. Runs on workers,
//! where the models are loaded.

use bytes::Bytes;
use domain::{CutoutMethod, Look};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::engine::Engine;
use crate::infra::blobs::{BlobError, Blobs};
use crate::jobs::StageError;
use crate::photos::keys;

/// What `cutout.json` records (written last: its presence means the cut-out is complete).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoutMeta {
    pub method: CutoutMethod,
}

/// What a look's `art.json` records (written last by its sprite).
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

/// A look's files the art route serves; `sheet.json` is written last by the animation.
pub const SPRITE_FILES: [&str; 1] = ["sprite.png"];
pub const ANIMATION_FILES: [&str; 3] = ["sheet.png", "preview.gif", "sheet.json"];

#[derive(Clone)]
pub struct StudioWork {
    blobs: Blobs,
    engine: Engine,
}

impl StudioWork {
    pub fn new(blobs: Blobs, engine: Engine) -> Self {
        Self { blobs, engine }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The pet cut out of the photo stored at `original_key`, made on first use.
    pub async fn cutout(
        &self,
        image_id: Uuid,
        original_key: &str,
    ) -> Result<StoredCutout, StageError> {
        if let Some(meta) =
            read_json::<CutoutMeta>(&self.blobs, &keys::cutout_meta(image_id)).await?
        {
            let png = self.blobs.get(&keys::cutout(image_id)).await?;
            return Ok(StoredCutout { png, meta });
        }
        let original = self.blobs.get(original_key).await?;
        let cut = self.engine.cut_out(original).await?;
        let meta = CutoutMeta { method: cut.method };
        let png = Bytes::from(cut.png);
        self.blobs.put(&keys::cutout(image_id), png.clone()).await?;
        self.blobs
            .put(&keys::mask(image_id), Bytes::from(cut.mask_png))
            .await?;
        self.blobs
            .put(&keys::cutout_meta(image_id), to_json(&meta)?)
            .await?;
        Ok(StoredCutout { png, meta })
    }

    /// The cut-out pet drawn in `look` (the still sprite and the indexed pixels its
    /// animation starts from), made on first use.
    pub async fn sprite(
        &self,
        image_id: Uuid,
        original_key: &str,
        look: Look,
    ) -> Result<ArtMeta, StageError> {
        let meta_key = keys::art(image_id, &look, "art.json");
        if let Some(meta) = read_json::<ArtMeta>(&self.blobs, &meta_key).await? {
            return Ok(meta);
        }
        let cutout = self.cutout(image_id, original_key).await?.png;
        let sprite = self.engine.pixelize(cutout, look).await?;
        self.blobs
            .put(
                &keys::art(image_id, &look, "pixels.json"),
                Bytes::from(sprite.pixels),
            )
            .await?;
        self.blobs
            .put(
                &keys::art(image_id, &look, "sprite.png"),
                Bytes::from(sprite.png),
            )
            .await?;
        let meta = ArtMeta {
            palette: sprite.palette.into_iter().map(hex).collect(),
        };
        self.blobs.put(&meta_key, to_json(&meta)?).await?;
        Ok(meta)
    }

    /// The look's sprite animated: the sheet, its frame table (Aseprite's JSON) and the
    /// animated preview, made on first use.
    pub async fn animation(
        &self,
        image_id: Uuid,
        original_key: &str,
        look: Look,
    ) -> Result<(), StageError> {
        let table_key = keys::art(image_id, &look, "sheet.json");
        if self.exists(&table_key).await? {
            return Ok(());
        }
        self.sprite(image_id, original_key, look).await?;
        let pixels = self
            .blobs
            .get(&keys::art(image_id, &look, "pixels.json"))
            .await?;
        let sheet = self.engine.animate(pixels, look.gait).await?;
        self.blobs
            .put(
                &keys::art(image_id, &look, "sheet.png"),
                Bytes::from(sheet.png),
            )
            .await?;
        self.blobs
            .put(
                &keys::art(image_id, &look, "preview.gif"),
                Bytes::from(sheet.preview_gif),
            )
            .await?;
        self.blobs
            .put(&table_key, Bytes::from(sheet.frame_table))
            .await?;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, StageError> {
        match self.blobs.get(key).await {
            Ok(_) => Ok(true),
            Err(BlobError::NotFound(_)) => Ok(false),
            Err(e) => Err(StageError::internal("read blob", e)),
        }
    }
}

/// A JSON record in blob storage; `None` when it is not there (not made yet).
pub async fn read_json<T: serde::de::DeserializeOwned>(
    blobs: &Blobs,
    key: &str,
) -> Result<Option<T>, StageError> {
    match blobs.get(key).await {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StageError::internal("stored metadata", e)),
        Err(BlobError::NotFound(_)) => Ok(None),
        Err(e) => Err(StageError::internal("read blob", e)),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Bytes, StageError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| StageError::internal("encode metadata", e))
}

/// A colour as `#rrggbb`.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}
