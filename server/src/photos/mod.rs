//! Photos: uploading (validated, re-encoded, with a thumbnail and a preview), cropping into a
//! new photo, and deleting with everything made from it. A photo belongs to the visitor who
//! uploaded it; anyone else gets `NotFound`.
//!
//! A photo's files live under `images/{id}/` ([`keys`]); the studio writes its cut-out and
//! looks there too, so deleting the folder deletes everything made from the photo.

pub mod intake;
pub mod keys;
pub mod routes;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;

use app::dto::{CropRequest, UploadedImage};
use app::error::AppError;
use app::port::Visitor;
use bytes::Bytes;
use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::accounts::export::Export;
use crate::config::Limits;
use crate::error::{blob_read, internal};
use crate::infra::blobs::Blobs;
use crate::infra::limits::{Quota, parties};
use crate::urls;
use intake::IntakeError;
pub use store::{ImageRecord, PhotoStore};

impl From<IntakeError> for AppError {
    fn from(e: IntakeError) -> Self {
        AppError::invalid("image", e.to_string())
    }
}

/// The files of a photo its owner may fetch under `/api/v1/images/{id}/`: its smaller copies,
/// and the cut-out and mask once the studio has made them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoFile {
    Thumbnail,
    Preview,
    Cutout,
    Mask,
}

impl PhotoFile {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "thumbnail.png" => Some(Self::Thumbnail),
            "preview.png" => Some(Self::Preview),
            "cutout.png" => Some(Self::Cutout),
            "mask.png" => Some(Self::Mask),
            _ => None,
        }
    }
}

pub struct Photos {
    store: Arc<dyn PhotoStore>,
    blobs: Blobs,
    /// Photos (uploads and crops) a person may make in an hour.
    uploads: Quota,
    limits: Limits,
    /// Bounds the memory of photo decodes in flight, one permit per MiB.
    decode_budget: Arc<Semaphore>,
}

impl Photos {
    pub fn new(store: Arc<dyn PhotoStore>, blobs: Blobs, uploads: Quota, limits: Limits) -> Self {
        Self {
            decode_budget: Arc::new(Semaphore::new(limits.decode_memory_mib as usize)),
            store,
            blobs,
            uploads,
            limits,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Validates, normalises and stores a photo for `visitor`, who asks from `client`.
    #[tracing::instrument(skip_all)]
    pub async fn upload(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        bytes: Bytes,
    ) -> Result<UploadedImage, AppError> {
        self.count_new_photo(visitor, client).await?;
        let limits = self.limits.clone();
        let (bytes, inspected) = tokio::task::spawn_blocking(move || {
            intake::inspect(&bytes, &limits).map(|inspected| (bytes, inspected))
        })
        .await
        .map_err(|e| internal("intake task", e))??;
        let budget = self.decode_permit(inspected.memory_bytes).await?;
        let limits = self.limits.clone();
        let photo = tokio::task::spawn_blocking(move || {
            let _budget = budget;
            intake::decode(&bytes, &inspected, &limits)
        })
        .await
        .map_err(|e| internal("intake task", e))??;
        self.store_photo(visitor, photo).await
    }

    /// A new photo for `visitor` made of a rectangle of one of their photos.
    #[tracing::instrument(skip_all)]
    pub async fn crop(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        image_id: Uuid,
        crop: CropRequest,
    ) -> Result<UploadedImage, AppError> {
        let image = self.named_in_request(visitor, image_id).await?;
        self.count_new_photo(visitor, client).await?;
        let original = self
            .blobs
            .get(&image.original_key)
            .await
            .map_err(blob_read)?;
        let budget = self
            .decode_permit(intake::crop_memory_bytes(image.width, image.height))
            .await?;
        let limits = self.limits.clone();
        let photo = tokio::task::spawn_blocking(move || {
            let _budget = budget;
            intake::crop(&original, &limits, crop)
        })
        .await
        .map_err(|e| internal("crop task", e))?
        .map_err(|e| AppError::invalid("crop", e.to_string()))?;
        self.store_photo(visitor, photo).await
    }

    /// One of `visitor`'s photos; another visitor's, or none, is `NotFound`.
    pub async fn owned(&self, visitor: &Visitor, id: Uuid) -> Result<ImageRecord, AppError> {
        self.store
            .get(id)
            .await?
            .filter(|image| visitor.owns(&image.visitor_id))
            .ok_or(AppError::NotFound)
    }

    /// The visitor's photo a request body names: an unknown one is the request's fault
    /// (422 naming `image_id`), not a missing resource.
    pub async fn named_in_request(
        &self,
        visitor: &Visitor,
        id: Uuid,
    ) -> Result<ImageRecord, AppError> {
        match self.owned(visitor, id).await {
            Err(AppError::NotFound) => Err(AppError::invalid(
                "image_id",
                "unknown image: upload the photo again",
            )),
            other => other,
        }
    }

    /// A file of one of the visitor's photos.
    pub async fn file(
        &self,
        visitor: &Visitor,
        id: Uuid,
        file: PhotoFile,
    ) -> Result<Bytes, AppError> {
        let image = self.owned(visitor, id).await?;
        let key = match file {
            PhotoFile::Thumbnail => keys::thumbnail(image.id),
            PhotoFile::Preview => keys::preview(image.id),
            PhotoFile::Cutout => keys::cutout(image.id),
            PhotoFile::Mask => keys::mask(image.id),
        };
        self.blobs.get(&key).await.map_err(blob_read)
    }

    /// A photo's preview for a moderator, whoever owns it: the caller's role is moderation's
    /// to check.
    pub async fn preview_for_moderation(&self, id: Uuid) -> Result<Bytes, AppError> {
        let image = self.store.get(id).await?.ok_or(AppError::NotFound)?;
        self.blobs
            .get(&keys::preview(image.id))
            .await
            .map_err(blob_read)
    }

    /// Deletes one of the visitor's photos with everything made from it (cut-out, mask,
    /// looks, thumbnail, preview). Games made from it keep their own copies and go on
    /// playing. Blobs go first: should that fail half-way, the row still leads a retry to the
    /// rest.
    pub async fn delete(&self, visitor: &Visitor, id: Uuid) -> Result<(), AppError> {
        let image = self.owned(visitor, id).await?;
        let files = self
            .blobs
            .list(&keys::folder(image.id))
            .await
            .map_err(|e| internal("list photo files", e))?;
        for key in files {
            self.blobs
                .delete(&key)
                .await
                .map_err(|e| internal("delete photo file", e))?;
        }
        self.store.delete(image.id).await?;
        Ok(())
    }

    /// Waits until `bytes` of decoding fit in the budget (a photo larger than the whole
    /// budget waits for all of it, and runs alone). The permit goes into the decode itself, so
    /// it is held exactly as long as the memory is, even when the request is dropped.
    async fn decode_permit(&self, bytes: u64) -> Result<OwnedSemaphorePermit, AppError> {
        let budget = self.limits.decode_memory_mib;
        let mib = u32::try_from(bytes.div_ceil(1 << 20))
            .unwrap_or(u32::MAX)
            .clamp(1, budget);
        Arc::clone(&self.decode_budget)
            .acquire_many_owned(mib)
            .await
            .map_err(|e| internal("decode budget", e))
    }

    /// Uploads and crops both make photos: they share the hourly quota, counted per visitor
    /// (or account) and per client address, so a client that drops its cookie to start afresh
    /// is still counted.
    async fn count_new_photo(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        self.uploads.spend(&parties(visitor, client)).await
    }

    /// Stores an accepted photo, its thumbnail and preview, and its row; nothing is left
    /// half-written.
    async fn store_photo(
        &self,
        visitor: &Visitor,
        photo: intake::AcceptedPhoto,
    ) -> Result<UploadedImage, AppError> {
        let id = Uuid::new_v4();
        let record = ImageRecord {
            id,
            visitor_id: visitor.0.clone(),
            original_key: keys::original(id),
            content_type: photo.content_type.to_owned(),
            width: photo.width,
            height: photo.height,
            created_at: Utc::now(),
        };
        let files = [
            (keys::original(id), photo.png),
            (keys::thumbnail(id), photo.thumbnail_png),
            (keys::preview(id), photo.preview_png),
        ];
        let mut written = Vec::new();
        let mut outcome = Ok(());
        for (key, bytes) in files {
            if let Err(e) = self.blobs.put(&key, Bytes::from(bytes)).await {
                outcome = Err(internal("store photo", e));
                break;
            }
            written.push(key);
        }
        if outcome.is_ok()
            && let Err(e) = self.store.insert(&record).await
        {
            outcome = Err(internal("record photo", e));
        }
        if let Err(e) = outcome {
            // Leave nothing half-written: the blobs go with the row that failed.
            for key in written {
                if let Err(cleanup) = self.blobs.delete(&key).await {
                    tracing::error!(error = %cleanup, key, "could not remove an orphaned photo");
                }
            }
            return Err(e);
        }
        Ok(uploaded_view(&record))
    }
}

/// A stored photo as clients see it.
pub fn uploaded_view(image: &ImageRecord) -> UploadedImage {
    UploadedImage {
        id: image.id,
        width: image.width,
        height: image.height,
        content_type: image.content_type.clone(),
        thumbnail_url: urls::image_file(image.id, "thumbnail.png"),
        preview_url: urls::image_file(image.id, "preview.png"),
    }
}

/// A visitor's photos become their account's when they sign up or log in.
#[async_trait::async_trait]
impl crate::accounts::Belongings for Photos {
    fn kind(&self) -> &'static str {
        "photos"
    }

    async fn hand_over(&self, from: &Visitor, to: &Visitor) -> Result<u64, AppError> {
        if from.is_anonymous() || to.is_anonymous() {
            return Ok(0);
        }
        Ok(self.store.hand_over(&from.0, &to.0).await?)
    }

    /// `photos.json` (what each photo is), and every file of each photo's folder — the
    /// photo as uploaded and everything made from it — under `photos/{id}/`.
    async fn export(&self, owner: &Visitor, zip: &mut Export) -> Result<(), AppError> {
        let photos = self.store.photos_of(&owner.0).await?;
        let listed: Vec<UploadedImage> = photos.iter().map(uploaded_view).collect();
        zip.add_json("photos.json", &listed).await?;
        for photo in &photos {
            let folder = keys::folder(photo.id);
            let files = self
                .blobs
                .list(&folder)
                .await
                .map_err(|e| internal("list photo files", e))?;
            for key in files {
                let bytes = self.blobs.get(&key).await.map_err(blob_read)?;
                let file = key.strip_prefix(&folder).unwrap_or(&key);
                let name = format!("photos/{}{file}", photo.id);
                zip.add(&name, &bytes).await?;
            }
        }
        Ok(())
    }

    async fn erase(&self, owner: &Visitor) -> Result<u64, AppError> {
        let photos = self.store.photos_of(&owner.0).await?;
        for photo in &photos {
            self.delete(owner, photo.id).await?;
        }
        Ok(photos.len() as u64)
    }
}
