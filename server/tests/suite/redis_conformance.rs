//! Rate limits and sessions behave the same in-process and in Redis (`TEST_REDIS_URL`).

use std::time::Duration;

use redis::aio::ConnectionManager;
use server::infra::limits::{Decision, MemoryLimiter, RateLimiter, RedisLimiter};
use server::infra::sessions::RedisSessionStore;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

async fn limiter_conformance(limiter: &dyn RateLimiter) {
    let key = format!("upload:{}", uuid::Uuid::new_v4());
    let window = Duration::from_secs(60);
    assert_eq!(
        limiter.hit(&key, 2, window).await.expect("hit"),
        Decision::Allowed { remaining: 1 }
    );
    assert_eq!(
        limiter.hit(&key, 2, window).await.expect("hit"),
        Decision::Allowed { remaining: 0 }
    );
    match limiter.hit(&key, 2, window).await.expect("hit") {
        Decision::Limited { retry_after } => {
            assert!(retry_after <= window && retry_after >= Duration::from_secs(1))
        }
        other => panic!("third hit allowed: {other:?}"),
    }
    let other = format!("upload:{}", uuid::Uuid::new_v4());
    assert_eq!(
        limiter.hit(&other, 2, window).await.expect("hit"),
        Decision::Allowed { remaining: 1 }
    );

    // Peeking counts nothing: a key within its limit stays so however often it is looked at,
    // and one past it reads as limited, with the time its window has left.
    for _ in 0..3 {
        assert_eq!(
            limiter.peek(&other, 2).await.expect("peek"),
            Decision::Allowed { remaining: 1 }
        );
    }
    match limiter.peek(&key, 2).await.expect("peek") {
        Decision::Limited { retry_after } => {
            assert!(retry_after <= window && retry_after >= Duration::from_secs(1))
        }
        other => panic!("a key past its limit peeked as {other:?}"),
    }
    let unseen = format!("upload:{}", uuid::Uuid::new_v4());
    assert_eq!(
        limiter.peek(&unseen, 2).await.expect("peek"),
        Decision::Allowed { remaining: 2 }
    );

    // A window that ends lets the visitor in again.
    let short = format!("short:{}", uuid::Uuid::new_v4());
    limiter
        .hit(&short, 1, Duration::from_secs(1))
        .await
        .expect("hit");
    assert!(matches!(
        limiter
            .hit(&short, 1, Duration::from_secs(1))
            .await
            .expect("hit"),
        Decision::Limited { .. }
    ));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        limiter
            .hit(&short, 1, Duration::from_secs(1))
            .await
            .expect("hit"),
        Decision::Allowed { remaining: 0 }
    );
}

async fn redis() -> Option<ConnectionManager> {
    let url = crate::common::service_url("TEST_REDIS_URL")?;
    let client = redis::Client::open(url).expect("redis url");
    Some(
        ConnectionManager::new(client)
            .await
            .expect("connect to Redis"),
    )
}

fn test_prefix() -> String {
    format!("petpixel-test:{}:", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn memory_limiter_conforms() {
    limiter_conformance(&MemoryLimiter::default()).await;
}

#[tokio::test]
async fn redis_limiter_conforms_and_is_shared_between_instances() {
    let Some(conn) = redis().await else { return };
    let prefix = test_prefix();
    limiter_conformance(&RedisLimiter::new(conn.clone(), prefix.clone())).await;
    // Two replicas with the same Redis count against one budget.
    let (a, b) = (
        RedisLimiter::new(conn.clone(), prefix.clone()),
        RedisLimiter::new(conn, prefix),
    );
    let window = Duration::from_secs(60);
    a.hit("shared", 1, window).await.expect("hit");
    assert!(matches!(
        b.hit("shared", 1, window).await.expect("hit"),
        Decision::Limited { .. }
    ));
}

#[tokio::test]
async fn redis_session_store_round_trips_expires_and_deletes() {
    let Some(conn) = redis().await else { return };
    let store = RedisSessionStore::new(conn, test_prefix());
    let mut data = std::collections::HashMap::new();
    data.insert("visitor".to_owned(), serde_json::json!("v-123"));
    let mut record = Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
    };
    store.create(&mut record).await.expect("create");
    let loaded = store
        .load(&record.id)
        .await
        .expect("load")
        .expect("present");
    assert_eq!(loaded.data["visitor"], "v-123");

    record.data.insert("n".into(), serde_json::json!(2));
    store.save(&record).await.expect("save");
    assert_eq!(
        store
            .load(&record.id)
            .await
            .expect("load")
            .expect("present")
            .data["n"],
        2
    );

    store.delete(&record.id).await.expect("delete");
    assert!(store.load(&record.id).await.expect("load").is_none());

    let mut short = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
    };
    store.create(&mut short).await.expect("create");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        store.load(&short.id).await.expect("load").is_none(),
        "expired sessions are gone"
    );
}

/// The most-played windows in Redis slide with time: a play counts in "today" for 24 hours
/// and in "this week" for 168, then leaves each exactly once, whichever node reads first; a
/// window lost from Redis is rebuilt from the hours' sets.
#[tokio::test]
async fn redis_ranking_windows_slide_by_the_hour() {
    use std::sync::Arc;

    use chrono::{DateTime, Duration as Hours, Utc};
    use server::gallery::ranking::{RedisRanking, Window};
    use server::infra::db::Db;
    use uuid::Uuid;

    let Some(conn) = redis().await else { return };
    let prefix = test_prefix();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::sqlite(&dir.path().join("ranking.sqlite3"))
        .await
        .expect("sqlite");
    // Two nodes sharing one Redis.
    let node =
        |conn: &ConnectionManager| RedisRanking::new(conn.clone(), &prefix, Arc::new(db.clone()));
    let (one, two) = (node(&conn), node(&conn));
    let start: DateTime<Utc> = "2026-12-07T12:30:00Z".parse().expect("time");
    let hours = |n: i64| start + Hours::hours(n);
    let (a, b, c, d) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    for _ in 0..3 {
        one.played_at(a, start, start).await.expect("play");
    }
    two.played_at(b, start, start).await.expect("play");
    for _ in 0..5 {
        two.played_at(c, hours(-30), start).await.expect("play");
    }
    for _ in 0..9 {
        one.played_at(d, hours(-200), start).await.expect("play");
    }
    assert_eq!(top(&one, Window::Day, start).await, [(a, 3), (b, 1)]);
    assert_eq!(
        top(&two, Window::Week, start).await,
        [(c, 5), (a, 3), (b, 1)]
    );
    // Ranks past the first.
    assert_eq!(
        one.top(Window::Week, start, 1, 1).await.expect("top"),
        [(a, 3)]
    );

    // 23 hours on, today still holds them; at 24 they have left it, but not the week.
    assert_eq!(top(&two, Window::Day, hours(23)).await, [(a, 3), (b, 1)]);
    assert_eq!(top(&one, Window::Day, hours(24)).await, []);
    assert_eq!(top(&two, Window::Day, hours(24)).await, [], "left once");
    assert_eq!(
        top(&one, Window::Week, hours(24)).await,
        [(c, 5), (a, 3), (b, 1)]
    );
    // A play now counts alone today.
    two.played_at(b, hours(24), hours(24)).await.expect("play");
    assert_eq!(top(&one, Window::Day, hours(24)).await, [(b, 1)]);
    assert_eq!(
        top(&one, Window::Week, hours(24)).await,
        [(c, 5), (a, 3), (b, 2)]
    );
    // c's hour leaves the week at 138 hours; a's and b's first plays at 168.
    assert_eq!(top(&two, Window::Week, hours(138)).await, [(a, 3), (b, 2)]);
    assert_eq!(top(&one, Window::Week, hours(168)).await, [(b, 1)]);

    // A window lost from Redis (evicted, flushed) is rebuilt from the hours it covers.
    let mut raw = conn.clone();
    let _: () = redis::cmd("DEL")
        .arg(format!("{prefix}popular:games:weekly"))
        .arg(format!("{prefix}popular:games:weekly:through"))
        .query_async(&mut raw)
        .await
        .expect("del");
    assert_eq!(top(&two, Window::Week, hours(168)).await, [(b, 1)]);
    // Long idle: every hour has left the window.
    assert_eq!(top(&one, Window::Week, hours(1000)).await, []);
}

/// The first ten of a window at `at`.
async fn top(
    ranking: &server::gallery::ranking::RedisRanking,
    window: server::gallery::ranking::Window,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<(uuid::Uuid, u64)> {
    ranking.top(window, at, 0, 10).await.expect("top")
}
