//! Visitors' sessions in the database (the store used without Redis), on SQLite and
//! PostgreSQL: round trips, expiry, and the sweep that deletes what expired.

use std::collections::HashMap;

use server::infra::db::Db;
use server::infra::sessions::SqlSessionStore;
use time::{Duration, OffsetDateTime};
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

use super::common::{TempPgDatabase, service_url};

fn record(visitor: &str, expires_in: Duration) -> Record {
    let mut data = HashMap::new();
    data.insert("visitor".to_owned(), serde_json::json!(visitor));
    Record {
        id: Id::default(),
        data,
        expiry_date: OffsetDateTime::now_utc() + expires_in,
    }
}

async fn round_trips_expires_and_sweeps(db: Db) {
    let store = SqlSessionStore::new(db);
    let mut kept = record("v-1", Duration::days(30));
    store.create(&mut kept).await.expect("create");
    let loaded = store.load(&kept.id).await.expect("load").expect("present");
    assert_eq!(loaded.data["visitor"], "v-1");
    assert_eq!(
        loaded.expiry_date.unix_timestamp(),
        kept.expiry_date.unix_timestamp()
    );

    kept.data.insert("n".into(), serde_json::json!(2));
    store.save(&kept).await.expect("save");
    assert_eq!(
        store
            .load(&kept.id)
            .await
            .expect("load")
            .expect("present")
            .data["n"],
        2
    );

    // An id already taken is not overwritten on create: the record gets a new one.
    let mut twin = record("v-2", Duration::days(1));
    twin.id = kept.id;
    store.create(&mut twin).await.expect("create");
    assert_ne!(twin.id, kept.id);
    assert_eq!(
        store
            .load(&kept.id)
            .await
            .expect("load")
            .expect("present")
            .data["visitor"],
        "v-1"
    );

    // An expired session is not loaded, and the sweep deletes it and only it.
    let mut expired = record("v-3", Duration::seconds(-5));
    store.create(&mut expired).await.expect("create");
    assert!(store.load(&expired.id).await.expect("load").is_none());
    assert_eq!(store.count().await.expect("count"), 3);
    assert_eq!(store.delete_expired().await.expect("sweep"), 1);
    assert_eq!(store.count().await.expect("count"), 2);
    assert!(store.load(&kept.id).await.expect("load").is_some());

    store.delete(&kept.id).await.expect("delete");
    assert!(store.load(&kept.id).await.expect("load").is_none());
    assert_eq!(store.count().await.expect("count"), 1);
}

#[tokio::test]
async fn sqlite_sessions_round_trip_expire_and_are_swept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::sqlite(&dir.path().join("petpixel.sqlite3"))
        .await
        .expect("sqlite");
    round_trips_expires_and_sweeps(db).await;
}

#[tokio::test]
async fn postgres_sessions_round_trip_expire_and_are_swept() {
    let Some(admin) = service_url("TEST_DATABASE_URL") else {
        return;
    };
    let pg = TempPgDatabase::create(&admin).await;
    let db = Db::postgres(&pg.url).await.expect("postgres");
    round_trips_expires_and_sweeps(db).await;
}
