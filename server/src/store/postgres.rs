//! The scale-out store: PostgreSQL with the seed's native column types.

use chrono::Utc;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use super::{
    GameAssets, GameColumns, GameConfig, GameRecord, ImageColumns, ImageRecord, StoreError,
    game_select, json, map_unique, parse_uuid, store_impl,
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
    pub const GENERATING_GAMES: &str =
        "SELECT id::text FROM games WHERE status = 'generating' ORDER BY created_at";
}

store_impl!(PgStore, sqlx::Postgres, "postgres", sql);
