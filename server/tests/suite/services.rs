//! The same journey on the scale-out parts: PostgreSQL, Redis and an S3 server together.

use crate::common::TestApp;
use crate::common::journey;
use secrecy::SecretString;

#[tokio::test]
async fn a_photo_becomes_a_game_on_postgres_redis_and_s3() {
    let Some((db, redis, bucket)) = crate::common::scale_out_parts().await else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
    })
    .await;
    let health: serde_json::Value = reqwest::get(app.url("/health"))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["parts"]["database"]["engine"], "postgres");
    assert_eq!(
        (
            health["parts"]["blobs"].as_str(),
            health["parts"]["sessions"].as_str(),
            health["parts"]["ranking"].as_str()
        ),
        (Some("s3"), Some("redis"), Some("redis"))
    );

    let client = app.visitor();
    let game = journey::make_a_game(&app, &client).await;
    journey::assert_game_is_playable(&app, &game).await;
    // Nothing landed on the local disk: every blob is in the bucket.
    assert!(!app.data_dir.path().join("blobs").exists());
}

/// Reads a game's progress stream until it ends, as `(id, view)` per `progress` event.
pub async fn progress_events(
    client: &reqwest::Client,
    url: &str,
    last_event_id: Option<&str>,
) -> Vec<(String, serde_json::Value)> {
    let mut request = client.get(url);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let mut response = request.send().await.expect("events");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while let Some(chunk) = tokio::time::timeout_at(deadline, response.chunk())
        .await
        .expect("the stream ends once the game is finished")
        .expect("chunk")
    {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text.split("\n\n")
        .filter(|block| block.contains("event: progress"))
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .expect(name)
                    .trim()
                    .to_owned()
            };
            let view = serde_json::from_str(&field("data:")).expect("json");
            (field("id:"), view)
        })
        .collect()
}

#[tokio::test]
async fn a_game_queued_on_one_node_is_made_by_another_and_followed_live_on_the_first() {
    let Some((db, redis, bucket)) = crate::common::scale_out_parts().await else {
        return;
    };
    let shared = |c: &mut server::config::Config| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis.clone()));
        c.s3 = Some(bucket.clone());
    };
    // A serves the web only; B runs the worker.
    let a = TestApp::spawn_with(|c| {
        shared(c);
        c.jobs.in_process_worker = false;
    })
    .await;
    let _b = TestApp::spawn_with(|c| {
        shared(c);
        c.jobs.poll_ms = 100;
    })
    .await;

    let client = a.visitor();
    let image: serde_json::Value = a
        .upload_photo(&client, crate::common::chelsea(), "chelsea.png")
        .await;
    let created = a
        .create_game(
            &client,
            serde_json::json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "beach",
                               "difficulty": "normal", "level_count": 2}),
        )
        .await;
    let id = created["id"].as_str().expect("id");
    let url = a.url(&format!("/api/v1/games/{id}/events"));
    let events = progress_events(&client, &url, None).await;

    // Seen through A, made by B: every stage in order, then ready.
    let (last_id, last) = events.last().expect("events");
    assert_eq!(last["status"], "ready", "{events:?}");
    assert_eq!(last["progress"], 100);
    assert_eq!(
        events[0].1["status"], "generating",
        "progress arrived live: {events:?}"
    );
    let stages: Vec<usize> = events
        .iter()
        .filter(|(_, v)| v["status"] == "generating")
        .map(|(_, v)| {
            app::dto::PipelineStage::ALL
                .iter()
                .position(|s| v["stage"] == s.as_str())
                .expect("a known stage")
        })
        .collect();
    assert!(stages.windows(2).all(|w| w[0] < w[1]), "{stages:?}");
    assert!(last["urls"]["preview"].is_string());
    let percents: Vec<u64> = events
        .iter()
        .map(|(_, v)| v["progress"].as_u64().expect("percent"))
        .collect();
    assert!(percents.windows(2).all(|w| w[0] < w[1]), "{percents:?}");

    // Reconnecting after the last event brings nothing again; after an earlier one, the news.
    assert!(
        progress_events(&client, &url, Some(last_id))
            .await
            .is_empty()
    );
    let (first_id, _) = &events[0];
    let caught_up = progress_events(&client, &url, Some(first_id)).await;
    assert_eq!(caught_up.len(), 1);
    assert_eq!(caught_up[0].1["status"], "ready");

    // Only the owner may follow a game.
    let stranger = a.visitor();
    assert_eq!(stranger.get(&url).send().await.expect("get").status(), 404);
}
