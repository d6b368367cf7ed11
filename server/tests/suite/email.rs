//! "Your game is ready" by email: through a real SMTP server (aiosmtpd, from PyPI) once per
//! game, with the game's link; on the embedded default into the outbox folder; and a bad
//! address refused when the game is asked for.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::{TestApp, chelsea, repo_root, settled_notifications};

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

async fn make_game(app: &TestApp, client: &reqwest::Client, email: &str) -> Value {
    let image = app.upload_photo(client, chelsea(), "chelsea.png").await;
    let created = app
        .create_game(
            client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "park",
                   "difficulty": "easy", "level_count": 1, "notify_email": email}),
        )
        .await;
    let game = app
        .wait_until_finished(client, created["id"].as_str().expect("id"))
        .await;
    assert_eq!(game["status"], "ready", "{game}");
    game
}

#[tokio::test]
async fn a_ready_game_is_emailed_once_through_smtp_with_its_link() {
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
    let game = make_game(&app, &client, "owner@example.com").await;

    let received = messages(&maildir.join("new"), "").await;
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    let code = game["short_code"].as_str().expect("code");
    for expected in [
        "To: owner@example.com",
        "From: \"PetPixel Games\" <games@petpixel.localhost>",
        "Subject: Chelsea's game is ready to play",
        &format!("https://petpixel.example/g/{code}"),
    ] {
        assert!(mail.contains(expected), "{expected:?} in\n{mail}");
    }
    // Sent once, and recorded as sent: nothing more can be sent for it.
    assert_eq!(
        settled_notifications(&app, game["id"].as_str().expect("id")).await,
        [("email".to_owned(), "sent".to_owned(), 1)]
    );

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
async fn without_smtp_the_message_is_kept_in_the_outbox_with_the_servers_address() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let game = make_game(&app, &client, "owner@example.com").await;
    let outbox = messages(&app.data_dir.path().join("outbox"), ".eml").await;
    assert_eq!(outbox.len(), 1);
    let link = format!(
        "{}/g/{}",
        app.base,
        game["short_code"].as_str().expect("code")
    );
    assert!(outbox[0].contains(&link), "{link} in\n{}", outbox[0]);

    assert_eq!(
        settled_notifications(&app, game["id"].as_str().expect("id")).await,
        [("email".to_owned(), "sent".to_owned(), 1)]
    );

    // No address, no message: nothing is in the outbox for that game.
    let quiet = make_game(&app, &client, "").await;
    assert_eq!(
        settled_notifications(&app, quiet["id"].as_str().expect("id")).await,
        []
    );
}
