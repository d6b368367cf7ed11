//! Moderation: what owners publish waits in a queue until a moderator approves it (listed in
//! the gallery) or rejects it (with a reason its owner reads); a listed game can be featured,
//! or taken down. Every action is recorded with who, when and why.

pub mod routes;
pub mod store;

use std::sync::Arc;

use app::dto::{ModerationDecision, ModerationItem, ModerationQueue};
use app::error::AppError;
use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use crate::accounts::SignedIn;
use crate::accounts::roles::Permission;
use crate::gallery::card;
use crate::urls;
use store::{Decision, ModerationStore};

/// Items the queue shows at once, oldest first.
pub const QUEUE_LIMIT: u32 = 50;
/// Characters of a moderator's reason.
pub const MAX_REASON_CHARS: usize = 500;

pub struct Moderation {
    store: Arc<dyn ModerationStore>,
}

impl Moderation {
    pub fn new(store: Arc<dyn ModerationStore>) -> Self {
        Self { store }
    }

    /// What waits for a moderator, with the pictures to judge it by.
    pub async fn queue(&self, caller: Option<&SignedIn>) -> Result<ModerationQueue, AppError> {
        moderator(caller)?;
        let items = self.store.queue(QUEUE_LIMIT).await?;
        Ok(ModerationQueue {
            items: items
                .iter()
                .map(|queued| {
                    let code = &queued.game.short_code;
                    let has = |pick: fn(&crate::games::store::GameAssets) -> bool| {
                        queued.game.assets.as_ref().is_some_and(pick)
                    };
                    ModerationItem {
                        id: queued.item,
                        game_id: queued.game.id,
                        reason: queued.reason.clone(),
                        created_at: crate::billing::rfc3339(queued.created_at),
                        game: card(&queued.game),
                        cutout: has(|a| a.cutout.is_some())
                            .then(|| urls::game_public_file(code, "cutout.png")),
                        sprite: has(|a| a.sprite.is_some())
                            .then(|| urls::game_public_file(code, "sprite.png")),
                    }
                })
                .collect(),
        })
    }

    /// Lists a waiting game in the gallery from now.
    pub async fn approve(&self, caller: Option<&SignedIn>, item: &str) -> Result<(), AppError> {
        let moderator = moderator(caller)?;
        self.decide(item, Decision::Approve, moderator, None).await
    }

    /// Turns a waiting game down; its owner reads `reason`.
    pub async fn reject(
        &self,
        caller: Option<&SignedIn>,
        item: &str,
        decision: ModerationDecision,
    ) -> Result<(), AppError> {
        let moderator = moderator(caller)?;
        let reason = reason(decision)?;
        self.decide(item, Decision::Reject, moderator, Some(&reason))
            .await
    }

    async fn decide(
        &self,
        item: &str,
        decision: Decision,
        moderator: Uuid,
        reason: Option<&str>,
    ) -> Result<(), AppError> {
        let item = Uuid::parse_str(item).map_err(|_| AppError::NotFound)?;
        self.store
            .decide(item, decision, moderator, reason, now())
            .await?
            .map(|_| ())
            .ok_or(AppError::NotFound)
    }

    /// Takes a listed game down: out of the gallery and search, its embed a notice.
    pub async fn hide(
        &self,
        caller: Option<&SignedIn>,
        game: &str,
        decision: ModerationDecision,
    ) -> Result<(), AppError> {
        let moderator = moderator(caller)?;
        let reason = reason(decision)?;
        let game = Uuid::parse_str(game).map_err(|_| AppError::NotFound)?;
        if self.store.hide(game, moderator, &reason, now()).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Shows a listed game among the featured (or stops).
    pub async fn feature(
        &self,
        caller: Option<&SignedIn>,
        game: &str,
        featured: bool,
    ) -> Result<(), AppError> {
        let moderator = moderator(caller)?;
        let game = Uuid::parse_str(game).map_err(|_| AppError::NotFound)?;
        if self.store.feature(game, featured, moderator, now()).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

/// The signed-in moderator (or admin) asking; 401 without an account, 403 for anyone else.
fn moderator(caller: Option<&SignedIn>) -> Result<Uuid, AppError> {
    let caller = caller.ok_or_else(|| AppError::Unauthorized("log in to moderate".into()))?;
    caller.require(Permission::Moderate)?;
    Ok(caller.id)
}

/// A reason an owner will read: required, plain, at most [`MAX_REASON_CHARS`].
fn reason(decision: ModerationDecision) -> Result<String, AppError> {
    let reason = decision.reason.unwrap_or_default().trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "say why: the owner reads it"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(
            "reason",
            format!("at most {MAX_REASON_CHARS} characters"),
        ));
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid("reason", "no control characters"));
    }
    Ok(reason)
}

/// Times the gallery pages by are kept to microseconds, what its cursors carry.
fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
