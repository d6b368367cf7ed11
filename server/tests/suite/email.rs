//! "Your game is ready" by email: through a real SMTP server (aiosmtpd, from PyPI) once per
//! game, with the game's link; on the embedded default into the outbox folder; and a bad
//! address refused when the game is asked for. No open relay: an address that is not the
//! asker's confirmed one gets a confirmation link first and nothing else until it is
//! followed, and no address or client can have us send more than its share.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::{
    TestApp, chelsea, columns_holding, link_token, outbox_to, register, repo_root,
    settled_notifications, wait_for_mail,
};

struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// aiosmtpd on a free port, keeping what it receives in a Maildir.
async fn smtp_server(maildir: &Path) -> (Reaper, u16) {
    let python = repo_root().join(".venv/bin/python");
    assert!(python.exists(), "run scripts/install-tools.sh for aiosmtpd");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = Reaper(
        Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "aiosmtpd never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, port)
}

/// The files in `dir` (ending in `suffix`), waiting up to 30 s for at least one.
async fn messages(dir: &Path, suffix: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asks for a game that emails `email` when ready: the answer as it came.
async fn ask_for_game(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    let image = app.upload_photo(client, chelsea(), "chelsea.png").await;
    client
        .post(app.url("/api/v1/games"))
        .json(
            &json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "park",
                    "difficulty": "easy", "level_count": 1, "notify_email": email}),
        )
        .send()
        .await
        .expect("post")
}

async fn make_game(app: &TestApp, client: &reqwest::Client, email: &str) -> Value {
    let response = ask_for_game(app, client, email).await;
    assert_eq!(response.status(), 202);
    let created: Value = response.json().await.expect("json");
    let game = app
        .wait_until_finished(client, created["id"].as_str().expect("id"))
        .await;
    assert_eq!(game["status"], "ready", "{game}");
    game
}

/// The game's email rows as they stand (`channel`, `state`, `attempts`).
async fn notification_rows(app: &TestApp, id: &str) -> Vec<(String, String, u32)> {
    use server::notifications::store::NotificationStore;
    let db = server::infra::db::Db::sqlite(&app.data_dir.path().join("petpixel.sqlite3"))
        .await
        .expect("the app's database");
    db.of_game(uuid::Uuid::parse_str(id).expect("id"))
        .await
        .expect("rows")
        .into_iter()
        .map(|r| (r.channel, r.state, r.attempts))
        .collect()
}

#[tokio::test]
async fn an_address_is_mailed_a_confirmation_first_and_the_game_once_it_is_confirmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // aiosmtpd makes the Maildir's folders only when the Maildir does not exist yet.
    let maildir = dir.path().join("mail");
    let (_smtp, port) = smtp_server(&maildir).await;
    let app = TestApp::spawn_with(|c| {
        c.email.smtp_url = Some(SecretString::from(format!("smtp://127.0.0.1:{port}")));
        c.public_url = Some("https://petpixel.example/".into());
    })
    .await;
    let client = app.visitor();
    let game = make_game(&app, &client, "Owner@Example.com").await;
    let id = game["id"].as_str().expect("id");

    // The first mail only asks the address's owner; it carries nothing the asker wrote.
    let received = messages(&maildir.join("new"), "").await;
    assert_eq!(received.len(), 1, "{received:?}");
    let confirmation = &received[0];
    for expected in [
        "To: owner@example.com",
        "From: \"PetPixel Games\" <games@petpixel.localhost>",
        "Subject: Confirm your email for PetPixel Games",
    ] {
        assert!(
            confirmation.contains(expected),
            "{expected:?} in\n{confirmation}"
        );
    }
    assert!(!confirmation.contains("Chelsea"), "{confirmation}");
    // The address is sealed at rest.
    assert_eq!(
        columns_holding(&app, "owner@example").await,
        Vec::<String>::new()
    );
    // The game is ready and its email waits, unclaimable, for the owner's yes.
    assert_eq!(
        notification_rows(&app, id).await,
        [("email".to_owned(), "unconfirmed".to_owned(), 0)]
    );

    let token = link_token(confirmation, "https://petpixel.example/confirm-email");
    let stranger = app.visitor();
    let confirm = |token: String| {
        stranger
            .post(app.url("/api/v1/notifications/confirm"))
            .json(&json!({ "token": token }))
            .send()
    };
    assert_eq!(confirm(token.clone()).await.expect("confirm").status(), 204);
    assert_eq!(
        settled_notifications(&app, id).await,
        [("email".to_owned(), "sent".to_owned(), 1)]
    );
    let received = messages(&maildir.join("new"), "").await;
    assert_eq!(received.len(), 2, "{received:?}");
    let code = game["short_code"].as_str().expect("code");
    let ready = received
        .iter()
        .find(|m| m.contains("Subject: Chelsea's game is ready to play"))
        .expect("the game's mail");
    assert!(
        ready.contains(&format!("https://petpixel.example/g/{code}")),
        "{ready}"
    );
    // The link works once.
    assert_eq!(confirm(token).await.expect("confirm").status(), 422);

    // A bad address is refused with the field named; no game is made.
    for bad in [
        "not an address",
        "a@",
        "@example.com",
        &format!("{}@x.com", "a".repeat(260)),
    ] {
        let response = client
            .post(app.url("/api/v1/games"))
            .json(
                &json!({"image_id": game["id"], "pet_name": "Chelsea", "theme": "park",
                          "difficulty": "easy", "level_count": 1, "notify_email": bad}),
            )
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["field"], "notify_email", "{bad}: {body}");
    }
}

#[tokio::test]
async fn an_accounts_confirmed_address_gets_the_game_without_asking_again() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let email = format!("owner+{}@example.com", uuid::Uuid::new_v4().simple());
    register(&app, &client, &email).await;
    let verification = wait_for_mail(&app, &email, 1).await.remove(0);
    let token = link_token(&verification, &format!("{}/verify-email", app.base));
    let confirmed = client
        .post(app.url("/api/v1/auth/verify-email/confirm"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirmed.status(), 200);

    let game = make_game(&app, &client, &email.to_uppercase()).await;
    assert_eq!(
        settled_notifications(&app, game["id"].as_str().expect("id")).await,
        [("email".to_owned(), "sent".to_owned(), 1)]
    );
    let mails = outbox_to(&app, &email);
    assert_eq!(mails.len(), 2, "the verification and the game: {mails:?}");
    let link = format!(
        "{}/g/{}",
        app.base,
        game["short_code"].as_str().expect("code")
    );
    assert!(
        mails.iter().any(|m| m.contains(&link)),
        "{link} in {mails:?}"
    );

    // No address, no message: nothing is in the outbox for that game.
    let quiet = make_game(&app, &client, "").await;
    assert_eq!(
        settled_notifications(&app, quiet["id"].as_str().expect("id")).await,
        []
    );
}

#[tokio::test]
async fn no_address_and_no_client_gets_more_than_its_share_of_confirmations() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.limits.mails_per_address = 5;
    })
    .await;
    let client = app.visitor();
    // Three confirmations an hour to one address, whoever asks.
    for _ in 0..3 {
        assert_eq!(
            ask_for_game(&app, &client, "victim@example.com")
                .await
                .status(),
            202
        );
    }
    let refused = ask_for_game(&app, &client, "victim@example.com").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(outbox_to(&app, "victim@example.com").len(), 3);
    // Nothing was made for the refused request.
    let games: Vec<Value> = client
        .get(app.url("/api/v1/games"))
        .send()
        .await
        .expect("games")
        .json()
        .await
        .expect("json");
    assert_eq!(games.len(), 3);

    // One client may have us write to five addresses an hour, whichever they are.
    for n in 0..2 {
        let address = format!("someone{n}@example.com");
        assert_eq!(ask_for_game(&app, &client, &address).await.status(), 202);
    }
    assert_eq!(
        ask_for_game(&app, &client, "one.more@example.com")
            .await
            .status(),
        429
    );
    assert!(outbox_to(&app, "one.more@example.com").is_empty());
}
