//! Upload → game ready through the real server on its embedded defaults, for the shipped
//! photo: prints the median and the 95th percentile over several runs, and the pipeline's
//! share of it. `cargo bench -p server --bench journey [-- RUNS]`.

use std::time::{Duration, Instant};

use server::Application;
use server::config::Config;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let photo = std::fs::read(root.join("ml/testdata/chelsea.png"))?;
    let data = tempfile::tempdir()?;
    let config = Config {
        site_addr: "127.0.0.1:0".parse()?,
        site_root: root.join("site"),
        data_dir: data.path().to_path_buf(),
        limits: server::config::Limits {
            uploads_per_hour: 10_000,
            ..Default::default()
        },
        ..Config::default()
    };
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().cookie_store(true).build()?;

    let mut totals = Vec::with_capacity(runs);
    let mut uploads = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let part = reqwest::multipart::Part::bytes(photo.clone()).file_name("chelsea.png");
        let image: serde_json::Value = client
            .post(format!("{base}/api/v1/images/upload"))
            .multipart(reqwest::multipart::Form::new().part("image", part))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        uploads.push(started.elapsed());
        let game: serde_json::Value = client
            .post(format!("{base}/api/v1/games"))
            .json(&serde_json::json!({
                "image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                "difficulty": "normal", "level_count": 3
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let url = format!(
            "{base}/api/v1/games/{}",
            game["id"].as_str().unwrap_or_default()
        );
        loop {
            let status: serde_json::Value = client.get(&url).send().await?.json().await?;
            match status["status"].as_str() {
                Some("ready") => break,
                Some("generating") => tokio::time::sleep(Duration::from_millis(5)).await,
                other => anyhow::bail!("game ended as {other:?}: {status}"),
            }
        }
        totals.push(started.elapsed());
    }
    totals.sort();
    uploads.sort();
    println!(
        "upload → game ready, chelsea.png (451×300), 3 levels, embedded defaults, {runs} runs:"
    );
    println!(
        "  upload alone      p50 {:>7.1?}  p95 {:>7.1?}",
        percentile(&uploads, 0.5),
        percentile(&uploads, 0.95)
    );
    println!(
        "  upload → ready    p50 {:>7.1?}  p95 {:>7.1?}",
        percentile(&totals, 0.5),
        percentile(&totals, 0.95)
    );
    Ok(())
}
