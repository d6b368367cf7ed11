//! The worker: claims game stages from the durable job table and runs them. `petpixel serve`
//! runs one in-process by default; `petpixel worker` runs one alone, so a cluster can split web
//! nodes from (GPU) workers. Every process that shares the database shares the queue.
//!
//! A claim is a lease with a random token. The worker renews it while the stage runs and
//! records the outcome only while the token is still the job's (the store checks it in the same
//! statement), so a worker that stalls past its lease cannot apply a stage that another worker
//! took over. A worker that dies holds nothing: its lease runs out and the stage is claimed
//! again. Stages are idempotent (same inputs, same blob keys and bytes), so running one twice
//! is harmless; recording it twice is what the token prevents.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::config;
use crate::events::GameEvents;
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, PipelineError, StageDone};
use crate::store::{ClaimedJob, JobOutcome, Store};

/// The longest a retry waits, however many attempts came before.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a stopping worker lets its running stages finish before leaving them to the lease.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Milliseconds since the epoch, the job table's clock.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub struct Worker {
    store: Arc<dyn Store>,
    pipeline: Arc<Pipeline>,
    config: config::Jobs,
    /// Names this process in the job table, for operators.
    name: String,
    /// Rung when a job is queued in this process, so the worker need not wait for its poll.
    wake: Arc<Notify>,
    /// Told after every recorded outcome, for the progress streams.
    events: GameEvents,
    metrics: Arc<Metrics>,
    /// Rung when a game is ready: its messages are due.
    notifications_due: Arc<Notify>,
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        pipeline: Arc<Pipeline>,
        config: config::Jobs,
        wake: Arc<Notify>,
        events: GameEvents,
        metrics: Arc<Metrics>,
        notifications_due: Arc<Notify>,
    ) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        Self {
            store,
            pipeline,
            config,
            name: format!("{host}:{}", std::process::id()),
            wake,
            events,
            metrics,
            notifications_due,
        }
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(self.config.lease_secs)
    }

    /// Claims and runs jobs until `shutdown` completes.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tracing::info!(
            worker = self.name,
            concurrency = self.config.concurrency,
            "worker started"
        );
        let permits = Arc::new(Semaphore::new(self.config.concurrency));
        let poll = Duration::from_millis(self.config.poll_ms);
        let mut running = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while running.try_join_next().is_some() {}
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            match self
                .store
                .claim_job(&self.name, now_ms(), millis(self.lease()))
                .await
            {
                Ok(Some(job)) => {
                    let this = Arc::clone(&self);
                    running.spawn(async move {
                        this.work(job).await;
                        drop(permit);
                    });
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "could not claim a job"),
            }
            drop(permit);
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
                () = &mut shutdown => break,
            }
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, async {
            while running.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            tracing::warn!("stopping with stages unfinished: their leases will run out");
        }
        running.shutdown().await;
    }

    /// Runs one claimed stage and records how it ended.
    #[tracing::instrument(skip_all, fields(game_id = %job.game_id, stage = job.stage.as_str(), attempt = job.attempts))]
    async fn work(&self, job: ClaimedJob) {
        let result = if job.attempts > self.config.max_attempts {
            // Earlier claims ended without a word: their worker died mid-stage (killed, out of
            // memory). Running the stage again could take this worker down too.
            Err(PipelineError::Internal(format!(
                "claimed {} times without finishing",
                job.attempts - 1
            )))
        } else {
            self.run_stage(&job).await
        };

        let now = now_ms();
        let mut finished = None;
        let recorded = match &result {
            Ok(StageDone::Next { next, assets }) => {
                self.store
                    .complete_job(
                        &job,
                        JobOutcome::Advance {
                            next: *next,
                            assets,
                        },
                        now,
                    )
                    .await
            }
            Ok(StageDone::Finished(assets)) => {
                let duration_ms = now.saturating_sub(job.queued_at).max(0);
                tracing::info!(duration_ms, "game ready");
                finished = Some(Ok(duration_ms));
                self.store
                    .complete_job(
                        &job,
                        JobOutcome::Finished {
                            assets,
                            duration_ms,
                        },
                        now,
                    )
                    .await
            }
            Err(e) => {
                let outcome = self.after_failure(&job, e, now);
                if matches!(outcome, JobOutcome::Failed { .. }) {
                    finished = Some(Err(()));
                }
                self.store.complete_job(&job, outcome, now).await
            }
        };
        match recorded {
            Ok(true) => {
                match finished {
                    Some(Ok(ms)) => {
                        self.metrics
                            .game_generated(Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
                        self.notifications_due.notify_one();
                    }
                    Some(Err(())) => self.metrics.game_failed(),
                    None => {}
                }
                self.events.changed(job.game_id).await;
            }
            Ok(false) => {
                tracing::warn!("the lease was taken over while the stage ran: result dropped")
            }
            // The lease runs out and the stage runs again; it is idempotent.
            Err(e) => tracing::error!(error = %e, "could not record the stage's outcome"),
        }
        // The next stage (or another job) may be ready now.
        self.wake.notify_one();
    }

    /// Runs a claimed stage within its time, renewing the lease meanwhile.
    async fn run_stage(&self, job: &ClaimedJob) -> Result<StageDone, PipelineError> {
        let _heartbeat = AbortOnDrop(self.heartbeat(job.clone()));
        let limit = self.config.timeouts_ms.of(job.stage);
        tokio::time::timeout(limit, self.pipeline.run_stage(job.game_id, job.stage))
            .await
            .unwrap_or_else(|_| {
                Err(PipelineError::Internal(format!(
                    "the stage took longer than {} ms",
                    limit.as_millis()
                )))
            })
    }

    /// A failed stage: the photo's fault ends the game at once; ours is retried with backoff
    /// until the attempts run out.
    fn after_failure<'a>(
        &self,
        job: &ClaimedJob,
        error: &'a PipelineError,
        now: i64,
    ) -> JobOutcome<'a> {
        match error {
            PipelineError::Rejected(reason) => JobOutcome::Failed { reason },
            PipelineError::Internal(detail) if job.attempts >= self.config.max_attempts => {
                tracing::error!(detail, "stage failed for the last time");
                JobOutcome::Failed {
                    reason: PipelineError::INTERNAL_REASON,
                }
            }
            PipelineError::Internal(detail) => {
                let wait = backoff(self.config.backoff_ms, job.attempts);
                tracing::warn!(detail, retry_in_ms = millis(wait), "stage failed; retrying");
                JobOutcome::RetryAt {
                    run_at: now.saturating_add(millis(wait)),
                    error: detail,
                }
            }
        }
    }

    /// Renews the lease every third of its length while the stage runs.
    fn heartbeat(&self, job: ClaimedJob) -> tokio::task::JoinHandle<()> {
        let store = Arc::clone(&self.store);
        let lease = self.lease();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(lease / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                match store
                    .extend_lease(&job, now_ms().saturating_add(millis(lease)))
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(game_id = %job.game_id, "lease lost to another worker");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew a lease"),
                }
            }
        })
    }
}

/// Stops a spawned task when dropped, so a stage cancelled mid-way (the worker shutting down)
/// does not leave its heartbeat renewing a lease nobody holds.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `base`, doubled for each attempt after the first, capped at [`MAX_BACKOFF`].
pub(crate) fn backoff(base_ms: u64, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    Duration::from_millis(base_ms.saturating_mul(1 << doublings)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped() {
        assert_eq!(backoff(1000, 1), Duration::from_secs(1));
        assert_eq!(backoff(1000, 2), Duration::from_secs(2));
        assert_eq!(backoff(1000, 3), Duration::from_secs(4));
        assert_eq!(backoff(1000, 40), MAX_BACKOFF);
        assert_eq!(backoff(u64::MAX, 3), MAX_BACKOFF);
    }
}
