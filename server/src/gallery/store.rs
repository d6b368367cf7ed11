//! Where the gallery reads published games, searches them and records an owner's publishing,
//! for both engines: PostgreSQL's full-text search (a generated `tsvector`, GIN) and SQLite's
//! FTS5 (`games_fts`, kept by triggers) behind one trait.

use chrono::{DateTime, Utc};
use domain::{Difficulty, LevelCount, PetName, SearchTerms, ShortCode, Theme};
use sqlx::types::Json;
use uuid::Uuid;

use crate::games::store::GameAssets;
use crate::infra::db::{Db, Id, StoreError, each_engine, parse_named};

/// A listed game as the gallery reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedGame {
    pub id: Uuid,
    pub short_code: ShortCode,
    pub title: String,
    pub pet_name: PetName,
    pub description: Option<String>,
    pub theme: Theme,
    pub difficulty: Difficulty,
    pub level_count: LevelCount,
    pub plays: u64,
    pub published_at: Option<DateTime<Utc>>,
    pub featured_at: Option<DateTime<Utc>>,
    pub assets: Option<GameAssets>,
}

/// How the gallery is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Newest in the gallery first.
    New,
    /// Featured by a moderator, most recently featured first.
    Featured,
}

/// Where a page of the gallery starts: after the game with this sort time and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct After {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// A page of the gallery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageQuery {
    pub sort: Sort,
    pub theme: Option<Theme>,
    pub difficulty: Option<Difficulty>,
    pub after: Option<After>,
    pub limit: u32,
}

#[async_trait::async_trait]
pub trait GalleryStore: Send + Sync + 'static {
    /// A ready game of `visibility` private or rejected enters moderation (`pending`) with
    /// `description`, and a queue item for it is added in the same transaction. False when
    /// the game is not ready or already published.
    async fn publish(
        &self,
        game: Uuid,
        description: Option<&str>,
        item: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// A pending or public game goes back to link-only; its waiting queue item is withdrawn.
    async fn unpublish(&self, game: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Public games in `query`'s order, from its cursor on.
    async fn page(&self, query: &PageQuery) -> Result<Vec<ListedGame>, StoreError>;
    /// Public games matching every term (each a prefix), best first.
    async fn search(&self, terms: &SearchTerms, limit: u32) -> Result<Vec<ListedGame>, StoreError>;
    /// Public games most played since `query.since`, most first (the play events the game
    /// pages report: a sliding window, not a running total).
    async fn popular(&self, query: &PopularQuery) -> Result<Vec<ListedGame>, StoreError>;
    /// The public games among `ids` that match the filters (either may be absent), in no
    /// particular order: a ranking kept elsewhere looks its games up here.
    async fn listed_among(
        &self,
        ids: &[Uuid],
        theme: Option<Theme>,
        difficulty: Option<Difficulty>,
    ) -> Result<Vec<ListedGame>, StoreError>;
}

/// The most played public games of a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopularQuery {
    pub since: DateTime<Utc>,
    pub theme: Option<Theme>,
    pub difficulty: Option<Difficulty>,
    pub limit: u32,
}

/// `$1` theme, `$2` difficulty (either NULL), `$3` the window's start, `$4` how many; `$theme`
/// and `$difficulty` the parameters as the engine reads a NULL of their type.
macro_rules! popular_sql {
    ($plays:literal, $theme:literal, $difficulty:literal) => {
        concat!(
            "SELECT ",
            listed_columns!($plays),
            " FROM (SELECT game_id, COUNT(*) AS recent FROM analytics_events ",
            "WHERE event_type = 'play' AND created_at >= $3 GROUP BY game_id) p ",
            "JOIN games g ON g.id = p.game_id WHERE g.visibility = 'public' AND (",
            $theme,
            " IS NULL OR g.theme = $1) AND (",
            $difficulty,
            " IS NULL OR g.difficulty = $2) ORDER BY p.recent DESC, g.id DESC LIMIT $4"
        )
    };
}

/// The columns of a listed game (`g`): only the play count's JSON access differs.
macro_rules! listed_columns {
    ($plays:literal) => {
        concat!(
            "g.id, g.short_code, g.title, g.pet_name, g.description, g.theme, g.difficulty, ",
            "g.level_count, ",
            $plays,
            " AS plays, g.published_at, g.featured_at, g.assets"
        )
    };
}
pub(crate) use listed_columns;

/// `$1` theme, `$2` difficulty (either may be NULL), `$3`/`$4` the cursor, `$5` the page
/// size; `$theme`, `$difficulty`, `$at` and `$id` are the parameters as the engine reads a
/// NULL of their type. A first page (`first`, the cursor NULL) and a page after a cursor are
/// two statements: with the cursor's test in an `OR`, neither engine could start the index
/// scan at the cursor, and a page deep in the gallery read every row before it (21× the first
/// page's time at 100,000 games on SQLite, `benches/gallery.rs`).
macro_rules! page_sql {
    ($plays:literal, $theme:literal, $difficulty:literal, $at:literal, $id:literal, $order:literal, first) => {
        page_sql!(@ $plays, $theme, $difficulty, $order, concat!($at, " IS NULL AND ", $id, " IS NULL"))
    };
    ($plays:literal, $theme:literal, $difficulty:literal, $at:literal, $id:literal, $order:literal, after) => {
        page_sql!(@ $plays, $theme, $difficulty, $order, concat!("(", $order, ", g.id) < (", $at, ", ", $id, ")"))
    };
    (@ $plays:literal, $theme:literal, $difficulty:literal, $order:literal, $cursor:expr) => {
        concat!(
            "SELECT ",
            listed_columns!($plays),
            " FROM games g WHERE g.visibility = 'public' AND ",
            $order,
            " IS NOT NULL AND (",
            $theme,
            " IS NULL OR g.theme = $1) AND (",
            $difficulty,
            " IS NULL OR g.difficulty = $2) AND ",
            $cursor,
            " ORDER BY ",
            $order,
            " DESC, g.id DESC LIMIT $5"
        )
    };
}

mod sql {
    pub const PUBLISH: &str = "UPDATE games SET visibility = 'pending', description = $2, \
        moderation_note = NULL WHERE id = $1 AND status = 'ready' AND \
        visibility IN ('private', 'rejected')";
    pub const QUEUE: &str = "INSERT INTO moderation_queue (id, content_type, content_id, status, \
        flagged_reason, created_at) VALUES ($1, 'game', $2, 'pending', 'published', $3)";
    pub const UNPUBLISH: &str = "UPDATE games SET visibility = 'private', published_at = NULL, \
        featured_at = NULL WHERE id = $1 AND visibility IN ('pending', 'public')";
    pub const WITHDRAW: &str = "UPDATE moderation_queue SET status = 'withdrawn', \
        reviewed_at = $2 WHERE content_id = $1 AND status = 'pending'";

    /// A page's statement as each engine reads its parameters.
    macro_rules! sqlite_page {
        ($order:literal, $cursor:ident) => {
            page_sql!(
                "CAST(COALESCE(json_extract(g.stats, '$.plays'), 0) AS INTEGER)",
                "$1",
                "$2",
                "$3",
                "$4",
                $order,
                $cursor
            )
        };
    }
    macro_rules! postgres_page {
        ($order:literal, $cursor:ident) => {
            page_sql!(
                "COALESCE((g.stats->>'plays')::bigint, 0)",
                "$1::text",
                "$2::text",
                "$3::timestamptz",
                "$4::uuid",
                $order,
                $cursor
            )
        };
    }
    pub const SQLITE_NEW: &str = sqlite_page!("g.published_at", first);
    pub const SQLITE_NEW_AFTER: &str = sqlite_page!("g.published_at", after);
    pub const SQLITE_FEATURED: &str = sqlite_page!("g.featured_at", first);
    pub const SQLITE_FEATURED_AFTER: &str = sqlite_page!("g.featured_at", after);
    pub const POSTGRES_NEW: &str = postgres_page!("g.published_at", first);
    pub const POSTGRES_NEW_AFTER: &str = postgres_page!("g.published_at", after);
    pub const POSTGRES_FEATURED: &str = postgres_page!("g.featured_at", first);
    pub const POSTGRES_FEATURED_AFTER: &str = postgres_page!("g.featured_at", after);
    pub const SQLITE_POPULAR: &str = popular_sql!(
        "CAST(COALESCE(json_extract(g.stats, '$.plays'), 0) AS INTEGER)",
        "$1",
        "$2"
    );
    pub const POSTGRES_POPULAR: &str = popular_sql!(
        "COALESCE((g.stats->>'plays')::bigint, 0)",
        "$1::text",
        "$2::text"
    );
    /// `$1` the ids (a JSON array of text ids on SQLite, a `uuid[]` on PostgreSQL).
    pub const SQLITE_AMONG: &str = concat!(
        "SELECT ",
        listed_columns!("CAST(COALESCE(json_extract(g.stats, '$.plays'), 0) AS INTEGER)"),
        " FROM games g WHERE g.id IN (SELECT value FROM json_each($1)) ",
        "AND g.visibility = 'public' AND ($2 IS NULL OR g.theme = $2) ",
        "AND ($3 IS NULL OR g.difficulty = $3)"
    );
    pub const POSTGRES_AMONG: &str = concat!(
        "SELECT ",
        listed_columns!("COALESCE((g.stats->>'plays')::bigint, 0)"),
        " FROM games g WHERE g.id = ANY($1) AND g.visibility = 'public' ",
        "AND ($2::text IS NULL OR g.theme = $2) AND ($3::text IS NULL OR g.difficulty = $3)"
    );
    /// Title and pet name weigh ten times the description (bm25 is lower for better).
    pub const SQLITE_SEARCH: &str = concat!(
        "SELECT ",
        listed_columns!("CAST(COALESCE(json_extract(g.stats, '$.plays'), 0) AS INTEGER)"),
        " FROM games_fts JOIN games g ON g.rowid = games_fts.rowid WHERE games_fts MATCH $1 ",
        "AND g.visibility = 'public' ORDER BY bm25(games_fts, 10.0, 10.0, 1.0), ",
        "g.published_at DESC, g.id DESC LIMIT $2"
    );
    pub const POSTGRES_SEARCH: &str = concat!(
        "SELECT ",
        listed_columns!("COALESCE((g.stats->>'plays')::bigint, 0)"),
        " FROM games g, to_tsquery('simple', $1) query WHERE g.visibility = 'public' ",
        "AND g.search @@ query ORDER BY ts_rank(g.search, query) DESC, ",
        "g.published_at DESC, g.id DESC LIMIT $2"
    );
}

#[derive(sqlx::FromRow)]
pub(crate) struct ListedRow {
    id: Id,
    short_code: String,
    title: String,
    pet_name: String,
    description: Option<String>,
    theme: String,
    difficulty: String,
    level_count: i32,
    plays: i64,
    published_at: Option<DateTime<Utc>>,
    featured_at: Option<DateTime<Utc>>,
    assets: Option<Json<GameAssets>>,
}

impl TryFrom<ListedRow> for ListedGame {
    type Error = StoreError;

    fn try_from(row: ListedRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id.into(),
            short_code: ShortCode::parse(&row.short_code)
                .ok_or_else(|| StoreError::corrupt("short code", &row.short_code))?,
            title: row.title,
            pet_name: PetName::parse(&row.pet_name)
                .map_err(|e| StoreError::corrupt("pet name", e))?,
            description: row.description,
            theme: parse_named(&row.theme)?,
            difficulty: parse_named(&row.difficulty)?,
            level_count: u32::try_from(row.level_count)
                .ok()
                .and_then(|n| LevelCount::try_from(n).ok())
                .ok_or_else(|| StoreError::corrupt("level_count", row.level_count))?,
            plays: u64::try_from(row.plays).unwrap_or(0),
            published_at: row.published_at,
            featured_at: row.featured_at,
            assets: row.assets.map(|Json(assets)| assets),
        })
    }
}

#[async_trait::async_trait]
impl GalleryStore for Db {
    async fn publish(
        &self,
        game: Uuid,
        description: Option<&str>,
        item: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let published = sqlx::query(sql::PUBLISH)
                .bind(Id(game))
                .bind(description)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if published {
                sqlx::query(sql::QUEUE)
                    .bind(Id(item))
                    .bind(Id(game))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            published
        }))
    }

    async fn unpublish(&self, game: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(sql::UNPUBLISH)
                .bind(Id(game))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if done {
                sqlx::query(sql::WITHDRAW)
                    .bind(Id(game))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            done
        }))
    }

    async fn page(&self, query: &PageQuery) -> Result<Vec<ListedGame>, StoreError> {
        let theme = query.theme.map(|t| t.as_str());
        let difficulty = query.difficulty.map(|d| d.as_str());
        let (at, id) = match query.after {
            Some(after) => (Some(after.at), Some(Id(after.id))),
            None => (None, None),
        };
        let sql = match (self, query.sort, query.after.is_some()) {
            (Db::Sqlite(_), Sort::New, false) => sql::SQLITE_NEW,
            (Db::Sqlite(_), Sort::New, true) => sql::SQLITE_NEW_AFTER,
            (Db::Sqlite(_), Sort::Featured, false) => sql::SQLITE_FEATURED,
            (Db::Sqlite(_), Sort::Featured, true) => sql::SQLITE_FEATURED_AFTER,
            (Db::Postgres(_), Sort::New, false) => sql::POSTGRES_NEW,
            (Db::Postgres(_), Sort::New, true) => sql::POSTGRES_NEW_AFTER,
            (Db::Postgres(_), Sort::Featured, false) => sql::POSTGRES_FEATURED,
            (Db::Postgres(_), Sort::Featured, true) => sql::POSTGRES_FEATURED_AFTER,
        };
        let rows: Vec<ListedRow> = each_engine!(self, pool => sqlx::query_as(sql)
            .bind(theme)
            .bind(difficulty)
            .bind(at)
            .bind(id)
            .bind(i64::from(query.limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(ListedGame::try_from).collect()
    }

    async fn popular(&self, query: &PopularQuery) -> Result<Vec<ListedGame>, StoreError> {
        let sql = match self {
            Db::Sqlite(_) => sql::SQLITE_POPULAR,
            Db::Postgres(_) => sql::POSTGRES_POPULAR,
        };
        let rows: Vec<ListedRow> = each_engine!(self, pool => sqlx::query_as(sql)
            .bind(query.theme.map(|t| t.as_str()))
            .bind(query.difficulty.map(|d| d.as_str()))
            .bind(query.since)
            .bind(i64::from(query.limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(ListedGame::try_from).collect()
    }

    async fn listed_among(
        &self,
        ids: &[Uuid],
        theme: Option<Theme>,
        difficulty: Option<Difficulty>,
    ) -> Result<Vec<ListedGame>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let theme = theme.map(|t| t.as_str());
        let difficulty = difficulty.map(|d| d.as_str());
        let rows: Vec<ListedRow> = match self {
            Db::Sqlite(pool) => {
                let ids = serde_json::to_string(
                    &ids.iter()
                        .map(|id| id.hyphenated().to_string())
                        .collect::<Vec<_>>(),
                )
                .map_err(|e| StoreError::corrupt("ids", e))?;
                sqlx::query_as(sql::SQLITE_AMONG)
                    .bind(ids)
                    .bind(theme)
                    .bind(difficulty)
                    .fetch_all(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(sql::POSTGRES_AMONG)
                    .bind(ids)
                    .bind(theme)
                    .bind(difficulty)
                    .fetch_all(pool)
                    .await?
            }
        };
        rows.into_iter().map(ListedGame::try_from).collect()
    }

    async fn search(&self, terms: &SearchTerms, limit: u32) -> Result<Vec<ListedGame>, StoreError> {
        // Each engine's own query syntax, built from the same words.
        let (sql, words) = match self {
            Db::Sqlite(_) => (sql::SQLITE_SEARCH, terms.fts5()),
            Db::Postgres(_) => (sql::POSTGRES_SEARCH, terms.tsquery()),
        };
        let rows: Vec<ListedRow> = each_engine!(self, pool => sqlx::query_as(sql)
            .bind(&words)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(ListedGame::try_from).collect()
    }
}
