//! The hostile-upload corpus (`scripts/hostile-corpus.py`: bombs, truncations, polyglots,
//! impostors, huge metadata, 10,000-frame animations, the largest photos allowed) uploaded all
//! at once to a real `petpixel serve` process: every file is stored or refused with a clear
//! 4xx JSON error, none gets a 5xx or a broken connection, and the server's peak memory stays
//! under 512 MB.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::repo_root;

/// The ceiling for the server while the corpus is uploaded concurrently.
const MAX_PEAK_RSS_MB: u64 = 512;

struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The peak resident memory of a process, from `/proc`, in MB.
fn peak_rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb / 1024
}

#[tokio::test]
async fn every_hostile_upload_gets_a_clear_answer_and_the_server_stays_under_512_mb() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-tools.sh",
        python.display()
    );
    let made = Command::new(&python)
        .arg(repo_root().join("scripts/hostile-corpus.py"))
        .arg(&corpus)
        .status()
        .expect("the corpus script runs");
    assert!(made.success());
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(corpus.join("expect.json")).expect("expect.json"))
            .expect("json");
    assert!(cases.len() >= 60, "{} files", cases.len());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = Reaper(
        Command::new(env!("CARGO_BIN_EXE_petpixel"))
            .arg("serve")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", repo_root().join("site"))
            .env("PETPIXEL_DATA_DIR", dir.path().join("data"))
            .env("PETPIXEL__LIMITS__UPLOADS_PER_HOUR", "100000")
            // Every request here comes from 127.0.0.1: the per-address limit is out of the way.
            .env("PETPIXEL__LIMITS__API_PER_MINUTE", "1000000")
            .env("PETPIXEL__LIMITS__STUDIO_JOBS_PER_HOUR", "1000000")
            .env("PETPIXEL__LIMITS__GAMES_PER_DAY", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("petpixel serve starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{base}/health")).await.is_err() {
        assert!(Instant::now() < deadline, "the server never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before_mb = peak_rss_mb(server.0.id());

    let mut uploads = tokio::task::JoinSet::new();
    for case in &cases {
        let file = case["file"].as_str().expect("file").to_owned();
        let bytes = std::fs::read(corpus.join(&file)).expect("corpus file");
        let url = format!("{base}/api/v1/images/upload");
        uploads.spawn(async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client");
            let part = reqwest::multipart::Part::bytes(bytes).file_name(file.clone());
            let response = client
                .post(url)
                .multipart(reqwest::multipart::Form::new().part("image", part))
                .send()
                .await;
            (file, response.map(|r| r.status().as_u16()))
        });
    }
    let mut answers = std::collections::HashMap::new();
    while let Some(joined) = uploads.join_next().await {
        let (file, status) = joined.expect("upload task");
        answers.insert(file, status);
    }

    let mut problems = Vec::new();
    for case in &cases {
        let file = case["file"].as_str().expect("file");
        let expect = case["expect"].as_str().expect("expect");
        let status = match &answers[file] {
            Ok(status) => *status,
            Err(e) => {
                problems.push(format!("{file}: connection failed: {e}"));
                continue;
            }
        };
        let fine = match expect {
            "accept" => status == 201,
            "reject" => (400..500).contains(&status),
            _ => status == 201 || (400..500).contains(&status),
        };
        if !fine {
            problems.push(format!(
                "{file} ({}): {status}, expected {expect}",
                case["why"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Each refusal says why, in the API's error shape (checked once more, one at a time).
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    for case in cases.iter().filter(|c| c["expect"] == "reject") {
        let file = case["file"].as_str().expect("file");
        let part = reqwest::multipart::Part::bytes(std::fs::read(corpus.join(file)).expect("read"))
            .file_name(file.to_owned());
        let response = client
            .post(format!("{base}/api/v1/images/upload"))
            .multipart(reqwest::multipart::Form::new().part("image", part))
            .send()
            .await
            .expect("upload");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("a JSON error");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            (400..500).contains(&status) && !message.is_empty(),
            "{file}: {status} {body}"
        );
    }

    let peak_mb = peak_rss_mb(server.0.id());
    println!(
        "hostile corpus: {} files, server peak RSS {peak_mb} MB (idle {before_mb} MB)",
        cases.len()
    );
    assert!(
        peak_mb < MAX_PEAK_RSS_MB,
        "peak RSS {peak_mb} MB while the corpus was uploaded"
    );
    assert!(
        reqwest::get(format!("{base}/health"))
            .await
            .is_ok_and(|r| r.status() == 200),
        "the server is still up"
    );
}
