//! Where the moderation queue is read and moderators' decisions are applied, each with its
//! record of who did what and why, in one transaction, for both engines.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::gallery::store::{ListedGame, ListedRow};
use crate::infra::db::{Db, Id, StoreError, each_engine};

/// A queue item waiting for a moderator, with its game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedGame {
    pub item: Uuid,
    /// Why it is in the queue (`published`).
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub game: ListedGame,
}

/// What a moderator decided about a queued game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// A moderator's action as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub moderator: Option<Uuid>,
    pub game: Option<Uuid>,
    /// `approve`, `reject`, `hide`, `feature`, `unfeature`.
    pub action: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait ModerationStore: Send + Sync + 'static {
    /// What waits, oldest first.
    async fn queue(&self, limit: u32) -> Result<Vec<QueuedGame>, StoreError>;
    /// Decides a waiting item: its game becomes public (listed from `now`) or rejected with
    /// `reason`. `None` when the item is not waiting (decided, withdrawn, or no such item);
    /// else its game's id.
    async fn decide(
        &self,
        item: Uuid,
        decision: Decision,
        moderator: Uuid,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError>;
    /// Takes a public game down with `reason`; false unless it was public.
    async fn hide(
        &self,
        game: Uuid,
        moderator: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Features a public game from `now`, or stops; false unless it is public.
    async fn feature(
        &self,
        game: Uuid,
        featured: bool,
        moderator: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// What moderators did to a game, oldest first.
    async fn actions(&self, game: Uuid) -> Result<Vec<ActionRecord>, StoreError>;
}

macro_rules! queue_sql {
    ($plays:literal) => {
        concat!(
            "SELECT q.id AS item, COALESCE(q.flagged_reason, '') AS reason, ",
            "q.created_at AS queued_at, ",
            listed_columns!($plays),
            " FROM moderation_queue q JOIN games g ON g.id = q.content_id ",
            "WHERE q.status = 'pending' AND q.content_type = 'game' ",
            "ORDER BY q.created_at, q.id LIMIT $1"
        )
    };
}

mod sql {
    use crate::gallery::store::listed_columns;

    pub const SQLITE_QUEUE: &str =
        queue_sql!("CAST(COALESCE(json_extract(g.stats, '$.plays'), 0) AS INTEGER)");
    pub const POSTGRES_QUEUE: &str = queue_sql!("COALESCE((g.stats->>'plays')::bigint, 0)");
    pub const CLOSE_ITEM: &str = "UPDATE moderation_queue SET status = $2, reviewed_at = $3, \
        notes = $4 WHERE id = $1 AND status = 'pending' RETURNING content_id";
    pub const APPROVE: &str = "UPDATE games SET visibility = 'public', \
        published_at = COALESCE(published_at, $2), moderation_note = NULL \
        WHERE id = $1 AND visibility = 'pending'";
    pub const REJECT: &str = "UPDATE games SET visibility = 'rejected', moderation_note = $2 \
        WHERE id = $1 AND visibility = 'pending'";
    pub const HIDE: &str = "UPDATE games SET visibility = 'hidden', moderation_note = $2, \
        featured_at = NULL WHERE id = $1 AND visibility = 'public'";
    pub const FEATURE: &str = "UPDATE games SET featured_at = $2 \
        WHERE id = $1 AND visibility = 'public'";
    pub const RECORD: &str = "INSERT INTO moderation_actions (id, moderator_id, game_id, \
        item_id, action, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const ACTIONS: &str = "SELECT moderator_id, game_id, action, reason, created_at \
        FROM moderation_actions WHERE game_id = $1 ORDER BY created_at, id";
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    item: Id,
    reason: String,
    queued_at: DateTime<Utc>,
    #[sqlx(flatten)]
    game: ListedRow,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    moderator_id: Option<Id>,
    game_id: Option<Id>,
    action: String,
    reason: Option<String>,
    created_at: DateTime<Utc>,
}

/// Records one action inside the caller's transaction.
macro_rules! record {
    ($tx:expr, $moderator:expr, $game:expr, $item:expr, $action:expr, $reason:expr, $now:expr) => {
        sqlx::query(sql::RECORD)
            .bind(Id(Uuid::new_v4()))
            .bind(Id($moderator))
            .bind(Id($game))
            .bind($item.map(Id))
            .bind($action)
            .bind($reason)
            .bind($now)
            .execute(&mut *$tx)
            .await?
    };
}

#[async_trait::async_trait]
impl ModerationStore for Db {
    async fn queue(&self, limit: u32) -> Result<Vec<QueuedGame>, StoreError> {
        let sql = match self {
            Db::Sqlite(_) => sql::SQLITE_QUEUE,
            Db::Postgres(_) => sql::POSTGRES_QUEUE,
        };
        let rows: Vec<QueueRow> = each_engine!(self, pool => sqlx::query_as(sql)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|row| {
                Ok(QueuedGame {
                    item: row.item.into(),
                    reason: row.reason,
                    created_at: row.queued_at,
                    game: ListedGame::try_from(row.game)?,
                })
            })
            .collect()
    }

    async fn decide(
        &self,
        item: Uuid,
        decision: Decision,
        moderator: Uuid,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let (status, action) = match decision {
            Decision::Approve => ("approved", "approve"),
            Decision::Reject => ("rejected", "reject"),
        };
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let game: Option<Id> = sqlx::query_scalar(sql::CLOSE_ITEM)
                .bind(Id(item))
                .bind(status)
                .bind(now)
                .bind(reason)
                .fetch_optional(&mut *tx)
                .await?;
            match game {
                None => None,
                Some(Id(game)) => {
                    match decision {
                        Decision::Approve => sqlx::query(sql::APPROVE)
                            .bind(Id(game))
                            .bind(now)
                            .execute(&mut *tx)
                            .await?,
                        Decision::Reject => sqlx::query(sql::REJECT)
                            .bind(Id(game))
                            .bind(reason)
                            .execute(&mut *tx)
                            .await?,
                    };
                    record!(tx, moderator, game, Some(item), action, reason, now);
                    tx.commit().await?;
                    Some(game)
                }
            }
        }))
    }

    async fn hide(
        &self,
        game: Uuid,
        moderator: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let hidden = sqlx::query(sql::HIDE)
                .bind(Id(game))
                .bind(reason)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if hidden {
                record!(tx, moderator, game, None::<Uuid>, "hide", Some(reason), now);
                tx.commit().await?;
            }
            hidden
        }))
    }

    async fn feature(
        &self,
        game: Uuid,
        featured: bool,
        moderator: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let action = if featured { "feature" } else { "unfeature" };
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(sql::FEATURE)
                .bind(Id(game))
                .bind(featured.then_some(now))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if done {
                record!(tx, moderator, game, None::<Uuid>, action, None::<&str>, now);
                tx.commit().await?;
            }
            done
        }))
    }

    async fn actions(&self, game: Uuid) -> Result<Vec<ActionRecord>, StoreError> {
        let rows: Vec<ActionRow> = each_engine!(self, pool => sqlx::query_as(sql::ACTIONS)
            .bind(Id(game))
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|row| ActionRecord {
                moderator: row.moderator_id.map(Uuid::from),
                game: row.game_id.map(Uuid::from),
                action: row.action,
                reason: row.reason,
                created_at: row.created_at,
            })
            .collect())
    }
}
