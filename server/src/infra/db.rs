//! The database: a SQLite file (the embedded default, WAL, several connections) or
//! PostgreSQL, each with its own migrations. Capabilities implement their store traits for
//! both pools with plain per-engine code; what the engines share is here: the pool handle,
//! the id and JSON column types, and the error mapping.

use std::path::Path;
use std::time::Duration;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use uuid::Uuid;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections to the SQLite file: WAL lets readers run beside the one writer, so web
/// requests, the worker and the notification sender do not queue behind each other.
const SQLITE_CONNECTIONS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint: the field that must be unique.
    #[error("{field} already exists")]
    Conflict { field: &'static str },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn corrupt(what: &str, e: impl std::fmt::Display) -> Self {
        Self::Corrupt(format!("{what}: {e}"))
    }
}

/// Maps a unique-constraint violation to `Conflict` on the field it guards.
pub fn map_unique(err: sqlx::Error, field: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { field },
        _ => StoreError::Database(err),
    }
}

/// The database in use. Cheap to clone: both pools are handles.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens (creating if needed) the SQLite file and brings its schema up to date.
    pub async fn sqlite(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(SQLITE_CONNECTIONS)
            .connect_with(options)
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        Ok(Self::Sqlite(pool))
    }

    /// Connects to PostgreSQL and brings its schema up to date (under PostgreSQL's advisory
    /// lock, so replicas starting together take turns).
    pub async fn postgres(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        POSTGRES_MIGRATIONS.run(&pool).await?;
        Ok(Self::Postgres(pool))
    }

    /// Connects to a read replica of the PostgreSQL database: no migrations (the primary
    /// has them), and every transaction read-only, so a query sent here by mistake fails
    /// rather than writing where it should not.
    pub async fn postgres_replica(url: &str) -> Result<Self, StoreError> {
        let options: sqlx::postgres::PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.options([("default_transaction_read_only", "on")]))
            .await?;
        Ok(Self::Postgres(pool))
    }

    /// `sqlite` or `postgres`, for `/health`.
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The statement written for this engine, where the two dialects differ.
    pub fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Self::Sqlite(_) => sqlite,
            Self::Postgres(_) => postgres,
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }
}

/// A row id: a native `UUID` on PostgreSQL, hyphenated text on SQLite (whose schema keeps
/// ids as `TEXT`), so both engines bind and read the same Rust type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Id(pub Uuid);

impl From<Id> for Uuid {
    fn from(id: Id) -> Uuid {
        id.0
    }
}

impl Type<Sqlite> for Id {
    fn type_info() -> <Sqlite as sqlx::Database>::TypeInfo {
        <uuid::fmt::Hyphenated as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Id {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode_by_ref(&self.0.hyphenated(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Id {
    fn decode(value: <Sqlite as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let id = <uuid::fmt::Hyphenated as Decode<Sqlite>>::decode(value)?;
        Ok(Self(id.into_uuid()))
    }
}

impl Type<Postgres> for Id {
    fn type_info() -> <Postgres as sqlx::Database>::TypeInfo {
        <Uuid as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Id {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Id {
    fn decode(value: <Postgres as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Uuid as Decode<Postgres>>::decode(value)?))
    }
}

/// A `u32` kept in an `INTEGER` column; a negative or oversized value is corrupt data.
pub fn to_u32(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v}")))
}

/// A stored name of one of the shared vocabulary's types; anything else is corrupt.
pub fn parse_named<T>(s: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr<Err = domain::Unknown>,
{
    s.parse()
        .map_err(|e: domain::Unknown| StoreError::Corrupt(format!("{e} (stored {s:?})")))
}

/// Runs the same code on whichever pool `db` holds: `each_engine!(db, pool => expr)`. The
/// expression is written once and type-checked once per engine, so statements both engines
/// share need no generic bounds; where the dialects differ, [`Db::pick`] chooses the text.
macro_rules! each_engine {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::infra::db::Db::Sqlite($pool) => $body,
            $crate::infra::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use each_engine;
