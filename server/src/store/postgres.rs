//! The scale-out store: PostgreSQL with the seed's native column types.

use app::dto::{PipelineStage, ShortCode, Style};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use super::{
    ClaimedJob, ClaimedNotification, GameColumns, GameConfig, GameRecord, ImageColumns,
    ImageRecord, JobOutcome, JobRecord, JobState, NotificationAdded, StoreError, game_select, json,
    map_unique, parse_stage, parse_uuid, store_impl, to_u32,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects and runs the migrations (under PostgreSQL's advisory lock, so replicas may race).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

mod sql {
    pub const INSERT_IMAGE: &str = "INSERT INTO pet_images (id, visitor_id, original_url, content_type, width, height, \
        processing_status, created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, 'stored', $7)";
    pub const SELECT_IMAGE: &str = "SELECT id::text AS id, visitor_id, original_url, content_type, width, height, \
        created_at FROM pet_images WHERE id = $1::uuid";
    pub const DETACH_IMAGE: &str = "UPDATE games SET image_id = NULL WHERE image_id = $1::uuid";
    pub const DELETE_IMAGE: &str = "DELETE FROM pet_images WHERE id = $1::uuid";
    pub const INSERT_GAME: &str = "INSERT INTO games (id, visitor_id, image_id, short_code, title, pet_name, theme, \
        difficulty, level_count, package_type, game_url, config, status, created_at) \
        VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, $7, $8, $9, 'free', $10, $11::jsonb, $12, $13)";
    pub const SELECT_GAME_BY_ID: &str = super::game_select!(
        "id::text",
        "image_id::text",
        "config::text",
        "assets::text",
        "COALESCE((stats->>'plays')::bigint, 0)",
        "id = $1::uuid"
    );
    pub const SELECT_GAME_BY_CODE: &str = super::game_select!(
        "id::text",
        "image_id::text",
        "config::text",
        "assets::text",
        "COALESCE((stats->>'plays')::bigint, 0)",
        "short_code = $1"
    );
    pub const SET_GAME_ASSETS: &str = "UPDATE games SET assets = $1::jsonb WHERE id = $2::uuid";
    pub const MARK_GAME_READY: &str = "UPDATE games SET status = 'ready', assets = $1::jsonb, completed_at = $2, \
        failure_reason = NULL WHERE id = $3::uuid";
    pub const MARK_GAME_FAILED: &str = "UPDATE games SET status = 'failed', failure_reason = $1, completed_at = $2 \
        WHERE id = $3::uuid";
    pub const RESTART_GAME: &str = "UPDATE games SET status = 'generating', config = $1::jsonb, \
        failure_reason = NULL, completed_at = NULL WHERE id = $2::uuid AND status <> 'generating'";
    pub const COUNT_PLAY: &str = "UPDATE games SET stats = jsonb_set(stats, '{plays}', \
        to_jsonb(COALESCE((stats->>'plays')::bigint, 0) + 1)) WHERE short_code = $1 AND status = 'ready'";
    /// Queues a game's job at stage $2 (a new job, or one started over).
    pub const QUEUE_JOB: &str = "INSERT INTO jobs (game_id, stage, state, attempts, run_at, queued_at, updated_at) \
        VALUES ($1::uuid, $2, 'queued', 0, $3, $3, $3) ON CONFLICT (game_id) DO UPDATE SET stage = excluded.stage, \
        queued_at = excluded.queued_at, \
        state = 'queued', attempts = 0, run_at = excluded.run_at, lease_token = NULL, \
        lease_until = NULL, worker = NULL, last_error = NULL, updated_at = excluded.updated_at";
    /// Queues a game's job again at the stage it stopped at ($2 only when it has no job).
    pub const REQUEUE_JOB: &str = "INSERT INTO jobs (game_id, stage, state, attempts, run_at, queued_at, updated_at) \
        VALUES ($1::uuid, $2, 'queued', 0, $3, $3, $3) ON CONFLICT (game_id) DO UPDATE SET \
        state = 'queued', attempts = 0, run_at = excluded.run_at, lease_token = NULL, \
        lease_until = NULL, worker = NULL, last_error = NULL, updated_at = excluded.updated_at";
    pub const RETRY_GAME: &str = "UPDATE games SET status = 'generating', failure_reason = NULL, \
        completed_at = NULL WHERE id = $1::uuid AND status = 'failed'";
    pub const CLAIM_JOB: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1, \
        lease_until = $3, worker = $4, updated_at = $2 WHERE game_id = (SELECT game_id FROM jobs \
        WHERE (state = 'queued' AND run_at <= $2) OR (state = 'running' AND lease_until < $2) \
        ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING game_id::text AS game_id, stage, attempts, queued_at";
    pub const EXTEND_LEASE: &str = "UPDATE jobs SET lease_until = $1 \
        WHERE game_id = $2::uuid AND lease_token = $3 AND state = 'running'";
    pub const ADVANCE_JOB: &str = "UPDATE jobs SET stage = $1, state = 'queued', attempts = 0, run_at = $2, \
        lease_token = NULL, lease_until = NULL, worker = NULL, last_error = NULL, updated_at = $2 \
        WHERE game_id = $3::uuid AND lease_token = $4 AND state = 'running'";
    pub const POSTPONE_JOB: &str = "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, \
        lease_token = NULL, lease_until = NULL, worker = NULL, updated_at = $3 \
        WHERE game_id = $4::uuid AND lease_token = $5 AND state = 'running'";
    pub const END_JOB: &str = "UPDATE jobs SET state = $1, last_error = $2, lease_token = NULL, \
        lease_until = NULL, updated_at = $3 WHERE game_id = $4::uuid AND lease_token = $5 AND state = 'running'";
    pub const SELECT_JOB: &str =
        "SELECT stage, state, attempts, run_at, last_error FROM jobs WHERE game_id = $1::uuid";
    pub const QUEUE_DEPTHS: &str = "SELECT stage, state, COUNT(*) AS count FROM jobs \
        WHERE state IN ('queued', 'running') GROUP BY stage, state";
    pub const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, game_id, channel, target, state, \
        run_at, created_at) VALUES ($1::uuid, $2::uuid, $3, $4, 'waiting', $5, $5)";
    pub const RELEASE_NOTIFICATIONS: &str = "UPDATE notifications SET state = 'pending', run_at = $1 \
        WHERE game_id = $2::uuid AND state = 'waiting'";
    pub const CLAIM_NOTIFICATION: &str = "UPDATE notifications SET state = 'sending', attempts = attempts + 1, \
        lease_until = $2 WHERE id = (SELECT id FROM notifications WHERE (state = 'pending' AND run_at <= $1) \
        OR (state = 'sending' AND lease_until < $1) ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
        RETURNING id::text AS id, game_id::text AS game_id, channel, target, attempts";
    pub const LOCK_GAME: &str = "UPDATE games SET status = status WHERE id = $1::uuid";
    pub const ADD_NOTIFICATION: &str = "INSERT INTO notifications (id, game_id, channel, target, state, \
        run_at, created_at) SELECT $1::uuid, g.id, $3, $4, \
        CASE WHEN g.status = 'ready' THEN 'pending' ELSE 'waiting' END, $6, $6 FROM games g \
        WHERE g.id = $2::uuid AND (SELECT COUNT(*) FROM notifications n WHERE n.game_id = $2::uuid \
        AND n.channel = $3) < $5 ON CONFLICT (game_id, channel, target) DO NOTHING";
    pub const WHY_NOT_ADDED: &str = "SELECT (SELECT COUNT(*) FROM games WHERE id = $1::uuid) AS games, \
        (SELECT COUNT(*) FROM notifications WHERE game_id = $1::uuid AND channel = $2 AND target = $3) AS same";
    pub const KEEP_SERVER_KEY: &str = "INSERT INTO server_keys (name, value, created_at) \
        VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
    pub const SELECT_SERVER_KEY: &str = "SELECT value FROM server_keys WHERE name = $1";
    pub const NOTIFICATION_SENT: &str = "UPDATE notifications SET state = 'sent', sent_at = $1, \
        lease_until = NULL WHERE id = $2::uuid AND state = 'sending'";
    pub const NOTIFICATION_FAILED: &str = "UPDATE notifications SET state = $1, run_at = $2, last_error = $3, \
        lease_until = NULL WHERE id = $4::uuid AND state = 'sending'";
    pub const INSERT_EVENT: &str = "INSERT INTO analytics_events (game_id, event_type, event_data) VALUES ($1::uuid, $2, $3::jsonb)";
}

store_impl!(PgStore, sqlx::Postgres, "postgres", sql);
