//! Where games are recorded (`games`) with the durable job that makes each one (`jobs`: one
//! row per game moving through the pipeline's stages), for both engines. The job row is the
//! game's making: they change together, in one transaction, under the job's lease.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use domain::{
    Difficulty, Gait, GameStatus, LevelCount, Package, PetName, PipelineStage, ShortCode, Style,
    Theme, Visibility,
};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine, map_unique, parse_named, to_u32};
use crate::notifications::store::EmailNotice;

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
    /// How the pet walks and runs; `None`: chosen from its silhouette.
    pub gait: Option<Gait>,
    pub status: GameStatus,
    pub failure_reason: Option<String>,
    pub assets: Option<GameAssets>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Times the game was started from its page or embed (`games.stats.plays`).
    pub plays: u64,
    /// The stage its job is at (running, queued or failed); `None` without a job row.
    pub stage: Option<PipelineStage>,
    /// What it was bought with (`games.package_type`).
    pub package: Package,
    /// When a free game stops playing; `None`: kept for good.
    pub expires_at: Option<DateTime<Utc>>,
    /// Times it was made again with new levels.
    pub remakes: u32,
    /// Who can find it (the gallery, search) besides those holding its link.
    pub visibility: Visibility,
    /// What its owner says about it in the gallery.
    pub description: Option<String>,
    /// Why a moderator rejected or hid it.
    pub moderation_note: Option<String>,
}

impl GameRecord {
    /// Past its `expires_at` at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
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
    /// The 64-px sheet and its animated preview, for games whose package draws one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hires_sheet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hires_preview: Option<String>,
}

/// The settings a game was made with, stored as the seed's `games.config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct GameConfig {
    seed: u64,
    /// Games made before styles existed were drawn in the k-means palette (the default).
    #[serde(default)]
    style: Style,
    /// Games made before gaits could be chosen let the silhouette choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gait: Option<Gait>,
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

/// A stage a worker holds: its lease `token` must match for the worker to record an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedStage {
    pub game_id: Uuid,
    pub stage: PipelineStage,
    /// This claim included.
    pub attempts: u32,
    /// When the game was queued from its first stage, ms since the epoch.
    pub queued_at: i64,
    pub token: String,
}

/// How a claimed stage ended.
#[derive(Clone, Copy, Debug)]
pub enum StageOutcome<'a> {
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
    /// The game cannot be made; `reason` is what its owner reads. One `game_failed` event is
    /// recorded with it.
    Failed { reason: &'a str },
}

/// Games made and failed since the database began, read from the event log: what `/metrics`
/// reports, the same from every node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcomes {
    pub ready: u64,
    pub failed: u64,
    /// Games made, by the first of [`DURATION_BUCKETS_MS`] their time fits in; the last slot
    /// counts those over every bound.
    pub ready_by_duration: [u64; DURATION_BUCKETS_MS.len() + 1],
    pub ready_duration_sum_ms: u64,
}

/// Upper bounds of the generation-time histogram, milliseconds.
pub const DURATION_BUCKETS_MS: [i64; 10] = [
    500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000,
];

/// The records of games.
#[async_trait::async_trait]
pub trait GameStore: Send + Sync + 'static {
    /// Records a new game with its job queued at the first stage (unless it waits for its
    /// payment), the address to tell when it is ready, and with `spend_credit_of` one of that
    /// subscriber's credits spent, in one transaction. Fails with `Conflict { field:
    /// "short_code" }` when the code is taken, `Conflict { field: "credits" }` when no credit
    /// is left.
    async fn insert(
        &self,
        game: &GameRecord,
        notify_email: Option<&EmailNotice>,
        spend_credit_of: Option<Uuid>,
    ) -> Result<(), StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<GameRecord>, StoreError>;
    async fn by_code(&self, code: &ShortCode) -> Result<Option<GameRecord>, StoreError>;
    /// Counts one play of a ready game; false when no ready game has that code.
    async fn count_play(&self, code: &ShortCode) -> Result<bool, StoreError>;
    /// Makes a finished (ready or failed) game again from `seed`: back to `generating`, its
    /// job queued at stage `from`. False when the game is being made already.
    async fn restart(
        &self,
        game: &GameRecord,
        seed: u64,
        from: PipelineStage,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Tries a failed game again from the stage that failed. False unless it failed.
    async fn retry(&self, id: Uuid, now_ms: i64) -> Result<bool, StoreError>;
    /// Games made and failed so far.
    async fn outcomes(&self) -> Result<Outcomes, StoreError>;
    /// Deletes a finished game's row (its job and notifications go with it); false when there
    /// was none, or it is being made.
    async fn delete(&self, id: Uuid) -> Result<bool, StoreError>;
    /// The games `owner` made, newest first, at most `limit`.
    async fn by_owner(&self, owner: &str, limit: u32) -> Result<Vec<GameRecord>, StoreError>;
    /// Gives every game of owner `from` to owner `to` (a visitor who signs up or logs in);
    /// how many moved.
    async fn hand_over(&self, from: &str, to: &str) -> Result<u64, StoreError>;
}

/// The games' job queue: claims, leases and outcomes of pipeline stages.
#[async_trait::async_trait]
pub trait PipelineStore: Send + Sync + 'static {
    /// Takes the oldest stage that is due (queued and due, or running with an expired lease),
    /// leasing it to `worker` until `now_ms + lease_ms`. Concurrent claimants never get the
    /// same job.
    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedStage>, StoreError>;
    /// Keeps a claim alive; false when the lease was lost to another claim.
    async fn extend(&self, claim: &ClaimedStage, until_ms: i64) -> Result<bool, StoreError>;
    /// Records how a claimed stage ended, only while `claim`'s lease is the current one: false
    /// (and nothing written) when another claim took the job over.
    async fn complete(
        &self,
        claim: &ClaimedStage,
        outcome: StageOutcome<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    async fn job(&self, game_id: Uuid) -> Result<Option<JobRecord>, StoreError>;
    /// Jobs queued or running, counted by stage and state.
    async fn depths(&self) -> Result<Vec<(PipelineStage, JobState, u64)>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct GameRow {
    id: Id,
    visitor_id: Option<String>,
    image_id: Option<Id>,
    short_code: String,
    title: String,
    pet_name: String,
    theme: String,
    difficulty: String,
    level_count: i32,
    config: Json<GameConfig>,
    status: String,
    failure_reason: Option<String>,
    assets: Option<Json<GameAssets>>,
    plays: i64,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    stage: Option<String>,
    package_type: String,
    expires_at: Option<DateTime<Utc>>,
    remakes: i32,
    visibility: String,
    description: Option<String>,
    moderation_note: Option<String>,
}

impl TryFrom<GameRow> for GameRecord {
    type Error = StoreError;

    fn try_from(row: GameRow) -> Result<Self, StoreError> {
        let Json(config) = row.config;
        Ok(Self {
            id: row.id.into(),
            visitor_id: row.visitor_id.unwrap_or_default(),
            image_id: row.image_id.map(Uuid::from),
            short_code: ShortCode::parse(&row.short_code)
                .ok_or_else(|| StoreError::corrupt("short code", &row.short_code))?,
            title: row.title,
            pet_name: PetName::parse(&row.pet_name)
                .map_err(|e| StoreError::corrupt("pet name", e))?,
            theme: parse_named(&row.theme)?,
            difficulty: parse_named(&row.difficulty)?,
            level_count: LevelCount::try_from(to_u32(row.level_count.into(), "level_count")?)
                .map_err(StoreError::Corrupt)?,
            seed: config.seed,
            style: config.style,
            gait: config.gait,
            status: parse_named(&row.status)?,
            failure_reason: row.failure_reason,
            assets: row.assets.map(|Json(assets)| assets),
            plays: u64::try_from(row.plays).unwrap_or(0),
            created_at: row.created_at,
            completed_at: row.completed_at,
            stage: row.stage.as_deref().map(parse_named).transpose()?,
            package: parse_named(&row.package_type)?,
            expires_at: row.expires_at,
            remakes: to_u32(row.remakes.into(), "remakes")?,
            visibility: parse_named(&row.visibility)?,
            description: row.description,
            moderation_note: row.moderation_note,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    game_id: Id,
    stage: String,
    attempts: i32,
    queued_at: i64,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    stage: String,
    state: String,
    attempts: i32,
    run_at: i64,
    last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DepthRow {
    stage: String,
    state: String,
    count: i64,
}

#[derive(sqlx::FromRow)]
struct OutcomeRow {
    event_type: String,
    bucket: i64,
    count: i64,
    sum_ms: i64,
}

/// The columns of a game as both engines select them: only the play count's JSON access
/// differs.
macro_rules! game_select {
    ($plays:literal, $where:literal) => {
        concat!(
            "SELECT id, visitor_id, image_id, short_code, title, pet_name, theme, difficulty, ",
            "level_count, config, status, failure_reason, assets, ",
            $plays,
            " AS plays, created_at, completed_at, package_type, expires_at, remakes, ",
            "visibility, description, moderation_note, ",
            "(SELECT stage FROM jobs WHERE jobs.game_id = games.id AND jobs.state <> 'done') AS stage ",
            "FROM games WHERE ",
            $where
        )
    };
}

pub(crate) mod sql {
    pub const INSERT_GAME: &str = "INSERT INTO games (id, visitor_id, image_id, short_code, \
        title, pet_name, theme, difficulty, level_count, package_type, game_url, config, status, \
        created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $14, $10, $11, $12, \
        $13, $15)";
    /// Queues a game's job at stage $2 (a new job, or one started over).
    pub const QUEUE_JOB: &str = "INSERT INTO jobs (game_id, stage, state, attempts, run_at, \
        queued_at, updated_at) VALUES ($1, $2, 'queued', 0, $3, $3, $3) ON CONFLICT (game_id) \
        DO UPDATE SET stage = excluded.stage, queued_at = excluded.queued_at, state = 'queued', \
        attempts = 0, run_at = excluded.run_at, lease_token = NULL, lease_until = NULL, \
        worker = NULL, last_error = NULL, updated_at = excluded.updated_at";
    /// Queues a game's job again at the stage it stopped at ($2 only when it has no job).
    pub const REQUEUE_JOB: &str = "INSERT INTO jobs (game_id, stage, state, attempts, run_at, \
        queued_at, updated_at) VALUES ($1, $2, 'queued', 0, $3, $3, $3) ON CONFLICT (game_id) \
        DO UPDATE SET state = 'queued', attempts = 0, run_at = excluded.run_at, \
        lease_token = NULL, lease_until = NULL, worker = NULL, last_error = NULL, \
        updated_at = excluded.updated_at";
    pub const SQLITE_BY_ID: &str = game_select!(
        "CAST(COALESCE(json_extract(stats, '$.plays'), 0) AS INTEGER)",
        "id = $1"
    );
    pub const SQLITE_BY_CODE: &str = game_select!(
        "CAST(COALESCE(json_extract(stats, '$.plays'), 0) AS INTEGER)",
        "short_code = $1"
    );
    pub const SQLITE_BY_OWNER: &str = game_select!(
        "CAST(COALESCE(json_extract(stats, '$.plays'), 0) AS INTEGER)",
        "visitor_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    );
    pub const POSTGRES_BY_OWNER: &str = game_select!(
        "COALESCE((stats->>'plays')::bigint, 0)",
        "visitor_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    );
    pub const HAND_OVER: &str = "UPDATE games SET visitor_id = $2 WHERE visitor_id = $1";
    pub const DELETE_GAME: &str = "DELETE FROM games WHERE id = $1 AND status <> 'generating'";
    pub const POSTGRES_BY_ID: &str =
        game_select!("COALESCE((stats->>'plays')::bigint, 0)", "id = $1");
    pub const POSTGRES_BY_CODE: &str =
        game_select!("COALESCE((stats->>'plays')::bigint, 0)", "short_code = $1");
    pub const SQLITE_COUNT_PLAY: &str = "UPDATE games SET stats = json_set(stats, '$.plays', \
        COALESCE(json_extract(stats, '$.plays'), 0) + 1) WHERE short_code = $1 AND status = 'ready'";
    pub const POSTGRES_COUNT_PLAY: &str = "UPDATE games SET stats = jsonb_set(stats, '{plays}', \
        to_jsonb(COALESCE((stats->>'plays')::bigint, 0) + 1)) \
        WHERE short_code = $1 AND status = 'ready'";
    /// A counted play, with its time: the gallery's "most played" windows count these.
    pub const PLAY_EVENT: &str = "INSERT INTO analytics_events (game_id, event_type, created_at) \
        SELECT id, 'play', $2 FROM games WHERE short_code = $1";
    pub const RESTART_GAME: &str = "UPDATE games SET status = 'generating', config = $1, \
        failure_reason = NULL, completed_at = NULL, remakes = remakes + 1 WHERE id = $2 AND \
        status IN ('ready', 'failed')";
    pub const RETRY_GAME: &str = "UPDATE games SET status = 'generating', failure_reason = NULL, \
        completed_at = NULL WHERE id = $1 AND status = 'failed'";
    pub const SQLITE_CLAIM: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
        lease_token = $1, lease_until = $3, worker = $4, updated_at = $2 WHERE game_id = \
        (SELECT game_id FROM jobs WHERE (state = 'queued' AND run_at <= $2) \
        OR (state = 'running' AND lease_until < $2) ORDER BY run_at LIMIT 1) \
        RETURNING game_id, stage, attempts, queued_at";
    /// Rows locked by another claimant are skipped, not waited for.
    pub const POSTGRES_CLAIM: &str = "UPDATE jobs SET state = 'running', \
        attempts = attempts + 1, lease_token = $1, lease_until = $3, worker = $4, updated_at = $2 \
        WHERE game_id = (SELECT game_id FROM jobs WHERE (state = 'queued' AND run_at <= $2) \
        OR (state = 'running' AND lease_until < $2) ORDER BY run_at LIMIT 1 \
        FOR UPDATE SKIP LOCKED) RETURNING game_id, stage, attempts, queued_at";
    pub const EXTEND_LEASE: &str = "UPDATE jobs SET lease_until = $1 \
        WHERE game_id = $2 AND lease_token = $3 AND state = 'running'";
    pub const ADVANCE_JOB: &str = "UPDATE jobs SET stage = $1, state = 'queued', attempts = 0, \
        run_at = $2, lease_token = NULL, lease_until = NULL, worker = NULL, last_error = NULL, \
        updated_at = $2 WHERE game_id = $3 AND lease_token = $4 AND state = 'running'";
    pub const POSTPONE_JOB: &str = "UPDATE jobs SET state = 'queued', run_at = $1, \
        last_error = $2, lease_token = NULL, lease_until = NULL, worker = NULL, updated_at = $3 \
        WHERE game_id = $4 AND lease_token = $5 AND state = 'running'";
    pub const END_JOB: &str = "UPDATE jobs SET state = $1, last_error = $2, lease_token = NULL, \
        lease_until = NULL, updated_at = $3 WHERE game_id = $4 AND lease_token = $5 \
        AND state = 'running'";
    pub const SET_GAME_ASSETS: &str = "UPDATE games SET assets = $1 WHERE id = $2";
    pub const MARK_GAME_READY: &str = "UPDATE games SET status = 'ready', assets = $1, \
        completed_at = $2, failure_reason = NULL WHERE id = $3";
    pub const MARK_GAME_FAILED: &str = "UPDATE games SET status = 'failed', \
        failure_reason = $1, completed_at = $2 WHERE id = $3";
    pub const INSERT_EVENT: &str =
        "INSERT INTO analytics_events (game_id, event_type, event_data) VALUES ($1, $2, $3)";
    pub const SELECT_JOB: &str =
        "SELECT stage, state, attempts, run_at, last_error FROM jobs WHERE game_id = $1";
    pub const DEPTHS: &str = "SELECT stage, state, COUNT(*) AS count FROM jobs \
        WHERE state IN ('queued', 'running') GROUP BY stage, state";
}

/// Counts of made and failed games by duration bucket, for an engine's way of reading
/// `duration_ms` out of an event's JSON.
fn outcomes_sql(duration: &str) -> String {
    let mut bucket = String::from("CASE");
    for (i, bound) in DURATION_BUCKETS_MS.iter().enumerate() {
        bucket.push_str(&format!(" WHEN {duration} <= {bound} THEN {i}"));
    }
    bucket.push_str(&format!(" ELSE {} END", DURATION_BUCKETS_MS.len()));
    format!(
        "SELECT event_type, CAST({bucket} AS BIGINT) AS bucket, COUNT(*) AS count, \
         CAST(COALESCE(SUM({duration}), 0) AS BIGINT) AS sum_ms FROM analytics_events \
         WHERE event_type IN ('game_generated', 'game_failed') GROUP BY event_type, bucket"
    )
}

static SQLITE_OUTCOMES: LazyLock<String> =
    LazyLock::new(|| outcomes_sql("CAST(json_extract(event_data, '$.duration_ms') AS INTEGER)"));
static POSTGRES_OUTCOMES: LazyLock<String> =
    LazyLock::new(|| outcomes_sql("(event_data->>'duration_ms')::bigint"));

fn outcomes(rows: Vec<OutcomeRow>) -> Outcomes {
    let mut out = Outcomes::default();
    for row in rows {
        let count = u64::try_from(row.count).unwrap_or(0);
        match row.event_type.as_str() {
            "game_generated" => {
                out.ready += count;
                out.ready_duration_sum_ms += u64::try_from(row.sum_ms).unwrap_or(0);
                let slot = usize::try_from(row.bucket)
                    .unwrap_or(DURATION_BUCKETS_MS.len())
                    .min(DURATION_BUCKETS_MS.len());
                out.ready_by_duration[slot] += count;
            }
            _ => out.failed += count,
        }
    }
    out
}

#[async_trait::async_trait]
impl GameStore for Db {
    async fn insert(
        &self,
        game: &GameRecord,
        notify_email: Option<&EmailNotice>,
        spend_credit_of: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let config = Json(GameConfig {
            seed: game.seed,
            style: game.style,
            gait: game.gait,
        });
        let now = game.created_at.timestamp_millis();
        each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(sql::INSERT_GAME)
                .bind(Id(game.id))
                .bind(&game.visitor_id)
                .bind(game.image_id.map(Id))
                .bind(game.short_code.as_str())
                .bind(&game.title)
                .bind(game.pet_name.as_str())
                .bind(game.theme.as_str())
                .bind(game.difficulty.as_str())
                .bind(i64::from(game.level_count.get()))
                .bind(crate::urls::play_page(&game.short_code))
                .bind(&config)
                .bind(game.status.as_str())
                .bind(game.created_at)
                .bind(game.package.as_str())
                .bind(game.expires_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| map_unique(e, "short_code"))?;
            if let Some(subscriber) = spend_credit_of {
                let left: Option<i64> =
                    sqlx::query_scalar(crate::billing::store::shared::SPEND_CREDIT)
                        .bind(Id(subscriber))
                        .fetch_optional(&mut *tx)
                        .await?;
                if left.is_none() {
                    // Dropping the transaction rolls the game back with it.
                    return Err(StoreError::Conflict { field: "credits" });
                }
            }
            if game.status == GameStatus::Generating {
                sqlx::query(sql::QUEUE_JOB)
                    .bind(Id(game.id))
                    .bind(PipelineStage::RemoveBackground.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(notice) = notify_email {
                sqlx::query(crate::notifications::store::INSERT_EMAIL)
                    .bind(Id(notice.id))
                    .bind(Id(game.id))
                    .bind("email")
                    .bind(&notice.target.sealed)
                    .bind(now)
                    .bind(notice.state())
                    .bind(&notice.target.index)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<GameRecord>, StoreError> {
        let select = self.pick(sql::SQLITE_BY_ID, sql::POSTGRES_BY_ID);
        let row: Option<GameRow> = each_engine!(self, pool => sqlx::query_as(select)
            .bind(Id(id))
            .fetch_optional(pool)
            .await?);
        row.map(GameRecord::try_from).transpose()
    }

    async fn by_code(&self, code: &ShortCode) -> Result<Option<GameRecord>, StoreError> {
        let select = self.pick(sql::SQLITE_BY_CODE, sql::POSTGRES_BY_CODE);
        let row: Option<GameRow> = each_engine!(self, pool => sqlx::query_as(select)
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?);
        row.map(GameRecord::try_from).transpose()
    }

    async fn by_owner(&self, owner: &str, limit: u32) -> Result<Vec<GameRecord>, StoreError> {
        let select = self.pick(sql::SQLITE_BY_OWNER, sql::POSTGRES_BY_OWNER);
        let rows: Vec<GameRow> = each_engine!(self, pool => sqlx::query_as(select)
            .bind(owner)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(GameRecord::try_from).collect()
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let done = each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            // Its order stops waiting first (deleting the game unlinks it): a payment that
            // still completes is then refunded as unearned, not kept for a game that is gone.
            sqlx::query(crate::billing::store::shared::CANCEL_GAME_ORDER)
                .bind(Id(id))
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(sql::DELETE_GAME)
                .bind(Id(id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done > 0 {
                tx.commit().await?;
            }
            done
        });
        Ok(done > 0)
    }

    async fn hand_over(&self, from: &str, to: &str) -> Result<u64, StoreError> {
        Ok(each_engine!(self, pool => sqlx::query(sql::HAND_OVER)
            .bind(from)
            .bind(to)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    async fn count_play(&self, code: &ShortCode) -> Result<bool, StoreError> {
        let count = self.pick(sql::SQLITE_COUNT_PLAY, sql::POSTGRES_COUNT_PLAY);
        let now = chrono::Utc::now();
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let counted = sqlx::query(count)
                .bind(code.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            if counted {
                sqlx::query(sql::PLAY_EVENT)
                    .bind(code.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            counted
        }))
    }

    async fn restart(
        &self,
        game: &GameRecord,
        seed: u64,
        from: PipelineStage,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let config = Json(GameConfig {
            seed,
            style: game.style,
            gait: game.gait,
        });
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let restarted = sqlx::query(sql::RESTART_GAME)
                .bind(&config)
                .bind(Id(game.id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if restarted > 0 {
                sqlx::query(sql::QUEUE_JOB)
                    .bind(Id(game.id))
                    .bind(from.as_str())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            restarted > 0
        }))
    }

    async fn retry(&self, id: Uuid, now_ms: i64) -> Result<bool, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let retried = sqlx::query(sql::RETRY_GAME)
                .bind(Id(id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if retried > 0 {
                sqlx::query(sql::REQUEUE_JOB)
                    .bind(Id(id))
                    .bind(PipelineStage::RemoveBackground.as_str())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            retried > 0
        }))
    }

    async fn outcomes(&self) -> Result<Outcomes, StoreError> {
        let select = self.pick(SQLITE_OUTCOMES.as_str(), POSTGRES_OUTCOMES.as_str());
        let rows: Vec<OutcomeRow> = each_engine!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(select))
            .fetch_all(pool)
            .await?);
        Ok(outcomes(rows))
    }
}

#[async_trait::async_trait]
impl PipelineStore for Db {
    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedStage>, StoreError> {
        let token = Uuid::new_v4().to_string();
        let until = now_ms.saturating_add(lease_ms);
        let claim = self.pick(sql::SQLITE_CLAIM, sql::POSTGRES_CLAIM);
        let row: Option<ClaimRow> = each_engine!(self, pool => sqlx::query_as(claim)
            .bind(&token)
            .bind(now_ms)
            .bind(until)
            .bind(worker)
            .fetch_optional(pool)
            .await?);
        row.map(|r| {
            Ok(ClaimedStage {
                game_id: r.game_id.into(),
                stage: parse_named(&r.stage)?,
                attempts: to_u32(r.attempts.into(), "attempts")?,
                queued_at: r.queued_at,
                token: token.clone(),
            })
        })
        .transpose()
    }

    async fn extend(&self, claim: &ClaimedStage, until_ms: i64) -> Result<bool, StoreError> {
        let extended = each_engine!(self, pool => sqlx::query(sql::EXTEND_LEASE)
            .bind(until_ms)
            .bind(Id(claim.game_id))
            .bind(&claim.token)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(extended == 1)
    }

    async fn complete(
        &self,
        claim: &ClaimedStage,
        outcome: StageOutcome<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let id = Id(claim.game_id);
        let completed_at = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_else(Utc::now);
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let released = match outcome {
                StageOutcome::Advance { next, .. } => sqlx::query(sql::ADVANCE_JOB)
                    .bind(next.as_str())
                    .bind(now_ms),
                StageOutcome::RetryAt { run_at, error } => sqlx::query(sql::POSTPONE_JOB)
                    .bind(run_at)
                    .bind(error)
                    .bind(now_ms),
                StageOutcome::Finished { .. } => sqlx::query(sql::END_JOB)
                    .bind("done")
                    .bind(None::<&str>)
                    .bind(now_ms),
                StageOutcome::Failed { reason } => sqlx::query(sql::END_JOB)
                    .bind("failed")
                    .bind(Some(reason))
                    .bind(now_ms),
            }
            .bind(id)
            .bind(&claim.token)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // None released: another claim holds the job now, and this worker's result is
            // dropped whole (the transaction rolls back on drop).
            if released > 0 {
                match outcome {
                    StageOutcome::Finished { assets, duration_ms } => {
                        sqlx::query(sql::MARK_GAME_READY)
                            .bind(Json(assets))
                            .bind(completed_at)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(sql::INSERT_EVENT)
                            .bind(id)
                            .bind("game_generated")
                            .bind(Json(serde_json::json!({ "duration_ms": duration_ms })))
                            .execute(&mut *tx)
                            .await?;
                    }
                    StageOutcome::Failed { reason } => {
                        sqlx::query(sql::MARK_GAME_FAILED)
                            .bind(reason)
                            .bind(completed_at)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(sql::INSERT_EVENT)
                            .bind(id)
                            .bind("game_failed")
                            .bind(Json(serde_json::json!({ "stage": claim.stage.as_str() })))
                            .execute(&mut *tx)
                            .await?;
                    }
                    StageOutcome::Advance { assets, .. } => {
                        sqlx::query(sql::SET_GAME_ASSETS)
                            .bind(Json(assets))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    StageOutcome::RetryAt { .. } => {}
                }
                tx.commit().await?;
            }
            released > 0
        }))
    }

    async fn job(&self, game_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        let row: Option<JobRow> = each_engine!(self, pool => sqlx::query_as(sql::SELECT_JOB)
            .bind(Id(game_id))
            .fetch_optional(pool)
            .await?);
        row.map(|r| {
            Ok(JobRecord {
                game_id,
                stage: parse_named(&r.stage)?,
                state: JobState::parse(&r.state)?,
                attempts: to_u32(r.attempts.into(), "attempts")?,
                run_at: r.run_at,
                last_error: r.last_error,
            })
        })
        .transpose()
    }

    async fn depths(&self) -> Result<Vec<(PipelineStage, JobState, u64)>, StoreError> {
        let rows: Vec<DepthRow> =
            each_engine!(self, pool => sqlx::query_as(sql::DEPTHS).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok((
                    parse_named(&r.stage)?,
                    JobState::parse(&r.state)?,
                    u64::try_from(r.count).unwrap_or(0),
                ))
            })
            .collect()
    }
}
