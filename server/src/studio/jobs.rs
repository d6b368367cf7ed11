//! The studio's work as a durable queue: cut-outs, sprites and animations, claimed by
//! workers, made once (`work::StudioWork`) and announced to whoever waits for them.

use std::sync::Arc;
use std::time::Duration;

use super::Work;
use super::store::{ClaimedWork, StudioStore, WorkOutcome};
use super::work::StudioWork;
use crate::infra::changes::Changes;
use crate::infra::db::StoreError;
use crate::jobs::{Outcome, Queue, StageError};
use crate::photos::PhotoStore;

pub struct StudioQueue {
    pub store: Arc<dyn StudioStore>,
    pub photos: Arc<dyn PhotoStore>,
    pub work: StudioWork,
    /// The longest one piece of work may take.
    pub time_limit: Duration,
    pub changes: Changes,
}

#[async_trait::async_trait]
impl Queue for StudioQueue {
    type Claim = ClaimedWork;
    type Done = ();

    fn name(&self) -> &'static str {
        "studio"
    }

    fn attempts(claim: &ClaimedWork) -> u32 {
        claim.attempts
    }

    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedWork>, StoreError> {
        self.store.claim(worker, now_ms, lease_ms).await
    }

    async fn extend(&self, claim: &ClaimedWork, until_ms: i64) -> Result<bool, StoreError> {
        self.store.extend(claim, until_ms).await
    }

    fn time_limit(&self, _claim: &ClaimedWork) -> Duration {
        self.time_limit
    }

    #[tracing::instrument(skip_all, fields(image_id = %claim.image_id, work = %claim.work))]
    async fn run(&self, claim: &ClaimedWork) -> Result<(), StageError> {
        let image = self
            .photos
            .get(claim.image_id)
            .await?
            .ok_or_else(|| StageError::Rejected("the photo was deleted".into()))?;
        match claim.work {
            Work::Cutout => {
                self.work.cutout(image.id, &image.original_key).await?;
            }
            Work::Sprite(look) => {
                self.work
                    .sprite(image.id, &image.original_key, look)
                    .await?;
            }
            Work::Animation(look) => {
                self.work
                    .animation(image.id, &image.original_key, look)
                    .await?;
            }
        }
        Ok(())
    }

    async fn record(
        &self,
        claim: &ClaimedWork,
        outcome: &Outcome<()>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let outcome = match outcome {
            Outcome::Done(()) => WorkOutcome::Done,
            Outcome::RetryAt { run_at, error } => WorkOutcome::RetryAt {
                run_at: *run_at,
                error,
            },
            Outcome::Failed { reason, rejected } => WorkOutcome::Failed {
                reason,
                rejected: *rejected,
            },
        };
        self.store.complete(claim, outcome, now_ms).await
    }

    async fn recorded(&self, claim: &ClaimedWork, _outcome: &Outcome<()>) {
        self.changes.studio(claim.id).await;
    }
}
