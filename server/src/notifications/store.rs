//! The outbox of "your game is ready" messages (`notifications`), for both engines. A message
//! waits until its game is ready — a claim considers a waiting message due as soon as its
//! game's status says so, whichever process made the game — then a sender claims it (leased,
//! so a crashed sender's message is sent by another), sends it and records the outcome.
//!
//! The store keeps targets as it is given them: [`super::sealed`] seals them on the way in
//! and opens them on the way out.

use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine, to_u32};

/// A message a sender holds for sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedNotification {
    pub id: Uuid,
    pub game_id: Uuid,
    /// `email` or `push`.
    pub channel: String,
    /// The address, or the browser's push subscription as JSON, as stored.
    pub target: StoredTarget,
    /// This claim included.
    pub attempts: u32,
}

/// A target as a row holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredTarget {
    /// Sealed, with its blind index.
    Sealed(SealedTarget),
    /// Written before targets were sealed: the plain value, until `rotate-keys` seals it.
    Legacy(String),
}

impl StoredTarget {
    fn from_columns(target: String, index: Option<String>) -> Self {
        match index {
            Some(index) => Self::Sealed(SealedTarget {
                sealed: target,
                index,
            }),
            None => Self::Legacy(target),
        }
    }

    /// The `target` column's value.
    pub fn stored(&self) -> &str {
        match self {
            Self::Sealed(t) => &t.sealed,
            Self::Legacy(plain) => plain,
        }
    }
}

/// A target sealed for the `target` column, and the blind index that recognises it when it
/// is sent again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedTarget {
    pub sealed: String,
    pub index: String,
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

/// "Tell this address when the game is ready", as the game is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailNotice {
    /// The message's id; a confirmation link names it.
    pub id: Uuid,
    /// The address, sealed.
    pub target: SealedTarget,
    /// Shown to be the asker's own (their account's confirmed address); otherwise the
    /// message waits, `unconfirmed`, for the address's owner to follow the link we sent.
    pub confirmed: bool,
}

impl EmailNotice {
    /// The state the message starts in.
    pub fn state(&self) -> &'static str {
        if self.confirmed {
            "waiting"
        } else {
            "unconfirmed"
        }
    }
}

/// A message's row, for operators and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: Uuid,
    pub channel: String,
    pub target: StoredTarget,
    /// `unconfirmed`, `waiting`, `pending`, `sending`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
}

#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// Adds someone to tell when game `game_id` is ready (`channel` `push`: `target` is the
    /// browser's subscription as JSON). At most `max` targets per channel and game; the same
    /// target twice (the same blind index) is stored once.
    async fn add(
        &self,
        game_id: Uuid,
        channel: &str,
        target: &SealedTarget,
        max: u32,
        now_ms: i64,
    ) -> Result<NotificationAdded, StoreError>;
    /// Takes the oldest message due (its game ready and not yet sent, a retry whose time has
    /// come, or one whose sender's lease ran out), leasing it until `now_ms + lease_ms`.
    async fn claim(
        &self,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedNotification>, StoreError>;
    /// Records a message as sent.
    async fn sent(&self, id: Uuid, now_ms: i64) -> Result<(), StoreError>;
    /// Records a failed send: tried again at `retry_at`, or given up when `None`.
    async fn failed(&self, id: Uuid, error: &str, retry_at: Option<i64>) -> Result<(), StoreError>;
    /// The address's owner consented to the `unconfirmed` message `id`: it waits for its game
    /// like any other. `false` when there is no such message (its game was deleted).
    async fn confirm(&self, id: Uuid) -> Result<bool, StoreError>;
    /// The messages of one game, oldest first.
    async fn of_game(&self, game_id: Uuid) -> Result<Vec<NotificationRecord>, StoreError>;
    /// Up to `limit` messages (`id`, `channel`, target) in id order after `after`: how
    /// `rotate-keys` walks them all.
    async fn targets_page(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, String, StoredTarget)>, StoreError>;
    /// Replaces message `id`'s target, if it still holds `old`, by the same target sealed
    /// anew. When the game already holds that target under the new index (it was sent again
    /// after the old row was written), the old row is the duplicate and is deleted.
    async fn reseal_target(
        &self,
        id: Uuid,
        old: &str,
        new: &SealedTarget,
    ) -> Result<(), StoreError>;
}

/// In the transaction that records a game: the address to tell once it is ready
/// ($1 id, $2 game, $3 channel, $4 sealed target, $5 now, $6 state: [`EmailNotice::state`],
/// $7 the target's blind index).
pub const INSERT_EMAIL: &str = "INSERT INTO notifications (id, game_id, channel, target, \
    target_index, state, run_at, created_at) VALUES ($1, $2, $3, $4, $7, $6, $5, $5)";

mod sql {
    /// Takes the lock that makes adds to one game take turns, so the count in the insert is
    /// exact. PostgreSQL locks the game's row; on SQLite the insert, the transaction's first
    /// statement, takes the database's one write lock before it reads the count.
    pub const POSTGRES_LOCK_GAME: &str = "SELECT 1 FROM games WHERE id = $1 FOR UPDATE";
    pub const ADD: &str = "INSERT INTO notifications (id, game_id, channel, target, \
        target_index, state, run_at, created_at) SELECT $1, g.id, $3, $4, $7, 'waiting', $6, $6 \
        FROM games g WHERE g.id = $2 AND (SELECT COUNT(*) FROM notifications n \
        WHERE n.game_id = $2 AND n.channel = $3) < $5 \
        ON CONFLICT (game_id, channel, target_index) DO NOTHING";
    pub const WHY_NOT_ADDED: &str = "SELECT (SELECT COUNT(*) FROM games WHERE id = $1) AS games, \
        (SELECT COUNT(*) FROM notifications WHERE game_id = $1 AND channel = $2 \
        AND target_index = $3) AS same";
    /// Due: waiting for a game that is ready now, pending with its retry time come, or
    /// sending under a lease that ran out.
    macro_rules! due {
        () => {
            "(n.state = 'waiting' AND EXISTS (SELECT 1 FROM games g \
             WHERE g.id = n.game_id AND g.status = 'ready')) \
             OR (n.state = 'pending' AND n.run_at <= $1) \
             OR (n.state = 'sending' AND n.lease_until < $1)"
        };
    }
    pub const SQLITE_CLAIM: &str = concat!(
        "UPDATE notifications SET state = 'sending', attempts = attempts + 1, lease_until = $2 \
         WHERE id = (SELECT n.id FROM notifications n WHERE ",
        due!(),
        " ORDER BY n.run_at LIMIT 1) RETURNING id, game_id, channel, target, target_index, attempts"
    );
    /// Rows locked by another sender are skipped, not waited for.
    pub const POSTGRES_CLAIM: &str = concat!(
        "UPDATE notifications SET state = 'sending', attempts = attempts + 1, lease_until = $2 \
         WHERE id = (SELECT n.id FROM notifications n WHERE ",
        due!(),
        " ORDER BY n.run_at LIMIT 1 FOR UPDATE OF n SKIP LOCKED) \
         RETURNING id, game_id, channel, target, target_index, attempts"
    );
    pub const SENT: &str = "UPDATE notifications SET state = 'sent', sent_at = $1, \
        lease_until = NULL WHERE id = $2 AND state = 'sending'";
    pub const FAILED: &str = "UPDATE notifications SET state = $1, run_at = $2, last_error = $3, \
        lease_until = NULL WHERE id = $4 AND state = 'sending'";
    pub const CONFIRM: &str = "UPDATE notifications SET state = 'waiting' \
        WHERE id = $1 AND state = 'unconfirmed'";
    pub const OF_GAME: &str = "SELECT id, game_id, channel, target, target_index, state, \
        attempts FROM notifications WHERE game_id = $1 ORDER BY created_at, id";
    pub const TARGETS_FIRST: &str = "SELECT id, channel, target, target_index \
        FROM notifications ORDER BY id LIMIT $1";
    pub const TARGETS_AFTER: &str = "SELECT id, channel, target, target_index \
        FROM notifications WHERE id > $2 ORDER BY id LIMIT $1";
    /// Compare-and-set, so two runs at once, or a sender's update, lose nothing.
    pub const RESEAL: &str = "UPDATE notifications SET target = $1, target_index = $2 \
        WHERE id = $3 AND target = $4 AND NOT EXISTS (SELECT 1 FROM notifications o \
        WHERE o.game_id = notifications.game_id AND o.channel = notifications.channel \
        AND o.target_index = $2 AND o.id <> $3)";
    pub const DROP_DUPLICATE: &str = "DELETE FROM notifications WHERE id = $1 AND target = $2 \
        AND EXISTS (SELECT 1 FROM notifications o WHERE o.game_id = notifications.game_id \
        AND o.channel = notifications.channel AND o.target_index = $3 AND o.id <> $1)";
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: Id,
    game_id: Id,
    channel: String,
    target: String,
    target_index: Option<String>,
    attempts: i32,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Id,
    channel: String,
    target: String,
    target_index: Option<String>,
    state: String,
    attempts: i32,
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    id: Id,
    channel: String,
    target: String,
    target_index: Option<String>,
}

#[derive(sqlx::FromRow)]
struct WhyNot {
    games: i64,
    same: i64,
}

#[async_trait::async_trait]
impl NotificationStore for Db {
    async fn add(
        &self,
        game_id: Uuid,
        channel: &str,
        target: &SealedTarget,
        max: u32,
        now_ms: i64,
    ) -> Result<NotificationAdded, StoreError> {
        let lock = match self {
            Db::Sqlite(_) => None,
            Db::Postgres(_) => Some(sql::POSTGRES_LOCK_GAME),
        };
        let (added, why): (u64, Option<WhyNot>) = each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(lock) = lock {
                sqlx::query(lock).bind(Id(game_id)).execute(&mut *tx).await?;
            }
            let added = sqlx::query(sql::ADD)
                .bind(Id(Uuid::new_v4()))
                .bind(Id(game_id))
                .bind(channel)
                .bind(&target.sealed)
                .bind(i64::from(max))
                .bind(now_ms)
                .bind(&target.index)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let why = if added == 0 {
                let why: WhyNot = sqlx::query_as(sql::WHY_NOT_ADDED)
                    .bind(Id(game_id))
                    .bind(channel)
                    .bind(&target.index)
                    .fetch_one(&mut *tx)
                    .await?;
                Some(why)
            } else {
                None
            };
            tx.commit().await?;
            (added, why)
        });
        Ok(match why {
            _ if added > 0 => NotificationAdded::Added,
            Some(WhyNot { games: 0, .. }) | None => NotificationAdded::NoGame,
            Some(WhyNot { same, .. }) if same > 0 => NotificationAdded::AlreadyThere,
            Some(_) => NotificationAdded::TooMany,
        })
    }

    async fn claim(
        &self,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedNotification>, StoreError> {
        let until = now_ms.saturating_add(lease_ms);
        let claim = self.pick(sql::SQLITE_CLAIM, sql::POSTGRES_CLAIM);
        let row: Option<ClaimRow> = each_engine!(self, pool => sqlx::query_as(claim)
            .bind(now_ms)
            .bind(until)
            .fetch_optional(pool)
            .await?);
        row.map(|r| {
            Ok(ClaimedNotification {
                id: r.id.into(),
                game_id: r.game_id.into(),
                channel: r.channel,
                target: StoredTarget::from_columns(r.target, r.target_index),
                attempts: to_u32(r.attempts.into(), "attempts")?,
            })
        })
        .transpose()
    }

    async fn sent(&self, id: Uuid, now_ms: i64) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::SENT).bind(now_ms).bind(Id(id)).execute(pool).await?;
        });
        Ok(())
    }

    async fn failed(&self, id: Uuid, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        let (state, run_at) = match retry_at {
            Some(at) => ("pending", at),
            None => ("failed", 0),
        };
        each_engine!(self, pool => {
            sqlx::query(sql::FAILED)
                .bind(state)
                .bind(run_at)
                .bind(error)
                .bind(Id(id))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn confirm(&self, id: Uuid) -> Result<bool, StoreError> {
        let done = each_engine!(self, pool => sqlx::query(sql::CONFIRM)
            .bind(Id(id))
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    async fn of_game(&self, game_id: Uuid) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows: Vec<Row> = each_engine!(self, pool => sqlx::query_as(sql::OF_GAME)
            .bind(Id(game_id))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|r| {
                Ok(NotificationRecord {
                    id: r.id.into(),
                    channel: r.channel,
                    target: StoredTarget::from_columns(r.target, r.target_index),
                    state: r.state,
                    attempts: to_u32(r.attempts.into(), "attempts")?,
                })
            })
            .collect()
    }

    async fn targets_page(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, String, StoredTarget)>, StoreError> {
        let limit = i64::from(limit);
        let rows: Vec<TargetRow> = each_engine!(self, pool => match after {
            None => sqlx::query_as(sql::TARGETS_FIRST).bind(limit).fetch_all(pool).await?,
            Some(after) => sqlx::query_as(sql::TARGETS_AFTER)
                .bind(limit)
                .bind(Id(after))
                .fetch_all(pool)
                .await?,
        });
        Ok(rows
            .into_iter()
            .map(|r| {
                let target = StoredTarget::from_columns(r.target, r.target_index);
                (r.id.into(), r.channel, target)
            })
            .collect())
    }

    async fn reseal_target(
        &self,
        id: Uuid,
        old: &str,
        new: &SealedTarget,
    ) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let resealed = sqlx::query(sql::RESEAL)
                .bind(&new.sealed)
                .bind(&new.index)
                .bind(Id(id))
                .bind(old)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if resealed == 0 {
                sqlx::query(sql::DROP_DUPLICATE)
                    .bind(Id(id))
                    .bind(old)
                    .bind(&new.index)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
