//! The sender of "your game is ready" messages from the `notifications` outbox, by email or
//! Web Push. A message is written with its game (or when a device subscribes) and is due once
//! its game is ready; this sender, running beside each job worker, claims due messages
//! (leased, so a crashed sender's message is sent by another), sends them and records the
//! outcome, retrying with backoff what may succeed later.
//!
//! Emails leave through the [`Mailer`] (SMTP, or the embedded default's outbox folder); pushes
//! go to the push service the browser subscribed with (`push.rs`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::push::{PushMessage, Pusher, VapidKey};
use super::sealed::{Due, Outbox};
use super::store::ClaimedNotification;
use crate::clock::{backoff, millis, now_ms};
use crate::config::Config;
use crate::games::store::{GameRecord, GameStore};
use crate::infra::mail::Mailer;
pub use crate::infra::mail::SendFailed;
use crate::urls::{self, PublicUrl};

/// A send holds its message this long before another sender may try it.
const LEASE: Duration = Duration::from_secs(60);
/// The first retry waits this long (ms), doubling each time up to the job queue's cap.
const BACKOFF_MS: u64 = 5_000;

pub struct Notifier {
    outbox: Outbox,
    games: Arc<dyn GameStore>,
    mailer: Arc<Mailer>,
    pusher: Pusher,
    public_url: PublicUrl,
    max_email_attempts: u32,
    max_push_attempts: u32,
    poll: Duration,
    /// Rung by the worker when a game is ready, so its message leaves without waiting to poll.
    wake: Arc<Notify>,
}

impl Notifier {
    /// `public_url` is the base of the links in messages; `vapid` signs pushes.
    pub fn new(
        config: &Config,
        public_url: PublicUrl,
        vapid: VapidKey,
        mailer: Arc<Mailer>,
        outbox: Outbox,
        games: Arc<dyn GameStore>,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        // Apple refuses a contact on a `.localhost` domain (the embedded default's sender),
        // so the site's own https address is preferred when there is one.
        let subject = match &config.push.subject {
            Some(subject) => subject.clone(),
            None if public_url.as_str().starts_with("https://") => public_url.as_str().to_owned(),
            None => format!("mailto:{}", mailer.from().email),
        };
        Ok(Self {
            outbox,
            games,
            mailer,
            pusher: Pusher::new(vapid, subject, config.push.clone())?,
            public_url,
            max_email_attempts: config.email.max_attempts,
            max_push_attempts: config.push.max_attempts,
            poll: Duration::from_millis(config.jobs.poll_ms),
            wake,
        })
    }

    /// Sends due messages until `shutdown` completes.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.outbox.claim(now_ms(), millis(LEASE)).await {
                Ok(Some(message)) => {
                    self.deliver(message).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "could not claim a notification"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
                () = &mut shutdown => break,
            }
        }
    }

    #[tracing::instrument(skip_all, fields(id = %due.message.id, game_id = %due.message.game_id))]
    async fn deliver(&self, due: Due) {
        let claimed = due.message;
        let (outcome, max_attempts) = match (claimed.channel.as_str(), due.target) {
            (_, Err(e)) => (Err(SendFailed::permanent(e.to_string())), 1),
            ("email", Ok(to)) => (self.email(&claimed, &to).await, self.max_email_attempts),
            ("push", Ok(to)) => (self.push(&claimed, &to).await, self.max_push_attempts),
            (other, Ok(_)) => (
                Err(SendFailed::permanent(format!("no channel {other:?}"))),
                1,
            ),
        };
        let store = self.outbox.store();
        let recorded = match outcome {
            Ok(()) => store.sent(claimed.id, now_ms()).await,
            Err(failed) => {
                let retry_at = (!failed.permanent && claimed.attempts < max_attempts).then(|| {
                    now_ms().saturating_add(millis(backoff(BACKOFF_MS, claimed.attempts)))
                });
                tracing::warn!(
                    error = failed.message,
                    channel = claimed.channel,
                    retry = retry_at.is_some(),
                    "could not send a notification"
                );
                store.failed(claimed.id, &failed.message, retry_at).await
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the message is tried again.
            tracing::error!(error = %e, "could not record a notification's outcome");
        }
    }

    async fn game(&self, claimed: &ClaimedNotification) -> Result<GameRecord, SendFailed> {
        self.games
            .get(claimed.game_id)
            .await
            .map_err(|e| SendFailed::transient(e.to_string()))?
            .ok_or_else(|| SendFailed::permanent("the game is gone"))
    }

    async fn email(&self, claimed: &ClaimedNotification, to: &str) -> Result<(), SendFailed> {
        let game = self.game(claimed).await?;
        let link = self.public_url.absolute(&urls::play_page(&game.short_code));
        let body = format!(
            "Hello!\n\n{title} is ready to play:\n\n    {link}\n\n\
             Share the link, embed the game on a page, or download it to play offline.\n\n\
             PetPixel Games\n",
            title = game.title,
        );
        let subject = format!("{}'s game is ready to play", game.pet_name);
        self.mailer.send_text(to, &subject, body).await
    }

    async fn push(&self, claimed: &ClaimedNotification, to: &str) -> Result<(), SendFailed> {
        let game = self.game(claimed).await?;
        let code = &game.short_code;
        let message = PushMessage {
            title: format!("{}'s game is ready", game.pet_name),
            body: format!("{} is ready to play. Tap to start.", game.title),
            url: self.public_url.absolute(&urls::play_page(code)),
            icon: self
                .public_url
                .absolute(&urls::game_public_file(code, "sprite.png")),
            tag: format!("game-{code}"),
        };
        self.pusher.send(to, &message).await
    }
}
