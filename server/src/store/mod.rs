//! Durable records behind one small trait, with a SQLite and a PostgreSQL implementation.
//!
//! Both implementations share their method bodies (the `store_impl!` macro) and differ only in
//! SQL dialect: PostgreSQL keeps native UUID/JSONB/TIMESTAMPTZ columns and casts at the edge,
//! so rows come back as the same Rust types from either engine.

mod postgres;
mod sqlite;

use app::dto::{
    Difficulty, GameStatus, LevelCount, PetName, PipelineStage, ShortCode, Style, Theme,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint: the field that must be unique.
    #[error("{field} already exists")]
    Conflict { field: &'static str },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A photo as uploaded (validated, re-encoded) and stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: Uuid,
    pub visitor_id: String,
    /// Blob key of the re-encoded original.
    pub original_key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub created_at: DateTime<Utc>,
}

/// A game and where it is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameRecord {
    pub id: Uuid,
    pub visitor_id: String,
    /// The photo it was made from; `None` once its owner deleted the photo.
    pub image_id: Option<Uuid>,
    pub short_code: ShortCode,
    pub title: String,
    pub pet_name: PetName,
    pub theme: Theme,
    pub difficulty: Difficulty,
    pub level_count: LevelCount,
    pub seed: u64,
    /// The pixel-art style the sprite is drawn in.
    pub style: Style,
    pub status: GameStatus,
    pub failure_reason: Option<String>,
    pub assets: Option<GameAssets>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Times the game was started from its page or embed (`games.stats.plays`).
    pub plays: u64,
    /// The stage its job is at (running, queued or failed); `None` without a job row.
    pub stage: Option<PipelineStage>,
}

/// Blob keys of what the pipeline made for a game.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameAssets {
    pub cutout: Option<String>,
    pub sprite: Option<String>,
    pub sheet: Option<String>,
    /// The animated GIF preview of the sheet.
    #[serde(default)]
    pub preview: Option<String>,
    pub module: Option<String>,
}

/// Where a game's job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "done" => Ok(Self::Done),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::Corrupt(format!("job state {other:?}"))),
        }
    }
}

/// A game's job row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    pub game_id: Uuid,
    pub stage: PipelineStage,
    pub state: JobState,
    /// Claims of the current stage so far.
    pub attempts: u32,
    /// When a queued job may run, ms since the epoch.
    pub run_at: i64,
    pub last_error: Option<String>,
}

/// A job a worker holds: its lease `token` must match for the worker to record an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    pub game_id: Uuid,
    pub stage: PipelineStage,
    /// This claim included.
    pub attempts: u32,
    /// When the game was queued from its first stage, ms since the epoch.
    pub queued_at: i64,
    pub token: String,
}

/// A "your game is ready" message a worker holds for sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedNotification {
    pub id: Uuid,
    pub game_id: Uuid,
    /// `email`.
    pub channel: String,
    /// The address.
    pub target: String,
    /// This claim included.
    pub attempts: u32,
}

/// What became of a request to be told when a game is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationAdded {
    /// Stored; due at once if the game is already ready.
    Added,
    /// The same target was already stored for this game and channel.
    AlreadyThere,
    /// The game has as many targets on this channel as it may.
    TooMany,
    /// No such game.
    NoGame,
}

/// How a claimed stage ended.
#[derive(Clone, Copy, Debug)]
pub enum JobOutcome<'a> {
    /// Done; the next stage is queued to run at once, and the game's pictures so far are
    /// recorded with it (under the same lease check, so a stalled worker cannot overwrite
    /// what a later stage recorded).
    Advance {
        next: PipelineStage,
        assets: &'a GameAssets,
    },
    /// The same stage runs again at `run_at` (ms since the epoch) after a failure.
    RetryAt { run_at: i64, error: &'a str },
    /// The game is made: it becomes ready with `assets`, and one `game_generated` event is
    /// recorded with it, in one transaction.
    Finished {
        assets: &'a GameAssets,
        duration_ms: i64,
    },
    /// The game cannot be made; `reason` is what its owner reads.
    Failed { reason: &'a str },
}

/// The settings a game was made with, stored as the seed's `games.config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct GameConfig {
    seed: u64,
    /// Games made before styles existed were drawn in the k-means palette (the default).
    #[serde(default)]
    style: Style,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which engine, for `/health`.
    fn engine(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;
    async fn insert_image(&self, image: &ImageRecord) -> Result<(), StoreError>;
    async fn image(&self, id: Uuid) -> Result<Option<ImageRecord>, StoreError>;
    /// Deletes a photo's row; games made from it keep going without it.
    async fn delete_image(&self, id: Uuid) -> Result<bool, StoreError>;
    /// Records a new game with its job queued at the first stage, and the address to tell when
    /// it is ready, in one transaction. Fails with `Conflict { field: "short_code" }` when the
    /// code is taken.
    async fn insert_game(
        &self,
        game: &GameRecord,
        notify_email: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn game(&self, id: Uuid) -> Result<Option<GameRecord>, StoreError>;
    async fn game_by_code(&self, code: &ShortCode) -> Result<Option<GameRecord>, StoreError>;
    /// Counts one play of a ready game; false when no ready game has that code.
    async fn count_play(&self, code: &ShortCode) -> Result<bool, StoreError>;
    /// Makes a finished (ready or failed) game again from `seed`: back to `generating`, its
    /// job queued at stage `from`. False when the game is being made already.
    async fn restart_game(
        &self,
        id: Uuid,
        seed: u64,
        style: Style,
        from: PipelineStage,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Tries a failed game again from the stage that failed. False unless it failed.
    async fn retry_game(&self, id: Uuid, now_ms: i64) -> Result<bool, StoreError>;
    /// Takes the oldest job that is due (queued and due, or running with an expired lease),
    /// leasing it to `worker` until `now_ms + lease_ms`. Concurrent claimants never get the
    /// same job.
    async fn claim_job(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError>;
    /// Keeps a claim alive; false when the lease was lost to another claim.
    async fn extend_lease(&self, job: &ClaimedJob, until_ms: i64) -> Result<bool, StoreError>;
    /// Records how a claimed stage ended, only while `job`'s lease is the current one: false
    /// (and nothing written) when another claim took the job over.
    async fn complete_job(
        &self,
        job: &ClaimedJob,
        outcome: JobOutcome<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    async fn job(&self, game_id: Uuid) -> Result<Option<JobRecord>, StoreError>;
    /// Takes the oldest message due (pending, or sending with an expired lease), leasing it
    /// until `now_ms + lease_ms`. Messages wait until their game is ready.
    async fn claim_notification(
        &self,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedNotification>, StoreError>;
    /// Adds someone to tell when game `game_id` is ready (`channel` `push`: `target` is the
    /// browser's subscription as JSON), due at once if it already is. At most `max` targets
    /// per channel and game; the same target twice is stored once.
    async fn add_notification(
        &self,
        game_id: Uuid,
        channel: &str,
        target: &str,
        max: u32,
        now_ms: i64,
    ) -> Result<NotificationAdded, StoreError>;
    /// Records a message as sent.
    async fn notification_sent(&self, id: Uuid, now_ms: i64) -> Result<(), StoreError>;
    /// Records a failed send: tried again at `retry_at`, or given up when `None`.
    async fn notification_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// A key the server keeps for itself under `name`: `candidate` is stored unless a key is
    /// already there, and the stored one is returned, so every node ends up with the same.
    async fn server_key(
        &self,
        name: &str,
        candidate: &str,
        now_ms: i64,
    ) -> Result<String, StoreError>;
    /// Jobs queued or running, counted by stage and state.
    async fn queue_depths(&self) -> Result<Vec<(PipelineStage, JobState, u64)>, StoreError>;
}

/// Maps a unique-constraint violation to `Conflict` on the field it guards.
fn map_unique(err: sqlx::Error, field: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { field },
        _ => StoreError::Database(err),
    }
}

fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("uuid {s:?}: {e}")))
}

/// A stored name of one of the shared vocabulary's types; anything else is corrupt.
fn parse_named<T: std::str::FromStr<Err = domain::Unknown>>(s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|e: domain::Unknown| StoreError::Corrupt(format!("{e} (stored {s:?})")))
}

fn to_u32(v: i32, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v}")))
}

/// The columns of a `games` row as both engines return them (ids and JSON as text).
struct GameColumns {
    id: String,
    visitor_id: Option<String>,
    image_id: Option<String>,
    short_code: String,
    title: String,
    pet_name: String,
    theme: String,
    difficulty: String,
    level_count: i32,
    config: String,
    status: String,
    failure_reason: Option<String>,
    assets: Option<String>,
    plays: i64,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    stage: Option<String>,
}

impl GameColumns {
    fn into_record(self) -> Result<GameRecord, StoreError> {
        let config: GameConfig = serde_json::from_str(&self.config)
            .map_err(|e| StoreError::Corrupt(format!("games.config: {e}")))?;
        let assets = self
            .assets
            .map(|a| {
                serde_json::from_str(&a)
                    .map_err(|e| StoreError::Corrupt(format!("games.assets: {e}")))
            })
            .transpose()?;
        Ok(GameRecord {
            id: parse_uuid(&self.id)?,
            visitor_id: self.visitor_id.unwrap_or_default(),
            image_id: self.image_id.as_deref().map(parse_uuid).transpose()?,
            short_code: ShortCode::parse(&self.short_code)
                .ok_or_else(|| StoreError::Corrupt(format!("short code {:?}", self.short_code)))?,
            title: self.title,
            pet_name: PetName::parse(&self.pet_name)
                .map_err(|e| StoreError::Corrupt(format!("pet name: {e}")))?,
            theme: parse_named(&self.theme)?,
            difficulty: parse_named(&self.difficulty)?,
            level_count: LevelCount::try_from(to_u32(self.level_count, "level_count")?)
                .map_err(StoreError::Corrupt)?,
            seed: config.seed,
            style: config.style,
            status: parse_named(&self.status)?,
            failure_reason: self.failure_reason,
            assets,
            plays: u64::try_from(self.plays).unwrap_or(0),
            created_at: self.created_at,
            completed_at: self.completed_at,
            stage: self.stage.as_deref().map(parse_stage).transpose()?,
        })
    }
}

fn parse_stage(s: &str) -> Result<PipelineStage, StoreError> {
    parse_named(s)
}

/// The columns of a `pet_images` row.
struct ImageColumns {
    id: String,
    visitor_id: Option<String>,
    original_url: String,
    content_type: String,
    width: i32,
    height: i32,
    created_at: DateTime<Utc>,
}

impl ImageColumns {
    fn into_record(self) -> Result<ImageRecord, StoreError> {
        Ok(ImageRecord {
            id: parse_uuid(&self.id)?,
            visitor_id: self.visitor_id.unwrap_or_default(),
            original_key: self.original_url,
            content_type: self.content_type,
            width: to_u32(self.width, "width")?,
            height: to_u32(self.height, "height")?,
            created_at: self.created_at,
        })
    }
}

fn json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Implements [`Store`] for a pool type given the dialect's SQL (a module of `&str` constants).
macro_rules! store_impl {
    ($store:ty, $db:ty, $engine:literal, $sql:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn engine(&self) -> &'static str {
                $engine
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn insert_image(&self, image: &ImageRecord) -> Result<(), StoreError> {
                sqlx::query($sql::INSERT_IMAGE)
                    .bind(image.id.to_string())
                    .bind(&image.visitor_id)
                    .bind(&image.original_key)
                    .bind(&image.content_type)
                    .bind(i64::from(image.width))
                    .bind(i64::from(image.height))
                    .bind(image.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn image(&self, id: Uuid) -> Result<Option<ImageRecord>, StoreError> {
                let row = sqlx::query($sql::SELECT_IMAGE)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    use sqlx::Row;
                    ImageColumns {
                        id: r.try_get("id")?,
                        visitor_id: r.try_get("visitor_id")?,
                        original_url: r.try_get("original_url")?,
                        content_type: r.try_get("content_type")?,
                        width: r.try_get("width")?,
                        height: r.try_get("height")?,
                        created_at: r.try_get("created_at")?,
                    }
                    .into_record()
                })
                .transpose()
            }

            async fn delete_image(&self, id: Uuid) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql::DETACH_IMAGE)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query($sql::DELETE_IMAGE)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_game(
                &self,
                game: &GameRecord,
                notify_email: Option<&str>,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql::INSERT_GAME)
                    .bind(game.id.to_string())
                    .bind(&game.visitor_id)
                    .bind(game.image_id.map(|id| id.to_string()))
                    .bind(game.short_code.as_str())
                    .bind(&game.title)
                    .bind(game.pet_name.as_str())
                    .bind(game.theme.as_str())
                    .bind(game.difficulty.as_str())
                    .bind(i64::from(game.level_count.get()))
                    .bind(format!("/g/{}", game.short_code))
                    .bind(json(&GameConfig {
                        seed: game.seed,
                        style: game.style,
                    })?)
                    .bind(game.status.as_str())
                    .bind(game.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| map_unique(e, "short_code"))?;
                let now = game.created_at.timestamp_millis();
                sqlx::query($sql::QUEUE_JOB)
                    .bind(game.id.to_string())
                    .bind(PipelineStage::RemoveBackground.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if let Some(address) = notify_email {
                    sqlx::query($sql::INSERT_NOTIFICATION)
                        .bind(Uuid::new_v4().to_string())
                        .bind(game.id.to_string())
                        .bind("email")
                        .bind(address)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn game(&self, id: Uuid) -> Result<Option<GameRecord>, StoreError> {
                let row = sqlx::query($sql::SELECT_GAME_BY_ID)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| game_columns(&r)?.into_record()).transpose()
            }

            async fn game_by_code(&self, code: &ShortCode) -> Result<Option<GameRecord>, StoreError> {
                let row = sqlx::query($sql::SELECT_GAME_BY_CODE)
                    .bind(code.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| game_columns(&r)?.into_record()).transpose()
            }

            async fn count_play(&self, code: &ShortCode) -> Result<bool, StoreError> {
                let done = sqlx::query($sql::COUNT_PLAY)
                    .bind(code.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn restart_game(
                &self,
                id: Uuid,
                seed: u64,
                style: Style,
                from: PipelineStage,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query($sql::RESTART_GAME)
                    .bind(json(&GameConfig { seed, style })?)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query($sql::QUEUE_JOB)
                    .bind(id.to_string())
                    .bind(from.as_str())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn retry_game(&self, id: Uuid, now_ms: i64) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query($sql::RETRY_GAME)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query($sql::REQUEUE_JOB)
                    .bind(id.to_string())
                    .bind(PipelineStage::RemoveBackground.as_str())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn claim_job(
                &self,
                worker: &str,
                now_ms: i64,
                lease_ms: i64,
            ) -> Result<Option<ClaimedJob>, StoreError> {
                use sqlx::Row;
                let token = Uuid::new_v4().to_string();
                let row = sqlx::query($sql::CLAIM_JOB)
                    .bind(&token)
                    .bind(now_ms)
                    .bind(now_ms.saturating_add(lease_ms))
                    .bind(worker)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let game_id: String = r.try_get("game_id")?;
                    let stage: String = r.try_get("stage")?;
                    let attempts: i32 = r.try_get("attempts")?;
                    Ok(ClaimedJob {
                        game_id: parse_uuid(&game_id)?,
                        stage: parse_stage(&stage)?,
                        attempts: to_u32(attempts, "attempts")?,
                        queued_at: r.try_get("queued_at")?,
                        token: token.clone(),
                    })
                })
                .transpose()
            }

            async fn extend_lease(
                &self,
                job: &ClaimedJob,
                until_ms: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query($sql::EXTEND_LEASE)
                    .bind(until_ms)
                    .bind(job.game_id.to_string())
                    .bind(&job.token)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn complete_job(
                &self,
                job: &ClaimedJob,
                outcome: JobOutcome<'_>,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                let id = job.game_id.to_string();
                let mut tx = self.pool.begin().await?;
                let released = match outcome {
                    JobOutcome::Advance { next, .. } => sqlx::query($sql::ADVANCE_JOB)
                        .bind(next.as_str())
                        .bind(now_ms),
                    JobOutcome::RetryAt { run_at, error } => sqlx::query($sql::POSTPONE_JOB)
                        .bind(run_at)
                        .bind(error)
                        .bind(now_ms),
                    JobOutcome::Finished { .. } => sqlx::query($sql::END_JOB)
                        .bind("done")
                        .bind(None::<String>)
                        .bind(now_ms),
                    JobOutcome::Failed { reason } => sqlx::query($sql::END_JOB)
                        .bind("failed")
                        .bind(Some(reason))
                        .bind(now_ms),
                }
                .bind(&id)
                .bind(&job.token)
                .execute(&mut *tx)
                .await?;
                if released.rows_affected() == 0 {
                    // Another claim holds the job now: this worker's result is dropped whole.
                    return Ok(false);
                }
                let completed_at = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_else(Utc::now);
                match outcome {
                    JobOutcome::Finished {
                        assets,
                        duration_ms,
                    } => {
                        sqlx::query($sql::MARK_GAME_READY)
                            .bind(json(assets)?)
                            .bind(completed_at)
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query($sql::RELEASE_NOTIFICATIONS)
                            .bind(now_ms)
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query($sql::INSERT_EVENT)
                            .bind(&id)
                            .bind("game_generated")
                            .bind(json(&serde_json::json!({ "duration_ms": duration_ms }))?)
                            .execute(&mut *tx)
                            .await?;
                    }
                    JobOutcome::Failed { reason } => {
                        sqlx::query($sql::MARK_GAME_FAILED)
                            .bind(reason)
                            .bind(completed_at)
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query($sql::INSERT_EVENT)
                            .bind(&id)
                            .bind("game_failed")
                            .bind(json(&serde_json::json!({ "stage": job.stage.as_str() }))?)
                            .execute(&mut *tx)
                            .await?;
                    }
                    JobOutcome::Advance { assets, .. } => {
                        sqlx::query($sql::SET_GAME_ASSETS)
                            .bind(json(assets)?)
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    JobOutcome::RetryAt { .. } => {}
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn claim_notification(
                &self,
                now_ms: i64,
                lease_ms: i64,
            ) -> Result<Option<ClaimedNotification>, StoreError> {
                use sqlx::Row;
                let row = sqlx::query($sql::CLAIM_NOTIFICATION)
                    .bind(now_ms)
                    .bind(now_ms.saturating_add(lease_ms))
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let id: String = r.try_get("id")?;
                    let game_id: String = r.try_get("game_id")?;
                    let attempts: i32 = r.try_get("attempts")?;
                    Ok(ClaimedNotification {
                        id: parse_uuid(&id)?,
                        game_id: parse_uuid(&game_id)?,
                        channel: r.try_get("channel")?,
                        target: r.try_get("target")?,
                        attempts: to_u32(attempts, "attempts")?,
                    })
                })
                .transpose()
            }

            async fn add_notification(
                &self,
                game_id: Uuid,
                channel: &str,
                target: &str,
                max: u32,
                now_ms: i64,
            ) -> Result<NotificationAdded, StoreError> {
                use sqlx::Row;
                let mut tx = self.pool.begin().await?;
                // Lock the game's row first (on SQLite, the database). If a transaction
                // marking the game ready got there first, this waits for it, and the insert,
                // a later statement, sees the game ready; otherwise that transaction waits for
                // this one and then releases the row added here. Adds to one game take turns
                // too, so the count in the insert is exact.
                sqlx::query($sql::LOCK_GAME)
                    .bind(game_id.to_string())
                    .execute(&mut *tx)
                    .await?;
                let added = sqlx::query($sql::ADD_NOTIFICATION)
                    .bind(Uuid::new_v4().to_string())
                    .bind(game_id.to_string())
                    .bind(channel)
                    .bind(target)
                    .bind(i64::from(max))
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                if added.rows_affected() > 0 {
                    tx.commit().await?;
                    return Ok(NotificationAdded::Added);
                }
                let row = sqlx::query($sql::WHY_NOT_ADDED)
                    .bind(game_id.to_string())
                    .bind(channel)
                    .bind(target)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                let games: i64 = row.try_get("games")?;
                let same: i64 = row.try_get("same")?;
                Ok(if games == 0 {
                    NotificationAdded::NoGame
                } else if same > 0 {
                    NotificationAdded::AlreadyThere
                } else {
                    NotificationAdded::TooMany
                })
            }

            async fn notification_sent(&self, id: Uuid, now_ms: i64) -> Result<(), StoreError> {
                sqlx::query($sql::NOTIFICATION_SENT)
                    .bind(now_ms)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn notification_failed(
                &self,
                id: Uuid,
                error: &str,
                retry_at: Option<i64>,
            ) -> Result<(), StoreError> {
                let (state, run_at) = match retry_at {
                    Some(at) => ("pending", at),
                    None => ("failed", 0),
                };
                sqlx::query($sql::NOTIFICATION_FAILED)
                    .bind(state)
                    .bind(run_at)
                    .bind(error)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn server_key(
                &self,
                name: &str,
                candidate: &str,
                now_ms: i64,
            ) -> Result<String, StoreError> {
                sqlx::query($sql::KEEP_SERVER_KEY)
                    .bind(name)
                    .bind(candidate)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(sqlx::query_scalar($sql::SELECT_SERVER_KEY)
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn queue_depths(
                &self,
            ) -> Result<Vec<(PipelineStage, JobState, u64)>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query($sql::QUEUE_DEPTHS).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let stage: String = r.try_get("stage")?;
                        let state: String = r.try_get("state")?;
                        let count: i64 = r.try_get("count")?;
                        Ok((
                            parse_stage(&stage)?,
                            JobState::parse(&state)?,
                            u64::try_from(count).unwrap_or(0),
                        ))
                    })
                    .collect()
            }

            async fn job(&self, game_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
                use sqlx::Row;
                let row = sqlx::query($sql::SELECT_JOB)
                    .bind(game_id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let stage: String = r.try_get("stage")?;
                    let state: String = r.try_get("state")?;
                    let attempts: i32 = r.try_get("attempts")?;
                    Ok(JobRecord {
                        game_id,
                        stage: parse_stage(&stage)?,
                        state: JobState::parse(&state)?,
                        attempts: to_u32(attempts, "attempts")?,
                        run_at: r.try_get("run_at")?,
                        last_error: r.try_get("last_error")?,
                    })
                })
                .transpose()
            }
        }

        fn game_columns(r: &<$db as sqlx::Database>::Row) -> Result<GameColumns, StoreError> {
            use sqlx::Row;
            Ok(GameColumns {
                id: r.try_get("id")?,
                visitor_id: r.try_get("visitor_id")?,
                image_id: r.try_get("image_id")?,
                short_code: r.try_get("short_code")?,
                title: r.try_get("title")?,
                pet_name: r.try_get("pet_name")?,
                theme: r.try_get("theme")?,
                difficulty: r.try_get("difficulty")?,
                level_count: r.try_get("level_count")?,
                config: r.try_get("config")?,
                status: r.try_get("status")?,
                failure_reason: r.try_get("failure_reason")?,
                assets: r.try_get("assets")?,
                plays: r.try_get("plays")?,
                created_at: r.try_get("created_at")?,
                completed_at: r.try_get("completed_at")?,
                stage: r.try_get("stage")?,
            })
        }
    };
}
pub(crate) use store_impl;

/// Column lists both dialects select (PostgreSQL adds casts to text where its types differ).
macro_rules! game_select {
    ($id:literal, $image_id:literal, $config:literal, $assets:literal, $plays:literal, $where:literal) => {
        concat!(
            "SELECT ",
            $id,
            " AS id, visitor_id, ",
            $image_id,
            " AS image_id, short_code, title, pet_name, theme, ",
            "difficulty, level_count, ",
            $config,
            " AS config, status, failure_reason, ",
            $assets,
            " AS assets, ",
            $plays,
            " AS plays, ",
            "created_at, completed_at, ",
            "(SELECT stage FROM jobs WHERE jobs.game_id = games.id AND jobs.state <> 'done') AS stage ",
            "FROM games WHERE ",
            $where
        )
    };
}
pub(crate) use game_select;
