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
    /// Why it is in the queue (`published`, or `report: {reason}`).
    pub reason: String,
    /// A report's note.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub game: ListedGame,
    /// The owner's photo the game was made from, while it is kept.
    pub photo: Option<Uuid>,
}

/// What a moderator decided about a queued item: for a published game, list it or turn it
/// down; for a report, keep the game as it is or take it down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// A report to queue.
#[derive(Clone, Debug)]
pub struct NewReport<'a> {
    pub item: Uuid,
    pub game: Uuid,
    pub reason: domain::ReportReason,
    pub note: Option<&'a str>,
    /// The account reporting, if signed in.
    pub reporter: Option<Uuid>,
    pub now: DateTime<Utc>,
}

/// A moderator's action as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub moderator: Option<Uuid>,
    pub game: Option<Uuid>,
    /// `approve`, `reject`, `hide`, `feature`, `unfeature`; on a report `dismiss_report` or
    /// `take_down`.
    pub action: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait ModerationStore: Send + Sync + 'static {
    /// What waits, oldest first.
    async fn queue(&self, limit: u32) -> Result<Vec<QueuedGame>, StoreError>;
    /// The photo a waiting item's game was made from; `None` when the item is not waiting or
    /// the photo is gone.
    async fn waiting_photo(&self, item: Uuid) -> Result<Option<Uuid>, StoreError>;
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
    /// Queues a report about a game.
    async fn report(&self, report: &NewReport<'_>) -> Result<(), StoreError>;
}

macro_rules! queue_sql {
    ($plays:literal) => {
        concat!(
            "SELECT q.id AS item, COALESCE(q.flagged_reason, '') AS reason, ",
            "q.report_note AS note, q.created_at AS queued_at, g.image_id AS photo, ",
            listed_columns!($plays),
            " FROM moderation_queue q JOIN games g ON g.id = q.content_id ",
            "WHERE q.status = 'pending' AND q.content_type IN ('game', 'report') ",
            "ORDER BY q.created_at, q.id LIMIT $1"
        )
    };
}

mod sql {
    use crate::gallery::store::listed_columns;

    pub const SQLITE_QUEUE: &str =
        queue_sql!("CAST(COALESCE(json_extract(g.stats, '$.plays'), 0) AS INTEGER)");
    pub const POSTGRES_QUEUE: &str = queue_sql!("COALESCE((g.stats->>'plays')::bigint, 0)");
    pub const WAITING_PHOTO: &str = "SELECT g.image_id FROM moderation_queue q \
        JOIN games g ON g.id = q.content_id WHERE q.id = $1 AND q.status = 'pending' \
        AND q.content_type IN ('game', 'report')";
    /// `$2` is the status for a published game, `$6` for a report.
    pub const CLOSE_ITEM: &str = "UPDATE moderation_queue SET status = CASE content_type \
        WHEN 'report' THEN $6 ELSE $2 END, reviewed_at = $3, notes = $4, reviewed_by = $5 \
        WHERE id = $1 AND status = 'pending' RETURNING content_id, content_type";
    pub const APPROVE: &str = "UPDATE games SET visibility = 'public', \
        published_at = COALESCE(published_at, $2), moderation_note = NULL \
        WHERE id = $1 AND visibility = 'pending'";
    pub const REJECT: &str = "UPDATE games SET visibility = 'rejected', moderation_note = $2 \
        WHERE id = $1 AND visibility = 'pending'";
    pub const HIDE: &str = "UPDATE games SET visibility = 'hidden', moderation_note = $2, \
        featured_at = NULL WHERE id = $1 AND visibility = 'public'";
    /// A report upheld takes the game down whatever its visibility: a link-only game is
    /// shared too.
    pub const TAKE_DOWN: &str = "UPDATE games SET visibility = 'hidden', moderation_note = $2, \
        featured_at = NULL WHERE id = $1 AND visibility <> 'hidden'";
    pub const REPORT: &str = "INSERT INTO moderation_queue (id, content_type, content_id, \
        user_id, status, flagged_reason, report_note, created_at) \
        VALUES ($1, 'report', $2, $3, 'pending', $4, $5, $6)";
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
    note: Option<String>,
    queued_at: DateTime<Utc>,
    photo: Option<Id>,
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
                    note: row.note,
                    created_at: row.queued_at,
                    game: ListedGame::try_from(row.game)?,
                    photo: row.photo.map(Into::into),
                })
            })
            .collect()
    }

    async fn waiting_photo(&self, item: Uuid) -> Result<Option<Uuid>, StoreError> {
        let photo: Option<Option<Id>> = each_engine!(self, pool => sqlx::query_scalar(sql::WAITING_PHOTO)
            .bind(Id(item))
            .fetch_optional(pool)
            .await?);
        Ok(photo.flatten().map(Into::into))
    }

    async fn decide(
        &self,
        item: Uuid,
        decision: Decision,
        moderator: Uuid,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        // A published game is approved or rejected; a report dismissed (the game stays) or
        // upheld (the game is taken down): one statement closes either kind.
        let (published, reported) = match decision {
            Decision::Approve => ("approved", "dismissed"),
            Decision::Reject => ("rejected", "upheld"),
        };
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let closed: Option<(Id, String)> = sqlx::query_as(sql::CLOSE_ITEM)
                .bind(Id(item))
                .bind(published)
                .bind(now)
                .bind(reason)
                .bind(Id(moderator))
                .bind(reported)
                .fetch_optional(&mut *tx)
                .await?;
            match closed {
                None => None,
                Some((Id(game), kind)) => {
                    let action = match (kind == "report", decision) {
                        (false, Decision::Approve) => {
                            sqlx::query(sql::APPROVE).bind(Id(game)).bind(now)
                                .execute(&mut *tx).await?;
                            "approve"
                        }
                        (false, Decision::Reject) => {
                            sqlx::query(sql::REJECT).bind(Id(game)).bind(reason)
                                .execute(&mut *tx).await?;
                            "reject"
                        }
                        (true, Decision::Approve) => "dismiss_report",
                        (true, Decision::Reject) => {
                            sqlx::query(sql::TAKE_DOWN).bind(Id(game)).bind(reason)
                                .execute(&mut *tx).await?;
                            "take_down"
                        }
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

    async fn report(&self, report: &NewReport<'_>) -> Result<(), StoreError> {
        each_engine!(self, pool => sqlx::query(sql::REPORT)
            .bind(Id(report.item))
            .bind(Id(report.game))
            .bind(report.reporter.map(Id))
            .bind(format!("report: {}", report.reason.as_str()))
            .bind(report.note)
            .bind(report.now)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
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
