//! The studio as durable jobs: one computation however many ask at once, its own slots so it
//! cannot starve games, pixel art followed by id and animated later, and web nodes that never
//! load a model while workers elsewhere do the work.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::common::{ServerProcess, TestApp, chelsea, repo_root, start_game_at, upload_to};

async fn post(client: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// The app's database, for the studio's job rows.
async fn app_db(app: &TestApp) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.data_dir.path().join("petpixel.sqlite3").display()
    ))
    .await
    .expect("open")
}

#[tokio::test]
async fn five_hundred_requests_for_one_photo_cost_one_computation_each() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image = app.upload_photo(&me, chelsea(), "chelsea.png").await;
    let image_id = image["id"].as_str().expect("id").to_owned();

    let cut = |_| {
        let me = me.clone();
        let url = app.url("/api/v1/images/remove-background");
        let body = json!({"image_id": image_id});
        async move { post(&me, &url, body).await }
    };
    let answers: Vec<(u16, Value)> = futures_util::stream::iter(0..500)
        .map(cut)
        .buffer_unordered(500)
        .collect()
        .await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{:?}",
        answers[0]
    );
    assert!(answers.iter().all(|(_, body)| *body == answers[0].1));

    let draw = |_| {
        let me = me.clone();
        let url = app.url("/api/v1/pixel-art/generate");
        let body = json!({"image_id": image_id, "style": "pico-8", "size": 32});
        async move { post(&me, &url, body).await }
    };
    let drawn: Vec<(u16, Value)> = futures_util::stream::iter(0..100)
        .map(draw)
        .buffer_unordered(100)
        .collect()
        .await;
    assert!(
        drawn
            .iter()
            .all(|(status, body)| *status == 200 && body["status"] == "done")
    );
    assert!(drawn.iter().all(|(_, body)| *body == drawn[0].1));

    // One row per piece of work, each claimed once: one computation however many asked.
    let db = app_db(&app).await;
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT work, state, attempts FROM studio_jobs ORDER BY work")
            .fetch_all(&db)
            .await
            .expect("rows");
    assert_eq!(
        rows,
        [
            ("animation:pico-8-32".to_owned(), "done".to_owned(), 1),
            ("cutout".to_owned(), "done".to_owned(), 1),
            ("sprite:pico-8-32".to_owned(), "done".to_owned(), 1),
        ]
    );
}

#[tokio::test]
async fn studio_work_cannot_starve_games_of_workers() {
    // Requests answer at once (202), so many looks are queued before the game.
    let app = TestApp::spawn_with(|c| c.jobs.studio_wait_ms = 1).await;
    let me = app.visitor();
    let image = app.upload_photo(&me, chelsea(), "chelsea.png").await;
    let mut looks = 0;
    for style in [
        "classic-16",
        "game-boy",
        "nes",
        "pico-8",
        "snes-32",
        "mono-ink",
    ] {
        for size in [32, 48, 64] {
            let (status, _) = post(
                &me,
                &app.url("/api/v1/pixel-art/generate"),
                json!({"image_id": image["id"], "style": style, "size": size}),
            )
            .await;
            assert!(status == 202 || status == 200, "{status}");
            looks += 1;
        }
    }
    let game = start_game_at(&app.base, &me, &image).await;
    let game = app
        .wait_until_finished(&me, game["id"].as_str().expect("id"))
        .await;
    assert_eq!(game["status"], "ready", "{game}");

    // The studio's work, queued first, is still finishing after the game was made.
    let db = app_db(&app).await;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM studio_jobs WHERE state IN ('queued', 'running')",
        )
        .fetch_one(&db)
        .await
        .expect("count");
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} studio jobs never finished"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let game_done: String = sqlx::query_scalar("SELECT completed_at FROM games")
        .fetch_one(&db)
        .await
        .expect("completed_at");
    let game_done = chrono::DateTime::parse_from_rfc3339(&game_done)
        .expect("a time")
        .timestamp_millis();
    let after_the_game: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM studio_jobs WHERE state = 'done' AND updated_at > $1",
    )
    .bind(game_done)
    .fetch_one(&db)
    .await
    .expect("count");
    assert!(
        after_the_game >= looks,
        "only {after_the_game} of the {} studio jobs finished after the game",
        looks * 2 + 1
    );
}

#[tokio::test]
async fn pixel_art_is_followed_by_id_and_animated_later() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image = app.upload_photo(&me, chelsea(), "chelsea.png").await;
    let (status, still) = post(
        &me,
        &app.url("/api/v1/pixel-art/generate"),
        json!({"image_id": image["id"], "style": "game-boy", "animate": false}),
    )
    .await;
    assert_eq!(status, 200, "{still}");
    assert_eq!(still["status"], "done");
    assert!(
        still["sprite_url"].is_string() && still["sheet_url"].is_null(),
        "{still}"
    );
    assert_eq!(
        still["palette"].as_array().map(Vec::len),
        Some(5),
        "4 shades and the outline"
    );
    let status_url = app.url(still["status_url"].as_str().expect("url"));
    let followed: Value = me
        .get(&status_url)
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert_eq!(followed, still);

    let (status, animated) = post(
        &me,
        &app.url("/api/v1/pixel-art/animate"),
        json!({"id": still["id"]}),
    )
    .await;
    assert_eq!(status, 200, "{animated}");
    assert_eq!(animated["id"], still["id"]);
    for url in ["sheet_url", "sheet_json_url", "preview_url"] {
        let url = animated[url].as_str().expect("an animation link");
        assert_eq!(
            me.get(app.url(url)).send().await.expect("get").status(),
            200
        );
    }

    // Strangers and nonsense learn nothing.
    let stranger = app.visitor();
    assert_eq!(
        stranger
            .get(&status_url)
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let (status, refused) = post(
        &stranger,
        &app.url("/api/v1/pixel-art/animate"),
        json!({"id": still["id"]}),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (422, Some("id"))
    );
    for id in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let url = app.url(&format!("/api/v1/pixel-art/{id}/status"));
        assert_eq!(me.get(url).send().await.expect("get").status(), 404, "{id}");
    }
}

#[tokio::test]
async fn a_web_node_loads_no_model_and_workers_elsewhere_do_its_studio_work() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let web = ServerProcess::start(
        data_dir.path(),
        &[
            ("PETPIXEL__JOBS__IN_PROCESS_WORKER", "false"),
            ("PETPIXEL__JOBS__STUDIO_WAIT_MS", "200"),
        ],
    )
    .await;
    let health: Value = reqwest::get(web.url("/health"))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["role"], "web");
    assert_eq!(health["parts"]["ml"]["loaded"], false, "{health}");

    let me = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let image = upload_to(&web.base, &me, chelsea()).await;
    // Nobody makes it yet: the request answers where the work stands.
    let (status, pending) = post(
        &me,
        &web.url("/api/v1/images/remove-background"),
        json!({"image_id": image["id"]}),
    )
    .await;
    assert_eq!(
        (status, pending["background"].as_str()),
        (202, Some("queued")),
        "{pending}"
    );
    let game = start_game_at(&web.base, &me, &image).await;
    let rss_kib = web.rss_kib();
    eprintln!("web-only node: RSS {rss_kib} KiB after an upload and two requests");
    assert!(rss_kib <= 80 * 1024, "a web node uses {rss_kib} KiB");

    // A worker on the same data folder does the studio's work and the game's, and answers
    // for itself.
    let ops_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _worker = Reaper(
        std::process::Command::new(env!("CARGO_BIN_EXE_petpixel"))
            .arg("worker")
            .env("PETPIXEL_DATA_DIR", data_dir.path())
            .env("LEPTOS_SITE_ROOT", repo_root().join("site"))
            .env("PETPIXEL__WORKER_ADDR", format!("127.0.0.1:{ops_port}"))
            .env("PETPIXEL__JOBS__POLL_MS", "100")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("petpixel worker starts"),
    );
    let status_url = web.url(&format!(
        "/api/v1/images/{}/status",
        image["id"].as_str().expect("id")
    ));
    let game_url = web.url(&format!(
        "/api/v1/games/{}",
        game["id"].as_str().expect("id")
    ));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status: Value = me
            .get(&status_url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        let made: Value = me
            .get(&game_url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        if status["background"] == "done" && made["status"] == "ready" {
            assert!(status["cutout"]["cutout_url"].is_string(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "{status} {made}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let worker_health: Value = reqwest::get(format!("http://127.0.0.1:{ops_port}/health"))
        .await
        .expect("worker health")
        .json()
        .await
        .expect("json");
    assert_eq!(worker_health["role"], "worker");
    assert_eq!(worker_health["parts"]["ml"]["loaded"], true);
    // Both nodes report the game the worker made: the counters come from the database.
    for metrics_url in [
        web.url("/metrics"),
        format!("http://127.0.0.1:{ops_port}/metrics"),
    ] {
        let text = reqwest::get(&metrics_url)
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        assert!(
            text.lines()
                .any(|l| l == "games_generated_total{outcome=\"ready\"} 1"),
            "{metrics_url}:\n{text}"
        );
    }
}

/// Kills a spawned process however the test ends.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
