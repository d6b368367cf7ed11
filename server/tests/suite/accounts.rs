//! Accounts over REST, on the embedded defaults and on PostgreSQL + Redis + S3: sign-up and
//! login, the hand-over of what a visitor made, sessions cycled at login and ended everywhere,
//! token pairs with rotating refresh tokens, the login throttle, roles, and personal data
//! that never reaches a table in plain text.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::common::{
    PASSWORD, TestApp, chelsea, columns_holding, link_token, log_in, outbox_to, post, register,
    scale_out_parts, start_game_at, unique_email, wait_for_mail,
};

/// The app on the embedded defaults, without a worker (games stay queued: nothing here needs
/// them made).
async fn embedded() -> TestApp {
    TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await
}

/// The same on PostgreSQL, Redis and S3, when the environment names them.
async fn scaled_out() -> Option<(TestApp, super::common::TempPgDatabase)> {
    let (db, redis, bucket) = scale_out_parts().await?;
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
    })
    .await;
    Some((app, db))
}

/// Each behaviour as two tests: on the embedded defaults, and on PostgreSQL + Redis + S3
/// when the environment names them.
macro_rules! on_both_stacks {
    ($($behaviour:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    super::$behaviour(&super::embedded().await).await;
                }
            )*
        }
        mod scaled_out {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let Some((app, _db)) = super::scaled_out().await else {
                        return;
                    };
                    super::$behaviour(&app).await;
                }
            )*
        }
    };
}

on_both_stacks!(
    signs_up_logs_in_and_keeps_what_it_made,
    sessions_end_everywhere_and_on_password_change,
    the_account_lists_its_browsers_and_logs_any_of_them_out,
    tokens_work_and_refresh_tokens_rotate,
    the_address_is_confirmed_by_the_link_mailed_at_sign_up,
    a_forgotten_password_is_set_anew_by_a_one_time_link,
);

async fn profile_status(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    client
        .get(app.url("/api/v1/auth/profile"))
        .send()
        .await
        .expect("profile")
        .status()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("petpixel_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn signs_up_logs_in_and_keeps_what_it_made(app: &TestApp) {
    // Anonymous first: a photo and a game.
    let browser = app.visitor();
    let upload = app.upload(&browser, chelsea(), "chelsea.png").await;
    let anonymous_cookie = session_cookie(&upload).expect("the upload sets a session");
    let image: Value = upload.json().await.expect("json");
    let game = start_game_at(&app.base, &browser, &image).await;

    // Sign-up hands them to the account, under a new session id.
    let email = unique_email();
    let response = post(
        &browser,
        app,
        "/api/v1/auth/register",
        json!({"email": email.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let signed_cookie = session_cookie(&response).expect("sign-up sets the session");
    assert_ne!(signed_cookie, anonymous_cookie, "the session id is cycled");
    let account: Value = response.json().await.expect("json");
    assert_eq!(account["email"], email, "stored lower-cased");
    assert_eq!(account["role"], "user");
    assert_eq!(account["email_verified"], false);

    // Another device logs in and finds the game and the photo.
    let phone = app.visitor();
    let login = log_in(&phone, app, &email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let mine: Vec<Value> = phone
        .get(app.url("/api/v1/games"))
        .send()
        .await
        .expect("my games")
        .json()
        .await
        .expect("json");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], game["id"]);
    let thumbnail = phone
        .get(app.url(&format!(
            "/api/v1/images/{}/thumbnail.png",
            image["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("thumbnail");
    assert_eq!(
        thumbnail.status(),
        StatusCode::OK,
        "the photo is the account's"
    );

    // The old anonymous cookie owns nothing any more.
    let stale = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/games/{}",
            game["id"].as_str().expect("id")
        )))
        .header("cookie", anonymous_cookie)
        .send()
        .await
        .expect("game");
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);

    // A second sign-up with the address is refused, naming the field.
    let again = post(
        &app.visitor(),
        app,
        "/api/v1/auth/register",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body: Value = again.json().await.expect("json");
    assert_eq!(body["error"]["field"], "email");
}

#[tokio::test]
async fn bad_sign_ups_and_logins_are_refused_with_the_reason() {
    let app = embedded().await;
    let client = app.visitor();
    for (body, field) in [
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"email": unique_email(), "password": "short"}),
            "password",
        ),
        (
            json!({"email": unique_email(), "password": "x".repeat(129)}),
            "password",
        ),
        (json!({"email": unique_email()}), "body"),
    ] {
        let response = post(&client, &app, "/api/v1/auth/register", body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"]["field"], field, "{body}");
    }

    let email = unique_email();
    register(&app, &app.visitor(), &email).await;
    for (who, password) in [
        (email.as_str(), "wrong password!"),
        ("nobody@example.com", PASSWORD),
    ] {
        let response = log_in(&client, &app, who, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            session_cookie(&response).is_none(),
            "a failed login keeps no session"
        );
        let error: Value = response.json().await.expect("json");
        // An unknown address and a wrong password read the same.
        assert_eq!(
            error["error"]["message"],
            "that email and password do not match an account"
        );
    }
    assert_eq!(
        profile_status(&app, &client).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_account() {
    let app = embedded().await;
    let email = unique_email();
    register(&app, &app.visitor(), &email).await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let response = post(
            &app.visitor(),
            &app,
            "/api/v1/auth/login",
            json!({"email": email, "password": "guess guess guess"}),
        )
        .await;
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=900).contains(&retry), "{retry}");
        }
    }
    assert_eq!(statuses[..10], [StatusCode::UNAUTHORIZED; 10]);
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
    // Even the right password waits out the window: the guesser cannot tell it was right.
    let right = log_in(&app.visitor(), &app, &email, PASSWORD).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another account is not affected.
    let other = unique_email();
    register(&app, &app.visitor(), &other).await;
    let response = log_in(&app.visitor(), &app, &other, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A client that says it is `user_agent`, with its own cookie jar.
fn browser(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .build()
        .expect("client")
}

async fn devices(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let response = client
        .get(app.url("/api/v1/auth/sessions"))
        .send()
        .await
        .expect("sessions");
    assert_eq!(response.status(), StatusCode::OK);
    let listed: Value = response.json().await.expect("json");
    listed.as_array().expect("a list").clone()
}

async fn end_device(app: &TestApp, client: &reqwest::Client, id: &str) -> StatusCode {
    client
        .delete(app.url(&format!("/api/v1/auth/sessions/{id}")))
        .send()
        .await
        .expect("end")
        .status()
}

/// The session records the embedded stack keeps (Redis keeps its own, expiring by TTL).
async fn stored_sessions(app: &TestApp) -> Option<i64> {
    match app.config.database_url {
        None => Some(super::common::session_rows(app.data_dir.path()).await),
        Some(_) => None,
    }
}

async fn the_account_lists_its_browsers_and_logs_any_of_them_out(app: &TestApp) {
    let email = unique_email();
    let laptop = browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    register(app, &laptop, &email).await;
    let phone = browser(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/156.0.0.0 Mobile Safari/537.36",
    );
    assert_eq!(
        log_in(&phone, app, &email, PASSWORD).await.status(),
        StatusCode::OK
    );

    // Each browser sees both, itself marked; nothing finer than browser and system is kept.
    let listed = devices(app, &laptop).await;
    let labels: Vec<(&str, bool)> = listed
        .iter()
        .map(|d| {
            (
                d["label"].as_str().expect("label"),
                d["current"].as_bool().expect("current"),
            )
        })
        .collect();
    assert_eq!(labels.len(), 2, "{listed:?}");
    assert!(labels.contains(&("Firefox on Linux", true)), "{labels:?}");
    assert!(labels.contains(&("Chrome on Android", false)), "{labels:?}");
    let phone_id = listed
        .iter()
        .find(|d| d["current"] == false)
        .and_then(|d| d["id"].as_str())
        .expect("the phone")
        .to_owned();

    // Another account, and nobody at all, cannot end it; a made-up id is not found.
    let stranger = app.visitor();
    register(app, &stranger, &unique_email()).await;
    assert_eq!(
        end_device(app, &stranger, &phone_id).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        end_device(app, &app.visitor(), &phone_id).await,
        StatusCode::UNAUTHORIZED
    );
    for made_up in [uuid::Uuid::new_v4().to_string(), "not-an-id".to_owned()] {
        assert_eq!(
            end_device(app, &laptop, &made_up).await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(profile_status(app, &phone).await, StatusCode::OK);

    // The laptop logs the phone out: the phone's session is gone, not merely refused.
    let before = stored_sessions(app).await;
    assert_eq!(
        end_device(app, &laptop, &phone_id).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(profile_status(app, &phone).await, StatusCode::UNAUTHORIZED);
    if let (Some(before), Some(after)) = (before, stored_sessions(app).await) {
        assert_eq!(after, before - 1, "the phone's session record is deleted");
    }
    assert_eq!(
        end_device(app, &laptop, &phone_id).await,
        StatusCode::NOT_FOUND
    );
    let listed = devices(app, &laptop).await;
    assert_eq!(listed.len(), 1, "{listed:?}");

    // Naming itself, a browser logs itself out.
    let own = listed[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(end_device(app, &laptop, &own).await, StatusCode::NO_CONTENT);
    assert_eq!(profile_status(app, &laptop).await, StatusCode::UNAUTHORIZED);

    // A script with a token sees the browsers, none of them itself.
    let tablet = app.visitor();
    assert_eq!(
        log_in(&tablet, app, &email, PASSWORD).await.status(),
        StatusCode::OK
    );
    let pair: Value = post(
        &reqwest::Client::new(),
        app,
        "/api/v1/auth/login",
        json!({"email": email, "password": PASSWORD, "token": true}),
    )
    .await
    .json()
    .await
    .expect("json");
    let listed: Value = reqwest::Client::new()
        .get(app.url("/api/v1/auth/sessions"))
        .bearer_auth(pair["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("sessions")
        .json()
        .await
        .expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["current"], false);
    assert_eq!(listed[0]["label"], "An unknown browser");
}

async fn sessions_end_everywhere_and_on_password_change(app: &TestApp) {
    let email = unique_email();
    let laptop = app.visitor();
    register(app, &laptop, &email).await;
    let phone = app.visitor();
    let login = log_in(&phone, app, &email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(profile_status(app, &phone).await, StatusCode::OK);

    // A password change ends the other session and keeps this one.
    let new_password = "a much better passphrase";
    let change = laptop
        .put(app.url("/api/v1/auth/password"))
        .json(&json!({"current_password": "wrong one!!", "new_password": new_password}))
        .send()
        .await
        .expect("change");
    assert_eq!(change.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let change = laptop
        .put(app.url("/api/v1/auth/password"))
        .json(&json!({"current_password": PASSWORD, "new_password": new_password}))
        .send()
        .await
        .expect("change");
    assert_eq!(change.status(), StatusCode::NO_CONTENT);
    assert_eq!(profile_status(app, &laptop).await, StatusCode::OK);
    assert_eq!(profile_status(app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        devices(app, &laptop).await.len(),
        1,
        "the phone is logged out"
    );
    let old = log_in(&app.visitor(), app, &email, PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);

    // "Log out everywhere" ends every session, this one too.
    let tablet = app.visitor();
    let login = log_in(&tablet, app, &email, new_password).await;
    assert_eq!(login.status(), StatusCode::OK);
    let out = post(
        &tablet,
        app,
        "/api/v1/auth/logout",
        json!({"everywhere": true}),
    )
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(profile_status(app, &tablet).await, StatusCode::UNAUTHORIZED);
    assert_eq!(profile_status(app, &laptop).await, StatusCode::UNAUTHORIZED);

    // Plain logout ends only this session.
    let a = app.visitor();
    let b = app.visitor();
    for client in [&a, &b] {
        let login = log_in(client, app, &email, new_password).await;
        assert_eq!(login.status(), StatusCode::OK);
    }
    let out = a
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(profile_status(app, &a).await, StatusCode::UNAUTHORIZED);
    assert_eq!(profile_status(app, &b).await, StatusCode::OK);
}

async fn tokens_work_and_refresh_tokens_rotate(app: &TestApp) {
    let email = unique_email();
    register(app, &app.visitor(), &email).await;
    let script = reqwest::Client::new();
    let login = post(
        &script,
        app,
        "/api/v1/auth/login",
        json!({"email": email, "password": PASSWORD, "token": true}),
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(
        session_cookie(&login).is_none(),
        "a token login sets no cookie"
    );
    let pair: Value = login.json().await.expect("json");
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let access = pair["access_token"].as_str().expect("access");

    // The claims of §6.1.
    let payload = access.split('.').nth(1).expect("payload");
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("json");
    for claim in ["sub", "email", "tier", "permissions", "iat", "exp", "iss"] {
        assert!(claims.get(claim).is_some(), "{claim} in {claims}");
    }
    assert_eq!(claims["email"], email);
    assert_eq!(claims["iss"], app.base);

    // Bearer works on the API: the profile, and making things (owned by the account).
    let bearer = |path: &str| {
        script
            .get(app.url(path))
            .header("authorization", format!("Bearer {access}"))
    };
    let profile = bearer("/api/v1/auth/profile")
        .send()
        .await
        .expect("profile");
    assert_eq!(profile.status(), StatusCode::OK);
    let part = reqwest::multipart::Part::bytes(chelsea()).file_name("chelsea.png");
    let upload = script
        .post(app.url("/api/v1/images/upload"))
        .header("authorization", format!("Bearer {access}"))
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), StatusCode::CREATED);
    assert!(
        session_cookie(&upload).is_none(),
        "a token caller gets no session"
    );
    let image: Value = upload.json().await.expect("json");
    // The account's browser sees it.
    let browser = app.visitor();
    let login = log_in(&browser, app, &email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let thumb = browser
        .get(app.url(&format!(
            "/api/v1/images/{}/thumbnail.png",
            image["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("thumbnail");
    assert_eq!(thumb.status(), StatusCode::OK);

    // A missing, malformed or forged token is 401 on any route.
    let mut forged = access.to_owned();
    forged.pop();
    forged.push(if access.ends_with('A') { 'B' } else { 'A' });
    for header in [
        "Bearer",
        "Basic abc",
        "Bearer nonsense",
        &format!("Bearer {forged}"),
    ] {
        let response = script
            .get(app.url("/api/v1/games"))
            .header("authorization", header)
            .send()
            .await
            .expect("games");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
        assert!(response.headers().contains_key("www-authenticate"));
    }

    // Refresh rotates; a reused refresh token revokes its family.
    let first = pair["refresh_token"].as_str().expect("refresh").to_owned();
    let refreshed = post(
        &script,
        app,
        "/api/v1/auth/refresh",
        json!({"refresh_token": first}),
    )
    .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let second: Value = refreshed.json().await.expect("json");
    let second_refresh = second["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_ne!(second_refresh, first);
    let replay = post(
        &script,
        app,
        "/api/v1/auth/refresh",
        json!({"refresh_token": first}),
    )
    .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let after = post(
        &script,
        app,
        "/api/v1/auth/refresh",
        json!({"refresh_token": second_refresh}),
    )
    .await;
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the family is revoked"
    );
    let unknown = post(
        &script,
        app,
        "/api/v1/auth/refresh",
        json!({"refresh_token": "nope"}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    // Logging a script out revokes its family.
    let login = post(
        &script,
        app,
        "/api/v1/auth/login",
        json!({"email": email, "password": PASSWORD, "token": true}),
    )
    .await;
    let pair: Value = login.json().await.expect("json");
    let out = post(
        &script,
        app,
        "/api/v1/auth/logout",
        json!({"refresh_token": pair["refresh_token"]}),
    )
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let refused = post(
        &script,
        app,
        "/api/v1/auth/refresh",
        json!({"refresh_token": pair["refresh_token"]}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_table_holds_an_email_in_plain_text_and_admins_are_granted() {
    let app = embedded().await;
    let email = unique_email();
    register(&app, &app.visitor(), &email).await;

    let local_part = email.split('@').next().expect("local part").to_owned();
    assert_eq!(
        columns_holding(&app, &local_part).await,
        Vec::<String>::new()
    );
    // The key file is the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data_dir.path().join("pii.keys"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // `petpixel admin grant` makes an admin.
    let granted = server::startup::grant_role(app.config.clone(), &email, "admin")
        .await
        .expect("granted");
    assert!(granted.ends_with("is now admin"), "{granted}");
    let client = app.visitor();
    let login = log_in(&client, &app, &email, PASSWORD).await;
    let account: Value = login.json().await.expect("json");
    assert_eq!(account["role"], "admin");
    let err = server::startup::grant_role(app.config.clone(), "nobody@example.com", "admin")
        .await
        .expect_err("no such account");
    assert!(err.to_string().contains("sign up first"), "{err}");
    let err = server::startup::grant_role(app.config.clone(), &email, "root")
        .await
        .expect_err("no such role");
    assert!(err.to_string().contains("unknown role"), "{err}");
}

#[tokio::test]
async fn my_games_lists_newest_first_and_a_deleted_game_is_gone_everywhere() {
    let app = TestApp::spawn().await;
    let owner = app.visitor();
    let image = app.upload_photo(&owner, chelsea(), "chelsea.png").await;
    let first = start_game_at(&app.base, &owner, &image).await;
    let second = start_game_at(&app.base, &owner, &image).await;
    let (first_id, second_id) = (
        first["id"].as_str().expect("id"),
        second["id"].as_str().expect("id"),
    );

    // Being made (no worker here makes it): it cannot be deleted yet.
    let idle = embedded().await;
    let maker = idle.visitor();
    let photo = idle.upload_photo(&maker, chelsea(), "chelsea.png").await;
    let queued = start_game_at(&idle.base, &maker, &photo).await;
    let early = maker
        .delete(idle.url(&format!(
            "/api/v1/games/{}",
            queued["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("delete");
    assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = early.json().await.expect("json");
    assert_eq!(body["error"]["field"], "id");

    // Nobody else can delete it at all.
    let stranger = app.visitor();
    let refused = stranger
        .delete(app.url(&format!("/api/v1/games/{first_id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let listed: Vec<Value> = stranger
        .get(app.url("/api/v1/games"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(listed.is_empty(), "a stranger lists none of them");

    let first = app.wait_until_finished(&owner, first_id).await;
    app.wait_until_finished(&owner, second_id).await;
    assert_eq!(first["status"], "ready");
    let listed: Vec<Value> = owner
        .get(app.url("/api/v1/games"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = listed
        .iter()
        .map(|g| g["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [second_id, first_id], "newest first");

    let code = first["short_code"].as_str().expect("code");
    let folder = app
        .data_dir
        .path()
        .join("blobs")
        .join("games")
        .join(first_id);
    assert!(
        folder.exists(),
        "the game's files are kept under its folder"
    );
    let deleted = owner
        .delete(app.url(&format!("/api/v1/games/{first_id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for path in [
        format!("/api/v1/games/{first_id}"),
        format!("/api/v1/play/{code}/game.wasm"),
        format!("/api/v1/play/{code}/download"),
    ] {
        let gone = owner.get(app.url(&path)).send().await.expect("get");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let left = std::fs::read_dir(&folder).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no file of the game is left");
    let listed: Vec<Value> = owner
        .get(app.url("/api/v1/games"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed.len(), 1);
}

async fn the_address_is_confirmed_by_the_link_mailed_at_sign_up(app: &TestApp) {
    let browser = app.visitor();
    let email = unique_email();
    let account = register(app, &browser, &email).await;
    assert_eq!(account["email_verified"], false);
    let mail = wait_for_mail(app, &email, 1).await.remove(0);
    assert!(
        mail.contains("Subject: Confirm your email address for PetPixel Games"),
        "{mail}"
    );
    let token = link_token(&mail, &format!("{}/verify-email", app.base));

    // The link is for confirming an address, not for setting a password.
    let wrong = post(
        &browser,
        app,
        "/api/v1/auth/password/reset",
        json!({"token": token, "password": "a whole new password"}),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Opened anywhere (no session needed), it confirms the address once.
    let elsewhere = app.visitor();
    let confirmed = post(
        &elsewhere,
        app,
        "/api/v1/auth/verify-email/confirm",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed: Value = confirmed.json().await.expect("json");
    assert_eq!(confirmed["email_verified"], true);
    let profile: Value = browser
        .get(app.url("/api/v1/auth/profile"))
        .send()
        .await
        .expect("profile")
        .json()
        .await
        .expect("json");
    assert_eq!(profile["email_verified"], true);
    let again = post(
        &elsewhere,
        app,
        "/api/v1/auth/verify-email/confirm",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = again.json().await.expect("json");
    assert_eq!(body["error"]["field"], "token");

    // A confirmed address is not sent another link; asking needs a session.
    let resend = browser
        .post(app.url("/api/v1/auth/verify-email"))
        .send()
        .await
        .expect("resend");
    assert_eq!(resend.status(), StatusCode::ACCEPTED);
    assert_eq!(outbox_to(app, &email).len(), 1);
    let anonymous = app
        .visitor()
        .post(app.url("/api/v1/auth/verify-email"))
        .send()
        .await
        .expect("resend");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Made-up links confirm nothing.
    for forged in ["", "x", &"A".repeat(43), &"A".repeat(5000)] {
        let response = post(
            &elsewhere,
            app,
            "/api/v1/auth/verify-email/confirm",
            json!({ "token": forged }),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{forged}"
        );
    }
}

async fn a_forgotten_password_is_set_anew_by_a_one_time_link(app: &TestApp) {
    let email = unique_email();
    let phone = app.visitor();
    register(app, &phone, &email).await;
    wait_for_mail(app, &email, 1).await;

    // An address without an account is answered the same, and nothing is sent.
    let nobody = unique_email();
    let laptop = app.visitor();
    let response = post(
        &laptop,
        app,
        "/api/v1/auth/password/forgot",
        json!({ "email": nobody }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let response = post(
        &laptop,
        app,
        "/api/v1/auth/password/forgot",
        json!({ "email": email.to_uppercase() }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mails = wait_for_mail(app, &email, 2).await;
    let mail = mails
        .iter()
        .find(|m| m.contains("Subject: Set a new password for PetPixel Games"))
        .expect("the password mail");
    let token = link_token(mail, &format!("{}/reset-password", app.base));
    assert!(outbox_to(app, &nobody).is_empty());

    // A password too short is refused without using the link up.
    let short = post(
        &laptop,
        app,
        "/api/v1/auth/password/reset",
        json!({"token": token, "password": "short"}),
    )
    .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = short.json().await.expect("json");
    assert_eq!(body["error"]["field"], "password");

    let reset = post(
        &laptop,
        app,
        "/api/v1/auth/password/reset",
        json!({"token": token, "password": "a whole new password"}),
    )
    .await;
    assert_eq!(reset.status(), StatusCode::OK);
    let account: Value = reset.json().await.expect("json");
    // Following the link proved the address.
    assert_eq!(account["email_verified"], true);
    // The laptop is signed in; the phone's older session has ended.
    assert_eq!(profile_status(app, &laptop).await, StatusCode::OK);
    assert_eq!(profile_status(app, &phone).await, StatusCode::UNAUTHORIZED);
    // The link worked once; the old password no longer does, the new one does.
    let again = post(
        &laptop,
        app,
        "/api/v1/auth/password/reset",
        json!({"token": token, "password": "yet another password"}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fresh = app.visitor();
    assert_eq!(
        log_in(&fresh, app, &email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        log_in(&fresh, app, &email, "a whole new password")
            .await
            .status(),
        StatusCode::OK
    );
}

/// `petpixel admin rotate-keys`: after a new key is put first, everything sealed under the
/// old one is sealed under the new one; then the old key can leave the ring and every
/// account still logs in.
#[tokio::test]
async fn rotating_keys_reseals_accounts_and_the_vapid_key() {
    let old = server::infra::pii::KeyRing::generate_spec("old");
    let new = server::infra::pii::KeyRing::generate_spec("new");
    let first = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.security.pii_keys = Some(SecretString::from(old.clone()));
    })
    .await;
    let email = unique_email();
    register(&first, &first.visitor(), &email).await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        first.data_dir.path().join("petpixel.sqlite3").display()
    ))
    .await
    .expect("db");
    let sealed = || async {
        let email: String = sqlx::query_scalar("SELECT email_sealed FROM users")
            .fetch_one(&db)
            .await
            .expect("user");
        let vapid: String =
            sqlx::query_scalar("SELECT value FROM server_keys WHERE name = 'vapid_private_key'")
                .fetch_one(&db)
                .await
                .expect("vapid");
        (email, vapid)
    };
    // A game that emails an address when it is ready, and a message written before
    // targets were sealed (plain, no index).
    let client = first.visitor();
    let image = first.upload_photo(&client, chelsea(), "chelsea.png").await;
    let game = first
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "park",
                   "difficulty": "easy", "level_count": 1, "notify_email": "told@example.com"}),
        )
        .await;
    sqlx::query(
        "INSERT INTO notifications (id, game_id, channel, target, state, run_at, created_at) \
         VALUES ($1, $2, 'email', 'legacy@example.com', 'waiting', 0, 0)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(game["id"].as_str().expect("id"))
    .execute(&db)
    .await
    .expect("legacy row");
    let targets = || async {
        let mut targets: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT target, target_index FROM notifications")
                .fetch_all(&db)
                .await
                .expect("notifications");
        targets.sort();
        targets
    };
    let (email_sealed, vapid) = sealed().await;
    assert!(email_sealed.starts_with("old."), "{email_sealed}");
    // The stored VAPID key is sealed too: nothing of it in plain text.
    assert!(vapid.starts_with("old."), "{vapid}");
    let before = targets().await;
    assert_eq!(before.len(), 2);
    assert!(
        before[1].0.starts_with("old.") && before[1].1.is_some(),
        "{before:?}"
    );

    let mut config = first.config.clone();
    config.security.pii_keys = Some(SecretString::from(format!("{new},{old}")));
    let report = server::startup::rotate_keys(config)
        .await
        .expect("rotate-keys");
    assert!(
        report.contains("1 accounts, 2 notifications, 1 server key"),
        "{report}"
    );
    let (email_sealed, vapid) = sealed().await;
    assert!(email_sealed.starts_with("new."), "{email_sealed}");
    assert!(vapid.starts_with("new."), "{vapid}");
    let after = targets().await;
    assert!(
        after
            .iter()
            .all(|(target, index)| target.starts_with("new.") && index.is_some()),
        "{after:?}"
    );
    assert_eq!(
        columns_holding(&first, "example.com").await,
        Vec::<String>::new()
    );

    // The old key gone: the account is found by its new index and opens.
    let data_dir = first.data_dir.path().to_path_buf();
    let second = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.data_dir = data_dir;
        c.security.pii_keys = Some(SecretString::from(new.clone()));
    })
    .await;
    let client = second.visitor();
    assert_eq!(
        log_in(&client, &second, &email, PASSWORD).await.status(),
        StatusCode::OK
    );
    let profile: Value = client
        .get(second.url("/api/v1/auth/profile"))
        .send()
        .await
        .expect("profile")
        .json()
        .await
        .expect("json");
    assert_eq!(profile["email"], email);
    // The push key the browsers subscribed with is the same one.
    let key = |app: &TestApp| {
        let url = app.url("/api/v1/push/key");
        async move {
            let body: Value = reqwest::get(url)
                .await
                .expect("key")
                .json()
                .await
                .expect("json");
            body["public_key"].clone()
        }
    };
    assert_eq!(key(&first).await, key(&second).await);
}
