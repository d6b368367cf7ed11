//! Where visitors' sessions are kept: in Redis when configured (shared by every replica,
//! expiring by TTL), otherwise in the database (`sessions`), swept of expired rows
//! periodically. Either way they outlive a restart, so a visitor keeps what they made.

mod redis;
mod sql;

use std::time::Duration;

use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::Result;

pub use self::redis::RedisSessionStore;
pub use self::sql::SqlSessionStore;

/// The session store in use.
#[derive(Clone, Debug)]
pub enum AnySessionStore {
    Sql(SqlSessionStore),
    Redis(RedisSessionStore),
}

impl AnySessionStore {
    /// `sqlite`, `postgres` or `redis`, for `/health`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sql(s) => s.engine(),
            Self::Redis(_) => "redis",
        }
    }

    /// Deletes expired sessions every `period`, for as long as the process lives (Redis
    /// expires its own). The first sweep runs at once, so a node that was down catches up.
    pub async fn sweep(self, period: Duration) {
        let Self::Sql(store) = self else {
            return;
        };
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            match store.delete_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired sessions swept"),
                Err(e) => tracing::warn!(error = %e, "could not sweep expired sessions"),
            }
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for AnySessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        match self {
            Self::Sql(s) => s.create(record).await,
            Self::Redis(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        match self {
            Self::Sql(s) => s.save(record).await,
            Self::Redis(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        match self {
            Self::Sql(s) => s.load(id).await,
            Self::Redis(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        match self {
            Self::Sql(s) => s.delete(id).await,
            Self::Redis(s) => s.delete(id).await,
        }
    }
}
