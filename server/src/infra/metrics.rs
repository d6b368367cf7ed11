//! `/metrics` in Prometheus' text format, with the seed's series. Responses are counted in
//! this process (Prometheus sums them across instances); the game counters, the generation
//! time histogram and the job queue's depth are read from the database at scrape time, so
//! every node — a web node, a worker, the two sharing one SQLite file — reports the same
//! shared truth, however the deployment is split.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use domain::PipelineStage;

use crate::billing::store::PaymentTallies;
use crate::games::store::{DURATION_BUCKETS_MS, JobState, Outcomes};

/// This process's responses, by status code, and the webhook deliveries it refused.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<u16, u64>>,
    webhook_failures: Mutex<BTreeMap<&'static str, u64>>,
    page_events: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn request(&self, status: u16) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry(status).or_default() += 1;
        }
    }

    /// A Stripe webhook delivery refused or not applied, by why (`signature`, `unreadable`,
    /// `store`, `off`).
    pub fn webhook_failure(&self, reason: &'static str) {
        if let Ok(mut failures) = self.webhook_failures.lock() {
            *failures.entry(reason).or_default() += 1;
        }
    }

    /// Page events received, by what became of them (`counted`, `robot`, `dropped`: the
    /// writer's queue was full, `failed`: the database refused them).
    pub fn page_events(&self, outcome: &'static str, n: u64) {
        if let Ok(mut events) = self.page_events.lock() {
            *events.entry(outcome).or_default() += n;
        }
    }

    /// The exposition: this process's responses, and the games and queue as read from the
    /// store.
    pub fn render(
        &self,
        outcomes: &Outcomes,
        depths: &[(PipelineStage, JobState, u64)],
        payments: &PaymentTallies,
    ) -> String {
        let mut out = String::new();
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        out.push_str("# HELP http_requests_total HTTP responses sent, by status code.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for (status, count) in requests {
            let _ = writeln!(out, "http_requests_total{{status=\"{status}\"}} {count}");
        }

        out.push_str("# HELP games_generated_total Games made, by outcome.\n");
        out.push_str("# TYPE games_generated_total counter\n");
        let _ = writeln!(
            out,
            "games_generated_total{{outcome=\"ready\"}} {}",
            outcomes.ready
        );
        let _ = writeln!(
            out,
            "games_generated_total{{outcome=\"failed\"}} {}",
            outcomes.failed
        );

        out.push_str(
            "# HELP game_generation_duration_seconds Time from queueing a game to its being ready.\n",
        );
        out.push_str("# TYPE game_generation_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, count) in DURATION_BUCKETS_MS.iter().zip(&outcomes.ready_by_duration) {
            cumulative += count;
            let _ = writeln!(
                out,
                "game_generation_duration_seconds_bucket{{le=\"{}\"}} {cumulative}",
                *bound as f64 / 1000.0
            );
        }
        cumulative += outcomes.ready_by_duration[DURATION_BUCKETS_MS.len()];
        let _ = writeln!(
            out,
            "game_generation_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = outcomes.ready_duration_sum_ms as f64 / 1000.0;
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

        let counters = [
            (
                "payments_attempted_total",
                "Payments asked of Stripe (orders with a payment intent or a subscription invoice).",
                payments.attempted,
            ),
            (
                "payments_successful_total",
                "Payments Stripe confirmed (refunded ones included).",
                payments.successful,
            ),
            ("refunds_total", "Refunds Stripe made.", payments.refunds),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {value}");
        }
        let failures = self
            .webhook_failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default();
        out.push_str(
            "# HELP webhook_failures_total Stripe webhook deliveries refused or not applied, by reason.\n",
        );
        out.push_str("# TYPE webhook_failures_total counter\n");
        for reason in ["signature", "unreadable", "store", "off"] {
            let count = failures.get(reason).copied().unwrap_or(0);
            let _ = writeln!(out, "webhook_failures_total{{reason=\"{reason}\"}} {count}");
        }
        let events = self
            .page_events
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default();
        out.push_str(
            "# HELP page_events_total Events games' pages sent (views, completions, shares), by outcome.\n",
        );
        out.push_str("# TYPE page_events_total counter\n");
        for outcome in ["counted", "robot", "dropped", "failed"] {
            let count = events.get(outcome).copied().unwrap_or(0);
            let _ = writeln!(out, "page_events_total{{outcome=\"{outcome}\"}} {count}");
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
        m.request(200);
        m.request(200);
        m.request(404);
        let mut outcomes = Outcomes {
            ready: 3,
            failed: 1,
            ready_duration_sum_ms: 501_900,
            ..Outcomes::default()
        };
        outcomes.ready_by_duration[0] = 1; // 0.4 s
        outcomes.ready_by_duration[2] = 1; // 1.5 s
        outcomes.ready_by_duration[DURATION_BUCKETS_MS.len()] = 1; // 500 s
        m.webhook_failure("signature");
        let payments = PaymentTallies {
            attempted: 4,
            successful: 3,
            refunds: 1,
        };
        let text = m.render(
            &outcomes,
            &[(PipelineStage::Pixelize, JobState::Queued, 3)],
            &payments,
        );
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
            "payments_attempted_total 4",
            "payments_successful_total 3",
            "refunds_total 1",
            "webhook_failures_total{reason=\"signature\"} 1",
            "webhook_failures_total{reason=\"store\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
