//! "Download my data" and "delete my account", on the embedded defaults and on PostgreSQL +
//! Redis + S3: the export is a ZIP any unzip tool reads (Python's `zipfile` checks it here),
//! holding the account, its photos and games with their files and offline copies; deletion
//! asks for the password, waits for games being made, then leaves no row and no file of the
//! account — checked by reading the tables and listing the blob store.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use server::infra::db::{Db, Id};

use super::common::{PASSWORD, TestApp, chelsea, log_in, register, scale_out_parts, start_game_at};

#[tokio::test]
async fn embedded() {
    export_then_delete(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn scaled_out() {
    let Some((db, redis, bucket)) = scale_out_parts().await else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
    })
    .await;
    export_then_delete(&app).await;
}

/// Rows that name the account, its photo or its game, table by table.
async fn rows_left(
    db: &Db,
    account: uuid::Uuid,
    image: uuid::Uuid,
    game: uuid::Uuid,
) -> Vec<(&'static str, i64)> {
    const BY_ACCOUNT: [(&str, &str); 4] = [
        ("users", "SELECT COUNT(*) FROM users WHERE id = $1"),
        (
            "account_devices",
            "SELECT COUNT(*) FROM account_devices WHERE user_id = $1",
        ),
        (
            "refresh_tokens",
            "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1",
        ),
        (
            "email_links",
            "SELECT COUNT(*) FROM email_links WHERE subject_id = $1",
        ),
    ];
    const BY_IMAGE: [(&str, &str); 2] = [
        (
            "pet_images",
            "SELECT COUNT(*) FROM pet_images WHERE id = $1",
        ),
        (
            "studio_jobs",
            "SELECT COUNT(*) FROM studio_jobs WHERE image_id = $1",
        ),
    ];
    const BY_GAME: [(&str, &str); 3] = [
        ("games", "SELECT COUNT(*) FROM games WHERE id = $1"),
        ("jobs", "SELECT COUNT(*) FROM jobs WHERE game_id = $1"),
        (
            "notifications",
            "SELECT COUNT(*) FROM notifications WHERE game_id = $1",
        ),
    ];
    const OWNED: [(&str, &str); 2] = [
        (
            "pet_images by owner",
            "SELECT COUNT(*) FROM pet_images WHERE visitor_id = $1",
        ),
        (
            "games by owner",
            "SELECT COUNT(*) FROM games WHERE visitor_id = $1",
        ),
    ];
    let mut counts = Vec::new();
    for (queries, id) in [
        (&BY_ACCOUNT[..], account),
        (&BY_IMAGE[..], image),
        (&BY_GAME[..], game),
    ] {
        for &(table, query) in queries {
            let count: i64 = match db {
                Db::Sqlite(pool) => sqlx::query_scalar(query).bind(Id(id)).fetch_one(pool).await,
                Db::Postgres(pool) => sqlx::query_scalar(query).bind(Id(id)).fetch_one(pool).await,
            }
            .expect(table);
            counts.push((table, count));
        }
    }
    for &(table, query) in &OWNED {
        let owner = account.to_string();
        let count: i64 = match db {
            Db::Sqlite(pool) => sqlx::query_scalar(query).bind(&owner).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(query).bind(&owner).fetch_one(pool).await,
        }
        .expect(table);
        counts.push((table, count));
    }
    counts
}

/// On the embedded stack, the session records (`sessions`, JSON) that name the account;
/// `None` on Redis.
async fn sessions_naming(app: &TestApp, account: uuid::Uuid) -> Option<i64> {
    if app.config.database_url.is_some() {
        return None;
    }
    let db = server::startup::open_db(&app.config).await.expect("db");
    let Db::Sqlite(pool) = db else {
        return None;
    };
    let count = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE instr(data, $1) > 0")
        .bind(account.to_string())
        .fetch_one(&pool)
        .await
        .expect("sessions");
    Some(count)
}

/// The archive's entries and their sizes, as Python's `zipfile` reads them after checking
/// every CRC; and `account.json`.
fn read_zip(bytes: &[u8]) -> (std::collections::BTreeMap<String, u64>, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("export.zip");
    std::fs::write(&path, bytes).expect("write");
    let script = "import json, sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  assert z.testzip() is None\n\
                  print(json.dumps({'files': {i.filename: i.file_size for i in z.infolist()},\n\
                                    'account': json.loads(z.read('account.json'))}))";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).expect("json");
    let files = serde_json::from_value(read["files"].clone()).expect("files");
    (files, read["account"].clone())
}

async fn export_then_delete(app: &TestApp) {
    // Made anonymously, then signed up: the photo and the game are the account's.
    let browser = app.visitor();
    let image = app.upload_photo(&browser, chelsea(), "chelsea.png").await;
    let game = start_game_at(&app.base, &browser, &image).await;
    let game_id = game["id"].as_str().expect("id").to_owned();
    let game = app.wait_until_finished(&browser, &game_id).await;
    assert_eq!(game["status"], "ready", "{game}");
    let email = format!("leaver+{}@example.com", uuid::Uuid::new_v4().simple());
    let account = register(app, &browser, &email).await;
    let account_id = uuid::Uuid::parse_str(account["id"].as_str().expect("id")).expect("uuid");
    let image_id = uuid::Uuid::parse_str(image["id"].as_str().expect("id")).expect("uuid");
    let game_uuid = uuid::Uuid::parse_str(&game_id).expect("uuid");
    let code = game["short_code"].as_str().expect("code").to_owned();
    // Signed in on a phone too.
    let phone = app.visitor();
    let login = log_in(&phone, app, &email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);

    // The export: everything, readable.
    let response = browser
        .get(app.url("/api/v1/auth/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"petpixel-data-")
    );
    let bytes = response.bytes().await.expect("body");
    let (files, exported_account) = read_zip(&bytes);
    assert_eq!(exported_account["email"], email);
    for expected in [
        "account.json".to_owned(),
        "photos.json".to_owned(),
        "games.json".to_owned(),
        "devices.json".to_owned(),
        "payments.json".to_owned(),
        format!("photos/{image_id}/original.png"),
        format!("photos/{image_id}/cutout.png"),
        format!("games/{game_id}/sprite.png"),
        format!("games/{game_id}/{code}.html"),
    ] {
        assert!(
            files.get(&expected).is_some_and(|&size| size > 0),
            "{expected} in {files:?}"
        );
    }
    // Nobody else's data: another visitor's export is refused, not empty.
    let stranger = app
        .visitor()
        .get(app.url("/api/v1/auth/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);

    let db = server::startup::open_db(&app.config).await.expect("db");
    let blobs = server::startup::blobs(&app.config).expect("blobs");
    let mine = |keys: Vec<String>| -> Vec<String> {
        keys.into_iter()
            .filter(|k| k.contains(&image_id.to_string()) || k.contains(&game_id))
            .collect()
    };
    assert!(!mine(blobs.list("").await.expect("list")).is_empty());
    if let Some(sessions) = sessions_naming(app, account_id).await {
        assert_eq!(sessions, 2, "the laptop's and the phone's");
    }

    // A wrong password deletes nothing.
    let delete = |password: &'static str| {
        browser
            .delete(app.url("/api/v1/auth/account"))
            .json(&json!({ "password": password }))
            .send()
    };
    let refused = delete("not my password").await.expect("delete");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        rows_left(&db, account_id, image_id, game_uuid)
            .await
            .iter()
            .any(|(_, n)| *n > 0)
    );
    assert_eq!(
        browser
            .get(app.url("/api/v1/auth/profile"))
            .send()
            .await
            .expect("profile")
            .status(),
        StatusCode::OK
    );

    let deleted = delete(PASSWORD).await.expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let left: Vec<_> = rows_left(&db, account_id, image_id, game_uuid)
        .await
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(left.is_empty(), "rows left: {left:?}");
    let files_left = mine(blobs.list("").await.expect("list"));
    assert!(files_left.is_empty(), "files left: {files_left:?}");
    // Both browsers' sessions are deleted, not left to expire.
    if let Some(sessions) = sessions_naming(app, account_id).await {
        assert_eq!(sessions, 0, "sessions left");
    }
    assert_eq!(
        phone
            .get(app.url("/api/v1/auth/profile"))
            .send()
            .await
            .expect("profile")
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Logged out, unable to log in, and the game's link is gone.
    assert_eq!(
        browser
            .get(app.url("/api/v1/auth/profile"))
            .send()
            .await
            .expect("profile")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let login = log_in(&app.visitor(), app, &email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let play = app
        .visitor()
        .get(app.url(&format!("/g/{code}")))
        .send()
        .await
        .expect("play");
    assert_eq!(play.status(), StatusCode::NOT_FOUND);
}

/// A game being made is still being written: deleting the account waits for it, whole.
#[tokio::test]
async fn an_account_with_a_game_being_made_is_kept_until_it_is_done() {
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let browser = app.visitor();
    let image = app.upload_photo(&browser, chelsea(), "chelsea.png").await;
    start_game_at(&app.base, &browser, &image).await;
    let email = format!("waiter+{}@example.com", uuid::Uuid::new_v4().simple());
    register(&app, &browser, &email).await;
    let refused = browser
        .delete(app.url("/api/v1/auth/account"))
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .expect("delete");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["field"], "account");
    // Nothing went: the photo is still there.
    let photo = browser
        .get(app.url(&format!(
            "/api/v1/images/{}/status",
            image["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("status");
    assert_eq!(photo.status(), StatusCode::OK);
}
