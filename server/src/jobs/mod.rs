//! Durable work: workers claim items from queues in the database and run them. `petpixel
//! serve` runs a worker in-process by default; `petpixel worker` runs one alone, so a cluster
//! can split web nodes from (GPU) workers. Every process that shares the database shares the
//! queues.
//!
//! A claim is a lease with a random token. The worker renews it while the item runs and
//! records the outcome only while the token is still the item's (the store checks it in the
//! same statement), so a worker that stalls past its lease cannot apply work another worker
//! took over. A worker that dies holds nothing: its lease runs out and the item is claimed
//! again. Work is idempotent (same inputs, same blob keys and bytes), so running an item twice
//! is harmless; recording it twice is what the token prevents.
//!
//! Each queue ([`Queue`]) says how to claim, run and record its own items: the games'
//! pipeline stages (`games::pipeline`) and the studio's cut-outs and looks
//! (`studio::jobs`). A worker runs one queue with its own concurrency, so one kind of work
//! cannot take every slot from the other.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::clock::{backoff, millis, now_ms};
use crate::config;
use crate::infra::blobs::BlobError;
use crate::infra::db::StoreError;

/// How long a stopping worker lets its running items finish before leaving them to the lease.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Why work failed: `Rejected` is the input's fault and is told to its owner as is (and not
/// retried); anything else is ours, logged, retried, and told as a generic failure.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Internal(String),
}

impl StageError {
    /// What the owner reads when our side failed for good.
    pub const INTERNAL_REASON: &'static str =
        "an internal error stopped the pipeline; please try again";

    pub fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {e}"))
    }
}

/// A blob store failure is ours (retried), never the input's.
impl From<BlobError> for StageError {
    fn from(e: BlobError) -> Self {
        Self::internal("blob store", e)
    }
}

impl From<StoreError> for StageError {
    fn from(e: StoreError) -> Self {
        Self::internal("database", e)
    }
}

/// How a claimed item ended, as recorded.
#[derive(Debug)]
pub enum Outcome<D> {
    Done(D),
    /// The same item runs again at `run_at` (ms since the epoch) after a failure.
    RetryAt {
        run_at: i64,
        error: String,
    },
    /// The item cannot be done; `reason` is what its owner reads. `rejected`: the input's
    /// fault, so asking again cannot help; otherwise ours, given up after every attempt.
    Failed {
        reason: String,
        rejected: bool,
    },
}

/// One kind of durable work.
#[async_trait::async_trait]
pub trait Queue: Send + Sync + 'static {
    /// A claimed item, with its lease.
    type Claim: Clone + Send + Sync + 'static;
    /// What running an item produces.
    type Done: Send + Sync + 'static;

    /// Names the queue in logs.
    fn name(&self) -> &'static str;
    /// Claims of this item so far, this one included.
    fn attempts(claim: &Self::Claim) -> u32;
    /// Takes the oldest item that is due (queued and due, or running with an expired lease),
    /// leasing it to `worker` until `now_ms + lease_ms`. Concurrent claimants never get the
    /// same item.
    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<Self::Claim>, StoreError>;
    /// Keeps a claim alive; false when the lease was lost to another claim.
    async fn extend(&self, claim: &Self::Claim, until_ms: i64) -> Result<bool, StoreError>;
    /// How long the item may run.
    fn time_limit(&self, claim: &Self::Claim) -> Duration;
    async fn run(&self, claim: &Self::Claim) -> Result<Self::Done, StageError>;
    /// Records how the item ended, only while the claim's lease is the current one: false
    /// (and nothing written) when another claim took the item over.
    async fn record(
        &self,
        claim: &Self::Claim,
        outcome: &Outcome<Self::Done>,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// After an outcome was recorded: tell whoever follows the item.
    async fn recorded(&self, claim: &Self::Claim, outcome: &Outcome<Self::Done>);
}

/// Runs one queue's items, at most `concurrency` at once.
pub struct Worker<Q: Queue> {
    queue: Arc<Q>,
    settings: config::Jobs,
    concurrency: usize,
    /// Names this process in the queue's rows, for operators.
    name: String,
    /// Rung when an item is queued in this process, so the worker need not wait for its poll.
    wake: Arc<Notify>,
}

impl<Q: Queue> Worker<Q> {
    pub fn new(
        queue: Arc<Q>,
        settings: config::Jobs,
        concurrency: usize,
        wake: Arc<Notify>,
    ) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        Self {
            queue,
            settings,
            concurrency,
            name: format!("{host}:{}", std::process::id()),
            wake,
        }
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(self.settings.lease_secs)
    }

    /// Claims and runs items until `shutdown` completes.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tracing::info!(
            worker = self.name,
            queue = self.queue.name(),
            concurrency = self.concurrency,
            "worker started"
        );
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let poll = Duration::from_millis(self.settings.poll_ms);
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
                .queue
                .claim(&self.name, now_ms(), millis(self.lease()))
                .await
            {
                Ok(Some(claim)) => {
                    let this = Arc::clone(&self);
                    running.spawn(async move {
                        this.work(claim).await;
                        drop(permit);
                    });
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(queue = self.queue.name(), error = %e, "could not claim"),
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
            tracing::warn!("stopping with work unfinished: its leases will run out");
        }
        running.shutdown().await;
    }

    /// Runs one claimed item and records how it ended.
    #[tracing::instrument(skip_all, fields(queue = self.queue.name(), attempt = Q::attempts(&claim)))]
    async fn work(&self, claim: Q::Claim) {
        let attempts = Q::attempts(&claim);
        let result = if attempts > self.settings.max_attempts {
            // Earlier claims ended without a word: their worker died mid-item (killed, out of
            // memory). Running it again could take this worker down too.
            Err(StageError::Internal(format!(
                "claimed {} times without finishing",
                attempts - 1
            )))
        } else {
            self.run_within_limit(&claim).await
        };
        let now = now_ms();
        let outcome = match result {
            Ok(done) => Outcome::Done(done),
            Err(e) => self.after_failure(attempts, e, now),
        };
        match self.queue.record(&claim, &outcome, now).await {
            Ok(true) => self.queue.recorded(&claim, &outcome).await,
            Ok(false) => {
                tracing::warn!("the lease was taken over while the item ran: result dropped")
            }
            // The lease runs out and the item runs again; it is idempotent.
            Err(e) => tracing::error!(error = %e, "could not record the outcome"),
        }
        // The next stage (or another item) may be ready now.
        self.wake.notify_one();
    }

    /// Runs a claimed item within its time, renewing the lease meanwhile.
    async fn run_within_limit(&self, claim: &Q::Claim) -> Result<Q::Done, StageError> {
        let _heartbeat = AbortOnDrop(self.heartbeat(claim.clone()));
        let limit = self.queue.time_limit(claim);
        tokio::time::timeout(limit, self.queue.run(claim))
            .await
            .unwrap_or_else(|_| {
                Err(StageError::Internal(format!(
                    "the work took longer than {} ms",
                    limit.as_millis()
                )))
            })
    }

    /// A failure: the input's fault ends the item at once; ours is retried with backoff until
    /// the attempts run out.
    fn after_failure(&self, attempts: u32, error: StageError, now: i64) -> Outcome<Q::Done> {
        match error {
            StageError::Rejected(reason) => Outcome::Failed {
                reason,
                rejected: true,
            },
            StageError::Internal(detail) if attempts >= self.settings.max_attempts => {
                tracing::error!(detail, "failed for the last time");
                Outcome::Failed {
                    reason: StageError::INTERNAL_REASON.to_owned(),
                    rejected: false,
                }
            }
            StageError::Internal(detail) => {
                let wait = backoff(self.settings.backoff_ms, attempts);
                tracing::warn!(detail, retry_in_ms = millis(wait), "failed; retrying");
                Outcome::RetryAt {
                    run_at: now.saturating_add(millis(wait)),
                    error: detail,
                }
            }
        }
    }

    /// Renews the lease every third of its length while the item runs.
    fn heartbeat(&self, claim: Q::Claim) -> tokio::task::JoinHandle<()> {
        let queue = Arc::clone(&self.queue);
        let lease = self.lease();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(lease / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                match queue
                    .extend(&claim, now_ms().saturating_add(millis(lease)))
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(queue = queue.name(), "lease lost to another worker");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew a lease"),
                }
            }
        })
    }
}

/// Stops a spawned task when dropped, so an item cancelled mid-way (the worker shutting down)
/// does not leave its heartbeat renewing a lease nobody holds.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
