//! Durable visitors: a session exists only once something was kept for its visitor, survives
//! a restart, and public pages — set no cookie, keep no session, and may be kept by shared
//! caches — cost nothing per view however many there are.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

use super::common::{ServerProcess, TestApp, chelsea, session_rows, start_game_at, upload_to};

/// A client without a cookie jar: every request is a new, anonymous visitor.
fn cookieless() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn public_pages_set_no_cookie_and_may_be_kept_by_shared_caches() {
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let owner = app.visitor();
    let image = app.upload_photo(&owner, chelsea(), "chelsea.png").await;
    let game = start_game_at(&app.base, &owner, &image).await;
    let code = game["short_code"].as_str().expect("code");

    for path in [
        "/".to_owned(),
        format!("/g/{code}"),
        format!("/embed/{code}"),
    ] {
        for (who, client) in [("anonymous", cookieless()), ("owner", owner.clone())] {
            let page = client.get(app.url(&path)).send().await.expect("page");
            assert_eq!(page.status(), 200, "{who} {path}");
            assert!(
                !page.headers().contains_key("set-cookie"),
                "{who} {path} sets no cookie"
            );
            let cache = page.headers()["cache-control"].to_str().expect("ascii");
            assert!(
                cache.starts_with("public") && cache.contains("s-maxage="),
                "{who} {path}: {cache}"
            );
            let etag = page.headers()["etag"].clone();
            let again = client
                .get(app.url(&path))
                .header("if-none-match", etag.clone())
                .send()
                .await
                .expect("page");
            assert_eq!(again.status(), 304, "{who} {path} revalidates");
            assert_eq!(again.headers()["etag"], etag);
            assert!(again.bytes().await.expect("body").is_empty());
        }
    }
    // What is not public is not cached for others, and reading sets no cookie either.
    for path in ["/create", "/api/v1/pixel-art/styles", "/api/v1/push/key"] {
        let page = cookieless().get(app.url(path)).send().await.expect("get");
        assert_eq!(page.status(), 200, "{path}");
        assert!(!page.headers().contains_key("set-cookie"), "{path}");
        assert_eq!(page.headers()["cache-control"], "no-cache", "{path}");
    }
    // A request that keeps nothing writes no session: anonymous visitors own nothing.
    let refused = cookieless()
        .post(app.url("/api/v1/images/remove-background"))
        .json(&serde_json::json!({"image_id": image["id"]}))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 422);
    assert!(!refused.headers().contains_key("set-cookie"));
    let stranger_view = cookieless()
        .get(app.url(&format!(
            "/api/v1/games/{}",
            game["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("get");
    assert_eq!(stranger_view.status(), 404);
    assert_eq!(
        session_rows(app.data_dir.path()).await,
        1,
        "one session: the uploader's"
    );
}

#[tokio::test]
async fn a_restart_keeps_what_each_visitor_owns() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let web_only = [("PETPIXEL__JOBS__IN_PROCESS_WORKER", "false")];
    let server = ServerProcess::start(data_dir.path(), &web_only).await;
    let owner = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let image = upload_to(&server.base, &owner, chelsea()).await;
    let game = start_game_at(&server.base, &owner, &image).await;
    let port = server.port;
    server.stop().await;

    let server = ServerProcess::start_on(data_dir.path(), port, &web_only).await;
    let game_url = server.url(&format!(
        "/api/v1/games/{}",
        game["id"].as_str().expect("id")
    ));
    let mine = owner.get(&game_url).send().await.expect("get");
    assert_eq!(mine.status(), 200, "the owner still owns the game");
    let view: Value = mine.json().await.expect("json");
    assert_eq!(view["short_code"], game["short_code"]);
    let photo_url = server.url(&format!(
        "/api/v1/images/{}/status",
        image["id"].as_str().expect("id")
    ));
    assert_eq!(
        owner.get(&photo_url).send().await.expect("get").status(),
        200
    );
    assert_eq!(
        cookieless()
            .get(&game_url)
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
}

/// Page views the memory test makes; `PETPIXEL_PAGE_VIEWS` runs a longer soak.
fn page_views() -> usize {
    std::env::var("PETPIXEL_PAGE_VIEWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[tokio::test]
async fn a_hundred_thousand_cookieless_page_views_keep_no_session_and_little_memory() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let server = ServerProcess::start(
        data_dir.path(),
        &[("PETPIXEL__JOBS__IN_PROCESS_WORKER", "false")],
    )
    .await;
    let owner = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let image = upload_to(&server.base, &owner, chelsea()).await;
    let game = start_game_at(&server.base, &owner, &image).await;
    let pages = [
        server.url("/"),
        server.url(&format!(
            "/g/{}",
            game["short_code"].as_str().expect("code")
        )),
    ];
    let client = cookieless();
    let view = |n: usize| {
        let client = client.clone();
        let url = pages[n % pages.len()].clone();
        async move {
            let response = client.get(url).send().await.expect("page");
            assert_eq!(response.status(), 200);
            let cookie = response.headers().contains_key("set-cookie");
            response.bytes().await.expect("body");
            cookie
        }
    };
    let run = |count: usize| {
        futures_util::stream::iter(0..count)
            .map(view)
            .buffer_unordered(8)
            .fold(
                0usize,
                |cookies, set| async move { cookies + usize::from(set) },
            )
    };
    // Warm up first: the allocator's arenas, the pool's connections, the page caches.
    assert_eq!(run(2_000).await, 0, "no page set a cookie");
    let rows_before = session_rows(data_dir.path()).await;
    let rss_before = server.rss_kib();
    let views = page_views();
    let started = std::time::Instant::now();
    assert_eq!(run(views).await, 0, "no page set a cookie");
    let took = started.elapsed();
    let rss_after = server.rss_kib();
    let rows_after = session_rows(data_dir.path()).await;
    eprintln!(
        "{views} cookieless page views in {:.1} s ({:.0}/s): RSS {rss_before} KiB before, \
         {rss_after} KiB after ({:+.2} %); session rows {rows_before} → {rows_after}",
        took.as_secs_f64(),
        views as f64
            / took
                .as_secs_f64()
                .max(Duration::from_millis(1).as_secs_f64()),
        (rss_after as f64 / rss_before as f64 - 1.0) * 100.0
    );
    assert_eq!(rows_before, 1, "the uploader's session only");
    assert_eq!(rows_after, rows_before, "page views create no session");
    assert!(
        (rss_after as f64) < rss_before as f64 * 1.05,
        "RSS grew from {rss_before} to {rss_after} KiB"
    );
}

/// A visitor's session lives 30 days from when it was last saved, and tower-sessions saves
/// only changed sessions: a visitor in use has theirs saved again once a day (not on every
/// request), so the cookie that owns what they made does not run out while they use it.
#[tokio::test]
async fn a_visitor_in_use_keeps_their_session_and_is_saved_at_most_daily() {
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let owner = app.visitor();
    app.upload_photo(&owner, chelsea(), "chelsea.png").await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.data_dir.path().join("petpixel.sqlite3").display()
    ))
    .await
    .expect("db");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64
    };
    let expires_at = || async {
        sqlx::query_scalar::<_, i64>("SELECT expires_at FROM sessions")
            .fetch_one(&db)
            .await
            .expect("the visitor's session")
    };
    let visit = || async {
        let response = owner
            .get(app.url("/api/v1/games"))
            .send()
            .await
            .expect("my games");
        assert_eq!(response.status(), 200);
    };
    // As if 29 days had passed since it was saved; saved today, so not saved again.
    let soon = now() + 24 * 3600;
    sqlx::query("UPDATE sessions SET expires_at = $1")
        .bind(soon)
        .execute(&db)
        .await
        .expect("age");
    visit().await;
    assert_eq!(expires_at().await, soon, "no write on every request");
    // Last saved more than a day ago: the visit saves it, for another 30 days.
    sqlx::query("UPDATE sessions SET data = json_set(data, '$.renewed', $1)")
        .bind(now() - 25 * 3600)
        .execute(&db)
        .await
        .expect("age");
    visit().await;
    let renewed = expires_at().await;
    assert!(
        renewed > now() + 29 * 24 * 3600,
        "renewed for the full lifetime: {renewed}"
    );
    assert_eq!(
        session_rows(app.data_dir.path()).await,
        1,
        "the same session"
    );
}
