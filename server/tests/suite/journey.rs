//! The whole journey through the REST API against the real server on its embedded defaults:
//! photo → stored → cut out and pixelized → game module with the sprite injected → playable.

use crate::common::journey::{assert_game_is_playable, make_a_game};
use crate::common::{TestApp, chelsea};
use serde_json::{Value, json};

#[tokio::test]
async fn a_photo_becomes_a_playable_game_through_the_rest_api() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let game = make_a_game(&app, &client).await;
    assert_game_is_playable(&app, &game).await;
}

#[tokio::test]
async fn another_visitor_gets_404_for_my_games_and_cannot_use_my_photos() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image: Value = app
        .upload(&me, chelsea(), "c.png")
        .await
        .json()
        .await
        .expect("json");
    let created = app
        .create_game(
            &me,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "space", "difficulty": "easy", "level_count": 1, "gait": "crawl"}),
        )
        .await;
    let id = created["id"].as_str().expect("id");
    assert_eq!(created["gait"], "crawl", "the gait chosen is kept");

    let stranger = app.visitor();
    let theirs = stranger
        .get(app.url(&format!("/api/v1/games/{id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(theirs.status(), 404);
    let body: Value = theirs.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    let download = stranger
        .get(app.url(&format!("/api/v1/games/{id}/download")))
        .send()
        .await
        .expect("get");
    assert_eq!(download.status(), 404);
    let reuse = stranger
        .post(app.url("/api/v1/games"))
        .json(&json!({"image_id": image["id"], "pet_name": "Thief", "theme": "space", "difficulty": "easy", "level_count": 1}))
        .send()
        .await
        .expect("create");
    assert_eq!(reuse.status(), 422);
    let body: Value = reuse.json().await.expect("json");
    assert_eq!(body["error"]["field"], "image_id");

    // The owner still sees it, and the public page works for anyone once it is made.
    let finished = app.wait_until_finished(&me, id).await;
    assert_eq!(finished["status"], "ready");
    let code = finished["short_code"].as_str().expect("code");
    assert_eq!(
        stranger
            .get(app.url(&format!("/embed/{code}")))
            .send()
            .await
            .expect("embed")
            .status(),
        200
    );
}

#[tokio::test]
async fn health_reports_the_versions_of_its_parts() {
    let app = TestApp::spawn().await;
    let response = reqwest::get(app.url("/health")).await.expect("health");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["parts"]["database"],
        json!({"engine": "sqlite", "status": "ok"})
    );
    assert_eq!(body["parts"]["blobs"], "local");
    assert_eq!(body["parts"]["sessions"], "sqlite");
    assert_eq!(body["parts"]["ranking"], "sql");
    // The embedded default serves and works: it loaded the models, on the CPU.
    assert_eq!(body["role"], "all");
    assert_eq!(
        (
            &body["parts"]["ml"]["loaded"],
            &body["parts"]["ml"]["backend"]
        ),
        (&json!(true), &json!("flex (cpu)"))
    );
    for part in ["leptos", "axum", "sqlx"] {
        let version = body["parts"]["web"][part].as_str().expect("a version");
        assert!(
            version.split('.').count() == 3 && version.starts_with("0."),
            "{part} {version}"
        );
    }
    assert!(
        body["parts"]["game_runtime"]["module_bytes"]
            .as_u64()
            .unwrap_or(0)
            > 1000
    );
    assert!(body["version"].is_string());
}

#[tokio::test]
async fn pages_render_on_the_server_and_unknown_ones_are_404() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let home = client.get(app.url("/")).send().await.expect("home");
    assert_eq!(home.status(), 200);
    let policy = home.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(home.headers()["referrer-policy"], "same-origin");
    assert!(
        home.headers().get("strict-transport-security").is_none(),
        "no HSTS on a plain-http site"
    );
    let html = home.text().await.expect("html");
    // Scripts from the site and WebAssembly; inline scripts only by the hashes of this
    // page's own (the hydration script), never `unsafe-inline` or `eval`.
    let hashes = server::http::page_policy::inline_script_hashes(html.as_bytes());
    assert!(!hashes.is_empty(), "the hydration script is inline");
    assert_eq!(
        policy,
        server::http::page_policy::policy(&hashes, "frame-ancestors 'self'", &[])
    );
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{policy}"
    );
    assert!(html.contains("Your pet, starring in its own video game"));
    // The app's files by the names the build gave them (by content).
    let assets = server::http::assets::SiteAssets::load(&app.config.site_root).expect("assets");
    for file in [
        format!("/pkg/{}.js", assets.app),
        format!("/pkg/{}_bg.wasm", assets.app),
        assets.stylesheet(),
    ] {
        assert!(html.contains(&file), "{file} is linked");
    }

    let create = client
        .get(app.url("/create"))
        .send()
        .await
        .expect("create")
        .text()
        .await
        .expect("html");
    assert!(create.contains("name=\"image\"") && create.contains("data-theme=\"space\""));

    assert_eq!(
        client
            .get(app.url("/no/such/page"))
            .send()
            .await
            .expect("404")
            .status(),
        404
    );
    let api = client
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .expect("api 404");
    assert_eq!(api.status(), 404);
    let body: Value = api.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        client
            .get(app.url("/embed/zzzzzzzzzz"))
            .send()
            .await
            .expect("embed")
            .status(),
        404
    );
    assert_eq!(
        client
            .get(app.url("/embed/not-a-code"))
            .send()
            .await
            .expect("embed")
            .status(),
        404
    );
}

#[tokio::test]
async fn regenerating_gives_new_levels_for_the_same_pet_and_only_to_the_owner() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let game = make_a_game(&app, &me).await;
    let id = game["id"].as_str().expect("id");
    let code = game["short_code"].as_str().expect("code");
    let module = |client: reqwest::Client| {
        let url = app.url(&format!("/api/v1/play/{code}/game.wasm"));
        async move {
            let bytes = client.get(url).send().await.expect("module").bytes().await;
            let bytes = bytes.expect("bytes");
            let section = game_runtime::assemble::read_section(&bytes).expect("section");
            game_runtime::format::decode(section).expect("decodes")
        }
    };
    let before = module(me.clone()).await;

    let stranger = app.visitor();
    let theirs = stranger
        .post(app.url(&format!("/api/v1/games/{id}/regenerate")))
        .send()
        .await
        .expect("post");
    assert_eq!(theirs.status(), 404);

    let response = me
        .post(app.url(&format!("/api/v1/games/{id}/regenerate")))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "generating");
    assert_eq!(body["short_code"], code, "the link stays the same");
    // Asking again while it is being made is refused in plain words.
    let again = me
        .post(app.url(&format!("/api/v1/games/{id}/regenerate")))
        .send()
        .await
        .expect("post");
    if again.status() != 202 {
        assert_eq!(again.status(), 422);
        let body: Value = again.json().await.expect("json");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("being made"))
        );
    }

    let finished = app.wait_until_finished(&me, id).await;
    assert_eq!(finished["status"], "ready", "{finished}");
    let after = module(me.clone()).await;
    assert_eq!(after.pet_name, before.pet_name);
    assert_eq!(after.sprite, before.sprite, "the same pet");
    assert_eq!(after.levels.len(), before.levels.len());
    assert_ne!(after.levels, before.levels, "new layouts");
    assert_game_is_playable(&app, &finished).await;
}
