//! Where verified times are kept, for both engines: one entry per name on each board (a
//! game's levels as one module), replaced only by a faster time of that name.

use chrono::{DateTime, Utc};
use domain::PlayerName;
use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine};

/// A believed run, to keep.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    pub id: Uuid,
    pub game: Uuid,
    /// The module the run was replayed against: the board.
    pub module: &'a str,
    pub name: &'a PlayerName,
    pub user: Option<Uuid>,
    pub steps: u32,
    pub score: u32,
    pub run: &'a str,
    pub at: DateTime<Utc>,
}

/// A time on a board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub steps: u32,
    pub score: u32,
    pub at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait LeaderboardStore: Send + Sync + 'static {
    /// Keeps `entry` unless its name already holds an equal or faster time on the board;
    /// true when kept. A signed-in player's name is remembered in the same transaction.
    async fn record(&self, entry: &NewEntry<'_>) -> Result<bool, StoreError>;
    /// The board's fastest `limit` times, earliest first among equals.
    async fn top(&self, game: Uuid, module: &str, limit: u32) -> Result<Vec<Entry>, StoreError>;
    /// How many names on the board have a time faster than `steps`.
    async fn faster_than(&self, game: Uuid, module: &str, steps: u32) -> Result<u32, StoreError>;
    /// The name a signed-in player last played under.
    async fn player_name(&self, user: Uuid) -> Result<Option<String>, StoreError>;
    /// Every time an account set, oldest first, with its game's code.
    async fn entries_of(&self, user: Uuid) -> Result<Vec<(String, Entry)>, StoreError>;
    /// Deletes an account's times and remembered name; how many rows went.
    async fn erase(&self, user: Uuid) -> Result<u64, StoreError>;
}

mod sql {
    /// A name's entry is replaced only by a faster time (the `WHERE` of the update).
    pub const RECORD: &str = "INSERT INTO leaderboard_entries (id, game_id, module, name, \
        name_key, user_id, steps, score, run, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
        $8, $9, $10) ON CONFLICT (game_id, module, name_key) DO UPDATE SET name = excluded.name, \
        user_id = excluded.user_id, steps = excluded.steps, score = excluded.score, \
        run = excluded.run, created_at = excluded.created_at \
        WHERE excluded.steps < leaderboard_entries.steps";
    pub const REMEMBER_NAME: &str = "INSERT INTO player_names (user_id, name, updated_at) \
        VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, \
        updated_at = excluded.updated_at";
    pub const TOP: &str = "SELECT name, steps, score, created_at FROM leaderboard_entries \
        WHERE game_id = $1 AND module = $2 ORDER BY steps, created_at, id LIMIT $3";
    pub const FASTER: &str = "SELECT COUNT(*) FROM leaderboard_entries \
        WHERE game_id = $1 AND module = $2 AND steps < $3";
    pub const PLAYER_NAME: &str = "SELECT name FROM player_names WHERE user_id = $1";
    pub const ENTRIES_OF: &str = "SELECT g.short_code, e.name, e.steps, e.score, e.created_at \
        FROM leaderboard_entries e JOIN games g ON g.id = e.game_id WHERE e.user_id = $1 \
        ORDER BY e.created_at, e.id";
    pub const ERASE_ENTRIES: &str = "DELETE FROM leaderboard_entries WHERE user_id = $1";
    pub const ERASE_NAME: &str = "DELETE FROM player_names WHERE user_id = $1";
}

/// Steps and scores are `INTEGER` columns: a run's are far below `i32::MAX` (`run::MAX_STEPS`).
fn column(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(sqlx::FromRow)]
struct AccountEntryRow {
    short_code: String,
    #[sqlx(flatten)]
    entry: EntryRow,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    name: String,
    steps: i32,
    score: i32,
    created_at: DateTime<Utc>,
}

impl TryFrom<EntryRow> for Entry {
    type Error = StoreError;

    fn try_from(row: EntryRow) -> Result<Self, StoreError> {
        Ok(Self {
            name: row.name,
            steps: u32::try_from(row.steps).map_err(|_| StoreError::corrupt("steps", row.steps))?,
            score: u32::try_from(row.score).map_err(|_| StoreError::corrupt("score", row.score))?,
            at: row.created_at,
        })
    }
}

#[async_trait::async_trait]
impl LeaderboardStore for Db {
    async fn record(&self, entry: &NewEntry<'_>) -> Result<bool, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let kept = sqlx::query(sql::RECORD)
                .bind(Id(entry.id))
                .bind(Id(entry.game))
                .bind(entry.module)
                .bind(entry.name.as_str())
                .bind(entry.name.key())
                .bind(entry.user.map(Id))
                .bind(column(entry.steps))
                .bind(column(entry.score))
                .bind(entry.run)
                .bind(entry.at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if let Some(user) = entry.user {
                sqlx::query(sql::REMEMBER_NAME)
                    .bind(Id(user))
                    .bind(entry.name.as_str())
                    .bind(entry.at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            kept
        }))
    }

    async fn top(&self, game: Uuid, module: &str, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let rows: Vec<EntryRow> = each_engine!(self, pool => sqlx::query_as(sql::TOP)
            .bind(Id(game))
            .bind(module)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Entry::try_from).collect()
    }

    async fn faster_than(&self, game: Uuid, module: &str, steps: u32) -> Result<u32, StoreError> {
        let count: i64 = each_engine!(self, pool => sqlx::query_scalar(sql::FASTER)
            .bind(Id(game))
            .bind(module)
            .bind(column(steps))
            .fetch_one(pool)
            .await?);
        u32::try_from(count).map_err(|_| StoreError::corrupt("count", count))
    }

    async fn player_name(&self, user: Uuid) -> Result<Option<String>, StoreError> {
        Ok(
            each_engine!(self, pool => sqlx::query_scalar(sql::PLAYER_NAME)
            .bind(Id(user))
            .fetch_optional(pool)
            .await?),
        )
    }

    async fn entries_of(&self, user: Uuid) -> Result<Vec<(String, Entry)>, StoreError> {
        let rows: Vec<AccountEntryRow> = each_engine!(self, pool => sqlx::query_as(sql::ENTRIES_OF)
            .bind(Id(user))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|row| Ok((row.short_code, Entry::try_from(row.entry)?)))
            .collect()
    }

    async fn erase(&self, user: Uuid) -> Result<u64, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut gone = 0;
            for statement in [sql::ERASE_ENTRIES, sql::ERASE_NAME] {
                gone += sqlx::query(statement)
                    .bind(Id(user))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            gone
        }))
    }
}
