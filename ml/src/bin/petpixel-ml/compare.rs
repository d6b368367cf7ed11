//! `petpixel-ml compare`: our background removal against rembg's on the same photos, in one
//! run. `scripts/bench-ml.sh` runs rembg first (`ml/bench/rembg_peer.py`), which leaves its
//! masks and timings in PEERDIR; this reads them and measures ours the same way.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::GrayImage;
use ml::Pipeline;

use crate::{Failure, read_photo};

/// Warm runs per photo, as the peer script does.
const WARM_RUNS: usize = 5;
/// rembg's mask goal: intersection over union at least this.
const IOU_GOAL: f64 = 0.97;

/// One photo's figures from the peer script's JSON lines.
struct Peer {
    warm: Duration,
    cold: Duration,
    rss_mib: f64,
    mask: GrayImage,
}

pub fn compare(pipeline: &Pipeline, peer_dir: &Path, photos: &[String]) -> Result<(), Failure> {
    let lines = std::fs::read_to_string(peer_dir.join("rembg.jsonl")).map_err(|e| {
        Failure::Failed(format!(
            "cannot read {}/rembg.jsonl: {e}",
            peer_dir.display()
        ))
    })?;
    println!(
        "{:<22} {:>11} {:>10} {:>10} {:>8} {:>8}",
        "photo", "size", "ours", "rembg", "ours/rembg", "IoU"
    );
    let mut ratios = Vec::new();
    for photo in photos {
        let path = PathBuf::from(photo);
        let peer = peer_figures(&lines, peer_dir, &path)?;
        let image = read_photo(&path)?;
        let cutout = pipeline
            .remove_background(&image)
            .map_err(|e| Failure::Failed(format!("{photo}: {e}")))?;
        let mut times: Vec<Duration> = (0..WARM_RUNS)
            .map(|_| {
                let started = Instant::now();
                let _ = pipeline.remove_background(&image);
                started.elapsed()
            })
            .collect();
        times.sort();
        let ours = times[WARM_RUNS / 2];
        let iou = ml::mask_iou(&cutout.mask, &peer.mask);
        let ratio = ours.as_secs_f64() / peer.warm.as_secs_f64();
        ratios.push(ratio);
        let name = path
            .file_name()
            .map_or(photo.clone(), |n| n.to_string_lossy().into());
        println!(
            "{:<22} {:>11} {:>8.3} s {:>8.3} s {:>9.2}× {:>8.4}{}",
            name,
            format!("{}×{}", image.width(), image.height()),
            ours.as_secs_f64(),
            peer.warm.as_secs_f64(),
            ratio,
            iou,
            if iou >= IOU_GOAL {
                ""
            } else {
                "  (below the 0.97 goal)"
            }
        );
        println!(
            "{:<22} rembg cold (load + first) {:.3} s, rembg peak RSS {:.0} MiB",
            "",
            peer.cold.as_secs_f64(),
            peer.rss_mib
        );
    }
    if !ratios.is_empty() {
        ratios.sort_by(f64::total_cmp);
        println!(
            "background removal, ours / rembg warm: median {:.2}× (goal ≤ 1.00×)",
            ratios[ratios.len() / 2]
        );
    }
    Ok(())
}

fn peer_figures(lines: &str, peer_dir: &Path, photo: &Path) -> Result<Peer, Failure> {
    let wanted = photo.to_string_lossy();
    let record: serde_json::Value = lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| v["photo"].as_str() == Some(&wanted))
        .ok_or_else(|| Failure::Failed(format!("rembg has no figures for {wanted}")))?;
    let seconds = |key: &str| {
        record[key]
            .as_f64()
            .map(Duration::from_secs_f64)
            .ok_or_else(|| Failure::Failed(format!("rembg's {key} for {wanted} is missing")))
    };
    let stem = photo
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mask_path = peer_dir.join(format!("{stem}.rembg.png"));
    let mask = image::open(&mask_path)
        .map_err(|e| Failure::Failed(format!("cannot read {}: {e}", mask_path.display())))?
        .to_luma8();
    Ok(Peer {
        warm: seconds("warm_median_s")?,
        cold: seconds("cold_s")?,
        rss_mib: record["peak_rss_mib"].as_f64().unwrap_or(f64::NAN),
        mask,
    })
}
