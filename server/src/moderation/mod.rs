//! Moderation: what owners publish waits in a queue until a moderator approves it (listed in
//! the gallery) or rejects it (with a reason its owner reads); a listed game can be featured,
//! or taken down. Anyone holding a game's link may report it: the report waits in the same
//! queue, where a moderator keeps the game or takes it down. Every action is recorded with
//! who, when and why.

pub mod routes;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;

use app::dto::{
    ModerationDecision, ModerationItem, ModerationQueue, ReportReceived, ReportRequest,
};
use app::error::AppError;
use app::port::Visitor;
use bytes::Bytes;
use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use crate::accounts::SignedIn;
use crate::accounts::roles::Permission;
use crate::gallery::card;
use crate::games::Games;
use crate::infra::limits::Quota;
use crate::photos::Photos;
use crate::urls;
use store::{Decision, ModerationStore, NewReport};

/// Items the queue shows at once, oldest first.
pub const QUEUE_LIMIT: u32 = 50;
/// Characters of a moderator's reason.
pub const MAX_REASON_CHARS: usize = 500;

pub struct Moderation {
    store: Arc<dyn ModerationStore>,
    games: Arc<Games>,
    photos: Arc<Photos>,
    /// Reports of one game one visitor, and one client address, may send in an hour.
    reports: Quota,
}

impl Moderation {
    pub fn new(
        store: Arc<dyn ModerationStore>,
        games: Arc<Games>,
        photos: Arc<Photos>,
        reports: Quota,
    ) -> Self {
        Self {
            store,
            games,
            photos,
            reports,
        }
    }

    /// The owner's photo a waiting game was made from (its preview), for the moderator
    /// judging it beside the cut-out and the sprite.
    pub async fn photo(&self, caller: Option<&SignedIn>, item: &str) -> Result<Bytes, AppError> {
        moderator(caller)?;
        let item = Uuid::parse_str(item).map_err(|_| AppError::NotFound)?;
        let photo = self
            .store
            .waiting_photo(item)
            .await?
            .ok_or(AppError::NotFound)?;
        self.photos.preview_for_moderation(photo).await
    }

    /// Asks the moderators to look at a game anyone holding its link can play.
    pub async fn report(
        &self,
        visitor: &Visitor,
        caller: Option<&SignedIn>,
        client: Option<IpAddr>,
        code: &str,
        request: ReportRequest,
    ) -> Result<ReportReceived, AppError> {
        let note = match request.note.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(note) => Some(text(note, "note")?),
        };
        let game = self.games.public(code, client).await?;
        // Counted per game, as plays are: one person cannot flood the queue about a game.
        let parties: Vec<String> = crate::infra::limits::parties(visitor, client)
            .into_iter()
            .map(|party| format!("{}:{party}", game.short_code))
            .collect();
        self.reports.spend(&parties).await?;
        let item = Uuid::new_v4();
        self.store
            .report(&NewReport {
                item,
                game: game.id,
                reason: request.reason,
                note: note.as_deref(),
                reporter: caller.map(|c| c.id),
                now: now(),
            })
            .await?;
        Ok(ReportReceived { id: item })
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
                        note: queued.note.clone(),
                        created_at: crate::billing::rfc3339(queued.created_at),
                        game: card(&queued.game),
                        cutout: has(|a| a.cutout.is_some())
                            .then(|| urls::game_public_file(code, "cutout.png")),
                        sprite: has(|a| a.sprite.is_some())
                            .then(|| urls::game_public_file(code, "sprite.png")),
                        photo: queued.photo.map(|_| urls::moderation_photo(queued.item)),
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
    text(&reason, "reason")
}

/// Plain text someone else reads (a reason, a report's note): at most [`MAX_REASON_CHARS`],
/// line breaks but no other control characters.
fn text(text: &str, field: &str) -> Result<String, AppError> {
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_REASON_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(field, "no control characters"));
    }
    Ok(text.to_owned())
}

/// Times the gallery pages by are kept to microseconds, what its cursors carry.
fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
