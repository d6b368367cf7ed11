//! The use-cases: what the REST API and the pages' server functions both call.

use std::sync::Arc;
use std::time::Duration;

use app::dto::{
    CropRequest, CutoutMethod, CutoutView, GameRequest, GameStatus, GameUrls, GameView,
    ImageStatus, Look, PipelineStage, PixelArtRequest, PixelArtView, PushSubscribed,
    PushSubscriptionJson, ShortCode, SpriteSize, StyleView, UploadedImage,
};
use app::error::AppError;
use app::port::{PetPixelPort, Visitor};
use bytes::Bytes;
use chrono::Utc;
use uuid::Uuid;

use crate::blobs::{BlobError, Blobs};
use crate::config::Config;
use crate::intake::{self, IntakeError};
use crate::jobs::now_ms;
use crate::limits::{Decision, RateLimiter};
use crate::pipeline::{Pipeline, PipelineError};
use crate::push::Target;
use crate::runtime_assets::GameRuntime;
use crate::store::{GameRecord, ImageRecord, NotificationAdded, Store, StoreError};
use crate::studio::{ART_FILES, Studio, hex};

/// A picture of a game that can be fetched by its public code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Cutout,
    Sprite,
    Sheet,
    Preview,
}

impl Picture {
    pub fn parse(file: &str) -> Option<Self> {
        match file {
            "cutout.png" => Some(Self::Cutout),
            "sprite.png" => Some(Self::Sprite),
            "sheet.png" => Some(Self::Sheet),
            "preview.gif" => Some(Self::Preview),
            _ => None,
        }
    }
}

pub struct Service {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub blobs: Blobs,
    pub limiter: Arc<dyn RateLimiter>,
    pub pipeline: Arc<Pipeline>,
    /// Bounds the memory of photo decodes in flight, one permit per MiB.
    pub decode_budget: Arc<tokio::sync::Semaphore>,
    /// Rung when a job is queued, so an in-process worker starts it without waiting to poll.
    pub jobs_queued: Arc<tokio::sync::Notify>,
    /// Progress notices for the live streams, across nodes when Redis is configured.
    pub events: crate::events::GameEvents,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub studio: Arc<Studio>,
    pub runtime: Arc<GameRuntime>,
    /// Signs Web Push messages; its public half is what browsers subscribe with.
    pub vapid: crate::push::VapidKey,
    /// Turns true when the server is stopping, so long-lived responses (progress streams)
    /// end and graceful shutdown does not wait on them.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// Logs an internal failure and hides its details from the client.
fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(context, error = %e, "internal error");
    AppError::Internal
}

impl From<IntakeError> for AppError {
    fn from(e: IntakeError) -> Self {
        AppError::invalid("image", e.to_string())
    }
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

impl From<PipelineError> for AppError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Rejected(reason) => AppError::invalid("image", reason),
            PipelineError::Internal(detail) => internal("image pipeline", detail),
        }
    }
}

/// A picture of an uploaded photo's cut-out, fetched by its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFile {
    Cutout,
    Mask,
    Thumbnail,
    Preview,
}

impl ImageFile {
    pub fn parse(file: &str) -> Option<Self> {
        match file {
            "cutout.png" => Some(Self::Cutout),
            "mask.png" => Some(Self::Mask),
            "thumbnail.png" => Some(Self::Thumbnail),
            "preview.png" => Some(Self::Preview),
            _ => None,
        }
    }
}

/// Where an uploaded photo's smaller versions are kept.
fn thumbnail_key(id: Uuid) -> String {
    format!("images/{id}/thumbnail.png")
}

fn preview_key(id: Uuid) -> String {
    format!("images/{id}/preview.png")
}

/// A stored photo as clients see it.
fn uploaded_view(image: &ImageRecord) -> UploadedImage {
    let base = format!("/api/v1/images/{}", image.id);
    UploadedImage {
        id: image.id,
        width: image.width,
        height: image.height,
        content_type: image.content_type.clone(),
        thumbnail_url: format!("{base}/thumbnail.png"),
        preview_url: format!("{base}/preview.png"),
    }
}

/// A cut-out as clients see it.
fn cutout_view(image_id: Uuid, meta: &crate::studio::CutoutMeta) -> CutoutView {
    let base = format!("/api/v1/images/{image_id}");
    CutoutView {
        image_id,
        notice: (meta.method == CutoutMethod::ColourModel).then(|| FALLBACK_NOTICE.to_owned()),
        method: meta.method,
        cutout_url: format!("{base}/cutout.png"),
        mask_url: format!("{base}/mask.png"),
    }
}

/// What the owner reads next to a cut-out made by the fallback.
const FALLBACK_NOTICE: &str = "We could not find the whole pet with our usual method, so this \
    cut-out may be rough. A photo showing the whole pet, with some background around it, \
    works best.";

impl Service {
    /// Validates, normalises and stores a photo for `visitor`.
    #[tracing::instrument(skip_all)]
    pub async fn upload_image(
        &self,
        visitor: &Visitor,
        bytes: Bytes,
    ) -> Result<UploadedImage, AppError> {
        self.count_new_photo(visitor).await?;
        let limits = self.config.limits.clone();
        let (bytes, inspected) = tokio::task::spawn_blocking(move || {
            intake::inspect(&bytes, &limits).map(|inspected| (bytes, inspected))
        })
        .await
        .map_err(|e| internal("intake task", e))??;
        let budget = self.decode_permit(inspected.memory_bytes).await?;
        let limits = self.config.limits.clone();
        let photo = tokio::task::spawn_blocking(move || {
            let _budget = budget;
            intake::decode(&bytes, &inspected, &limits)
        })
        .await
        .map_err(|e| internal("intake task", e))??;
        self.store_photo(visitor, photo).await
    }

    /// Waits until `bytes` of decoding fit in the budget (a photo larger than the whole
    /// budget waits for all of it, and runs alone). The permit goes into the decode itself, so
    /// it is held exactly as long as the memory is, even when the request is dropped.
    async fn decode_permit(
        &self,
        bytes: u64,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let budget = self.config.limits.decode_memory_mib;
        let mib = u32::try_from(bytes.div_ceil(1 << 20))
            .unwrap_or(u32::MAX)
            .clamp(1, budget);
        Arc::clone(&self.decode_budget)
            .acquire_many_owned(mib)
            .await
            .map_err(|e| internal("decode budget", e))
    }

    /// Uploads and crops both make photos: they share the per-visitor hourly limit.
    async fn count_new_photo(&self, visitor: &Visitor) -> Result<(), AppError> {
        let limit = self.config.limits.uploads_per_hour;
        match self
            .limiter
            .hit(
                &format!("upload:{}", visitor.0),
                limit,
                Duration::from_secs(3600),
            )
            .await
        {
            Ok(Decision::Allowed { .. }) => {}
            Ok(Decision::Limited { retry_after }) => {
                return Err(AppError::RateLimited {
                    retry_after_secs: retry_after.as_secs(),
                });
            }
            Err(e) => return Err(internal("rate limit", e)),
        }
        Ok(())
    }

    /// Stores an accepted photo, its thumbnail and preview, and its row; nothing is left
    /// half-written.
    async fn store_photo(
        &self,
        visitor: &Visitor,
        photo: intake::AcceptedPhoto,
    ) -> Result<UploadedImage, AppError> {
        let id = Uuid::new_v4();
        let key = format!("images/{id}/original.png");
        let record = ImageRecord {
            id,
            visitor_id: visitor.0.clone(),
            original_key: key.clone(),
            content_type: photo.content_type.to_owned(),
            width: photo.width,
            height: photo.height,
            created_at: Utc::now(),
        };
        let files = [
            (key, photo.png),
            (thumbnail_key(id), photo.thumbnail_png),
            (preview_key(id), photo.preview_png),
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
            && let Err(e) = self.store.insert_image(&record).await
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

    /// One of the visitor's photos and what has been made of it so far.
    pub async fn image_status(&self, visitor: &Visitor, id: &str) -> Result<ImageStatus, AppError> {
        let image = self.owned_image(visitor, id).await?;
        let cutout = self
            .studio
            .cutout_meta(image.id)
            .await
            .map_err(AppError::from)?
            .map(|meta| cutout_view(image.id, &meta));
        let looks = self
            .studio
            .looks(image.id)
            .await
            .map_err(AppError::from)?
            .iter()
            .map(Look::slug)
            .collect();
        Ok(ImageStatus {
            image: uploaded_view(&image),
            background: if cutout.is_some() { "done" } else { "pending" }.to_owned(),
            cutout,
            looks,
        })
    }

    /// Deletes one of the visitor's photos with everything made from it (cut-out, mask, looks,
    /// thumbnail, preview). Games made from it keep their own copies and go on playing.
    /// Blobs go first: should that fail half-way, the row still leads a retry to the rest.
    pub async fn delete_image(&self, visitor: &Visitor, id: &str) -> Result<(), AppError> {
        let image = self.owned_image(visitor, id).await?;
        let keys = self
            .blobs
            .list(&format!("images/{}", image.id))
            .await
            .map_err(|e| internal("list photo files", e))?;
        for key in keys {
            self.blobs
                .delete(&key)
                .await
                .map_err(|e| internal("delete photo file", e))?;
        }
        self.store
            .delete_image(image.id)
            .await
            .map_err(|e| internal("delete photo", e))?;
        Ok(())
    }

    /// A game by code, for the public routes.
    pub async fn public_game(&self, code: &str) -> Result<GameRecord, AppError> {
        let code = ShortCode::parse(code).ok_or(AppError::NotFound)?;
        self.store
            .game_by_code(&code)
            .await
            .map_err(|e| internal("load game", e))?
            .ok_or(AppError::NotFound)
    }

    /// A game owned by `visitor`.
    pub async fn owned_game(&self, visitor: &Visitor, id: &str) -> Result<GameRecord, AppError> {
        let game = self
            .store
            .game(parse_id(id)?)
            .await
            .map_err(|e| internal("load game", e))?;
        game.filter(|g| g.visitor_id == visitor.0)
            .ok_or(AppError::NotFound)
    }

    /// The playable module (runtime + data) of a ready game.
    /// Counts a play of a public game (the page's loader reports the first start).
    pub async fn count_play(&self, code: &str) -> Result<(), AppError> {
        let code = ShortCode::parse(code).ok_or(AppError::NotFound)?;
        let counted = self
            .store
            .count_play(&code)
            .await
            .map_err(|e| internal("count play", e))?;
        if counted {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn game_module(&self, game: &GameRecord) -> Result<Bytes, AppError> {
        let key = game
            .assets
            .as_ref()
            .and_then(|a| a.module.clone())
            .ok_or(AppError::NotFound)?;
        self.blob(&key).await
    }

    pub async fn game_picture(
        &self,
        game: &GameRecord,
        picture: Picture,
    ) -> Result<Bytes, AppError> {
        let assets = game.assets.as_ref().ok_or(AppError::NotFound)?;
        let key = match picture {
            Picture::Cutout => &assets.cutout,
            Picture::Sprite => &assets.sprite,
            Picture::Sheet => &assets.sheet,
            Picture::Preview => &assets.preview,
        };
        self.blob(key.as_deref().ok_or(AppError::NotFound)?).await
    }

    /// One of `visitor`'s uploaded photos; another visitor's is `NotFound`.
    pub async fn owned_image(&self, visitor: &Visitor, id: &str) -> Result<ImageRecord, AppError> {
        self.owned_image_by_id(visitor, parse_id(id)?).await
    }

    async fn owned_image_by_id(
        &self,
        visitor: &Visitor,
        id: Uuid,
    ) -> Result<ImageRecord, AppError> {
        let image = self
            .store
            .image(id)
            .await
            .map_err(|e| internal("load image", e))?;
        image
            .filter(|i| i.visitor_id == visitor.0)
            .ok_or(AppError::NotFound)
    }

    /// The visitor's photo a studio request names; an unknown one is the request's fault.
    async fn image_for_studio(&self, visitor: &Visitor, id: Uuid) -> Result<ImageRecord, AppError> {
        match self.owned_image_by_id(visitor, id).await {
            Err(AppError::NotFound) => Err(AppError::invalid(
                "image_id",
                "unknown image: upload the photo again",
            )),
            other => other,
        }
    }

    /// The cut-out or mask of an image whose background was removed.
    pub async fn image_file(
        &self,
        image: &ImageRecord,
        file: ImageFile,
    ) -> Result<Bytes, AppError> {
        let key = match file {
            ImageFile::Cutout => Studio::cutout_key(image.id),
            ImageFile::Mask => Studio::mask_key(image.id),
            ImageFile::Thumbnail => thumbnail_key(image.id),
            ImageFile::Preview => preview_key(image.id),
        };
        self.blob(&key).await
    }

    /// One file of a look drawn by the studio (`sprite.png`, `sheet.png`, `sheet.json`,
    /// `preview.gif`).
    pub async fn art_file(
        &self,
        image: &ImageRecord,
        look: &str,
        file: &str,
    ) -> Result<Bytes, AppError> {
        let look = Look::from_slug(look).ok_or(AppError::NotFound)?;
        if !ART_FILES.contains(&file) {
            return Err(AppError::NotFound);
        }
        self.blob(&Studio::art_key(image.id, &look, file)).await
    }

    async fn blob(&self, key: &str) -> Result<Bytes, AppError> {
        match self.blobs.get(key).await {
            Ok(bytes) => Ok(bytes),
            Err(BlobError::NotFound(_)) => Err(AppError::NotFound),
            Err(e) => Err(internal("read blob", e)),
        }
    }

    /// One self-contained HTML file that plays the game offline.
    pub async fn download_html(&self, game: &GameRecord) -> Result<String, AppError> {
        let module = self.game_module(game).await?;
        Ok(game_runtime::assemble::html_page(
            &game_runtime::assemble::PageOptions {
                title: &game.title,
                source: game_runtime::assemble::GameSource::Inline {
                    glue_js: &self.runtime.glue_js,
                    loader_js: self.runtime.loader_js,
                    module: &module,
                },
            },
        ))
    }

    /// A game's job was queued: wake this process's worker and tell open streams.
    async fn queued(&self, game_id: Uuid) {
        self.jobs_queued.notify_one();
        self.events.changed(game_id).await;
    }

    /// An optional address to tell when the game is ready; blank means none.
    fn parse_email(email: Option<&str>) -> Result<Option<String>, AppError> {
        let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
            return Ok(None);
        };
        let valid = email.len() <= 254 && email.parse::<lettre::Address>().is_ok();
        if !valid {
            return Err(AppError::invalid(
                "notify_email",
                "enter an email address such as name@example.com, or leave it empty",
            ));
        }
        Ok(Some(email.to_owned()))
    }

    fn look(request: &PixelArtRequest) -> Look {
        Look {
            style: request.style,
            size: request.size.unwrap_or(SpriteSize::PREVIEW),
            dither: request.dither.unwrap_or(false),
        }
    }
}

/// A fresh random short code.
fn new_short_code() -> ShortCode {
    use rand::Rng as _;
    let mut rng = rand::rng();
    ShortCode::generate(|n| rng.random_range(0..n))
}

/// A game as clients see it, with links to what exists so far.
pub fn game_view(game: &GameRecord) -> GameView {
    let code = &game.short_code;
    let picture = |present: Option<&String>, file: &str| {
        present.map(|_| format!("/api/v1/play/{code}/{file}"))
    };
    let assets = game.assets.clone().unwrap_or_default();
    GameView {
        id: game.id,
        short_code: code.clone(),
        title: game.title.clone(),
        pet_name: game.pet_name.clone(),
        theme: game.theme,
        difficulty: game.difficulty,
        level_count: game.level_count,
        style: game.style,
        status: game.status,
        stage: game.stage.filter(|_| game.status != GameStatus::Ready),
        progress: match game.status {
            GameStatus::Ready => 100,
            _ => game.stage.map_or(0, PipelineStage::percent_before),
        },
        failure: game.failure_reason.clone(),
        plays: game.plays,
        urls: GameUrls {
            play: format!("/g/{code}"),
            embed: format!("/embed/{code}"),
            download: format!("/api/v1/play/{code}/download"),
            cutout: picture(assets.cutout.as_ref(), "cutout.png"),
            sprite: picture(assets.sprite.as_ref(), "sprite.png"),
            sprite_sheet: picture(assets.sheet.as_ref(), "sheet.png"),
            preview: picture(assets.preview.as_ref(), "preview.gif"),
        },
    }
}

#[async_trait::async_trait]
impl PetPixelPort for Service {
    #[tracing::instrument(skip_all)]
    async fn create_game(
        &self,
        visitor: &Visitor,
        request: GameRequest,
    ) -> Result<GameView, AppError> {
        let notify_email = Self::parse_email(request.notify_email.as_deref())?;
        let image_id = request.image_id;
        let image = self
            .store
            .image(image_id)
            .await
            .map_err(|e| internal("load image", e))?;
        if image.is_none_or(|i| i.visitor_id != visitor.0) {
            return Err(AppError::invalid(
                "image_id",
                "unknown image: upload the photo again",
            ));
        }
        let mut game = GameRecord {
            id: Uuid::new_v4(),
            visitor_id: visitor.0.clone(),
            image_id: Some(image_id),
            short_code: new_short_code(),
            title: format!("{}'s Great Adventure", request.pet_name),
            pet_name: request.pet_name,
            theme: request.theme,
            difficulty: request.difficulty,
            level_count: request.level_count,
            seed: rand::random(),
            style: request.style.unwrap_or_default(),
            status: GameStatus::Generating,
            failure_reason: None,
            assets: None,
            created_at: Utc::now(),
            completed_at: None,
            plays: 0,
            stage: Some(PipelineStage::RemoveBackground),
        };
        // A collision of 49-bit codes is rare; try a few fresh ones before giving up.
        let mut attempts = 0;
        loop {
            match self.store.insert_game(&game, notify_email.as_deref()).await {
                Ok(()) => break,
                Err(StoreError::Conflict {
                    field: "short_code",
                }) if attempts < 5 => {
                    attempts += 1;
                    game.short_code = new_short_code();
                }
                Err(e) => return Err(internal("record game", e)),
            }
        }
        self.queued(game.id).await;
        Ok(game_view(&game))
    }

    async fn game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        Ok(game_view(&self.owned_game(visitor, id).await?))
    }

    async fn regenerate_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        let game = self.owned_game(visitor, id).await?;
        let from = self.pipeline.restart_stage(game.id).await?;
        let restarted = self
            .store
            .restart_game(game.id, rand::random(), game.style, from, now_ms())
            .await
            .map_err(|e| internal("restart game", e))?;
        if !restarted {
            return Err(AppError::invalid(
                "id",
                "this game is being made already: wait until it is ready",
            ));
        }
        self.queued(game.id).await;
        self.game(visitor, id).await
    }

    async fn retry_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        let game = self.owned_game(visitor, id).await?;
        let retried = self
            .store
            .retry_game(game.id, now_ms())
            .await
            .map_err(|e| internal("retry game", e))?;
        if !retried {
            return Err(AppError::invalid(
                "id",
                "only a game that failed can be tried again",
            ));
        }
        self.queued(game.id).await;
        self.game(visitor, id).await
    }

    fn push_key(&self) -> String {
        self.vapid.public_base64()
    }

    async fn subscribe_push(
        &self,
        visitor: &Visitor,
        id: &str,
        subscription: PushSubscriptionJson,
    ) -> Result<PushSubscribed, AppError> {
        let push = &self.config.push;
        Target::parse(&subscription, push)
            .map_err(|refused| AppError::invalid(refused.field, refused.message))?;
        let game = self.owned_game(visitor, id).await?;
        // Stored in a canonical form, so the same subscription sent twice is one row.
        let target = serde_json::to_string(&subscription).map_err(|e| internal("push", e))?;
        let added = self
            .store
            .add_notification(game.id, "push", &target, push.max_per_game, now_ms())
            .await
            .map_err(|e| internal("subscribe push", e))?;
        let game_ready = game.status == GameStatus::Ready;
        match added {
            NotificationAdded::Added => Ok(PushSubscribed {
                new: true,
                game_ready,
            }),
            NotificationAdded::AlreadyThere => Ok(PushSubscribed {
                new: false,
                game_ready,
            }),
            NotificationAdded::TooMany => Err(AppError::invalid(
                "endpoint",
                format!(
                    "this game already notifies {} devices, the most it may",
                    push.max_per_game
                ),
            )),
            NotificationAdded::NoGame => Err(AppError::NotFound),
        }
    }

    async fn game_by_code(&self, code: &str) -> Result<GameView, AppError> {
        Ok(game_view(&self.public_game(code).await?))
    }

    fn styles(&self) -> Vec<StyleView> {
        app::dto::Style::ALL
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

    #[tracing::instrument(skip_all)]
    async fn crop_image(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
        crop: CropRequest,
    ) -> Result<UploadedImage, AppError> {
        let image = self.image_for_studio(visitor, image_id).await?;
        self.count_new_photo(visitor).await?;
        let original = self.blob(&image.original_key).await?;
        let budget = self
            .decode_permit(intake::crop_memory_bytes(image.width, image.height))
            .await?;
        let limits = self.config.limits.clone();
        let photo = tokio::task::spawn_blocking(move || {
            let _budget = budget;
            intake::crop(&original, &limits, crop)
        })
        .await
        .map_err(|e| internal("crop task", e))?
        .map_err(|e| AppError::invalid("crop", e.to_string()))?;
        self.store_photo(visitor, photo).await
    }

    #[tracing::instrument(skip_all)]
    async fn remove_background(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
    ) -> Result<CutoutView, AppError> {
        let image = self.image_for_studio(visitor, image_id).await?;
        let meta = self
            .studio
            .cutout(image.id, &image.original_key)
            .await?
            .meta;
        Ok(cutout_view(image.id, &meta))
    }

    #[tracing::instrument(skip_all)]
    async fn pixel_art(
        &self,
        visitor: &Visitor,
        request: PixelArtRequest,
    ) -> Result<PixelArtView, AppError> {
        let look = Self::look(&request);
        let image = self.image_for_studio(visitor, request.image_id).await?;
        let meta = self.studio.art(image.id, &image.original_key, look).await?;
        let base = format!("/api/v1/images/{}/art/{}", image.id, look.slug());
        Ok(PixelArtView {
            image_id: image.id,
            style: look.style,
            size: look.size,
            dither: look.dither,
            sprite_url: format!("{base}/sprite.png"),
            sheet_url: format!("{base}/sheet.png"),
            sheet_json_url: format!("{base}/sheet.json"),
            preview_url: format!("{base}/preview.gif"),
            palette: meta.palette,
        })
    }
}
