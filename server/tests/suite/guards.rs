//! The edge's guards: cross-site requests are refused before any session is touched
//! (`http::csrf`: the attack where a cross-site upload replaced a visitor's session cookie,
//! over the wire), and `/metrics` answers only those allowed to read it.

use reqwest::StatusCode;
use secrecy::SecretString;

use super::common::{TestApp, chelsea, start_game_at};

fn photo_form() -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(chelsea()).file_name("pet.png");
    reqwest::multipart::Form::new().part("image", part)
}

#[tokio::test]
async fn a_cross_site_upload_is_refused_and_the_victim_keeps_their_session() {
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let victim = app.visitor();
    let image = app.upload_photo(&victim, chelsea(), "chelsea.png").await;
    let game = start_game_at(&app.base, &victim, &image).await;
    let sessions_before = super::common::session_rows(app.data_dir.path()).await;

    // What the victim's browser sends for the attacker's form: no cookie (SameSite=Lax), and
    // the marks of a cross-site request; older browsers send only the Origin.
    for marks in [
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://attacker.test"),
        ],
        vec![("origin", "http://attacker.test")],
        vec![("origin", "null")],
    ] {
        let mut request = reqwest::Client::new()
            .post(app.url("/api/v1/images/upload"))
            .multipart(photo_form());
        for (name, value) in &marks {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("upload");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{marks:?}");
        assert!(!response.headers().contains_key("set-cookie"), "{marks:?}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    // Server functions too.
    let response = reqwest::Client::new()
        .post(app.url("/_sf/create_game"))
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "request[image_id]={}",
            image["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("server function");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        super::common::session_rows(app.data_dir.path()).await,
        sessions_before,
        "no session was made"
    );

    // The victim's own requests pass, and their game is theirs.
    let own = victim
        .get(app.url(&format!(
            "/api/v1/games/{}",
            game["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("game");
    assert_eq!(own.status(), StatusCode::OK);
    let same_origin = victim
        .post(app.url("/api/v1/images/upload"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.base.clone())
        .multipart(photo_form())
        .send()
        .await
        .expect("upload");
    assert_eq!(same_origin.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.metrics.token = Some(SecretString::from("scrape-me-please"));
    })
    .await;
    let client = reqwest::Client::new();
    for header in [None, Some("Bearer wrong"), Some("scrape-me-please")] {
        let mut request = client.get(app.url("/metrics"));
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("metrics");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header:?}");
    }
    let response = client
        .get(app.url("/metrics"))
        .header("authorization", "Bearer scrape-me-please")
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("http_requests_total")
    );

    // Without a token, a loopback peer may read them (tests and sidecars connect so).
    let open = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let response = client
        .get(open.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), StatusCode::OK);
}
