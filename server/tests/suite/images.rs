//! A photo's life over REST: its thumbnail and preview, its status as things are made from it,
//! and its deletion, which leaves no blob or row behind and no game broken.

use serde_json::{Value, json};
use server::infra::blobs::Blobs;

use crate::common::{TestApp, chelsea};

async fn get(client: &reqwest::Client, url: &str) -> (u16, Vec<u8>) {
    let response = client.get(url).send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

fn dimensions(png: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("png");
    (img.width(), img.height())
}

#[tokio::test]
async fn a_photo_has_a_status_and_deleting_it_removes_everything_made_from_it() {
    let app = TestApp::spawn().await;
    let owner = app.visitor();
    let stranger = app.visitor();
    let blobs = Blobs::local(&app.data_dir.path().join("blobs")).expect("blob folder");

    let image: Value = app.upload_photo(&owner, chelsea(), "chelsea.png").await;
    let id = image["id"].as_str().expect("id").to_owned();
    let (status, thumbnail) = get(
        &owner,
        &app.url(image["thumbnail_url"].as_str().expect("thumbnail")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(dimensions(&thumbnail), (256, 170), "451×300 fits in 256 px");
    let (status, preview) = get(
        &owner,
        &app.url(image["preview_url"].as_str().expect("preview")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        dimensions(&preview),
        (451, 300),
        "a small photo is its own preview"
    );

    let status_url = app.url(&format!("/api/v1/images/{id}/status"));
    let before: Value = owner
        .get(&status_url)
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (before["background"].as_str(), before["width"].as_u64()),
        (Some("pending"), Some(451))
    );
    assert_eq!(before["cutout"], Value::Null);
    assert_eq!(before["looks"], json!([]));
    assert_eq!(get(&stranger, &status_url).await.0, 404);

    // Cut out, drawn in a style, and made into a game.
    let cut = owner
        .post(app.url("/api/v1/images/remove-background"))
        .json(&json!({"image_id": id}))
        .send()
        .await
        .expect("cut out");
    assert_eq!(cut.status(), 200);
    let drawn = owner
        .post(app.url("/api/v1/pixel-art/generate"))
        .json(&json!({"image_id": id, "style": "nes", "size": 32}))
        .send()
        .await
        .expect("draw");
    assert_eq!(drawn.status(), 200);
    let after: Value = owner
        .get(&status_url)
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert_eq!(after["background"], "done");
    assert_eq!(after["cutout"]["method"], "neural");
    assert_eq!(after["looks"], json!(["nes-32"]));
    let created = app
        .create_game(
            &owner,
            json!({"image_id": id, "pet_name": "Chelsea", "theme": "house",
                   "difficulty": "easy", "level_count": 1}),
        )
        .await;
    let game_id = created["id"].as_str().expect("id").to_owned();
    let game = app.wait_until_finished(&owner, &game_id).await;
    assert_eq!(game["status"], "ready");
    let folder = format!("images/{id}");
    assert!(
        blobs.list(&folder).await.expect("list").len() >= 10,
        "original, versions, cut-out, look"
    );

    // Only the owner may delete it; then nothing of it is left, anywhere.
    let delete_url = app.url(&format!("/api/v1/images/{id}"));
    assert_eq!(
        stranger
            .delete(&delete_url)
            .send()
            .await
            .expect("delete")
            .status(),
        404
    );
    assert_eq!(
        owner
            .delete(&delete_url)
            .send()
            .await
            .expect("delete")
            .status(),
        204
    );
    assert_eq!(
        blobs.list(&folder).await.expect("list"),
        Vec::<String>::new()
    );
    assert_eq!(get(&owner, &status_url).await.0, 404);
    assert_eq!(
        get(&owner, &app.url(&format!("/api/v1/images/{id}/cutout.png")))
            .await
            .0,
        404
    );
    assert_eq!(
        owner
            .delete(&delete_url)
            .send()
            .await
            .expect("delete")
            .status(),
        404
    );
    let reuse = owner
        .post(app.url("/api/v1/games"))
        .json(
            &json!({"image_id": id, "pet_name": "Chelsea", "theme": "house",
                      "difficulty": "easy", "level_count": 1}),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(reuse.status(), 422, "a deleted photo cannot make new games");

    // The game made from it still plays: it keeps its own pictures and module.
    let code = game["short_code"].as_str().expect("code");
    for file in [
        "game.wasm",
        "cutout.png",
        "sprite.png",
        "sheet.png",
        "preview.gif",
    ] {
        let (status, _) = get(&stranger, &app.url(&format!("/api/v1/play/{code}/{file}"))).await;
        assert_eq!(status, 200, "{file}");
    }
    // New levels need only the game's own sprite, not the photo.
    let regenerated = owner
        .post(app.url(&format!("/api/v1/games/{game_id}/regenerate")))
        .send()
        .await
        .expect("regenerate");
    assert_eq!(regenerated.status(), 202);
    let remade = app.wait_until_finished(&owner, &game_id).await;
    assert_eq!(remade["status"], "ready", "{remade}");
}
