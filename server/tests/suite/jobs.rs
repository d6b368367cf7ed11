//! Durable jobs across processes: the web side queues games, `petpixel worker` processes make
//! them, and a worker killed mid-stage loses nothing and applies nothing twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::dto::PipelineStage;
use serde_json::{Value, json};
use server::games::store::{JobState, PipelineStore};
use server::infra::db::Db;
use uuid::Uuid;

use super::common::{ServerProcess, TestApp, chelsea, repo_root, sky, start_game_at, upload_to};

/// The app's own SQLite database, to look at its jobs.
async fn app_store(app: &TestApp) -> Db {
    Db::sqlite(&app.data_dir.path().join("petpixel.sqlite3"))
        .await
        .expect("the app's database")
}

/// A one-level easy game of Chelsea in `theme`, from the uploaded `image`.
async fn chelsea_game(
    app: &TestApp,
    client: &reqwest::Client,
    image: &Value,
    theme: &str,
) -> Value {
    app.create_game(
        client,
        json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": theme,
               "difficulty": "easy", "level_count": 1}),
    )
    .await
}

/// A `petpixel worker` on the app's SQLite file and blob folder, with a short lease so a dead
/// worker's stage is taken over quickly.
fn spawn_worker(data_dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_petpixel"))
        .arg("worker")
        .env("PETPIXEL_DATA_DIR", data_dir)
        .env("LEPTOS_SITE_ROOT", repo_root().join("site"))
        .env("PETPIXEL__JOBS__LEASE_SECS", "2")
        .env("PETPIXEL__JOBS__POLL_MS", "100")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("petpixel worker starts")
}

/// Kills the worker however the test ends.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_worker_killed_mid_stage_loses_no_job_and_applies_none_twice() {
    // Web only: games are queued here and made by separate worker processes.
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let store = app_store(&app).await;
    let client = app.visitor();
    let image: Value = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let mut ids = Vec::new();
    for theme in ["garden", "beach", "space"] {
        let created = chelsea_game(&app, &client, &image, theme).await;
        ids.push(Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid"));
    }
    let health: Value = reqwest::get(app.url("/health"))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["role"], "web", "no worker runs in the web process");
    for id in &ids {
        let job = store.job(*id).await.expect("job").expect("queued");
        assert_eq!(job.state, JobState::Queued);
    }

    // Kill the first worker while it is cutting the first pet out (about a second of work):
    // once the job is running, the worker holds it mid-stage.
    let mut first = Reaper(spawn_worker(app.data_dir.path()));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = store.job(ids[0]).await.expect("job").expect("row");
        if job.state == JobState::Running && job.stage == PipelineStage::RemoveBackground {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never started: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");
    let orphaned = store.job(ids[0]).await.expect("job").expect("row");
    assert_eq!(
        (orphaned.state, orphaned.stage),
        (JobState::Running, PipelineStage::RemoveBackground),
        "the dead worker's claim is still on the job"
    );

    // A new worker takes the job over once the lease runs out, and finishes every game.
    let _second = Reaper(spawn_worker(app.data_dir.path()));
    for id in &ids {
        let game = app.wait_until_finished(&client, &id.to_string()).await;
        assert_eq!(game["status"], "ready", "{game}");
        assert_eq!(game["stage"], Value::Null);
        let module = reqwest::get(app.url(&format!(
            "/api/v1/play/{}/game.wasm",
            game["short_code"].as_str().expect("code")
        )))
        .await
        .expect("module")
        .bytes()
        .await
        .expect("bytes");
        assert!(game_runtime::assemble::read_section(&module).is_some());
    }

    // Each game was recorded as made exactly once, however often a stage ran.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.data_dir.path().join("petpixel.sqlite3").display()
    ))
    .await
    .expect("open");
    for id in &ids {
        let made: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM analytics_events WHERE game_id = $1 AND event_type = 'game_generated'",
        )
        .bind(id.to_string())
        .fetch_one(&db)
        .await
        .expect("count");
        assert_eq!(made, 1, "game {id}");
        let job = store.job(*id).await.expect("job").expect("row");
        assert_eq!(job.state, JobState::Done);
    }
}

#[tokio::test]
async fn a_failed_game_says_where_and_why_and_only_it_can_be_tried_again() {
    let app = TestApp::spawn().await;
    let owner = app.visitor();
    let image: Value = app.upload_photo(&owner, sky(), "sky.png").await;
    let created = app
        .create_game(
            &owner,
            json!({"image_id": image["id"], "pet_name": "Nobody", "theme": "park",
                   "difficulty": "easy", "level_count": 1}),
        )
        .await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["stage"], "remove_background");
    let failed = app.wait_until_finished(&owner, &id).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["stage"], "remove_background");
    assert!(
        failed["failure"]
            .as_str()
            .expect("reason")
            .contains("no pet found"),
        "{failed}"
    );

    // Strangers cannot retry it; its owner can, and it runs again from the failed stage.
    let stranger = app.visitor();
    let url = app.url(&format!("/api/v1/games/{id}/retry"));
    assert_eq!(
        stranger.post(&url).send().await.expect("post").status(),
        404
    );
    let response = owner.post(&url).send().await.expect("post");
    assert_eq!(response.status(), 202);
    let retried: Value = response.json().await.expect("json");
    assert_eq!(
        (retried["status"].as_str(), retried["failure"].as_str()),
        (Some("generating"), None),
        "{retried}"
    );
    let again = app.wait_until_finished(&owner, &id).await;
    assert_eq!(again["status"], "failed");

    // A game that did not fail is refused with a reason.
    let ready = super::common::journey::make_a_game(&app, &owner).await;
    let response = owner
        .post(app.url(&format!(
            "/api/v1/games/{}/retry",
            ready["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("only a game that failed"),
        "{body}"
    );
    // The metrics count what happened: one game made, two failures, the answers sent.
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for line in [
        "games_generated_total{outcome=\"ready\"} 1",
        "games_generated_total{outcome=\"failed\"} 2",
        "game_generation_duration_seconds_count 1",
        "pipeline_queue_depth{stage=\"remove_background\",state=\"queued\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    for status in ["201", "202", "404", "422"] {
        assert!(
            metrics.contains(&format!("http_requests_total{{status=\"{status}\"}}")),
            "{status} in\n{metrics}"
        );
    }

    // The ready game links its animated preview.
    let preview = ready["urls"]["preview"].as_str().expect("preview url");
    let gif = reqwest::get(app.url(preview)).await.expect("gif");
    assert_eq!(gif.headers()["content-type"], "image/gif");
    assert!(gif.bytes().await.expect("bytes").starts_with(b"GIF89a"));
}

#[tokio::test]
async fn a_stage_over_its_time_is_tried_again_after_a_pause_then_fails_in_plain_words() {
    // Cutting a pet out takes hundreds of milliseconds at least: 1 ms is always too little.
    let app = TestApp::spawn_with(|c| {
        c.jobs.timeouts_ms.remove_background = 1;
        c.jobs.max_attempts = 2;
        c.jobs.backoff_ms = 50;
    })
    .await;
    let store = app_store(&app).await;
    let client = app.visitor();
    let image: Value = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let created = chelsea_game(&app, &client, &image, "garden").await;
    let id = created["id"].as_str().expect("id");
    let game = app.wait_until_finished(&client, id).await;
    assert_eq!(game["status"], "failed", "{game}");
    assert_eq!(game["stage"], "remove_background");
    assert_eq!(
        game["failure"], "an internal error stopped the pipeline; please try again",
        "our failure is told plainly, without its details"
    );
    let job = store
        .job(Uuid::parse_str(id).expect("uuid"))
        .await
        .expect("job")
        .expect("row");
    assert_eq!(
        (job.state, job.attempts),
        (JobState::Failed, 2),
        "tried again once before giving up"
    );
}

#[tokio::test]
async fn a_stage_whose_workers_keep_dying_is_given_up_instead_of_claimed_forever() {
    // Web only at first: the job is claimed here by "workers" that die without a word.
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.jobs.max_attempts = 2;
    })
    .await;
    let store = app_store(&app).await;
    let client = app.visitor();
    let image: Value = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let created = chelsea_game(&app, &client, &image, "garden").await;
    let id = Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid");
    // Two claims whose 1 ms leases run out, as when a stage takes its worker down.
    let start = server::clock::now_ms();
    for (n, now) in [start, start + 10].into_iter().enumerate() {
        let claimed = store
            .claim(&format!("dies-{n}"), now, 1)
            .await
            .expect("claim")
            .expect("due");
        assert_eq!((claimed.game_id, claimed.attempts), (id, n as u32 + 1));
    }

    // A worker that finds the stage claimed more often than it may run gives it up.
    let mut config = app.config.clone();
    config.jobs.in_process_worker = true;
    let worker = server::Application::build(config).await.expect("builds");
    tokio::spawn(async move { worker.run_until_stopped().await });
    let game = app.wait_until_finished(&client, &id.to_string()).await;
    assert_eq!(game["status"], "failed", "{game}");
    assert_eq!(
        game["failure"],
        "an internal error stopped the pipeline; please try again"
    );
    let job = store.job(id).await.expect("job").expect("row");
    assert_eq!(
        (job.state, job.attempts),
        (JobState::Failed, 3),
        "the third claim ran nothing"
    );
}

#[tokio::test]
async fn a_stopping_server_ends_open_progress_streams_instead_of_waiting_on_them() {
    // Web only, so the game stays in the making and its progress stream stays open.
    let data_dir = tempfile::tempdir().expect("tempdir");
    let server = ServerProcess::start(
        data_dir.path(),
        &[("PETPIXEL__JOBS__IN_PROCESS_WORKER", "false")],
    )
    .await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let image = upload_to(&server.base, &client, chelsea()).await;
    let created = start_game_at(&server.base, &client, &image).await;
    let mut stream = client
        .get(server.url(&format!(
            "/api/v1/games/{}/events",
            created["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("events");
    assert!(
        stream.chunk().await.expect("first event").is_some(),
        "the stream is open"
    );
    // Stopping waits for the server to exit (within its limit), stream or not.
    server.stop().await;
    // The stream ended rather than broke: the client reads its end.
    while let Some(_keep_alive) = stream.chunk().await.expect("a clean end") {}
}
