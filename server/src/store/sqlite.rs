//! The embedded default: a SQLite file (WAL) under the data directory.

use std::path::Path;
use std::str::FromStr;

use chrono::Utc;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

use super::{
    GameAssets, GameColumns, GameConfig, GameRecord, ImageColumns, ImageRecord, StoreError,
    game_select, json, map_unique, parse_uuid, store_impl,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        Self::connect(options, 8).await
    }

    /// A private in-memory database (tests).
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: every in-memory connection would be its own database.
        Self::connect(options, 1).await
    }

    async fn connect(options: SqliteConnectOptions, max: u32) -> Result<Self, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

mod sql {
    pub const INSERT_IMAGE: &str = "INSERT INTO pet_images (id, visitor_id, original_url, content_type, width, height, \
        processing_status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'stored', $7)";
    pub const SELECT_IMAGE: &str = "SELECT id, visitor_id, original_url, content_type, width, height, created_at \
        FROM pet_images WHERE id = $1";
    pub const DELETE_IMAGE: &str = "DELETE FROM pet_images WHERE id = $1";
    pub const INSERT_GAME: &str = "INSERT INTO games (id, visitor_id, image_id, short_code, title, pet_name, theme, \
        difficulty, level_count, package_type, game_url, config, status, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'free', $10, $11, $12, $13)";
    pub const SELECT_GAME_BY_ID: &str = super::game_select!(
        "id",
        "image_id",
        "config",
        "assets",
        "CAST(COALESCE(json_extract(stats, '$.plays'), 0) AS INTEGER)",
        "id = $1"
    );
    pub const SELECT_GAME_BY_CODE: &str = super::game_select!(
        "id",
        "image_id",
        "config",
        "assets",
        "CAST(COALESCE(json_extract(stats, '$.plays'), 0) AS INTEGER)",
        "short_code = $1"
    );
    pub const SET_GAME_ASSETS: &str = "UPDATE games SET assets = $1 WHERE id = $2";
    pub const MARK_GAME_READY: &str = "UPDATE games SET status = 'ready', assets = $1, completed_at = $2, \
        failure_reason = NULL WHERE id = $3";
    pub const MARK_GAME_FAILED: &str = "UPDATE games SET status = 'failed', failure_reason = $1, completed_at = $2 \
        WHERE id = $3";
    pub const RESTART_GAME: &str = "UPDATE games SET status = 'generating', config = $1, failure_reason = NULL, \
        completed_at = NULL WHERE id = $2 AND status <> 'generating'";
    pub const COUNT_PLAY: &str = "UPDATE games SET stats = json_set(stats, '$.plays', \
        COALESCE(json_extract(stats, '$.plays'), 0) + 1) WHERE short_code = $1 AND status = 'ready'";
    pub const GENERATING_GAMES: &str =
        "SELECT id FROM games WHERE status = 'generating' ORDER BY created_at";
}

store_impl!(SqliteStore, sqlx::Sqlite, "sqlite", sql);
