//! Keys the server makes for itself once and every node must share (`server_keys`): the first
//! node to start writes its candidate, and every node reads back the one that won.

use crate::infra::db::{Db, StoreError, each_engine};

#[async_trait::async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// The key kept under `name`: `candidate` is stored unless a key is already there, and
    /// the stored one is returned, so every node ends up with the same.
    async fn keep(&self, name: &str, candidate: &str, now_ms: i64) -> Result<String, StoreError>;
    /// The key kept under `name`, if any.
    async fn kept(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Writes `value` over the key kept under `name` (re-sealed under a new key).
    async fn replace(&self, name: &str, value: &str) -> Result<(), StoreError>;
}

const KEEP: &str = "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
const SELECT: &str = "SELECT value FROM server_keys WHERE name = $1";
const REPLACE: &str = "UPDATE server_keys SET value = $2 WHERE name = $1";

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

    async fn kept(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(each_engine!(self, pool => sqlx::query_scalar(SELECT)
            .bind(name)
            .fetch_optional(pool)
            .await?))
    }

    async fn replace(&self, name: &str, value: &str) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(REPLACE).bind(name).bind(value).execute(pool).await?;
        });
        Ok(())
    }
}
