//! The use-cases: what the REST API and the pages' server functions both call.

use std::sync::Arc;
use std::time::Duration;

use app::dto::{
    CropRequest, CutoutView, DEFAULT_STYLE, DIFFICULTIES, GameRequest, GameStatus, GameUrls,
    GameView, MAX_LEVELS, PixelArtRequest, PixelArtView, StyleView, THEMES, UploadedImage,
};
use app::error::AppError;
use app::port::{PetPixelPort, Visitor};
use bytes::Bytes;
use chrono::Utc;
use uuid::Uuid;

use crate::blobs::{BlobError, Blobs};
use crate::config::Config;
use crate::domain::{PetName, ShortCode};
use crate::intake::{self, IntakeError};
use crate::limits::{Decision, RateLimiter};
use crate::pipeline::{Pipeline, PipelineError};
use crate::runtime_assets::GameRuntime;
use crate::store::{GameRecord, ImageRecord, Store, StoreError};
use crate::studio::{ART_FILES, Look, Studio, hex, method_name};

/// A picture of a game that can be fetched by its public code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Cutout,
    Sprite,
    Sheet,
}

impl Picture {
    pub fn parse(file: &str) -> Option<Self> {
        match file {
            "cutout.png" => Some(Self::Cutout),
            "sprite.png" => Some(Self::Sprite),
            "sheet.png" => Some(Self::Sheet),
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
    pub studio: Arc<Studio>,
    pub runtime: Arc<GameRuntime>,
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
}

impl ImageFile {
    pub fn parse(file: &str) -> Option<Self> {
        match file {
            "cutout.png" => Some(Self::Cutout),
            "mask.png" => Some(Self::Mask),
            _ => None,
        }
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
        let photo = tokio::task::spawn_blocking(move || intake::accept(&bytes, &limits))
            .await
            .map_err(|e| internal("intake task", e))??;

        self.store_photo(visitor, photo).await
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

    /// Stores an accepted photo and its row; nothing is left half-written.
    async fn store_photo(
        &self,
        visitor: &Visitor,
        photo: intake::AcceptedPhoto,
    ) -> Result<UploadedImage, AppError> {
        let id = Uuid::new_v4();
        let key = format!("images/{id}/original.png");
        self.blobs
            .put(&key, Bytes::from(photo.png))
            .await
            .map_err(|e| internal("store photo", e))?;
        let record = ImageRecord {
            id,
            visitor_id: visitor.0.clone(),
            original_key: key.clone(),
            content_type: photo.content_type.to_owned(),
            width: photo.width,
            height: photo.height,
            created_at: Utc::now(),
        };
        if let Err(e) = self.store.insert_image(&record).await {
            // Leave nothing half-written: the blob goes with the row that failed.
            if let Err(cleanup) = self.blobs.delete(&key).await {
                tracing::error!(error = %cleanup, key, "could not remove an orphaned photo");
            }
            return Err(internal("record photo", e));
        }
        Ok(UploadedImage {
            id: id.to_string(),
            width: photo.width,
            height: photo.height,
            content_type: record.content_type,
        })
    }

    /// A game by code, for the public routes.
    pub async fn public_game(&self, code: &str) -> Result<GameRecord, AppError> {
        let code = ShortCode::parse(code).ok_or(AppError::NotFound)?;
        self.store
            .game_by_code(code.as_str())
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
            .count_play(code.as_str())
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
        };
        self.blob(key.as_deref().ok_or(AppError::NotFound)?).await
    }

    /// One of `visitor`'s uploaded photos; another visitor's is `NotFound`.
    pub async fn owned_image(&self, visitor: &Visitor, id: &str) -> Result<ImageRecord, AppError> {
        let image = self
            .store
            .image(parse_id(id)?)
            .await
            .map_err(|e| internal("load image", e))?;
        image
            .filter(|i| i.visitor_id == visitor.0)
            .ok_or(AppError::NotFound)
    }

    /// The visitor's photo a studio request names; an unknown one is the request's fault.
    async fn image_for_studio(&self, visitor: &Visitor, id: &str) -> Result<ImageRecord, AppError> {
        match self.owned_image(visitor, id).await {
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

    /// Games interrupted by a restart are made again (every stage is idempotent).
    pub async fn resume_unfinished(&self) -> Result<usize, StoreError> {
        let ids = self.store.generating_games().await?;
        for id in &ids {
            self.pipeline.spawn(*id);
        }
        Ok(ids.len())
    }

    fn validate(request: &GameRequest) -> Result<(PetName, Uuid), AppError> {
        let name =
            PetName::parse(&request.pet_name).map_err(|m| AppError::invalid("pet_name", m))?;
        if !THEMES.contains(&request.theme.as_str()) {
            return Err(AppError::invalid(
                "theme",
                format!("choose one of: {}", THEMES.join(", ")),
            ));
        }
        if !DIFFICULTIES.contains(&request.difficulty.as_str()) {
            return Err(AppError::invalid(
                "difficulty",
                format!("choose one of: {}", DIFFICULTIES.join(", ")),
            ));
        }
        if !(1..=MAX_LEVELS).contains(&request.level_count) {
            return Err(AppError::invalid(
                "level_count",
                format!("choose between 1 and {MAX_LEVELS} levels"),
            ));
        }
        let image_id = Uuid::parse_str(&request.image_id)
            .map_err(|_| AppError::invalid("image_id", "unknown image"))?;
        Ok((name, image_id))
    }

    fn parse_style(style: Option<&str>) -> Result<ml::Style, AppError> {
        style.unwrap_or(DEFAULT_STYLE).parse().map_err(|_| {
            let ids: Vec<&str> = ml::Style::ALL.iter().map(|s| s.id()).collect();
            AppError::invalid("style", format!("choose one of: {}", ids.join(", ")))
        })
    }

    fn parse_look(request: &PixelArtRequest) -> Result<Look, AppError> {
        let size = request.size.unwrap_or(48);
        if !ml::SPRITE_SIZES.contains(&size) {
            return Err(AppError::invalid("size", "choose 32, 48 or 64 pixels"));
        }
        Ok(Look {
            style: Self::parse_style(Some(&request.style))?,
            size,
            dither: request.dither.unwrap_or(false),
        })
    }
}

/// A game as clients see it, with links to what exists so far.
pub fn game_view(game: &GameRecord) -> GameView {
    let code = &game.short_code;
    let picture = |present: Option<&String>, file: &str| {
        present.map(|_| format!("/api/v1/play/{code}/{file}"))
    };
    let assets = game.assets.clone().unwrap_or_default();
    GameView {
        id: game.id.to_string(),
        short_code: code.clone(),
        title: game.title.clone(),
        pet_name: game.pet_name.clone(),
        theme: game.theme.clone(),
        difficulty: game.difficulty.clone(),
        level_count: game.level_count,
        style: game.style.clone(),
        status: game.status,
        failure: game.failure_reason.clone(),
        plays: game.plays,
        urls: GameUrls {
            play: format!("/g/{code}"),
            embed: format!("/embed/{code}"),
            download: format!("/api/v1/play/{code}/download"),
            cutout: picture(assets.cutout.as_ref(), "cutout.png"),
            sprite: picture(assets.sprite.as_ref(), "sprite.png"),
            sprite_sheet: picture(assets.sheet.as_ref(), "sheet.png"),
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
        let (name, image_id) = Self::validate(&request)?;
        let style = Self::parse_style(request.style.as_deref())?;
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
            image_id,
            short_code: ShortCode::generate().as_str().to_owned(),
            title: format!("{}'s Great Adventure", name.as_str()),
            pet_name: name.as_str().to_owned(),
            theme: request.theme,
            difficulty: request.difficulty,
            level_count: request.level_count,
            seed: rand::random(),
            style: style.id().to_owned(),
            status: GameStatus::Generating,
            failure_reason: None,
            assets: None,
            created_at: Utc::now(),
            completed_at: None,
            plays: 0,
        };
        // A collision of 49-bit codes is rare; try a few fresh ones before giving up.
        let mut attempts = 0;
        loop {
            match self.store.insert_game(&game).await {
                Ok(()) => break,
                Err(StoreError::Conflict {
                    field: "short_code",
                }) if attempts < 5 => {
                    attempts += 1;
                    game.short_code = ShortCode::generate().as_str().to_owned();
                }
                Err(e) => return Err(internal("record game", e)),
            }
        }
        self.pipeline.spawn(game.id);
        Ok(game_view(&game))
    }

    async fn game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        Ok(game_view(&self.owned_game(visitor, id).await?))
    }

    async fn regenerate_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        let mut game = self.owned_game(visitor, id).await?;
        game.seed = rand::random();
        let restarted = self
            .store
            .restart_game(game.id, game.seed, &game.style)
            .await
            .map_err(|e| internal("restart game", e))?;
        if !restarted {
            return Err(AppError::invalid(
                "id",
                "this game is being made already: wait until it is ready",
            ));
        }
        game.status = GameStatus::Generating;
        game.failure_reason = None;
        game.completed_at = None;
        self.pipeline.spawn(game.id);
        Ok(game_view(&game))
    }

    async fn game_by_code(&self, code: &str) -> Result<GameView, AppError> {
        Ok(game_view(&self.public_game(code).await?))
    }

    fn styles(&self) -> Vec<StyleView> {
        ml::Style::ALL
            .into_iter()
            .map(|style| StyleView {
                id: style.id().to_owned(),
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
        image_id: &str,
        crop: CropRequest,
    ) -> Result<UploadedImage, AppError> {
        let image = self.image_for_studio(visitor, image_id).await?;
        self.count_new_photo(visitor).await?;
        let original = self.blob(&image.original_key).await?;
        let limits = self.config.limits.clone();
        let photo = tokio::task::spawn_blocking(move || intake::crop(&original, &limits, crop))
            .await
            .map_err(|e| internal("crop task", e))?
            .map_err(|e| AppError::invalid("crop", e.to_string()))?;
        self.store_photo(visitor, photo).await
    }

    #[tracing::instrument(skip_all)]
    async fn remove_background(
        &self,
        visitor: &Visitor,
        image_id: &str,
    ) -> Result<CutoutView, AppError> {
        let image = self.image_for_studio(visitor, image_id).await?;
        let meta = self
            .studio
            .cutout(image.id, &image.original_key)
            .await?
            .meta;
        let base = format!("/api/v1/images/{}", image.id);
        Ok(CutoutView {
            image_id: image.id.to_string(),
            notice: (meta.method == method_name(ml::SegmentMethod::ColourModel))
                .then(|| FALLBACK_NOTICE.to_owned()),
            method: meta.method,
            cutout_url: format!("{base}/cutout.png"),
            mask_url: format!("{base}/mask.png"),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn pixel_art(
        &self,
        visitor: &Visitor,
        request: PixelArtRequest,
    ) -> Result<PixelArtView, AppError> {
        let look = Self::parse_look(&request)?;
        let image = self.image_for_studio(visitor, &request.image_id).await?;
        let meta = self.studio.art(image.id, &image.original_key, look).await?;
        let base = format!("/api/v1/images/{}/art/{}", image.id, look.slug());
        Ok(PixelArtView {
            image_id: image.id.to_string(),
            style: look.style.id().to_owned(),
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
