//! Sessions in the database (`sessions`): the store for the embedded default and for a
//! deployment without Redis. A row is written only when something is first kept for a
//! visitor (their first upload), read when their cookie comes back, and deleted by the sweep
//! once it has expired.

use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

use crate::infra::db::{Db, each_engine};

#[derive(Clone, Debug)]
pub struct SqlSessionStore {
    db: Db,
}

const INSERT_NEW: &str = "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
    ON CONFLICT (id) DO NOTHING";
const UPSERT: &str = "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
    ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at";
const SELECT: &str = "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2";
const DELETE: &str = "DELETE FROM sessions WHERE id = $1";
const DELETE_EXPIRED: &str = "DELETE FROM sessions WHERE expires_at <= $1";
const COUNT: &str = "SELECT COUNT(*) FROM sessions";

impl SqlSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The database engine holding the sessions.
    pub fn engine(&self) -> &'static str {
        self.db.engine()
    }

    /// Deletes every session that has expired; how many went.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sqlx::Error> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Ok(each_engine!(&self.db, pool => sqlx::query(DELETE_EXPIRED)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Sessions stored, expired or not (operators and tests).
    pub async fn count(&self) -> std::result::Result<u64, sqlx::Error> {
        let n: i64 =
            each_engine!(&self.db, pool => sqlx::query_scalar(COUNT).fetch_one(pool).await?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Writes a record; with `only_new` it refuses to overwrite (an id collision on create).
    async fn write(&self, record: &Record, only_new: bool) -> Result<bool> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let id = record.id.to_string();
        let expires = record.expiry_date.unix_timestamp();
        let sql = if only_new { INSERT_NEW } else { UPSERT };
        let written = each_engine!(&self.db, pool => sqlx::query(sql)
            .bind(&id)
            .bind(&data)
            .bind(expires)
            .execute(pool)
            .await
            .map_err(backend)?
            .rows_affected());
        Ok(written > 0)
    }
}

fn backend(e: sqlx::Error) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.write(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row: Option<(String, i64)> = each_engine!(&self.db, pool => sqlx::query_as(SELECT)
            .bind(id.to_string())
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(backend)?);
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        each_engine!(&self.db, pool => {
            sqlx::query(DELETE)
                .bind(id.to_string())
                .execute(pool)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }
}
