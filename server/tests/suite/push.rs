//! "Your game is ready" by Web Push. The server encrypts the message to the browser's keys
//! (RFC 8291) and signs the request with its VAPID key (RFC 8292). A local HTTP server stands
//! in for the push service; the test plays the browser, holding the subscription's private
//! key, and decrypts what arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use rand::RngCore as _;
use serde_json::{Value, json};
use server::Application;
use server::notifications::push::{PushMessage, VapidKey};
use tokio::sync::mpsc;

use crate::common::{TestApp, chelsea, columns_holding, settled_notifications};

/// One request the stand-in push service received.
#[derive(Debug)]
struct Delivery {
    device: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Clone)]
struct PushService {
    sent: mpsc::UnboundedSender<Delivery>,
    busy_answers: Arc<AtomicUsize>,
}

/// `POST /push/{device}`: `gone` answers 410 like a withdrawn subscription, `busy` answers 503
/// the first time, anything else 201 like FCM and Mozilla do.
async fn receive(
    State(service): State<PushService>,
    Path(device): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let status = match device.as_str() {
        "gone" => StatusCode::GONE,
        "busy" if service.busy_answers.fetch_add(1, Ordering::SeqCst) == 0 => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::CREATED,
    };
    let _ = service.sent.send(Delivery {
        device,
        headers,
        body: body.to_vec(),
    });
    status
}

/// The stand-in push service on a free port: its base URL and what it receives.
async fn push_service() -> (String, mpsc::UnboundedReceiver<Delivery>) {
    let (sent, received) = mpsc::unbounded_channel();
    let router = axum::Router::new()
        .route("/push/{device}", axum::routing::post(receive))
        .with_state(PushService {
            sent,
            busy_answers: Arc::new(AtomicUsize::new(0)),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, received)
}

/// A browser's side of a subscription: the keys it keeps and the JSON it hands the page.
pub struct Device {
    secret: p256::SecretKey,
    auth: [u8; 16],
    endpoint: String,
}

impl Device {
    pub fn new(endpoint: String) -> Self {
        let secret = loop {
            let mut scalar = [0u8; 32];
            rand::rng().fill_bytes(&mut scalar);
            if let Ok(key) = p256::SecretKey::from_slice(&scalar) {
                break key;
            }
        };
        let mut auth = [0u8; 16];
        rand::rng().fill_bytes(&mut auth);
        Self {
            secret,
            auth,
            endpoint,
        }
    }

    /// `PushSubscription.toJSON()`.
    pub fn subscription(&self) -> Value {
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": {"p256dh": B64.encode(public.as_bytes()), "auth": B64.encode(self.auth)},
        })
    }

    fn decrypt(&self, body: Vec<u8>) -> PushMessage {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(body, &self.secret, &auth)
            .expect("the push decrypts with the device's keys");
        serde_json::from_slice(&plain).expect("a push message")
    }
}

fn push_config(c: &mut server::config::Config) {
    c.push.allowed_hosts = vec!["127.0.0.1".into()];
    c.push.allow_http = true;
    c.push.allow_private_addresses = true;
}

async fn subscribe(
    app: &TestApp,
    client: &reqwest::Client,
    game_id: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/v1/games/{game_id}/push")))
        .json(body)
        .send()
        .await
        .expect("subscribe")
}

async fn start_game(app: &TestApp, client: &reqwest::Client) -> Value {
    let image = app.upload_photo(client, chelsea(), "chelsea.png").await;
    app.create_game(
        client,
        json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "park",
               "difficulty": "easy", "level_count": 1}),
    )
    .await
}

async fn next(received: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("a push within 60 s")
        .expect("push service running")
}

/// Checks the `Authorization: vapid t=…, k=…` header against the key the site publishes.
fn assert_signed(headers: &HeaderMap, public_key: &str, push_base: &str) {
    let authorization = headers["authorization"].to_str().expect("ascii");
    let (token, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    assert_eq!(k, public_key);
    let (signed, signature) = token.rsplit_once('.').expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &B64.decode(signed.split('.').nth(1).expect("claims"))
            .expect("base64url"),
    )
    .expect("json");
    assert_eq!(claims["aud"], push_base, "the audience is the push service");
    assert_eq!(claims["sub"], "mailto:games@petpixel.localhost");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let exp = claims["exp"].as_u64().expect("exp");
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "valid now, for at most a day"
    );
    let key = VerifyingKey::from_sec1_bytes(&B64.decode(public_key).expect("base64url"))
        .expect("a P-256 point");
    key.verify(
        signed.as_bytes(),
        &Signature::from_slice(&B64.decode(signature).expect("base64url")).expect("r‖s"),
    )
    .expect("signed by the site's key");
}

#[tokio::test]
async fn a_ready_game_is_pushed_once_encrypted_to_the_device_and_signed() {
    let (push_base, mut received) = push_service().await;
    let app = TestApp::spawn_with(push_config).await;
    let client = app.visitor();
    let public_key: Value = client
        .get(app.url("/api/v1/push/key"))
        .send()
        .await
        .expect("key")
        .json()
        .await
        .expect("json");
    let public_key = public_key["public_key"].as_str().expect("key").to_owned();
    assert_eq!(B64.decode(&public_key).expect("base64url").len(), 65);

    let created = start_game(&app, &client).await;
    let id = created["id"].as_str().expect("id");
    let phone = Device::new(format!("{push_base}/push/phone"));
    let response = subscribe(&app, &client, id, &phone.subscription()).await;
    assert_eq!(response.status(), 201);
    // The same device again (a second click, another tab) is one subscription.
    let response = subscribe(&app, &client, id, &phone.subscription()).await;
    assert_eq!(response.status(), 200);
    let again: Value = response.json().await.expect("json");
    assert_eq!(again["new"], false);
    // Sealed at rest: the endpoint names the device to its push service.
    assert_eq!(
        columns_holding(&app, "/push/phone").await,
        Vec::<String>::new()
    );

    let game = app.wait_until_finished(&client, id).await;
    assert_eq!(game["status"], "ready", "{game}");
    let code = game["short_code"].as_str().expect("code");

    let delivery = next(&mut received).await;
    assert_eq!(delivery.device, "phone");
    assert_eq!(delivery.headers["content-encoding"], "aes128gcm");
    assert!(delivery.headers.contains_key("ttl"));
    assert_signed(&delivery.headers, &public_key, &push_base);
    assert!(
        !String::from_utf8_lossy(&delivery.body).contains("Chelsea"),
        "the push service cannot read the message"
    );
    let message = phone.decrypt(delivery.body);
    assert_eq!(message.title, "Chelsea's game is ready");
    assert_eq!(message.url, format!("{}/g/{code}", app.base));
    assert_eq!(
        message.icon,
        format!("{}/api/v1/play/{code}/sprite.png", app.base)
    );

    // A device that subscribes once the game is ready is told at once.
    let laptop = Device::new(format!("{push_base}/push/laptop"));
    let response = subscribe(&app, &client, id, &laptop.subscription()).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["game_ready"], true);
    let delivery = next(&mut received).await;
    assert_eq!(delivery.device, "laptop");
    assert_eq!(laptop.decrypt(delivery.body).url, message.url);

    // Once each, and recorded as sent: nothing more can be pushed for them.
    assert_eq!(
        settled_notifications(&app, id).await,
        [
            ("push".to_owned(), "sent".to_owned(), 1),
            ("push".to_owned(), "sent".to_owned(), 1)
        ]
    );
    assert!(received.try_recv().is_err(), "no second push");
}

#[tokio::test]
async fn subscriptions_are_checked_and_a_dead_one_is_given_up() {
    let (push_base, mut received) = push_service().await;
    let app = TestApp::spawn_with(|c| {
        push_config(c);
        c.push.max_per_game = 2;
    })
    .await;
    let client = app.visitor();
    let created = start_game(&app, &client).await;
    let id = created["id"].as_str().expect("id");

    // Bad subscriptions are refused with the field named, before anything is stored.
    let good = Device::new(format!("{push_base}/push/gone")).subscription();
    let mut cases = Vec::new();
    for endpoint in [
        "https://evil.example/push",
        "http://10.0.0.1/push",
        "ftp://127.0.0.1/push",
        "not a url",
    ] {
        let mut body = good.clone();
        body["endpoint"] = json!(endpoint);
        cases.push((body, "endpoint"));
    }
    let mut body = good.clone();
    body["keys"]["p256dh"] = json!(B64.encode([4u8; 65]));
    cases.push((body, "p256dh"));
    let mut body = good.clone();
    body["keys"]["auth"] = json!("c2hvcnQ");
    cases.push((body, "auth"));
    cases.push((json!({"endpoint": good["endpoint"]}), "body"));
    for (body, field) in cases {
        let response = subscribe(&app, &client, id, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"]["field"], field, "{body}: {error}");
    }
    // Only the game's owner can subscribe to it.
    let stranger = app.visitor();
    assert_eq!(subscribe(&app, &stranger, id, &good).await.status(), 404);
    assert_eq!(
        subscribe(&app, &client, &uuid::Uuid::new_v4().to_string(), &good)
            .await
            .status(),
        404
    );

    // A withdrawn subscription (410) is given up after one try; a busy push service (503)
    // is tried again. The game holds two devices at most.
    assert_eq!(subscribe(&app, &client, id, &good).await.status(), 201);
    let busy = Device::new(format!("{push_base}/push/busy"));
    assert_eq!(
        subscribe(&app, &client, id, &busy.subscription())
            .await
            .status(),
        201
    );
    let third = Device::new(format!("{push_base}/push/third")).subscription();
    let response = subscribe(&app, &client, id, &third).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.expect("json");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 devices")),
        "{error}"
    );

    let game = app.wait_until_finished(&client, id).await;
    assert_eq!(game["status"], "ready", "{game}");
    let mut devices = Vec::new();
    for _ in 0..3 {
        devices.push(next(&mut received).await.device);
    }
    devices.sort();
    assert_eq!(devices, ["busy", "busy", "gone"]);

    // The sender records each outcome after the push service answered: wait for the records.
    settled_notifications(&app, id).await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.data_dir.path().join("petpixel.sqlite3").display()
    ))
    .await
    .expect("open");
    // Targets are sealed: the withdrawn one is known by its push service's answer.
    let rows: Vec<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT state, attempts, last_error FROM notifications WHERE game_id = $1")
            .bind(id)
            .fetch_all(&db)
            .await
            .expect("rows");
    let outcome: Vec<(&str, &str, i64)> = rows
        .iter()
        .map(|(state, attempts, error)| {
            let device = if error.as_deref().is_some_and(|e| e.contains("410")) {
                "gone"
            } else {
                "busy"
            };
            (device, state.as_str(), *attempts)
        })
        .collect();
    assert!(outcome.contains(&("gone", "failed", 1)), "{rows:?}");
    assert!(outcome.contains(&("busy", "sent", 2)), "{rows:?}");
}

#[tokio::test]
async fn the_vapid_key_outlives_a_restart_and_a_configured_one_wins() {
    async fn public_key(config: server::config::Config) -> String {
        let app = Application::build(config).await.expect("builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(async move { app.run_until_stopped().await });
        let body: Value = reqwest::get(format!("{base}/api/v1/push/key"))
            .await
            .expect("key")
            .json()
            .await
            .expect("json");
        body["public_key"].as_str().expect("key").to_owned()
    }

    let app = TestApp::spawn().await;
    let first = public_key(app.config.clone()).await;
    assert_eq!(
        public_key(app.config.clone()).await,
        first,
        "kept in the database"
    );

    let configured = VapidKey::generate();
    let mut config = app.config.clone();
    config.push.vapid_private_key = Some(configured.private_base64().into());
    assert_eq!(public_key(config).await, configured.public_base64());
}
