//! Games: made from a visitor's photo as durable jobs (`pipeline`), followed live
//! (`progress`), played by anyone holding the short code (`play`), made over with new levels
//! or tried again after a failure by their owner.

pub mod guesses;
pub mod keys;
pub mod pipeline;
pub mod play;
pub mod progress;
pub mod routes;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;

use app::dto::{GameRequest, GameStatus, GameUrls, GameView, PipelineStage, ShortCode};
use app::error::AppError;
use app::port::Visitor;
use bytes::Bytes;
use chrono::Utc;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::accounts::SignedIn;
use crate::accounts::export::Export;
use crate::billing::{Admission, Billing};
use crate::clock::now_ms;
use crate::error::{blob_read, internal};
use crate::infra::blobs::Blobs;
use crate::infra::changes::Changes;
use crate::infra::db::StoreError;
use crate::infra::limits::{Quota, parties};
use crate::infra::runtime::GameRuntime;
use crate::notifications::Notifications;
use crate::notifications::store::EmailNotice;
use crate::photos::Photos;
use crate::urls;
use store::{GameRecord, GameStore};

/// A picture of a game that can be fetched by its public code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Cutout,
    Sprite,
    Sheet,
    Preview,
    /// The 64-px sheet and its preview (premium games).
    HiresSheet,
    HiresPreview,
}

impl Picture {
    pub fn parse(file: &str) -> Option<Self> {
        match file {
            "cutout.png" => Some(Self::Cutout),
            "sprite.png" => Some(Self::Sprite),
            "sheet.png" => Some(Self::Sheet),
            "preview.gif" => Some(Self::Preview),
            "sheet-64.png" => Some(Self::HiresSheet),
            "preview-64.gif" => Some(Self::HiresPreview),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Preview | Self::HiresPreview => "image/gif",
            Self::Cutout | Self::Sprite | Self::Sheet | Self::HiresSheet => "image/png",
        }
    }
}

/// What making games costs a person: games started and "new levels" a day, and the plays
/// one client address may add to one game's count in an hour.
pub struct GameQuotas {
    pub started: Quota,
    pub remade: Quota,
    pub plays: Quota,
    /// Lookups of codes that do not exist, per client address.
    pub guesses: guesses::CodeGuesses,
}

pub struct Games {
    store: Arc<dyn GameStore>,
    photos: Arc<Photos>,
    blobs: Blobs,
    runtime: Arc<GameRuntime>,
    changes: Changes,
    /// Rung when a job is queued, so an in-process worker starts it without waiting to poll.
    jobs_queued: Arc<Notify>,
    quotas: GameQuotas,
}

/// Starts a game as the API and the create page ask for it: how it is paid for decided and
/// what its package allows checked first, then its quota spent, then the email to send when it
/// is ready settled (a confirmation mailed, for an address not the caller's own), then the
/// game recorded with that email (waiting for its payment, if it was bought).
pub async fn start(
    games: &Games,
    notifications: &Notifications,
    billing: &Billing,
    visitor: &Visitor,
    caller: Option<&SignedIn>,
    client: Option<IpAddr>,
    request: GameRequest,
) -> Result<GameView, AppError> {
    let admission = billing.admit(caller, request.package)?;
    let package = admission.package;
    if let Some(refusal) = package.allowance().refuses(
        package,
        request.level_count,
        request.style.unwrap_or_default(),
    ) {
        return Err(AppError::invalid(refusal.field, refusal.message));
    }
    games
        .quotas
        .started
        .spend(&parties(visitor, client))
        .await?;
    let notice = notifications
        .email_notice(caller, request.notify_email.as_deref(), client)
        .await?;
    games
        .create(visitor, request, notice.as_ref(), &admission)
        .await
}

impl Games {
    pub fn new(
        store: Arc<dyn GameStore>,
        photos: Arc<Photos>,
        blobs: Blobs,
        runtime: Arc<GameRuntime>,
        changes: Changes,
        jobs_queued: Arc<Notify>,
        quotas: GameQuotas,
    ) -> Self {
        Self {
            store,
            photos,
            blobs,
            runtime,
            changes,
            jobs_queued,
            quotas,
        }
    }

    pub fn runtime(&self) -> &GameRuntime {
        &self.runtime
    }

    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Starts making a game from one of the visitor's photos, with the email to send when
    /// it is ready (`Notifications::email_notice` decides it from `request.notify_email`),
    /// paid for as `admission` says.
    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        visitor: &Visitor,
        request: GameRequest,
        notify_email: Option<&EmailNotice>,
        admission: &Admission,
    ) -> Result<GameView, AppError> {
        let image = self
            .photos
            .named_in_request(visitor, request.image_id)
            .await?;
        let created_at = Utc::now();
        let expires_at = admission
            .package
            .allowance()
            .expires_after_days
            .map(|days| created_at + chrono::Duration::days(i64::from(days)));
        let mut game = GameRecord {
            id: Uuid::new_v4(),
            visitor_id: visitor.0.clone(),
            image_id: Some(image.id),
            short_code: new_short_code(),
            title: format!("{}'s Great Adventure", request.pet_name),
            pet_name: request.pet_name,
            theme: request.theme,
            difficulty: request.difficulty,
            level_count: request.level_count,
            seed: rand::random(),
            style: request.style.unwrap_or_default(),
            gait: request.gait,
            status: admission.status,
            failure_reason: None,
            assets: None,
            created_at,
            completed_at: None,
            plays: 0,
            stage: (admission.status == GameStatus::Generating)
                .then_some(PipelineStage::RemoveBackground),
            package: admission.package,
            expires_at,
            remakes: 0,
            visibility: domain::Visibility::Private,
            description: None,
            moderation_note: None,
        };
        // A collision of 49-bit codes is rare; try a few fresh ones before giving up.
        let mut attempts = 0;
        loop {
            match self
                .store
                .insert(&game, notify_email, admission.spend_credit_of)
                .await
            {
                Ok(()) => break,
                Err(StoreError::Conflict {
                    field: "short_code",
                }) if attempts < 5 => {
                    attempts += 1;
                    game.short_code = new_short_code();
                }
                Err(StoreError::Conflict { field: "credits" }) => return Err(Billing::no_credit()),
                Err(e) => return Err(internal("record game", e)),
            }
        }
        if game.status == GameStatus::Generating {
            self.queued(game.id).await;
        }
        Ok(game_view(&game))
    }

    /// A game owned by `visitor`; another visitor's, or none, is `NotFound`.
    pub async fn owned(&self, visitor: &Visitor, id: &str) -> Result<GameRecord, AppError> {
        let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
        self.store
            .get(id)
            .await?
            .filter(|g| visitor.owns(&g.visitor_id))
            .ok_or(AppError::NotFound)
    }

    /// The games `visitor` made, newest first ("My games"); none for an anonymous visitor.
    pub async fn mine(&self, visitor: &Visitor) -> Result<Vec<GameView>, AppError> {
        if visitor.is_anonymous() {
            return Ok(Vec::new());
        }
        let games = self.store.by_owner(&visitor.0, MY_GAMES_LIMIT).await?;
        Ok(games.iter().map(game_view).collect())
    }

    pub async fn view(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        Ok(game_view(&self.owned(visitor, id).await?))
    }

    /// Makes a ready (or failed) game of the visitor's again with new levels: a new seed,
    /// the same pet and settings.
    pub async fn regenerate(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        id: &str,
    ) -> Result<GameView, AppError> {
        let game = self.owned(visitor, id).await?;
        if game.status == GameStatus::AwaitingPayment {
            return Err(AppError::PaymentRequired(
                "this game is waiting for its payment: it is made once paid".into(),
            ));
        }
        if let Some(limit) = game.package.allowance().new_levels
            && game.remakes >= limit
        {
            return Err(AppError::PaymentRequired(format!(
                "the {} package makes a game with new levels {limit} time{}; premium makes \
                 them without limit",
                game.package.label(),
                if limit == 1 { "" } else { "s" }
            )));
        }
        self.quotas.remade.spend(&parties(visitor, client)).await?;
        let from = pipeline::restart_stage(&self.blobs, game.id).await?;
        if !self
            .store
            .restart(&game, rand::random(), from, now_ms())
            .await?
        {
            return Err(AppError::invalid(
                "id",
                "this game is being made already: wait until it is ready",
            ));
        }
        self.queued(game.id).await;
        self.view(visitor, id).await
    }

    /// Makes a failed game of the visitor's again from the stage that failed.
    pub async fn retry(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        let game = self.owned(visitor, id).await?;
        if !self.store.retry(game.id, now_ms()).await? {
            return Err(AppError::invalid(
                "id",
                "only a game that failed can be tried again",
            ));
        }
        self.queued(game.id).await;
        self.view(visitor, id).await
    }

    /// Deletes one of the visitor's finished games with its files: its page, embed and
    /// download stop working. Files go first: should that fail half-way, the row still leads
    /// a retry to the rest.
    pub async fn delete(&self, visitor: &Visitor, id: &str) -> Result<(), AppError> {
        let game = self.owned(visitor, id).await?;
        if game.status == GameStatus::Generating {
            return Err(AppError::invalid(
                "id",
                "this game is still being made: delete it once it is ready or has failed",
            ));
        }
        let files = self
            .blobs
            .list(&keys::folder(game.id))
            .await
            .map_err(|e| internal("list game files", e))?;
        for key in files {
            self.blobs
                .delete(&key)
                .await
                .map_err(|e| internal("delete game file", e))?;
        }
        if !self.store.delete(game.id).await? {
            // It started being made again meanwhile (new levels asked elsewhere).
            return Err(AppError::invalid(
                "id",
                "this game is being made again: delete it once it is ready",
            ));
        }
        self.changes.game(game.id).await;
        Ok(())
    }

    /// A game by its public code (anyone holding the code may play it), asked for from
    /// `client`: an address that keeps asking for codes that do not exist is refused
    /// (`guesses`).
    pub async fn public(&self, code: &str, client: Option<IpAddr>) -> Result<GameRecord, AppError> {
        self.quotas.guesses.admit(client).await?;
        let found = match ShortCode::parse(code) {
            Some(code) => self.store.by_code(&code).await?,
            None => None,
        };
        match found {
            Some(game) => Ok(game),
            None => Err(self.quotas.guesses.missed(client).await),
        }
    }

    /// A public game that still plays: a free game past its time is `Expired`.
    pub async fn playable(
        &self,
        code: &str,
        client: Option<IpAddr>,
    ) -> Result<GameRecord, AppError> {
        let game = self.public(code, client).await?;
        if game.expired(Utc::now()) {
            return Err(expired());
        }
        Ok(game)
    }

    /// Counts a play of a public game (the page's loader reports the first start): the
    /// game's id once counted.
    pub async fn count_play(&self, code: &str, client: Option<IpAddr>) -> Result<Uuid, AppError> {
        let game = self.playable(code, client).await?;
        let code = ShortCode::parse(code).ok_or(AppError::NotFound)?;
        if let Some(ip) = client {
            let party = format!("{code}:{}", crate::http::client_ip::limit_key(ip));
            self.quotas.plays.spend(&[party]).await?;
        }
        if self.store.count_play(&code).await? {
            Ok(game.id)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The playable module (runtime + data) of a ready game.
    pub async fn module(&self, game: &GameRecord) -> Result<Bytes, AppError> {
        let key = game
            .assets
            .as_ref()
            .and_then(|a| a.module.as_deref())
            .ok_or(AppError::NotFound)?;
        self.blobs.get(key).await.map_err(blob_read)
    }

    pub async fn picture(&self, game: &GameRecord, picture: Picture) -> Result<Bytes, AppError> {
        let assets = game.assets.as_ref().ok_or(AppError::NotFound)?;
        let key = match picture {
            Picture::Cutout => &assets.cutout,
            Picture::Sprite => &assets.sprite,
            Picture::Sheet => &assets.sheet,
            Picture::Preview => &assets.preview,
            Picture::HiresSheet => &assets.hires_sheet,
            Picture::HiresPreview => &assets.hires_preview,
        };
        self.blobs
            .get(key.as_deref().ok_or(AppError::NotFound)?)
            .await
            .map_err(blob_read)
    }

    /// One self-contained HTML file that plays the game offline.
    pub async fn download_html(&self, game: &GameRecord) -> Result<String, AppError> {
        let module = self.module(game).await?;
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
        self.changes.game(game_id).await;
    }
}

/// What a free game past its time answers.
pub fn expired() -> AppError {
    AppError::Expired(
        "this free game has expired: its owner can keep it for good with the basic package".into(),
    )
}

/// The most games "My games" lists (newest first).
pub const MY_GAMES_LIMIT: u32 = 500;

/// A visitor's games become their account's when they sign up or log in.
#[async_trait::async_trait]
impl crate::accounts::Belongings for Games {
    fn kind(&self) -> &'static str {
        "games"
    }

    async fn hand_over(&self, from: &Visitor, to: &Visitor) -> Result<u64, AppError> {
        if from.is_anonymous() || to.is_anonymous() {
            return Ok(0);
        }
        Ok(self.store.hand_over(&from.0, &to.0).await?)
    }

    /// `games.json` (every game as its owner sees it), each game's files under
    /// `games/{id}/`, and a ready game as the one HTML file that plays offline.
    async fn export(&self, owner: &Visitor, zip: &mut Export) -> Result<(), AppError> {
        let games = self.store.by_owner(&owner.0, u32::MAX).await?;
        let listed: Vec<GameView> = games.iter().map(game_view).collect();
        zip.add_json("games.json", &listed).await?;
        for game in &games {
            let folder = keys::folder(game.id);
            let files = self
                .blobs
                .list(&folder)
                .await
                .map_err(|e| internal("list game files", e))?;
            for key in files {
                let bytes = self.blobs.get(&key).await.map_err(blob_read)?;
                let file = key.strip_prefix(&folder).unwrap_or(&key);
                zip.add(&format!("games/{}{file}", game.id), &bytes).await?;
            }
            if game.status == GameStatus::Ready {
                let html = self.download_html(game).await?;
                let name = format!("games/{}/{}.html", game.id, game.short_code);
                zip.add(&name, html.as_bytes()).await?;
            }
        }
        Ok(())
    }

    /// A game being made is written to as it is erased: the account waits for it.
    async fn erasable(&self, owner: &Visitor) -> Result<(), AppError> {
        let games = self.store.by_owner(&owner.0, u32::MAX).await?;
        if games.iter().any(|g| g.status == GameStatus::Generating) {
            return Err(AppError::invalid(
                "account",
                "a game of yours is still being made: delete your account once it is ready",
            ));
        }
        Ok(())
    }

    async fn erase(&self, owner: &Visitor) -> Result<u64, AppError> {
        let games = self.store.by_owner(&owner.0, u32::MAX).await?;
        for game in &games {
            self.delete(owner, &game.id.to_string()).await?;
        }
        Ok(games.len() as u64)
    }
}

/// A fresh random short code.
fn new_short_code() -> ShortCode {
    use rand::Rng as _;
    let mut rng = rand::rng();
    ShortCode::generate(|n| rng.random_range(0..n))
}

/// A game as clients see it, with links to what exists so far.
/// The game as anyone holding its code sees it: without its id (which addresses it on the
/// owner's routes) or what a moderator told its owner.
pub fn public_game_view(game: &GameRecord) -> GameView {
    GameView {
        id: None,
        moderation_note: None,
        ..game_view(game)
    }
}

/// The game as its owner sees it.
pub fn game_view(game: &GameRecord) -> GameView {
    let code = &game.short_code;
    let assets = game.assets.clone().unwrap_or_default();
    let picture = |present: &Option<String>, file: &str| {
        present.as_ref().map(|_| urls::game_public_file(code, file))
    };
    GameView {
        id: Some(game.id),
        short_code: code.clone(),
        title: game.title.clone(),
        pet_name: game.pet_name.clone(),
        theme: game.theme,
        difficulty: game.difficulty,
        level_count: game.level_count,
        style: game.style,
        gait: game.gait,
        status: game.status,
        stage: game.stage.filter(|_| game.status != GameStatus::Ready),
        progress: match game.status {
            GameStatus::Ready => 100,
            _ => game.stage.map_or(0, PipelineStage::percent_before),
        },
        failure: game.failure_reason.clone(),
        plays: game.plays,
        package: game.package,
        expires_at: game.expires_at.map(crate::billing::rfc3339),
        expired: game.expired(Utc::now()),
        visibility: game.visibility,
        description: game.description.clone(),
        moderation_note: game.moderation_note.clone(),
        urls: GameUrls {
            play: urls::play_page(code),
            embed: urls::embed_page(code),
            download: urls::game_public_file(code, "download"),
            cutout: picture(&assets.cutout, "cutout.png"),
            sprite: picture(&assets.sprite, "sprite.png"),
            sprite_sheet: picture(&assets.sheet, "sheet.png"),
            preview: picture(&assets.preview, "preview.gif"),
            hires_sheet: picture(&assets.hires_sheet, "sheet-64.png"),
            hires_preview: picture(&assets.hires_preview, "preview-64.gif"),
            share: None,
            share_embed: None,
            share_image: None,
        },
    }
}
