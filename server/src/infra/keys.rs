//! Keys the server makes for itself once and every node must share (`server_keys`): the first
//! node to start writes its candidate, and every node reads back the one that won.

use crate::infra::db::{Db, StoreError, each_engine};

#[async_trait::async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// The key kept under `name`: `candidate` is stored unless a key is already there, and
    /// the stored one is returned, so every node ends up with the same.
    async fn keep(&self, name: &str, candidate: &str, now_ms: i64) -> Result<String, StoreError>;
}

const KEEP: &str = "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
const SELECT: &str = "SELECT value FROM server_keys WHERE name = $1";

#[async_trait::async_trait]
impl KeyStore for Db {
    async fn keep(&self, name: &str, candidate: &str, now_ms: i64) -> Result<String, StoreError> {
        Ok(each_engine!(self, pool => {
            sqlx::query(KEEP)
                .bind(name)
                .bind(candidate)
                .bind(now_ms)
                .execute(pool)
                .await?;
            sqlx::query_scalar(SELECT).bind(name).fetch_one(pool).await?
        }))
    }
}
