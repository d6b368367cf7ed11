//! Every upload rejection and request limit, through the real server: a clear 4xx JSON error,
//! and nothing half-written left behind.

use std::io::Cursor;

use crate::common::{TestApp, chelsea};
use serde_json::{Value, json};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// A PNG whose header claims a huge size, with no pixels behind it (a decompression bomb).
fn bomb(width: u32, height: u32) -> Vec<u8> {
    let mut v = png(64, 64);
    v[16..20].copy_from_slice(&width.to_be_bytes());
    v[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &v[12..29] {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    v[29..33].copy_from_slice(&(!crc).to_be_bytes());
    v
}

async fn assert_rejected(
    app: &TestApp,
    client: &reqwest::Client,
    bytes: Vec<u8>,
    name: &str,
    status: u16,
    says: &str,
) {
    let response = app.upload(client, bytes, name).await;
    assert_eq!(response.status().as_u16(), status, "{name}");
    let body: Value = response.json().await.expect("a JSON error body");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(says),
        "{name}: {message:?} should mention {says:?}"
    );
    assert_eq!(body["error"]["field"], "image", "{name}");
}

fn stored_images(app: &TestApp) -> usize {
    let dir = app.data_dir.path().join("blobs/images");
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn uploads_are_refused_with_clear_errors_and_leave_nothing_behind() {
    let app = TestApp::spawn_with(|c| c.limits.max_upload_bytes = 600 * 1024).await;
    let client = app.visitor();

    assert_rejected(
        &app,
        &client,
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
        "cat.gif",
        422,
        "only PNG, JPEG and WebP",
    )
    .await;
    assert_rejected(
        &app,
        &client,
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_vec(),
        "cat.png",
        422,
        "only PNG",
    )
    .await;
    assert_rejected(
        &app,
        &client,
        b"just text, named like a photo".to_vec(),
        "cat.jpg",
        422,
        "only PNG",
    )
    .await;
    let mut truncated = chelsea();
    truncated.truncate(truncated.len() / 3);
    assert_rejected(
        &app,
        &client,
        truncated,
        "truncated.png",
        422,
        "damaged or incomplete",
    )
    .await;
    assert_rejected(&app, &client, Vec::new(), "empty.png", 422, "empty").await;
    assert_rejected(
        &app,
        &client,
        bomb(50_000, 50_000),
        "bomb.png",
        422,
        "megapixels",
    )
    .await;
    assert_rejected(&app, &client, png(8, 8), "tiny.png", 422, "at least").await;
    assert_rejected(
        &app,
        &client,
        vec![0x89; 700 * 1024],
        "huge.png",
        422,
        "larger than",
    )
    .await;

    let form = reqwest::multipart::Form::new().text("photo", "wrong field");
    let response = client
        .post(app.url("/api/v1/images/upload"))
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 422);

    assert_eq!(
        stored_images(&app),
        0,
        "no blob was left behind by a refused upload"
    );
    assert_eq!(
        app.upload(&client, chelsea(), "chelsea.png").await.status(),
        201
    );
    assert_eq!(stored_images(&app), 1);
}

#[tokio::test]
async fn uploads_beyond_the_hourly_limit_get_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.limits.uploads_per_hour = 2;
        // The test's requests come through a "proxy" at 127.0.0.1 naming the client.
        c.limits.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let client = app.visitor();
    for _ in 0..2 {
        assert_eq!(
            app.upload(&client, png(64, 64), "a.png").await.status(),
            201
        );
    }
    let response = app.upload(&client, png(64, 64), "a.png").await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry));
    // Dropping the cookie does not start afresh: the address is counted too.
    let response = app.upload(&app.visitor(), png(64, 64), "a.png").await;
    assert_eq!(response.status(), 429);
    // Another visitor at another address may upload.
    let part = reqwest::multipart::Part::bytes(png(64, 64)).file_name("a.png");
    let response = app
        .visitor()
        .post(app.url("/api/v1/images/upload"))
        .header("x-forwarded-for", "198.51.100.77")
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn game_requests_are_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let image: Value = app
        .upload(&client, png(64, 64), "a.png")
        .await
        .json()
        .await
        .expect("json");
    let valid = json!({"image_id": image["id"], "pet_name": "Rex", "theme": "beach", "difficulty": "hard", "level_count": 3});
    let cases = [
        ("pet_name", json!("   ")),
        ("pet_name", json!("x".repeat(41))),
        ("theme", json!("moon")),
        ("difficulty", json!("nightmare")),
        ("level_count", json!(0)),
        ("level_count", json!(13)),
        ("image_id", json!("not-a-uuid")),
        ("image_id", json!(uuid::Uuid::new_v4().to_string())),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        let response = client
            .post(app.url("/api/v1/games"))
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 422, "{field} = {value}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"]["field"], field, "{field} = {value}: {error}");
    }
    let malformed = client
        .post(app.url("/api/v1/games"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 422);
    let response = client
        .post(app.url("/api/v1/games"))
        .json(&valid)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn a_photo_without_a_subject_gives_a_failed_game_with_a_plain_reason() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let image: Value = app
        .upload_photo(&client, crate::common::sky(), "sky.png")
        .await;
    let created = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Nobody", "theme": "park", "difficulty": "easy", "level_count": 1}),
        )
        .await;
    let game = app
        .wait_until_finished(&client, created["id"].as_str().expect("id"))
        .await;
    assert_eq!(game["status"], "failed");
    let reason = game["failure"].as_str().unwrap_or_default();
    assert!(
        !reason.is_empty() && !reason.contains("internal"),
        "a plain reason: {reason:?}"
    );
}
