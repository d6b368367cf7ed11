//! The pixel-art studio over REST: styles, background removal, drawing a style, and a game
//! drawn in the style its owner picked, with every bad request refused plainly.

use image::ImageFormat;
use serde_json::{Value, json};

use crate::common::{TestApp, chelsea};

async fn upload_chelsea(app: &TestApp, client: &reqwest::Client) -> String {
    let image: Value = app
        .upload(client, chelsea(), "chelsea.png")
        .await
        .json()
        .await
        .expect("json");
    image["id"].as_str().expect("id").to_owned()
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
    let response = client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn styles(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let listed: Value = client
        .get(app.url("/api/v1/pixel-art/styles"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    listed.as_array().expect("a list").clone()
}

async fn fetch(client: &reqwest::Client, url: &str) -> (u16, String, Vec<u8>) {
    let response = client.get(url).send().await.expect("get");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.bytes().await.expect("body").to_vec(),
    )
}

#[tokio::test]
async fn the_styles_are_listed_with_their_palettes() {
    let app = TestApp::spawn().await;
    let styles = styles(&app, &app.visitor()).await;
    assert!(styles.len() >= 6, "{styles:?}");
    let game_boy = styles
        .iter()
        .find(|s| s["id"] == "game-boy")
        .expect("game-boy is offered");
    assert_eq!(
        game_boy["palette"].as_array().expect("fixed palette").len(),
        4
    );
    let classic = styles
        .iter()
        .find(|s| s["id"] == "classic-16")
        .expect("classic-16");
    assert!(
        classic["palette"].is_null(),
        "k-means styles pick colours per photo"
    );
}

#[tokio::test]
async fn a_photo_is_cut_out_once_and_drawn_in_a_style_exactly_on_its_palette() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image_id = upload_chelsea(&app, &me).await;

    let (status, cutout) = post(
        &app,
        &me,
        "/api/v1/images/remove-background",
        json!({"image_id": image_id}),
    )
    .await;
    assert_eq!(status, 200, "{cutout}");
    assert_eq!(cutout["method"], "neural");
    assert!(cutout["notice"].is_null());
    let (status, content_type, png) =
        fetch(&me, &app.url(cutout["cutout_url"].as_str().expect("url"))).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    let picture = image::load_from_memory_with_format(&png, ImageFormat::Png)
        .expect("a png")
        .to_rgba8();
    assert!(
        picture.pixels().any(|p| p.0[3] == 0),
        "the background is gone"
    );
    assert!(picture.pixels().any(|p| p.0[3] == 255), "the pet is there");
    let (status, _, _) = fetch(&me, &app.url(cutout["mask_url"].as_str().expect("url"))).await;
    assert_eq!(status, 200);

    // Asking again answers from storage with the same files.
    let (status, again) = post(
        &app,
        &me,
        "/api/v1/images/remove-background",
        json!({"image_id": image_id}),
    )
    .await;
    assert_eq!((status, &again), (200, &cutout));

    let (status, art) = post(
        &app,
        &me,
        "/api/v1/pixel-art/generate",
        json!({"image_id": image_id, "style": "game-boy", "size": 32, "dither": true}),
    )
    .await;
    assert_eq!(status, 200, "{art}");
    assert_eq!(
        (art["style"].as_str(), art["size"].as_u64()),
        (Some("game-boy"), Some(32))
    );
    let palette: Vec<[u8; 3]> = art["palette"]
        .as_array()
        .expect("palette")
        .iter()
        .map(|c| {
            let hex = c.as_str().expect("hex").trim_start_matches('#');
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit");
            [byte(0), byte(2), byte(4)]
        })
        .collect();
    let (status, _, sheet) = fetch(&me, &app.url(art["sheet_url"].as_str().expect("url"))).await;
    assert_eq!(status, 200);
    let sheet = image::load_from_memory_with_format(&sheet, ImageFormat::Png)
        .expect("a png")
        .to_rgba8();
    assert_eq!(sheet.height(), 32);
    for p in sheet.pixels().filter(|p| p.0[3] > 0) {
        assert_eq!(p.0[3], 255, "sprites are fully opaque or fully clear");
        assert!(
            palette.contains(&[p.0[0], p.0[1], p.0[2]]),
            "{p:?} is off the palette"
        );
    }
    let (status, content_type, gif) =
        fetch(&me, &app.url(art["preview_url"].as_str().expect("url"))).await;
    assert_eq!((status, content_type.as_str()), (200, "image/gif"));
    assert!(gif.starts_with(b"GIF89a"));
    let (status, _, json_bytes) =
        fetch(&me, &app.url(art["sheet_json_url"].as_str().expect("url"))).await;
    assert_eq!(status, 200);
    let table: Value = serde_json::from_slice(&json_bytes).expect("frame table");
    assert_eq!(table["meta"]["size"]["h"], 32);
    assert!(art.get("gait").is_none(), "no gait asked for: {art}");
    let chosen = table["meta"]["gait"]
        .as_str()
        .expect("the gait it chose")
        .to_owned();

    // Another gait is another look: the same drawing, moving differently, in files of its own.
    let other = if chosen == "swim" { "hop" } else { "swim" };
    let (status, moving) = post(
        &app,
        &me,
        "/api/v1/pixel-art/generate",
        json!({"image_id": image_id, "style": "game-boy", "size": 32, "dither": true, "gait": other}),
    )
    .await;
    assert_eq!(status, 200, "{moving}");
    assert_eq!(moving["gait"], other);
    assert_eq!(moving["palette"], art["palette"]);
    let preview = moving["preview_url"].as_str().expect("url");
    assert!(
        preview.ends_with(&format!("/game-boy-32-dither-{other}/preview.gif")),
        "{preview}"
    );
    let (status, _, json_bytes) = fetch(
        &me,
        &app.url(moving["sheet_json_url"].as_str().expect("url")),
    )
    .await;
    assert_eq!(status, 200);
    let table: Value = serde_json::from_slice(&json_bytes).expect("frame table");
    assert_eq!(table["meta"]["gait"], other);

    // Nobody else can see any of it.
    let stranger = app.visitor();
    for url in [
        &cutout["cutout_url"],
        &art["sheet_url"],
        &art["preview_url"],
    ] {
        let (status, _, _) = fetch(&stranger, &app.url(url.as_str().expect("url"))).await;
        assert_eq!(status, 404, "{url}");
    }
    let (status, body) = post(
        &app,
        &stranger,
        "/api/v1/pixel-art/generate",
        json!({"image_id": image_id, "style": "nes"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("image_id"))
    );
}

#[tokio::test]
async fn bad_studio_requests_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image_id = upload_chelsea(&app, &me).await;
    let cases = [
        (
            "/api/v1/pixel-art/generate",
            json!({"image_id": image_id, "style": "watercolour"}),
            "style",
        ),
        (
            "/api/v1/pixel-art/generate",
            json!({"image_id": image_id, "style": "nes", "size": 40}),
            "size",
        ),
        (
            "/api/v1/pixel-art/generate",
            json!({"image_id": "not-a-uuid", "style": "nes"}),
            "image_id",
        ),
        (
            "/api/v1/pixel-art/generate",
            json!({"image_id": image_id, "style": "nes", "gait": "fly"}),
            "gait",
        ),
        (
            "/api/v1/pixel-art/generate",
            json!({"style": "nes"}),
            "body",
        ),
        (
            "/api/v1/images/remove-background",
            json!({"image_id": "00000000-0000-0000-0000-000000000000"}),
            "image_id",
        ),
        (
            "/api/v1/images/remove-background",
            json!({"id": image_id}),
            "body",
        ),
        (
            "/api/v1/games",
            json!({"image_id": image_id, "pet_name": "C", "theme": "space", "difficulty": "easy", "level_count": 1, "style": "oil"}),
            "style",
        ),
        (
            "/api/v1/games",
            json!({"image_id": image_id, "pet_name": "C", "theme": "space", "difficulty": "easy", "level_count": 1, "gait": "gallop"}),
            "gait",
        ),
    ];
    for (path, body, field) in cases {
        let (status, answer) = post(&app, &me, path, body.clone()).await;
        assert_eq!(status, 422, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{path} {body}: {answer}");
    }
    for path in [
        format!("/api/v1/images/{image_id}/original.png"),
        format!("/api/v1/images/{image_id}/art/game-boy-33/sheet.png"),
        format!("/api/v1/images/{image_id}/art/game-boy-32/secrets.txt"),
        format!("/api/v1/images/{image_id}/cutout.png"),
    ] {
        let (status, _, _) = fetch(&me, &app.url(&path)).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_photo_with_nothing_in_it_is_refused_in_plain_words() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let mut png = Vec::new();
    image::RgbImage::from_pixel(300, 200, image::Rgb([120, 160, 200]))
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .expect("encode");
    let image: Value = app
        .upload(&me, png, "sky.png")
        .await
        .json()
        .await
        .expect("json");
    let (status, body) = post(
        &app,
        &me,
        "/api/v1/images/remove-background",
        json!({"image_id": image["id"]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("no pet found"), "{message}");
}

#[tokio::test]
async fn a_game_is_drawn_in_the_style_its_owner_picked() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image_id = upload_chelsea(&app, &me).await;
    let created = app
        .create_game(
            &me,
            json!({"image_id": image_id, "pet_name": "Chelsea", "theme": "garden", "difficulty": "easy", "level_count": 1, "style": "pico-8"}),
        )
        .await;
    assert_eq!(created["style"], "pico-8");
    let id = created["id"].as_str().expect("id");
    let game = app.wait_until_finished(&me, id).await;
    assert_eq!(game["status"], "ready", "{game}");
    let pico: Vec<String> = styles(&app, &me)
        .await
        .iter()
        .find(|s| s["id"] == "pico-8")
        .expect("pico-8")["palette"]
        .as_array()
        .expect("palette")
        .iter()
        .map(|c| c.as_str().expect("hex").to_owned())
        .collect();
    let (status, _, sprite) = fetch(
        &me,
        &app.url(game["urls"]["sprite"].as_str().expect("sprite url")),
    )
    .await;
    assert_eq!(status, 200);
    let sprite = image::load_from_memory_with_format(&sprite, ImageFormat::Png)
        .expect("png")
        .to_rgba8();
    for p in sprite.pixels().filter(|p| p.0[3] > 0) {
        let hex = format!("#{:02x}{:02x}{:02x}", p.0[0], p.0[1], p.0[2]);
        assert!(pico.contains(&hex), "{hex} is not a PICO-8 colour");
    }
}

#[tokio::test]
async fn a_crop_of_a_photo_becomes_a_photo_of_its_own_and_bad_crops_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.visitor();
    let image_id = upload_chelsea(&app, &me).await;
    let (status, cropped) = post(
        &app,
        &me,
        "/api/v1/images/crop",
        json!({"image_id": image_id, "x": 100, "y": 20, "width": 250, "height": 240}),
    )
    .await;
    assert_eq!(status, 201, "{cropped}");
    assert_eq!(
        (cropped["width"].as_u64(), cropped["height"].as_u64()),
        (Some(250), Some(240))
    );
    assert_ne!(cropped["id"], image_id);
    let (status, cutout) = post(
        &app,
        &me,
        "/api/v1/images/remove-background",
        json!({"image_id": cropped["id"]}),
    )
    .await;
    assert_eq!(status, 200, "{cutout}");

    let cases = [
        (
            json!({"image_id": image_id, "x": 300, "y": 0, "width": 200, "height": 100}),
            "crop",
        ),
        (
            json!({"image_id": image_id, "x": 0, "y": 0, "width": 10, "height": 100}),
            "crop",
        ),
        (
            json!({"image_id": image_id, "x": u32::MAX, "y": 0, "width": 64, "height": 64}),
            "crop",
        ),
        (json!({"image_id": image_id, "x": 0, "y": 0}), "body"),
        (
            json!({"image_id": "nope", "x": 0, "y": 0, "width": 64, "height": 64}),
            "image_id",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&app, &me, "/api/v1/images/crop", body.clone()).await;
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}: {answer}"
        );
    }
    let stranger = app.visitor();
    let (status, answer) = post(
        &app,
        &stranger,
        "/api/v1/images/crop",
        json!({"image_id": image_id, "x": 0, "y": 0, "width": 64, "height": 64}),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("image_id"))
    );
}

#[tokio::test]
async fn crops_count_towards_the_hourly_photo_limit() {
    let app = TestApp::spawn_with(|config| config.limits.uploads_per_hour = 2).await;
    let me = app.visitor();
    let image_id = upload_chelsea(&app, &me).await;
    let body = json!({"image_id": image_id, "x": 0, "y": 0, "width": 64, "height": 64});
    let (status, _) = post(&app, &me, "/api/v1/images/crop", body.clone()).await;
    assert_eq!(status, 201);
    let response = me
        .post(app.url("/api/v1/images/crop"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}
