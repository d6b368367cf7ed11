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

/// The real application on an ephemeral port, with its own data directory.
pub struct TestApp {
    pub base: String,
    pub data_dir: tempfile::TempDir,
    pub config: Config,
}

impl TestApp {
    pub fn config(data_dir: &tempfile::TempDir) -> Config {
        Config {
            site_addr: "127.0.0.1:0".parse().expect("addr"),
            site_root: repo_root().join("site"),
            data_dir: data_dir.path().to_path_buf(),
            ..Config::default()
        }
    }

    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut config = Self::config(&data_dir);
        adjust(&mut config);
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
