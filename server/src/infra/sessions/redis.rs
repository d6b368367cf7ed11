//! Sessions in Redis (`session:{id}` with the session's expiry as TTL, so Redis forgets them
//! by itself), used when `REDIS_URL` is set: every replica reads the same sessions.

use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

#[derive(Clone)]
pub struct RedisSessionStore {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSessionStore {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    fn key(&self, id: &Id) -> String {
        format!("{}session:{id}", self.prefix)
    }

    /// Writes a record; with `only_new` it refuses to overwrite (id collision on create).
    async fn write(&self, record: &Record, only_new: bool) -> Result<bool> {
        let body = serde_json::to_vec(record).map_err(|e| Error::Encode(e.to_string()))?;
        let ttl = (record.expiry_date - time::OffsetDateTime::now_utc())
            .whole_seconds()
            .max(1);
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&record.id)).arg(body).arg("EX").arg(ttl);
        if only_new {
            cmd.arg("NX");
        }
        let mut conn = self.conn.clone();
        let reply: Option<String> = cmd.query_async(&mut conn).await.map_err(backend)?;
        Ok(reply.is_some())
    }
}

fn backend(e: redis::RedisError) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for RedisSessionStore {
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
        let mut conn = self.conn.clone();
        let body: Option<Vec<u8>> = conn.get(self.key(id)).await.map_err(backend)?;
        body.map(|b| serde_json::from_slice(&b).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut conn = self.conn.clone();
        let _: () = conn.del(self.key(id)).await.map_err(backend)?;
        Ok(())
    }
}
