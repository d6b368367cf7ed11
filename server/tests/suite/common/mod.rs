//! Shared test helpers: the real server on port 0, per-test databases and service URLs.
#![allow(dead_code)]

pub mod journey;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use server::Application;
use server::config::{Config, S3Config};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn chelsea() -> Vec<u8> {
    std::fs::read(repo_root().join("ml/testdata/chelsea.png")).expect("the shipped test photo")
}

/// A photo with no pet in it (one flat colour), as PNG bytes.
pub fn sky() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(320, 240, image::Rgb([120, 160, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// The three scale-out parts when the environment names them: a throwaway PostgreSQL
/// database, the Redis URL and a fresh S3 bucket (`None` outside CI when one is missing).
pub async fn scale_out_parts() -> Option<(TempPgDatabase, String, S3Config)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (Some(pg), Some(redis), Some(s3)) = (
        service_url("TEST_DATABASE_URL"),
        service_url("TEST_REDIS_URL"),
        service_url("TEST_S3_ENDPOINT"),
    ) else {
        return None;
    };
    Some((
        TempPgDatabase::create(&pg).await,
        redis,
        create_bucket(&s3).await,
    ))
}

/// A service URL from the environment. Under CI (`CI=true`) a missing one fails the test, so
/// the PostgreSQL/Redis/S3 suites cannot silently pass without running.
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("{var} must be set under CI"),
        _ => {
            eprintln!("{var} is not set: this part of the suite is not run");
            None
        }
    }
}

/// A fresh, empty PostgreSQL database for one test; dropped when the guard goes.
pub struct TempPgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TempPgDatabase {
    pub async fn create(admin_url: &str) -> Self {
        use sqlx::Connection;
        let name = format!("petpixel_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TempPgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Drop needs its own runtime: the test's may already be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A bucket on the S3 server at `endpoint` (moto accepts unsigned bucket creation).
pub async fn create_bucket(endpoint: &str) -> S3Config {
    let bucket = format!("petpixel-test-{}", uuid::Uuid::new_v4().simple());
    let status = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("reach the S3 server")
        .status();
    assert!(status.is_success(), "create bucket: {status}");
    S3Config {
        bucket,
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: SecretString::from("testing"),
        allow_http: true,
    }
}

/// The key ring every PostgreSQL-backed node of this test process uses.
pub static SHARED_PII_KEYS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| server::infra::pii::KeyRing::generate_spec("test"));

/// The real application on an ephemeral port, with its own data directory.
pub struct TestApp {
    pub base: String,
    pub data_dir: tempfile::TempDir,
    pub config: Config,
}

impl TestApp {
    pub fn config(data_dir: &tempfile::TempDir) -> Config {
        let mut config = Config {
            site_addr: "127.0.0.1:0".parse().expect("addr"),
            site_root: repo_root().join("site"),
            data_dir: data_dir.path().to_path_buf(),
            ..Config::default()
        };
        // Every test client is 127.0.0.1: per-address limits are tested where they are set
        // low on purpose (guards.rs, uploads.rs), and out of the way elsewhere.
        config.limits.uploads_per_hour = 1_000;
        config.limits.api_per_minute = 1_000_000;
        config.limits.logins_per_address = 1_000_000;
        config.limits.mails_per_address = 1_000_000;
        config.limits.games_per_day = 1_000_000;
        config.limits.regenerations_per_day = 1_000_000;
        config.limits.studio_jobs_per_hour = 1_000_000;
        config.limits.plays_per_hour = 1_000_000;
        config.limits.events_per_hour = 1_000_000;
        config.limits.code_misses_per_hour = 1_000_000;
        config
    }

    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut config = Self::config(&data_dir);
        adjust(&mut config);
        if config.database_url.is_some() && config.security.pii_keys.is_none() {
            // Nodes of one test share their database: they must share its keys too.
            config.security.pii_keys = Some(SecretString::from(SHARED_PII_KEYS.clone()));
        }
        let app = Application::build(config.clone())
            .await
            .expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(async move { app.run_until_stopped().await.expect("server runs") });
        Self {
            base,
            data_dir,
            config,
        }
    }

    /// A client with its own cookie jar: one visitor.
    pub fn visitor(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn upload(
        &self,
        client: &reqwest::Client,
        bytes: Vec<u8>,
        file_name: &str,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form = reqwest::multipart::Form::new().part("image", part);
        client
            .post(self.url("/api/v1/images/upload"))
            .multipart(form)
            .send()
            .await
            .expect("upload request")
    }

    /// Uploads a photo that must be accepted, answering the stored image as JSON.
    pub async fn upload_photo(
        &self,
        client: &reqwest::Client,
        bytes: Vec<u8>,
        file_name: &str,
    ) -> serde_json::Value {
        let response = self.upload(client, bytes, file_name).await;
        assert_eq!(response.status(), 201, "{file_name} is accepted");
        response.json().await.expect("json")
    }

    /// `POST /api/v1/games` with `body`, answering the response as JSON.
    pub async fn create_game(
        &self,
        client: &reqwest::Client,
        body: serde_json::Value,
    ) -> serde_json::Value {
        client
            .post(self.url("/api/v1/games"))
            .json(&body)
            .send()
            .await
            .expect("create game")
            .json()
            .await
            .expect("json")
    }

    /// Polls a game until it leaves `generating` (the pipeline runs in the background).
    pub async fn wait_until_finished(
        &self,
        client: &reqwest::Client,
        id: &str,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let game: serde_json::Value = client
                .get(self.url(&format!("/api/v1/games/{id}")))
                .send()
                .await
                .expect("get game")
                .json()
                .await
                .expect("json");
            if game["status"] != "generating" {
                return game;
            }
            assert!(
                Instant::now() < deadline,
                "game {id} still generating after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `petpixel serve` as its own process on a free port, for what an in-process server cannot
/// show: a restart, its memory, a signal. Killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
    pub port: u16,
}

impl ServerProcess {
    /// Starts `petpixel serve` on `data_dir` with extra `env`, and waits until `/health`
    /// answers.
    pub async fn start(data_dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::start_on(data_dir, port, env).await
    }

    /// The same on a given port (a restart keeps the address its visitors know).
    pub async fn start_on(data_dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> Self {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_petpixel"));
        command
            .arg("serve")
            .env("PETPIXEL_DATA_DIR", data_dir)
            .env("LEPTOS_SITE_ROOT", repo_root().join("site"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            // As in `TestApp::config`: every client here is 127.0.0.1.
            .env("PETPIXEL__LIMITS__UPLOADS_PER_HOUR", "1000")
            .env("PETPIXEL__LIMITS__API_PER_MINUTE", "1000000")
            .env("PETPIXEL__LIMITS__LOGINS_PER_ADDRESS", "1000000")
            .env("PETPIXEL__LIMITS__MAILS_PER_ADDRESS", "1000000")
            .env("PETPIXEL__LIMITS__GAMES_PER_DAY", "1000000")
            .env("PETPIXEL__LIMITS__REGENERATIONS_PER_DAY", "1000000")
            .env("PETPIXEL__LIMITS__STUDIO_JOBS_PER_HOUR", "1000000")
            .env("PETPIXEL__LIMITS__PLAYS_PER_HOUR", "1000000")
            .env("PETPIXEL__LIMITS__CODE_MISSES_PER_HOUR", "1000000")
            .stdout(std::process::Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("petpixel serve starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while client
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the server never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Resident memory now, in KiB (`VmRSS` in `/proc`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }

    /// Stops it as an orchestrator would (SIGTERM) and waits for it to exit.
    pub async fn stop(mut self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Uploads `bytes` as `client` to the server at `base`; the stored photo as JSON.
pub async fn upload_to(base: &str, client: &reqwest::Client, bytes: Vec<u8>) -> serde_json::Value {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("photo.png");
    let response = client
        .post(format!("{base}/api/v1/images/upload"))
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201, "upload accepted");
    response.json().await.expect("json")
}

/// Starts a one-level game of `image` as `client` at `base`; the game as JSON.
pub async fn start_game_at(
    base: &str,
    client: &reqwest::Client,
    image: &serde_json::Value,
) -> serde_json::Value {
    let response = client
        .post(format!("{base}/api/v1/games"))
        .json(
            &serde_json::json!({"image_id": image["id"], "pet_name": "Chelsea",
            "theme": "garden", "difficulty": "easy", "level_count": 1}),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), 202, "game accepted");
    response.json().await.expect("json")
}

/// The password test accounts are made with.
pub const PASSWORD: &str = "correct horse battery";

/// An address no other test uses.
pub fn unique_email() -> String {
    format!("pet.owner+{}@example.com", uuid::Uuid::new_v4().simple())
}

/// `POST /api/v1/auth/register` with [`PASSWORD`] as `client`, whose session is then signed
/// in: the account as JSON.
pub async fn register(app: &TestApp, client: &reqwest::Client, email: &str) -> serde_json::Value {
    let response = client
        .post(app.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 201, "registered");
    response.json().await.expect("json")
}

/// `POST {path}` with a JSON `body` as `client`: the answer as it came.
pub async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect(path)
}

/// `POST /api/v1/auth/login` for a session: the answer as it came.
pub async fn log_in(
    client: &reqwest::Client,
    app: &TestApp,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
}

/// Rows in the `sessions` table of the SQLite database in `data_dir`.
pub async fn session_rows(data_dir: &std::path::Path) -> i64 {
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data_dir.join("petpixel.sqlite3").display()
    ))
    .await
    .expect("open the database");
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&db)
        .await
        .expect("count")
}

/// Every `table.column` of the app's SQLite database holding `needle` in any row, read raw:
/// how tests show personal data is sealed at rest.
pub async fn columns_holding(app: &TestApp, needle: &str) -> Vec<String> {
    use sqlx::{Column, Row, ValueRef};
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(app.data_dir.path().join("petpixel.sqlite3"));
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .expect("sqlite");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .expect("tables");
    let mut cells = 0;
    let mut holding = Vec::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
            .fetch_all(&pool)
            .await
            .expect("rows");
        for row in rows {
            for column in row.columns() {
                let raw = row.try_get_raw(column.ordinal()).expect("value");
                if raw.is_null() {
                    continue;
                }
                if let Ok(text) = row.try_get::<String, _>(column.ordinal()) {
                    cells += 1;
                    let name = format!("{table}.{}", column.name());
                    if text.contains(needle) && !holding.contains(&name) {
                        holding.push(name);
                    }
                }
            }
        }
    }
    // Guards against a scan that reads nothing and so finds nothing.
    assert!(cells > 5, "the tables were read ({cells} text cells)");
    holding
}

/// The notification rows (`channel`, `state`, `attempts`) of game `id` in the app's database,
/// once every one has left the outbox (sent or given up): a sent message is final, so nothing
/// more can arrive for it.
pub async fn settled_notifications(app: &TestApp, id: &str) -> Vec<(String, String, u32)> {
    use server::notifications::store::NotificationStore;
    let db = server::infra::db::Db::sqlite(&app.data_dir.path().join("petpixel.sqlite3"))
        .await
        .expect("the app's database");
    let id = uuid::Uuid::parse_str(id).expect("a game id");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = db.of_game(id).await.expect("rows");
        if rows
            .iter()
            .all(|r| r.state == "sent" || r.state == "failed")
        {
            return rows
                .into_iter()
                .map(|r| (r.channel, r.state, r.attempts))
                .collect();
        }
        assert!(Instant::now() < deadline, "still sending: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The messages in the app's outbox folder (the embedded default's mail) addressed to `to`.
pub fn outbox_to(app: &TestApp, to: &str) -> Vec<String> {
    let needle = format!("To: {to}\r\n");
    std::fs::read_dir(app.data_dir.path().join("outbox"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter(|m| m.contains(&needle))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (up to 30 s) for `count` messages to `to` in the app's outbox, and returns them.
pub async fn wait_for_mail(app: &TestApp, to: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = outbox_to(app, to);
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{count} mails to {to} never came: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A message's body as its reader sees it: quoted-printable soft line breaks joined and
/// `=XX` escapes decoded (our mail is ASCII).
pub fn decoded(mail: &str) -> String {
    // Soft breaks end in CRLF as sent, in LF as some servers keep them.
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 1..at + 3).unwrap_or_default();
        match u8::from_str_radix(hex, 16) {
            Ok(byte) if hex.len() == 2 => {
                out.push(char::from(byte));
                rest = &rest[at + 3..];
            }
            _ => {
                out.push('=');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The secret of the emailed link to `page` (`/verify-email`, ...) in a message.
pub fn link_token(mail: &str, page: &str) -> String {
    let mail = decoded(mail);
    let mail = mail.as_str();
    let marker = format!("{page}?token=");
    let start = mail
        .find(&marker)
        .unwrap_or_else(|| panic!("no {page} link in\n{mail}"))
        + marker.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
