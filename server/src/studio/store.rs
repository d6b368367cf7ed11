//! The studio's durable queue (`studio_jobs`): one row per photo and piece of work — its
//! cut-out, a look's sprite, a look's animation — so however many requests ask for the same
//! work at once, it is queued once and made once, by whichever worker claims it.

use uuid::Uuid;

use domain::StudioState;

use super::Work;
use crate::infra::db::{Db, Id, StoreError, each_engine, parse_named, to_u32};

/// A studio job's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudioJob {
    pub id: Uuid,
    pub image_id: Uuid,
    pub work: Work,
    pub state: StudioState,
    pub attempts: u32,
    /// What the owner reads when it failed.
    pub failure: Option<String>,
    /// Whether it failed for the photo's reason (final), not ours (asked again, it runs again).
    pub rejected: bool,
}

/// A studio job a worker holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedWork {
    pub id: Uuid,
    pub image_id: Uuid,
    pub work: Work,
    /// This claim included.
    pub attempts: u32,
    pub token: String,
}

/// How a claimed studio job ended.
#[derive(Clone, Copy, Debug)]
pub enum WorkOutcome<'a> {
    Done,
    RetryAt {
        run_at: i64,
        error: &'a str,
    },
    /// `rejected`: the photo's fault, final; otherwise ours, and asking again queues it again.
    Failed {
        reason: &'a str,
        rejected: bool,
    },
}

#[async_trait::async_trait]
pub trait StudioStore: Send + Sync + 'static {
    /// The job for `work` on `image_id`, queued now unless it exists; a job that failed on
    /// our side (not the photo's) is queued again. The bool says whether this call queued it.
    async fn request(
        &self,
        image_id: Uuid,
        work: &Work,
        now_ms: i64,
    ) -> Result<(StudioJob, bool), StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<StudioJob>, StoreError>;
    async fn find(&self, image_id: Uuid, work: &Work) -> Result<Option<StudioJob>, StoreError>;
    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedWork>, StoreError>;
    async fn extend(&self, claim: &ClaimedWork, until_ms: i64) -> Result<bool, StoreError>;
    async fn complete(
        &self,
        claim: &ClaimedWork,
        outcome: WorkOutcome<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Id,
    image_id: Id,
    work: String,
    state: String,
    attempts: i32,
    failure: Option<String>,
    rejected: bool,
}

impl TryFrom<JobRow> for StudioJob {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id.into(),
            image_id: row.image_id.into(),
            work: Work::parse(&row.work)
                .ok_or_else(|| StoreError::corrupt("studio work", &row.work))?,
            state: parse_named(&row.state)?,
            attempts: to_u32(row.attempts.into(), "attempts")?,
            failure: row.failure,
            rejected: row.rejected,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: Id,
    image_id: Id,
    work: String,
    attempts: i32,
}

mod sql {
    /// Queues the work unless it exists; a job that failed on our side is queued again.
    pub const REQUEST: &str = "INSERT INTO studio_jobs (id, image_id, work, state, attempts, \
        run_at, rejected, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, FALSE, \
        $4, $4) ON CONFLICT (image_id, work) DO UPDATE SET state = 'queued', attempts = 0, \
        run_at = excluded.run_at, failure = NULL, last_error = NULL, \
        updated_at = excluded.updated_at \
        WHERE studio_jobs.state = 'failed' AND studio_jobs.rejected = FALSE";
    pub const FIND: &str = "SELECT id, image_id, work, state, attempts, failure, rejected \
        FROM studio_jobs WHERE image_id = $1 AND work = $2";
    pub const GET: &str = "SELECT id, image_id, work, state, attempts, failure, rejected \
        FROM studio_jobs WHERE id = $1";
    pub const SQLITE_CLAIM: &str = "UPDATE studio_jobs SET state = 'running', \
        attempts = attempts + 1, lease_token = $1, lease_until = $3, worker = $4, \
        updated_at = $2 WHERE id = (SELECT id FROM studio_jobs \
        WHERE (state = 'queued' AND run_at <= $2) OR (state = 'running' AND lease_until < $2) \
        ORDER BY run_at LIMIT 1) RETURNING id, image_id, work, attempts";
    /// Rows locked by another claimant are skipped, not waited for.
    pub const POSTGRES_CLAIM: &str = "UPDATE studio_jobs SET state = 'running', \
        attempts = attempts + 1, lease_token = $1, lease_until = $3, worker = $4, \
        updated_at = $2 WHERE id = (SELECT id FROM studio_jobs \
        WHERE (state = 'queued' AND run_at <= $2) OR (state = 'running' AND lease_until < $2) \
        ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, image_id, work, attempts";
    pub const EXTEND: &str = "UPDATE studio_jobs SET lease_until = $1 \
        WHERE id = $2 AND lease_token = $3 AND state = 'running'";
    pub const DONE: &str = "UPDATE studio_jobs SET state = 'done', lease_token = NULL, \
        lease_until = NULL, last_error = NULL, updated_at = $1 \
        WHERE id = $2 AND lease_token = $3 AND state = 'running'";
    pub const POSTPONE: &str = "UPDATE studio_jobs SET state = 'queued', run_at = $1, \
        last_error = $2, lease_token = NULL, lease_until = NULL, updated_at = $3 \
        WHERE id = $4 AND lease_token = $5 AND state = 'running'";
    pub const FAIL: &str = "UPDATE studio_jobs SET state = 'failed', failure = $1, \
        rejected = $2, lease_token = NULL, lease_until = NULL, updated_at = $3 \
        WHERE id = $4 AND lease_token = $5 AND state = 'running'";
}

#[async_trait::async_trait]
impl StudioStore for Db {
    async fn request(
        &self,
        image_id: Uuid,
        work: &Work,
        now_ms: i64,
    ) -> Result<(StudioJob, bool), StoreError> {
        let slug = work.to_string();
        let queued = each_engine!(self, pool => sqlx::query(sql::REQUEST)
            .bind(Id(Uuid::new_v4()))
            .bind(Id(image_id))
            .bind(&slug)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        let job = self
            .find(image_id, work)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("studio job {slug} vanished")))?;
        Ok((job, queued > 0))
    }

    async fn get(&self, id: Uuid) -> Result<Option<StudioJob>, StoreError> {
        let row: Option<JobRow> = each_engine!(self, pool => sqlx::query_as(sql::GET)
            .bind(Id(id))
            .fetch_optional(pool)
            .await?);
        row.map(StudioJob::try_from).transpose()
    }

    async fn find(&self, image_id: Uuid, work: &Work) -> Result<Option<StudioJob>, StoreError> {
        let row: Option<JobRow> = each_engine!(self, pool => sqlx::query_as(sql::FIND)
            .bind(Id(image_id))
            .bind(work.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(StudioJob::try_from).transpose()
    }

    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedWork>, StoreError> {
        let token = Uuid::new_v4().to_string();
        let until = now_ms.saturating_add(lease_ms);
        let claim = self.pick(sql::SQLITE_CLAIM, sql::POSTGRES_CLAIM);
        let row: Option<ClaimRow> = each_engine!(self, pool => sqlx::query_as(claim)
            .bind(&token)
            .bind(now_ms)
            .bind(until)
            .bind(worker)
            .fetch_optional(pool)
            .await?);
        row.map(|r| {
            Ok(ClaimedWork {
                id: r.id.into(),
                image_id: r.image_id.into(),
                work: Work::parse(&r.work)
                    .ok_or_else(|| StoreError::corrupt("studio work", &r.work))?,
                attempts: to_u32(r.attempts.into(), "attempts")?,
                token: token.clone(),
            })
        })
        .transpose()
    }

    async fn extend(&self, claim: &ClaimedWork, until_ms: i64) -> Result<bool, StoreError> {
        let extended = each_engine!(self, pool => sqlx::query(sql::EXTEND)
            .bind(until_ms)
            .bind(Id(claim.id))
            .bind(&claim.token)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(extended == 1)
    }

    async fn complete(
        &self,
        claim: &ClaimedWork,
        outcome: WorkOutcome<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let recorded = each_engine!(self, pool => match outcome {
            WorkOutcome::Done => sqlx::query(sql::DONE).bind(now_ms),
            WorkOutcome::RetryAt { run_at, error } => sqlx::query(sql::POSTPONE)
                .bind(run_at)
                .bind(error)
                .bind(now_ms),
            WorkOutcome::Failed { reason, rejected } => sqlx::query(sql::FAIL)
                .bind(reason)
                .bind(rejected)
                .bind(now_ms),
        }
        .bind(Id(claim.id))
        .bind(&claim.token)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(recorded == 1)
    }
}
