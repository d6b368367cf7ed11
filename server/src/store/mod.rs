//! Durable records behind one small trait, with a SQLite and a PostgreSQL implementation.
//!
//! Both implementations share their method bodies (the `store_impl!` macro) and differ only in
//! SQL dialect: PostgreSQL keeps native UUID/JSONB/TIMESTAMPTZ columns and casts at the edge,
//! so rows come back as the same Rust types from either engine.

mod postgres;
mod sqlite;

use app::dto::GameStatus;
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
    pub image_id: Uuid,
    pub short_code: String,
    pub title: String,
    pub pet_name: String,
    pub theme: String,
    pub difficulty: String,
    pub level_count: u32,
    pub seed: u64,
    /// The pixel-art style id the sprite is drawn in (`ml::Style`).
    pub style: String,
    pub status: GameStatus,
    pub failure_reason: Option<String>,
    pub assets: Option<GameAssets>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Times the game was started from its page or embed (`games.stats.plays`).
    pub plays: u64,
}

/// Blob keys of what the pipeline made for a game.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameAssets {
    pub cutout: Option<String>,
    pub sprite: Option<String>,
    pub sheet: Option<String>,
    pub module: Option<String>,
}

/// The settings a game was made with, stored as the seed's `games.config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct GameConfig {
    seed: u64,
    /// Games made before styles existed were drawn in the k-means palette.
    #[serde(default = "default_style")]
    style: String,
}

fn default_style() -> String {
    "classic-16".into()
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which engine, for `/health`.
    fn engine(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;
    async fn insert_image(&self, image: &ImageRecord) -> Result<(), StoreError>;
    async fn image(&self, id: Uuid) -> Result<Option<ImageRecord>, StoreError>;
    async fn delete_image(&self, id: Uuid) -> Result<bool, StoreError>;
    /// Fails with `Conflict { field: "short_code" }` when the code is taken.
    async fn insert_game(&self, game: &GameRecord) -> Result<(), StoreError>;
    async fn game(&self, id: Uuid) -> Result<Option<GameRecord>, StoreError>;
    async fn game_by_code(&self, code: &str) -> Result<Option<GameRecord>, StoreError>;
    /// Records what a stage made, keeping the game `generating`.
    async fn set_game_assets(&self, id: Uuid, assets: &GameAssets) -> Result<(), StoreError>;
    async fn mark_game_ready(&self, id: Uuid, assets: &GameAssets) -> Result<(), StoreError>;
    async fn mark_game_failed(&self, id: Uuid, reason: &str) -> Result<(), StoreError>;
    /// Counts one play of a ready game; false when no ready game has that code.
    async fn count_play(&self, code: &str) -> Result<bool, StoreError>;
    /// Makes a finished (ready or failed) game again from `seed`: back to `generating`.
    /// False when the game is being made already.
    async fn restart_game(&self, id: Uuid, seed: u64, style: &str) -> Result<bool, StoreError>;
    /// Games still being made, oldest first: resumed after a restart.
    async fn generating_games(&self) -> Result<Vec<Uuid>, StoreError>;
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

fn parse_status(s: &str) -> Result<GameStatus, StoreError> {
    match s {
        "generating" => Ok(GameStatus::Generating),
        "ready" => Ok(GameStatus::Ready),
        "failed" => Ok(GameStatus::Failed),
        other => Err(StoreError::Corrupt(format!("game status {other:?}"))),
    }
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
            image_id: parse_uuid(self.image_id.as_deref().unwrap_or_default())?,
            short_code: self.short_code,
            title: self.title,
            pet_name: self.pet_name,
            theme: self.theme,
            difficulty: self.difficulty,
            level_count: to_u32(self.level_count, "level_count")?,
            seed: config.seed,
            style: config.style,
            status: parse_status(&self.status)?,
            failure_reason: self.failure_reason,
            assets,
            plays: u64::try_from(self.plays).unwrap_or(0),
            created_at: self.created_at,
            completed_at: self.completed_at,
        })
    }
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
                let done = sqlx::query($sql::DELETE_IMAGE)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_game(&self, game: &GameRecord) -> Result<(), StoreError> {
                sqlx::query($sql::INSERT_GAME)
                    .bind(game.id.to_string())
                    .bind(&game.visitor_id)
                    .bind(game.image_id.to_string())
                    .bind(&game.short_code)
                    .bind(&game.title)
                    .bind(&game.pet_name)
                    .bind(&game.theme)
                    .bind(&game.difficulty)
                    .bind(i64::from(game.level_count))
                    .bind(format!("/g/{}", game.short_code))
                    .bind(json(&GameConfig {
                        seed: game.seed,
                        style: game.style.clone(),
                    })?)
                    .bind(game.status.as_str())
                    .bind(game.created_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| map_unique(e, "short_code"))?;
                Ok(())
            }

            async fn game(&self, id: Uuid) -> Result<Option<GameRecord>, StoreError> {
                let row = sqlx::query($sql::SELECT_GAME_BY_ID)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| game_columns(&r)?.into_record()).transpose()
            }

            async fn game_by_code(&self, code: &str) -> Result<Option<GameRecord>, StoreError> {
                let row = sqlx::query($sql::SELECT_GAME_BY_CODE)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| game_columns(&r)?.into_record()).transpose()
            }

            async fn set_game_assets(
                &self,
                id: Uuid,
                assets: &GameAssets,
            ) -> Result<(), StoreError> {
                sqlx::query($sql::SET_GAME_ASSETS)
                    .bind(json(assets)?)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_game_ready(
                &self,
                id: Uuid,
                assets: &GameAssets,
            ) -> Result<(), StoreError> {
                sqlx::query($sql::MARK_GAME_READY)
                    .bind(json(assets)?)
                    .bind(Utc::now())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_game_failed(&self, id: Uuid, reason: &str) -> Result<(), StoreError> {
                sqlx::query($sql::MARK_GAME_FAILED)
                    .bind(reason)
                    .bind(Utc::now())
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn count_play(&self, code: &str) -> Result<bool, StoreError> {
                let done = sqlx::query($sql::COUNT_PLAY)
                    .bind(code)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn restart_game(
                &self,
                id: Uuid,
                seed: u64,
                style: &str,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query($sql::RESTART_GAME)
                    .bind(json(&GameConfig {
                        seed,
                        style: style.to_owned(),
                    })?)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn generating_games(&self) -> Result<Vec<Uuid>, StoreError> {
                let ids: Vec<String> = sqlx::query_scalar($sql::GENERATING_GAMES)
                    .fetch_all(&self.pool)
                    .await?;
                ids.iter().map(|s| parse_uuid(s)).collect()
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
            "created_at, completed_at FROM games WHERE ",
            $where
        )
    };
}
pub(crate) use game_select;
