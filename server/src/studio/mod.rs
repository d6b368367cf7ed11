//! The pixel-art studio: a photo's pet cut out, and drawn in any style, size and dithering
//! ("looks"), each made once and kept beside the photo; the styles on offer; the files of
//! each result, for the photo's owner.

pub mod engine;
pub mod routes;
pub mod work;

use std::sync::Arc;

use app::dto::{
    CutoutMethod, CutoutView, ImageStatus, Look, PixelArtRequest, PixelArtView, SpriteSize, Style,
    StyleView,
};
use app::error::AppError;
use app::port::Visitor;
use bytes::Bytes;
use uuid::Uuid;

use crate::error::{blob_read, internal};
use crate::infra::blobs::Blobs;
use crate::jobs::StageError;
use crate::photos::{Photos, keys, uploaded_view};
use crate::urls;
use work::{ART_FILES, CutoutMeta, StudioWork, hex, read_json};

/// What the owner reads next to a cut-out made by the fallback.
const FALLBACK_NOTICE: &str = "We could not find the whole pet with our usual method, so this \
    cut-out may be rough. A photo showing the whole pet, with some background around it, \
    works best.";

impl From<StageError> for AppError {
    fn from(e: StageError) -> Self {
        match e {
            StageError::Rejected(reason) => AppError::invalid("image", reason),
            StageError::Internal(detail) => internal("image pipeline", detail),
        }
    }
}

pub struct Studio {
    photos: Arc<Photos>,
    blobs: Blobs,
    work: StudioWork,
}

impl Studio {
    pub fn new(photos: Arc<Photos>, blobs: Blobs, work: StudioWork) -> Self {
        Self {
            photos,
            blobs,
            work,
        }
    }

    /// The pixel-art styles on offer.
    pub fn styles() -> Vec<StyleView> {
        Style::ALL
            .into_iter()
            .map(|style| StyleView {
                id: style,
                name: style.name().to_owned(),
                description: style.description().to_owned(),
                colours: u32::try_from(style.max_colours()).unwrap_or(u32::MAX),
                palette: style
                    .palette()
                    .map(|colours| colours.into_iter().map(hex).collect()),
            })
            .collect()
    }

    /// One of the visitor's photos and what has been made of it so far.
    pub async fn image_status(&self, visitor: &Visitor, id: Uuid) -> Result<ImageStatus, AppError> {
        let image = self.photos.owned(visitor, id).await?;
        let cutout = read_json::<CutoutMeta>(&self.blobs, &keys::cutout_meta(image.id))
            .await?
            .map(|meta| cutout_view(image.id, &meta));
        let looks = self
            .blobs
            .list(&keys::looks(image.id))
            .await
            .map_err(|e| internal("list looks", e))?
            .iter()
            .filter_map(|key| key.strip_suffix("/art.json"))
            .filter_map(|folder| folder.rsplit('/').next())
            .filter_map(Look::from_slug)
            .map(|look| look.slug())
            .collect();
        Ok(ImageStatus {
            image: uploaded_view(&image),
            background: if cutout.is_some() { "done" } else { "pending" }.to_owned(),
            cutout,
            looks,
        })
    }

    /// Cuts the pet out of one of the visitor's photos (once; later calls reuse it).
    #[tracing::instrument(skip_all)]
    pub async fn remove_background(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
    ) -> Result<CutoutView, AppError> {
        let image = self.photos.named_in_request(visitor, image_id).await?;
        let meta = self.work.cutout(image.id, &image.original_key).await?.meta;
        Ok(cutout_view(image.id, &meta))
    }

    /// Draws the cut-out pet in a look (once per look).
    #[tracing::instrument(skip_all)]
    pub async fn pixel_art(
        &self,
        visitor: &Visitor,
        request: PixelArtRequest,
    ) -> Result<PixelArtView, AppError> {
        let look = Look {
            style: request.style,
            size: request.size.unwrap_or(SpriteSize::PREVIEW),
            dither: request.dither.unwrap_or(false),
        };
        let image = self
            .photos
            .named_in_request(visitor, request.image_id)
            .await?;
        let meta = self.work.art(image.id, &image.original_key, look).await?;
        let file = |name| urls::art_file(image.id, &look, name);
        Ok(PixelArtView {
            image_id: image.id,
            style: look.style,
            size: look.size,
            dither: look.dither,
            sprite_url: file("sprite.png"),
            sheet_url: file("sheet.png"),
            sheet_json_url: file("sheet.json"),
            preview_url: file("preview.gif"),
            palette: meta.palette,
        })
    }

    /// One file of a look drawn from one of the visitor's photos.
    pub async fn art_file(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
        look: &str,
        file: &str,
    ) -> Result<Bytes, AppError> {
        let image = self.photos.owned(visitor, image_id).await?;
        let look = Look::from_slug(look).ok_or(AppError::NotFound)?;
        if !ART_FILES.contains(&file) {
            return Err(AppError::NotFound);
        }
        self.blobs
            .get(&keys::art(image.id, &look, file))
            .await
            .map_err(blob_read)
    }
}

/// A cut-out as clients see it.
fn cutout_view(image_id: Uuid, meta: &CutoutMeta) -> CutoutView {
    CutoutView {
        image_id,
        notice: (meta.method == CutoutMethod::ColourModel).then(|| FALLBACK_NOTICE.to_owned()),
        method: meta.method,
        cutout_url: urls::image_file(image_id, "cutout.png"),
        mask_url: urls::image_file(image_id, "mask.png"),
    }
}
