//! The gallery's "most played": public games ranked by the plays of a sliding window (the last
//! 24 hours, the last 7 days).
//!
//! Every play is a row in `analytics_events` (written with the play, by `games`), and on the
//! embedded default the ranking is one SQL query over those rows ([`SqlRanking`]). With Redis
//! configured, many web nodes share sorted sets instead ([`RedisRanking`], the design
//! document's `popular:games:daily`): reading the top of a window is then a range read, not a
//! scan of a week of plays.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{Difficulty, Theme};
use redis::aio::ConnectionManager;
use uuid::Uuid;

use super::store::{GalleryStore, ListedGame, PopularQuery};
use crate::infra::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RankingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("ranking store: {0}")]
    Redis(#[from] redis::RedisError),
}

impl From<RankingError> for app::error::AppError {
    fn from(e: RankingError) -> Self {
        crate::error::internal("ranking", e)
    }
}

/// A sliding window of plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
}

impl Window {
    const ALL: [Window; 2] = [Window::Day, Window::Week];

    pub fn hours(self) -> i64 {
        match self {
            Window::Day => 24,
            Window::Week => 24 * 7,
        }
    }

    /// The window's sorted set, after the prefix: the design document's names.
    fn key(self) -> &'static str {
        match self {
            Window::Day => "popular:games:daily",
            Window::Week => "popular:games:weekly",
        }
    }
}

/// What is asked of a ranking: the most played public games of `window` before `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MostPlayed {
    pub window: Window,
    pub now: DateTime<Utc>,
    pub theme: Option<Theme>,
    pub difficulty: Option<Difficulty>,
    pub limit: u32,
}

#[async_trait::async_trait]
pub trait Ranking: Send + Sync {
    /// `"sql"` or `"redis"`.
    fn kind(&self) -> &'static str;
    /// Counts one play of `game` at `at` (already kept as an event by the time this is called).
    async fn played(&self, game: Uuid, at: DateTime<Utc>) -> Result<(), RankingError>;
    /// Public games most played in the window, most first (ties: the greater id first).
    async fn most_played(&self, query: &MostPlayed) -> Result<Vec<ListedGame>, RankingError>;
}

/// The ranking counted from the play events in the database.
pub struct SqlRanking {
    reader: Arc<dyn GalleryStore>,
}

impl SqlRanking {
    pub fn new(reader: Arc<dyn GalleryStore>) -> Self {
        Self { reader }
    }
}

#[async_trait::async_trait]
impl Ranking for SqlRanking {
    fn kind(&self) -> &'static str {
        "sql"
    }

    /// The play's event row is the count: nothing more to keep.
    async fn played(&self, _game: Uuid, _at: DateTime<Utc>) -> Result<(), RankingError> {
        Ok(())
    }

    async fn most_played(&self, query: &MostPlayed) -> Result<Vec<ListedGame>, RankingError> {
        Ok(self
            .reader
            .popular(&PopularQuery {
                since: query.now - chrono::Duration::hours(query.window.hours()),
                theme: query.theme,
                difficulty: query.difficulty,
                limit: query.limit,
            })
            .await?)
    }
}

/// How long an hour's plays are kept: long enough for the widest window to subtract them.
const HOUR_KEPT_SECS: i64 = (24 * 7 + 2) * 3600;
/// Candidates read from a window per round when a page is filtered (by world, difficulty, or
/// games no longer public).
const CANDIDATES: u32 = 200;
/// At most this many rounds per page: a filter that matches almost nothing among the most
/// played gives a short page rather than a read of the whole window.
const ROUNDS: u32 = 10;

/// Brings a window's sorted set up to `now_h` (hours since the epoch): every hour that left
/// the window since it was last brought up is subtracted from it, once, whichever node gets
/// here first (a script runs alone). A window never kept, or whose every hour has left it, is
/// rebuilt from the hours' sets. Returns the newest hour outside the window.
const CATCH_UP: &str = r"
local function catch_up(prefix, window, size, now_h)
  local key = prefix .. window
  local through_key = key .. ':through'
  local oldest = now_h - size
  local through = tonumber(redis.call('GET', through_key))
  if through == nil or oldest - through >= size then
    redis.call('DEL', key)
    local hours = {}
    for h = oldest + 1, now_h + 1 do
      local hour = prefix .. 'popular:games:hour:' .. h
      if redis.call('EXISTS', hour) == 1 then table.insert(hours, hour) end
    end
    if #hours > 0 then redis.call('ZUNIONSTORE', key, #hours, unpack(hours)) end
    through = oldest
  end
  while through < oldest do
    through = through + 1
    local hour = prefix .. 'popular:games:hour:' .. through
    if redis.call('EXISTS', hour) == 1 then
      redis.call('ZUNIONSTORE', key, 2, key, hour, 'WEIGHTS', 1, -1)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', 0)
    end
  end
  redis.call('SET', through_key, through)
  return through
end
";

/// ARGV: prefix, game, the play's hour, now's hour, when the hour's set expires (unix
/// seconds), then (window key, hours) pairs.
const PLAYED: &str = r"
local prefix, game, h, now_h = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
-- Windows first: one rebuilt from the hours' sets must not count this play twice.
local through = {}
for i = 6, #ARGV, 2 do
  through[i] = catch_up(prefix, ARGV[i], tonumber(ARGV[i + 1]), now_h)
end
local hour = prefix .. 'popular:games:hour:' .. h
redis.call('ZINCRBY', hour, 1, game)
redis.call('EXPIREAT', hour, ARGV[5])
for i = 6, #ARGV, 2 do
  if h > through[i] then redis.call('ZINCRBY', prefix .. ARGV[i], 1, game) end
end
return 1
";

/// ARGV: prefix, window key, hours, now's hour, first rank, how many.
const TOP: &str = r"
local prefix, window = ARGV[1], ARGV[2]
catch_up(prefix, window, tonumber(ARGV[3]), tonumber(ARGV[4]))
local first = tonumber(ARGV[5])
return redis.call('ZREVRANGE', prefix .. window, first, first + tonumber(ARGV[6]) - 1, 'WITHSCORES')
";

/// The ranking kept in Redis: a sorted set of plays per hour (`popular:games:hour:{hour}`,
/// kept eight days), and one per window that each play increments and that loses each hour as
/// the hour leaves the window — so reading a window's top is a range read however many games
/// were played. Precise to the hour: "today" is the current hour and the 23 before it.
///
/// The scripts name the keys they compute, so the sets live on one Redis (or one Sentinel
/// group); a Redis Cluster would need them under one hash tag.
pub struct RedisRanking {
    conn: ConnectionManager,
    prefix: String,
    reader: Arc<dyn GalleryStore>,
}

impl RedisRanking {
    pub fn new(conn: ConnectionManager, prefix: &str, reader: Arc<dyn GalleryStore>) -> Self {
        Self {
            conn,
            prefix: prefix.to_owned(),
            reader,
        }
    }

    /// Counts a play at `at`, with windows brought up to `now` first (a play older than a
    /// window's start is kept in its hour only).
    pub async fn played_at(
        &self,
        game: Uuid,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), redis::RedisError> {
        let hour = hour_of(at);
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(format!("{CATCH_UP}{PLAYED}"))
            .arg(0)
            .arg(&self.prefix)
            .arg(game.hyphenated().to_string())
            .arg(hour)
            .arg(hour_of(now))
            .arg((hour + 1) * 3600 + HOUR_KEPT_SECS);
        for window in Window::ALL {
            cmd.arg(window.key()).arg(window.hours());
        }
        let mut conn = self.conn.clone();
        cmd.query_async::<i64>(&mut conn).await.map(|_| ())
    }

    /// The games ranked `first..first + count` in `window` at `now`, with their plays, most
    /// first (ties: the greater id first).
    pub async fn top(
        &self,
        window: Window,
        now: DateTime<Utc>,
        first: u32,
        count: u32,
    ) -> Result<Vec<(Uuid, u64)>, redis::RedisError> {
        let mut conn = self.conn.clone();
        let ranked: Vec<(String, f64)> = redis::cmd("EVAL")
            .arg(format!("{CATCH_UP}{TOP}"))
            .arg(0)
            .arg(&self.prefix)
            .arg(window.key())
            .arg(window.hours())
            .arg(hour_of(now))
            .arg(first)
            .arg(count)
            .query_async(&mut conn)
            .await?;
        // Members are written by `played_at` only; anything else under the prefix is skipped.
        Ok(ranked
            .into_iter()
            .filter_map(|(id, plays)| Some((Uuid::try_parse(&id).ok()?, plays.max(0.0) as u64)))
            .collect())
    }
}

#[async_trait::async_trait]
impl Ranking for RedisRanking {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn played(&self, game: Uuid, at: DateTime<Utc>) -> Result<(), RankingError> {
        Ok(self.played_at(game, at, Utc::now()).await?)
    }

    async fn most_played(&self, query: &MostPlayed) -> Result<Vec<ListedGame>, RankingError> {
        let limit = query.limit as usize;
        // The sets hold ids only: each round's candidates are looked up together, and those
        // no longer public or outside the filters are passed over.
        let per_round = query.limit.saturating_mul(2).max(CANDIDATES);
        let mut found = Vec::with_capacity(limit);
        for round in 0..ROUNDS {
            let ranked = self
                .top(query.window, query.now, round * per_round, per_round)
                .await?;
            let ids: Vec<Uuid> = ranked.iter().map(|(id, _)| *id).collect();
            let mut listed: HashMap<Uuid, ListedGame> = self
                .reader
                .listed_among(&ids, query.theme, query.difficulty)
                .await?
                .into_iter()
                .map(|game| (game.id, game))
                .collect();
            found.extend(ids.iter().filter_map(|id| listed.remove(id)));
            if found.len() >= limit || ranked.len() < per_round as usize {
                break;
            }
        }
        found.truncate(limit);
        Ok(found)
    }
}

/// Hours since the epoch.
fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_count_from_the_epoch() {
        let at = DateTime::parse_from_rfc3339("1970-01-01T02:59:59Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(hour_of(at), 2);
        let before = DateTime::parse_from_rfc3339("1969-12-31T23:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(hour_of(before), -1);
    }

    #[test]
    fn a_week_holds_seven_days_and_every_hour_outlives_it() {
        assert_eq!(Window::Day.hours(), 24);
        assert_eq!(Window::Week.hours(), 168);
        assert!(HOUR_KEPT_SECS > Window::Week.hours() * 3600);
    }
}
