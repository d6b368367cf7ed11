//! Where page events are kept, for both engines: one row per event in `analytics_events`
//! (for the days of a game's chart and the gallery's "most played"), and a game's totals in
//! its `stats`, which outlive the events.
//!
//! On PostgreSQL `analytics_events` is partitioned by month (migration
//! `20261207000007_analytics_partitions`); [`AnalyticsStore::upkeep`] makes the coming months'
//! partitions and drops those past keeping. On SQLite the old rows are deleted.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine};

/// One event to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub game: Uuid,
    /// `view`, `complete` or `share` (plays are written with their count, by `games`).
    pub kind: &'static str,
    pub at: DateTime<Utc>,
}

/// A game's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub views: u64,
    pub plays: u64,
    pub completions: u64,
    pub shares: u64,
}

/// One day's counts of one kind of event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub kind: String,
    pub count: u64,
}

/// What one upkeep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upkept {
    /// Partitions made for months to come (PostgreSQL).
    pub made: Vec<String>,
    /// Partitions dropped (PostgreSQL).
    pub dropped: Vec<String>,
    /// Rows deleted one by one (SQLite; PostgreSQL's default partition).
    pub deleted: u64,
}

#[async_trait::async_trait]
pub trait AnalyticsStore: Send + Sync + 'static {
    /// Keeps a batch of events and adds them to their games' totals, in one transaction.
    async fn record(&self, events: &[NewEvent]) -> Result<(), StoreError>;
    /// A game's totals (from its `stats`).
    async fn totals(&self, game: Uuid) -> Result<Option<Totals>, StoreError>;
    /// Views, plays and completions of a game per day since `since`.
    async fn days(&self, game: Uuid, since: DateTime<Utc>) -> Result<Vec<DayCount>, StoreError>;
    /// Events before the first day of the month `keep_months - 1` months before `now`'s go;
    /// the next two months' partitions are made.
    async fn upkeep(&self, now: DateTime<Utc>, keep_months: u32) -> Result<Upkept, StoreError>;
}

mod sql {
    pub const INSERT_SQLITE: &str =
        "INSERT INTO analytics_events (game_id, event_type, created_at) VALUES ($1, $2, $3)";
    /// The whole batch in one statement.
    pub const INSERT_POSTGRES: &str = "INSERT INTO analytics_events (game_id, event_type, \
        created_at) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[])";
    pub const ADD_SQLITE: &str = "UPDATE games SET stats = json_set(stats, \
        '$.views', COALESCE(json_extract(stats, '$.views'), 0) + $2, \
        '$.completions', COALESCE(json_extract(stats, '$.completions'), 0) + $3, \
        '$.shares', COALESCE(json_extract(stats, '$.shares'), 0) + $4) WHERE id = $1";
    pub const ADD_POSTGRES: &str = "UPDATE games SET stats = stats || jsonb_build_object(\
        'views', COALESCE((stats->>'views')::bigint, 0) + $2, \
        'completions', COALESCE((stats->>'completions')::bigint, 0) + $3, \
        'shares', COALESCE((stats->>'shares')::bigint, 0) + $4) WHERE id = $1";
    pub const TOTALS_SQLITE: &str = "SELECT \
        CAST(COALESCE(json_extract(stats, '$.views'), 0) AS INTEGER), \
        CAST(COALESCE(json_extract(stats, '$.plays'), 0) AS INTEGER), \
        CAST(COALESCE(json_extract(stats, '$.completions'), 0) AS INTEGER), \
        CAST(COALESCE(json_extract(stats, '$.shares'), 0) AS INTEGER) FROM games WHERE id = $1";
    pub const TOTALS_POSTGRES: &str = "SELECT COALESCE((stats->>'views')::bigint, 0), \
        COALESCE((stats->>'plays')::bigint, 0), COALESCE((stats->>'completions')::bigint, 0), \
        COALESCE((stats->>'shares')::bigint, 0) FROM games WHERE id = $1";
    /// Times are kept as UTC text starting with the date.
    pub const DAYS_SQLITE: &str = "SELECT substr(created_at, 1, 10) AS day, event_type, \
        COUNT(*) FROM analytics_events WHERE game_id = $1 AND created_at >= $2 \
        AND event_type IN ('view', 'play', 'complete') GROUP BY day, event_type";
    pub const DAYS_POSTGRES: &str = "SELECT to_char(created_at AT TIME ZONE 'UTC', \
        'YYYY-MM-DD') AS day, event_type, COUNT(*) FROM analytics_events WHERE game_id = $1 \
        AND created_at >= $2 AND event_type IN ('view', 'play', 'complete') \
        GROUP BY day, event_type";
    pub const DELETE_BEFORE_SQLITE: &str = "DELETE FROM analytics_events WHERE created_at < $1";
    /// Rows that fell outside every month's partition (none while upkeep runs).
    pub const DELETE_DEFAULT_BEFORE: &str =
        "DELETE FROM analytics_events_default WHERE created_at < $1";
    /// One node at a time changes the partitions.
    pub const LOCK: &str = "SELECT pg_advisory_xact_lock(7242720001)";
    pub const PARTITIONS: &str = "SELECT c.relname::text FROM pg_inherits i \
        JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent \
        WHERE p.relname = 'analytics_events'";
}

/// A month's partition: `analytics_events_yYYYYmMM`.
fn partition_name(month: NaiveDate) -> String {
    format!("analytics_events_y{:04}m{:02}", month.year(), month.month())
}

/// The month a partition's name stands for; `None` for any other table (the default one).
fn partition_month(name: &str) -> Option<NaiveDate> {
    let rest = name.strip_prefix("analytics_events_y")?;
    let (year, month) = rest.split_once('m')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

/// The first day of `at`'s month.
fn month_of(at: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(at.year(), at.month(), 1).unwrap_or(NaiveDate::MIN)
}

fn start_of(month: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&month.and_time(chrono::NaiveTime::MIN))
}

/// The first moment kept: the start of the month `keep_months - 1` before `now`'s.
pub fn keep_from(now: DateTime<Utc>, keep_months: u32) -> DateTime<Utc> {
    let month = month_of(now)
        .checked_sub_months(Months::new(keep_months.saturating_sub(1)))
        .unwrap_or(NaiveDate::MIN);
    start_of(month)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Per game: views, completions and shares in a batch, games in id order (so two nodes'
/// batches updating the same games never wait on each other's rows in a cycle).
fn tally(events: &[NewEvent]) -> Vec<(Uuid, i64, i64, i64)> {
    let mut per_game: Vec<(Uuid, i64, i64, i64)> = Vec::new();
    for event in events {
        let slot = match per_game.iter_mut().position(|(g, ..)| *g == event.game) {
            Some(i) => &mut per_game[i],
            None => {
                per_game.push((event.game, 0, 0, 0));
                let last = per_game.len() - 1;
                &mut per_game[last]
            }
        };
        match event.kind {
            "view" => slot.1 += 1,
            "complete" => slot.2 += 1,
            "share" => slot.3 += 1,
            _ => {}
        }
    }
    per_game.sort_by_key(|(game, ..)| *game);
    per_game
}

#[async_trait::async_trait]
impl AnalyticsStore for Db {
    async fn record(&self, events: &[NewEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let per_game = tally(events);
        let add = self.pick(sql::ADD_SQLITE, sql::ADD_POSTGRES);
        // Inside the events' transaction: each game's totals grow by the batch's.
        macro_rules! add_to_totals {
            ($tx:ident) => {
                for (game, views, completions, shares) in &per_game {
                    sqlx::query(add)
                        .bind(Id(*game))
                        .bind(views)
                        .bind(completions)
                        .bind(shares)
                        .execute(&mut *$tx)
                        .await?;
                }
            };
        }
        match self {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for event in events {
                    sqlx::query(sql::INSERT_SQLITE)
                        .bind(Id(event.game))
                        .bind(event.kind)
                        .bind(event.at)
                        .execute(&mut *tx)
                        .await?;
                }
                add_to_totals!(tx);
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let games: Vec<Uuid> = events.iter().map(|e| e.game).collect();
                let kinds: Vec<&str> = events.iter().map(|e| e.kind).collect();
                let times: Vec<DateTime<Utc>> = events.iter().map(|e| e.at).collect();
                let mut tx = pool.begin().await?;
                sqlx::query(sql::INSERT_POSTGRES)
                    .bind(games)
                    .bind(kinds)
                    .bind(times)
                    .execute(&mut *tx)
                    .await?;
                add_to_totals!(tx);
                tx.commit().await?;
            }
        }
        Ok(())
    }

    async fn totals(&self, game: Uuid) -> Result<Option<Totals>, StoreError> {
        let sql = self.pick(sql::TOTALS_SQLITE, sql::TOTALS_POSTGRES);
        let row: Option<(i64, i64, i64, i64)> = each_engine!(self, pool => sqlx::query_as(sql)
            .bind(Id(game))
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|(views, plays, completions, shares)| Totals {
            views: count(views),
            plays: count(plays),
            completions: count(completions),
            shares: count(shares),
        }))
    }

    async fn days(&self, game: Uuid, since: DateTime<Utc>) -> Result<Vec<DayCount>, StoreError> {
        let sql = self.pick(sql::DAYS_SQLITE, sql::DAYS_POSTGRES);
        let rows: Vec<(String, String, i64)> = each_engine!(self, pool => sqlx::query_as(sql)
            .bind(Id(game))
            .bind(since)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(day, kind, n)| DayCount {
                day,
                kind,
                count: count(n),
            })
            .collect())
    }

    async fn upkeep(&self, now: DateTime<Utc>, keep_months: u32) -> Result<Upkept, StoreError> {
        let keep_from = keep_from(now, keep_months);
        let mut upkept = Upkept::default();
        match self {
            Db::Sqlite(pool) => {
                upkept.deleted = sqlx::query(sql::DELETE_BEFORE_SQLITE)
                    .bind(keep_from)
                    .execute(pool)
                    .await?
                    .rows_affected();
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(sql::LOCK).execute(&mut *tx).await?;
                let existing: Vec<String> = sqlx::query_scalar(sql::PARTITIONS)
                    .fetch_all(&mut *tx)
                    .await?;
                let this_month = month_of(now);
                for ahead in 0..3 {
                    let Some(month) = this_month.checked_add_months(Months::new(ahead)) else {
                        continue;
                    };
                    let name = partition_name(month);
                    if existing.contains(&name) {
                        continue;
                    }
                    let Some(next) = month.checked_add_months(Months::new(1)) else {
                        continue;
                    };
                    // Names and bounds are made here from dates, never from input. Rows of
                    // that month already in the default partition (the upkeep had not run for
                    // a while) move into the new one before it is attached.
                    let (from, to) = (start_of(month).to_rfc3339(), start_of(next).to_rfc3339());
                    let steps = [
                        format!("CREATE TABLE {name} (LIKE analytics_events INCLUDING DEFAULTS)"),
                        format!(
                            "INSERT INTO {name} SELECT * FROM analytics_events_default \
                             WHERE created_at >= '{from}' AND created_at < '{to}'"
                        ),
                        format!(
                            "DELETE FROM analytics_events_default \
                             WHERE created_at >= '{from}' AND created_at < '{to}'"
                        ),
                        format!(
                            "ALTER TABLE analytics_events ATTACH PARTITION {name} \
                             FOR VALUES FROM ('{from}') TO ('{to}')"
                        ),
                    ];
                    for step in steps {
                        sqlx::query(sqlx::AssertSqlSafe(step))
                            .execute(&mut *tx)
                            .await?;
                    }
                    upkept.made.push(name);
                }
                for name in &existing {
                    let Some(month) = partition_month(name) else {
                        continue;
                    };
                    let Some(next) = month.checked_add_months(Months::new(1)) else {
                        continue;
                    };
                    if start_of(next) <= keep_from {
                        let ddl = format!("DROP TABLE {}", partition_name(month));
                        sqlx::query(sqlx::AssertSqlSafe(ddl))
                            .execute(&mut *tx)
                            .await?;
                        upkept.dropped.push(name.clone());
                    }
                }
                upkept.deleted = sqlx::query(sql::DELETE_DEFAULT_BEFORE)
                    .bind(keep_from)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
            }
        }
        Ok(upkept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    #[test]
    fn partitions_are_named_by_month_and_read_back() {
        let month = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(partition_name(month), "analytics_events_y2026m12");
        assert_eq!(partition_month("analytics_events_y2026m12"), Some(month));
        for other in [
            "analytics_events_default",
            "analytics_events_y2026m1",
            "analytics_events_y2026m13",
            "analytics_events_y26m12",
            "games",
        ] {
            assert_eq!(partition_month(other), None, "{other}");
        }
    }

    #[test]
    fn months_kept_count_the_current_one() {
        let now = at("2026-12-07T14:00:00Z");
        assert_eq!(keep_from(now, 1), at("2026-12-01T00:00:00Z"));
        assert_eq!(keep_from(now, 13), at("2025-12-01T00:00:00Z"));
        assert_eq!(
            keep_from(at("2027-01-01T00:00:00Z"), 2),
            at("2026-12-01T00:00:00Z")
        );
    }

    #[test]
    fn a_batch_is_tallied_per_game() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        let event = |game, kind| NewEvent {
            game,
            kind,
            at: now,
        };
        let tallied = tally(&[
            event(a, "view"),
            event(b, "share"),
            event(a, "view"),
            event(a, "complete"),
        ]);
        let mut expected = vec![(a, 2, 1, 0), (b, 0, 0, 1)];
        expected.sort_by_key(|(game, ..)| *game);
        assert_eq!(tallied, expected);
    }
}
