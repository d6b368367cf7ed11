//! `/metrics` in Prometheus' text format, with the seed's series. Counters live in this
//! process (Prometheus sums them across instances); the job queue's depth is read from the
//! database at scrape time, so every node reports the one shared queue.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::dto::PipelineStage;

use crate::store::JobState;

/// Upper bounds of the generation-time histogram, seconds.
const BUCKETS: [f64; 10] = [0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0];

#[derive(Default)]
pub struct Metrics {
    /// Responses by status code.
    requests: Mutex<BTreeMap<u16, u64>>,
    generated: AtomicU64,
    failed: AtomicU64,
    /// Games made, by the first bucket their time fits in (the last slot: over every bound).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    duration_sum_ms: AtomicU64,
}

impl Metrics {
    pub fn request(&self, status: u16) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry(status).or_default() += 1;
        }
    }

    /// A game made, queued to ready in `took`.
    pub fn game_generated(&self, took: Duration) {
        self.generated.fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.duration_sum_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn game_failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition, with the queue's depth per stage and state as read from the store.
    pub fn render(&self, depths: &[(PipelineStage, JobState, u64)]) -> String {
        let mut out = String::new();
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        out.push_str("# HELP http_requests_total HTTP responses sent, by status code.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for (status, count) in requests {
            let _ = writeln!(out, "http_requests_total{{status=\"{status}\"}} {count}");
        }

        out.push_str("# HELP games_generated_total Games made, by outcome.\n");
        out.push_str("# TYPE games_generated_total counter\n");
        let generated = self.generated.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "games_generated_total{{outcome=\"ready\"}} {generated}"
        );
        let failed = self.failed.load(Ordering::Relaxed);
        let _ = writeln!(out, "games_generated_total{{outcome=\"failed\"}} {failed}");

        out.push_str(
            "# HELP game_generation_duration_seconds Time from queueing a game to its being ready.\n",
        );
        out.push_str("# TYPE game_generation_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, slot) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += slot.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "game_generation_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "game_generation_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.duration_sum_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let _ = writeln!(out, "game_generation_duration_seconds_sum {sum}");
        let _ = writeln!(out, "game_generation_duration_seconds_count {cumulative}");

        out.push_str("# HELP pipeline_queue_depth Jobs waiting or running, by stage and state.\n");
        out.push_str("# TYPE pipeline_queue_depth gauge\n");
        for stage in PipelineStage::ALL {
            for state in [JobState::Queued, JobState::Running] {
                let depth = depths
                    .iter()
                    .find(|(s, st, _)| *s == stage && *st == state)
                    .map_or(0, |(_, _, n)| *n);
                let _ = writeln!(
                    out,
                    "pipeline_queue_depth{{stage=\"{}\",state=\"{}\"}} {depth}",
                    stage.as_str(),
                    state.as_str()
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.game_generated(Duration::from_millis(400));
        m.game_generated(Duration::from_millis(1500));
        m.game_generated(Duration::from_secs(500));
        m.game_failed();
        m.request(200);
        m.request(200);
        m.request(404);
        let text = m.render(&[(PipelineStage::Pixelize, JobState::Queued, 3)]);
        for line in [
            "http_requests_total{status=\"200\"} 2",
            "http_requests_total{status=\"404\"} 1",
            "games_generated_total{outcome=\"ready\"} 3",
            "games_generated_total{outcome=\"failed\"} 1",
            "game_generation_duration_seconds_bucket{le=\"0.5\"} 1",
            "game_generation_duration_seconds_bucket{le=\"2\"} 2",
            "game_generation_duration_seconds_bucket{le=\"120\"} 2",
            "game_generation_duration_seconds_bucket{le=\"+Inf\"} 3",
            "game_generation_duration_seconds_sum 501.9",
            "game_generation_duration_seconds_count 3",
            "pipeline_queue_depth{stage=\"pixelize\",state=\"queued\"} 3",
            "pipeline_queue_depth{stage=\"animate\",state=\"running\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
