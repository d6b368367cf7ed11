//! Upload → game ready through the real server (with its in-process job worker), as a person
//! would do it: prints p50 and p95 over several runs, then the throughput with several games
//! made at once and the process's peak memory.
//!
//! `cargo bench -p server --bench journey [-- RUNS] [--12mp] [--at-once N]`
//! - `--12mp`: a 4000×3000 JPEG (the shipped photo enlarged) instead of the 451×300 PNG;
//! - `BENCH_DATABASE_URL`, `BENCH_REDIS_URL`: PostgreSQL and Redis instead of the embedded
//!   defaults (the database should be empty; the schema is created);
//! - `BENCH_ML_COMPUTE=wgpu` (built with `--features ml/wgpu`): the image models on a GPU.
//! - `BENCH_ML_CUTOUT_NET=u2net` (built with `--features ml/full-u2net`): the full U²-Net.

use std::time::{Duration, Instant};

use image::ImageFormat;
use secrecy::SecretString;
use server::Application;
use server::config::Config;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Uploads `photo`, creates a game and waits until it is ready: (upload time, total time).
async fn journey(
    client: &reqwest::Client,
    base: &str,
    photo: &[u8],
    name: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let part = reqwest::multipart::Part::bytes(photo.to_vec()).file_name(name.to_owned());
    let image: serde_json::Value = client
        .post(format!("{base}/api/v1/images/upload"))
        .multipart(reqwest::multipart::Form::new().part("image", part))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let uploaded = started.elapsed();
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
    Ok((uploaded, started.elapsed()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20);
    let big = args.iter().any(|a| a == "--12mp");
    let at_once: usize = args
        .iter()
        .position(|a| a == "--at-once")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = std::fs::read(root.join("ml/testdata/chelsea.png"))?;
    let (photo, name, label) = if big {
        let enlarged = image::load_from_memory(&shipped)?.resize_exact(
            4000,
            3000,
            image::imageops::FilterType::Triangle,
        );
        let mut jpeg = std::io::Cursor::new(Vec::new());
        enlarged.to_rgb8().write_to(&mut jpeg, ImageFormat::Jpeg)?;
        (
            jpeg.into_inner(),
            "chelsea-12mp.jpg",
            "4000×3000 JPEG (12 MP)",
        )
    } else {
        (shipped, "chelsea.png", "chelsea.png (451×300)")
    };

    let data = tempfile::tempdir()?;
    let database_url = std::env::var("BENCH_DATABASE_URL").ok();
    let redis_url = std::env::var("BENCH_REDIS_URL").ok();
    let ml_compute = std::env::var("BENCH_ML_COMPUTE").unwrap_or_else(|_| "cpu".into());
    let compute: server::config::MlCompute =
        serde_json::from_value(serde_json::Value::String(ml_compute.clone()))
            .unwrap_or_else(|e| panic!("BENCH_ML_COMPUTE={ml_compute}: {e}"));
    let parts = if database_url.is_some() {
        "PostgreSQL + Redis"
    } else {
        "embedded defaults"
    };
    let net = std::env::var("BENCH_ML_CUTOUT_NET").unwrap_or_else(|_| "u2netp".into());
    let cutout_net: server::config::MlCutoutNet =
        serde_json::from_value(serde_json::Value::String(net.clone()))
            .unwrap_or_else(|e| panic!("BENCH_ML_CUTOUT_NET={net}: {e}"));
    let parts = format!("{parts}, models on {ml_compute}, cut out with {net}");
    let pii_keys = database_url
        .is_some()
        .then(|| SecretString::from(server::infra::pii::KeyRing::generate_spec("bench")));
    let config = Config {
        site_addr: "127.0.0.1:0".parse()?,
        site_root: root.join("site"),
        data_dir: data.path().to_path_buf(),
        database_url: database_url.map(SecretString::from),
        redis_url: redis_url.map(SecretString::from),
        // One client makes every request: the per-address limits are out of the way.
        limits: server::config::Limits {
            uploads_per_hour: 10_000,
            api_per_minute: 1_000_000,
            ..Default::default()
        },
        // PostgreSQL needs the key ring set (a throwaway one for the run).
        security: server::config::Security { pii_keys },
        ml_compute: compute,
        ml_cutout_net: cutout_net,
        ..Config::default()
    };
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().cookie_store(true).build()?;

    let mut totals = Vec::with_capacity(runs);
    let mut uploads = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (upload, total) = journey(&client, &base, &photo, name).await?;
        uploads.push(upload);
        totals.push(total);
    }
    totals.sort();
    uploads.sort();
    println!("upload → game ready, {label}, 3 levels, {parts}, {runs} runs one after another:");
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

    // Several people at once: each has their own session.
    let started = Instant::now();
    let mut games = tokio::task::JoinSet::new();
    for _ in 0..at_once {
        let client = reqwest::Client::builder().cookie_store(true).build()?;
        let (base, photo) = (base.clone(), photo.clone());
        games.spawn(async move { journey(&client, &base, &photo, name).await });
    }
    let mut slowest = Duration::ZERO;
    while let Some(done) = games.join_next().await {
        slowest = slowest.max(done??.1);
    }
    let wall = started.elapsed();
    println!(
        "  {at_once} games at once: all ready in {wall:.1?} ({:.2} games/s; slowest {slowest:.1?})",
        at_once as f64 / wall.as_secs_f64()
    );
    println!("  peak RSS of the server process: {} MB", peak_rss_mb());
    Ok(())
}
