//! Rate limits: a fixed-window counter per key, in-process by default or in Redis so that every
//! replica counts against the same budget (the seed's `rate_limit:*` keys).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("rate-limit store: {0}")]
    Redis(#[from] redis::RedisError),
}

/// The answer to one hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
}

#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    fn kind(&self) -> &'static str;
    /// Counts one hit on `key` and says whether it stays within `limit` per `window`.
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<Decision, LimitError>;
    /// Whether `key` has passed `limit` in its current window, without counting a hit.
    async fn peek(&self, key: &str, limit: u32) -> Result<Decision, LimitError>;
}

/// One process's counters: each key's count and when its window ends.
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

#[async_trait::async_trait]
impl RateLimiter for MemoryLimiter {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<Decision, LimitError> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget finished windows so the map stays as small as the set of active visitors
        // (each by its own end: keys count over windows of different lengths).
        if windows.len() > 10_000 {
            windows.retain(|_, (ends, _)| *ends > now);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now + window, 0));
        if now >= entry.0 {
            *entry = (now + window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        Ok(decide(entry.1, limit, entry.0 - now))
    }

    async fn peek(&self, key: &str, limit: u32) -> Result<Decision, LimitError> {
        let now = Instant::now();
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(match windows.get(key) {
            Some((ends, count)) if now < *ends => decide(*count, limit, *ends - now),
            _ => Decision::Allowed { remaining: limit },
        })
    }
}

/// Counters in Redis: `INCR` then `EXPIRE ... NX` in one round trip.
#[derive(Clone)]
pub struct RedisLimiter {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisLimiter {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisLimiter {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<Decision, LimitError> {
        let key = format!("{}rate_limit:{key}", self.prefix);
        let secs = window.as_secs().max(1);
        let mut conn = self.conn.clone();
        let (count, ttl): (u32, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1u32)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(secs)
            .arg("NX")
            .ignore()
            .ttl(&key)
            .query_async(&mut conn)
            .await?;
        let left = Duration::from_secs(u64::try_from(ttl).unwrap_or(secs));
        Ok(decide(count, limit, left))
    }

    async fn peek(&self, key: &str, limit: u32) -> Result<Decision, LimitError> {
        let key = format!("{}rate_limit:{key}", self.prefix);
        let mut conn = self.conn.clone();
        let (count, ttl): (Option<u32>, i64) = redis::pipe()
            .get(&key)
            .ttl(&key)
            .query_async(&mut conn)
            .await?;
        Ok(match count {
            Some(count) if ttl > 0 => decide(count, limit, Duration::from_secs(ttl.unsigned_abs())),
            _ => Decision::Allowed { remaining: limit },
        })
    }
}

/// Counts one hit on each `(key, limit)` in `window`, in order, stopping at the first limit
/// passed: `Some(retry after)` then, `None` when every limit holds.
pub async fn first_passed(
    limiter: &dyn RateLimiter,
    hits: &[(String, u32)],
    window: Duration,
) -> Result<Option<Duration>, LimitError> {
    for (key, limit) in hits {
        if let Decision::Limited { retry_after } = limiter.hit(key, *limit, window).await? {
            return Ok(Some(retry_after));
        }
    }
    Ok(None)
}

fn decide(count: u32, limit: u32, window_left: Duration) -> Decision {
    if count <= limit {
        Decision::Allowed {
            remaining: limit - count,
        }
    } else {
        Decision::Limited {
            retry_after: window_left.max(Duration::from_secs(1)),
        }
    }
}

/// A budget of some costly thing (photos, games, studio work, counted plays): so many per
/// window for each party it is counted against — the visitor or account, the client address,
/// or whatever the caller names — in the shared limiter, so every replica counts together.
#[derive(Clone)]
pub struct Quota {
    limiter: std::sync::Arc<dyn RateLimiter>,
    /// Starts every key: what is counted.
    name: &'static str,
    limit: u32,
    window: Duration,
}

impl Quota {
    pub fn new(
        limiter: std::sync::Arc<dyn RateLimiter>,
        name: &'static str,
        limit: u32,
        window: Duration,
    ) -> Self {
        Self {
            limiter,
            name,
            limit,
            window,
        }
    }

    /// Spends one for each of `parties`; `RateLimited` (with when to try again) once any
    /// has none left. A limiter that cannot be reached refuses: these guard costly work.
    pub async fn spend(&self, parties: &[String]) -> Result<(), app::error::AppError> {
        let hits: Vec<(String, u32)> = parties
            .iter()
            .map(|party| (format!("{}:{party}", self.name), self.limit))
            .collect();
        match first_passed(&*self.limiter, &hits, self.window)
            .await
            .map_err(|e| crate::error::internal(self.name, e))?
        {
            Some(retry_after) => Err(app::error::AppError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            }),
            None => Ok(()),
        }
    }
}

/// Who a costly request is counted against: its visitor or account (unless it has no session
/// yet) and its client address.
pub fn parties(visitor: &app::port::Visitor, client: Option<std::net::IpAddr>) -> Vec<String> {
    let mut parties = Vec::with_capacity(2);
    if !visitor.is_anonymous() {
        parties.push(format!("owner:{}", visitor.0));
    }
    if let Some(ip) = client {
        parties.push(format!("ip:{}", crate::http::client_ip::limit_key(ip)));
    }
    parties
}

/// One hour and one day, the windows quotas count in.
pub const HOUR: Duration = Duration::from_secs(3600);
pub const DAY: Duration = Duration::from_secs(24 * 3600);
