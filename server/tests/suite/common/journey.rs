//! The journey shared by the embedded and the scale-out tests.

use serde_json::{Value, json};

use super::{TestApp, chelsea};

/// Uploads the shipped photo, creates a game and waits until it is ready.
pub async fn make_a_game(app: &TestApp, client: &reqwest::Client) -> Value {
    let response = app.upload(client, chelsea(), "chelsea.png").await;
    assert_eq!(response.status(), 201);
    let image: Value = response.json().await.expect("json");
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(451), Some(300))
    );

    let response = client
        .post(app.url("/api/v1/games"))
        .json(&json!({
            "image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
            "difficulty": "normal", "level_count": 2
        }))
        .send()
        .await
        .expect("create game");
    assert_eq!(response.status(), 202);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["status"], "generating");
    assert_eq!(created["short_code"].as_str().map(str::len), Some(10));

    let game = app
        .wait_until_finished(client, created["id"].as_str().expect("id"))
        .await;
    assert_eq!(game["status"], "ready", "{game}");
    game
}

/// Checks everything a player and a sharer need from a ready game.
pub async fn assert_game_is_playable(app: &TestApp, game: &Value) {
    let anyone = reqwest::Client::new();
    let code = game["short_code"].as_str().expect("code");

    let module = anyone
        .get(app.url(&format!("/api/v1/play/{code}/game.wasm")))
        .send()
        .await
        .expect("module");
    assert_eq!(module.status(), 200);
    assert_eq!(module.headers()["content-type"], "application/wasm");
    assert_eq!(module.headers()["cache-control"], "no-cache");
    let etag = module.headers()["etag"].clone();
    let module = module.bytes().await.expect("bytes");
    let unchanged = anyone
        .get(app.url(&format!("/api/v1/play/{code}/game.wasm")))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .expect("revalidation");
    assert_eq!(unchanged.status(), 304, "the ETag revalidates");
    let section =
        game_runtime::assemble::read_section(&module).expect("the game data section is injected");
    let data = game_runtime::format::decode(section).expect("the game data decodes");
    assert_eq!(data.pet_name, "Chelsea");
    assert_eq!(data.levels.len(), 2);
    // Each level carries the solver's proof, which replays to the goal.
    assert_eq!(data.playthroughs.len(), 2);
    for (index, playthrough) in data.playthroughs.iter().enumerate() {
        let mut world = game_runtime::sim::World::new(&data, index);
        for buttons in playthrough.buttons() {
            game_runtime::sim::step(&mut world, buttons);
        }
        assert_ne!(
            world.state,
            game_runtime::sim::State::Playing,
            "level {index}"
        );
    }
    assert!(
        data.sprite.frame_count >= 2,
        "at least a two-frame animation"
    );
    let opaque = data.sprite.rgba.chunks(4).filter(|p| p[3] > 0).count();
    assert!(
        opaque > 50,
        "the sprite has the pet in it ({opaque} opaque pixels)"
    );

    for file in ["cutout.png", "sprite.png", "sheet.png"] {
        let png = anyone
            .get(app.url(&format!("/api/v1/play/{code}/{file}")))
            .send()
            .await
            .expect("picture");
        assert_eq!(png.status(), 200, "{file}");
        let bytes = png.bytes().await.expect("bytes");
        assert!(bytes.starts_with(b"\x89PNG"), "{file} is a PNG");
    }

    // The loader reports a start of play; the count shows on the game.
    let plays = |client: reqwest::Client| {
        let url = app.url(&format!("/api/v1/play/{code}/plays"));
        async move { client.post(url).send().await.expect("plays").status() }
    };
    let count = || async {
        let view: Value = anyone
            .post(app.url("/_sf/get_game_by_code"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("code={code}"))
            .send()
            .await
            .expect("game by code")
            .json()
            .await
            .expect("json");
        view["plays"].as_u64().expect("plays")
    };
    let before = count().await;
    assert_eq!(plays(anyone.clone()).await, 204);
    assert_eq!(count().await, before + 1);
    let unknown = anyone
        .post(app.url("/api/v1/play/abcdefghjk/plays"))
        .send()
        .await
        .expect("unknown");
    assert_eq!(unknown.status(), 404);

    let page = anyone
        .get(app.url(&format!("/g/{code}")))
        .send()
        .await
        .expect("public page");
    assert_eq!(page.status(), 200);
    let cache = page.headers()["cache-control"].to_str().expect("ascii");
    assert!(
        cache.starts_with("public, max-age=0"),
        "shared caches may keep it briefly; browsers revalidate: {cache}"
    );

    let embed = anyone
        .get(app.url(&format!("/embed/{code}")))
        .send()
        .await
        .expect("embed");
    assert_eq!(embed.status(), 200);
    let policy = embed.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        policy.ends_with("; frame-ancestors *"),
        "framed anywhere: {policy}"
    );
    assert!(
        embed.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .starts_with("public, max-age=0")
    );
    let html = embed.text().await.expect("html");
    // Its one inline script (the loader) runs by its hash; nothing else inline may.
    let hashes = server::http::page_policy::inline_script_hashes(html.as_bytes());
    assert_eq!(hashes.len(), 1, "{html}");
    assert_eq!(
        policy,
        server::http::page_policy::policy(&hashes, "frame-ancestors *", &[])
    );
    assert!(html.contains(&format!("plays: \"/api/v1/play/{code}/plays\"")));
    // The page loads the module and the runtime by content-addressed URLs, which
    // are cached for good; the tag is the (weak) ETag.
    let tag = etag
        .to_str()
        .expect("ascii")
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned();
    let addressed = format!("/api/v1/play/{code}/game-{tag}.wasm");
    assert!(html.contains(&addressed), "{html}");
    let immutable = anyone
        .get(app.url(&addressed))
        .send()
        .await
        .expect("addressed module");
    assert_eq!(immutable.status(), 200);
    assert_eq!(
        immutable.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(immutable.bytes().await.expect("bytes"), module);
    let stale = anyone
        .get(app.url(&format!("/api/v1/play/{code}/game-0000000000000000.wasm")))
        .send()
        .await
        .expect("stale");
    assert_eq!(
        stale.status(),
        404,
        "another version is not served under a tag"
    );
    for script in ["petpixel_game.js", "loader.js"] {
        let start = html.find(&format!("/pkg/game/{script}?v=")).expect(script);
        let url: String = html[start..].chars().take_while(|&c| c != '"').collect();
        let file = anyone.get(app.url(&url)).send().await.expect(script);
        assert_eq!(file.status(), 200, "{url}");
        assert_eq!(
            file.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{url}"
        );
    }

    let download = anyone
        .get(app.url(&format!("/api/v1/play/{code}/download")))
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let html = download.text().await.expect("html");
    assert!(
        !html.contains("src=\"/") && !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );

    let page = anyone
        .get(app.url(&format!("/g/{code}")))
        .send()
        .await
        .expect("play page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Great Adventure") && html.contains(&format!("/embed/{code}")),
        "the play page shows the game"
    );
}
