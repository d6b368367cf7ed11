//! "Your game is ready", by email or Web Push: who to tell is recorded with the game or when a
//! device subscribes (web side); a sender beside each worker delivers due messages from the
//! outbox (`sender`).
//!
//! We are no open relay: an email goes only to an address shown to be the asker's — their
//! account's confirmed address — or to one whose owner followed the link we sent it first
//! (double opt-in). That first mail carries nothing the asker wrote, and every address gets
//! at most a few of them an hour, whoever asks ([`LinkMail::within_limits`]).

pub mod push;
pub mod routes;
pub mod sealed;
pub mod sender;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;

use app::dto::{GameStatus, PushSubscribed, PushSubscriptionJson};
use app::error::AppError;
use app::port::Visitor;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::accounts::{Accounts, SignedIn, spent_link};
use crate::clock::now_ms;
use crate::config;
use crate::error::internal;
use crate::games::Games;
use crate::infra::links::{Letter, LinkMail, Purpose};
use push::{Target, VapidKey};
use sealed::Outbox;
use store::{EmailNotice, NotificationAdded};

pub struct Notifications {
    outbox: Outbox,
    games: Arc<Games>,
    accounts: Arc<Accounts>,
    mail: Arc<LinkMail>,
    /// Signs Web Push messages; its public half is what browsers subscribe with.
    vapid: VapidKey,
    push: config::Push,
    /// Rung when a message may have become due, so this process's sender need not poll.
    due: Arc<Notify>,
}

impl Notifications {
    pub fn new(
        outbox: Outbox,
        games: Arc<Games>,
        accounts: Arc<Accounts>,
        mail: Arc<LinkMail>,
        vapid: VapidKey,
        push: config::Push,
        due: Arc<Notify>,
    ) -> Self {
        Self {
            outbox,
            games,
            accounts,
            mail,
            vapid,
            push,
            due,
        }
    }

    /// What becomes of a game's "email me when it is ready": sent to the caller's own
    /// confirmed address as asked; to any other only once its owner consents, by the link
    /// mailed here and now. Blank is none; a malformed address is refused, and so is one
    /// that has had its share of confirmation mails.
    pub async fn email_notice(
        &self,
        caller: Option<&SignedIn>,
        requested: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Option<EmailNotice>, AppError> {
        let Some(address) = parse_email(requested)? else {
            return Ok(None);
        };
        let id = Uuid::new_v4();
        if let Some(caller) = caller {
            let account = self.accounts.get(caller.id).await?;
            if account.is_some_and(|a| a.verified && a.email.as_str() == address) {
                return Ok(Some(EmailNotice {
                    id,
                    target: self.outbox.seal("email", &address),
                    confirmed: true,
                }));
            }
        }
        self.mail.within_limits(&address, client).await?;
        self.mail
            .send(
                Purpose::ConfirmNotification,
                id,
                &address,
                Letter {
                    subject: "Confirm your email for PetPixel Games",
                    before: "Someone asked PetPixel Games to email this address when their \
                             pet's game is ready. To get that email, open this link and press \
                             \"Yes, email me\":",
                    after: "If it was not you, ignore this email: without your confirmation \
                            we will not write to you about it again.",
                },
            )
            .await?;
        Ok(Some(EmailNotice {
            id,
            target: self.outbox.seal("email", &address),
            confirmed: false,
        }))
    }

    /// The address's owner followed the link: its game's email is sent once the game is
    /// ready (at once if it is).
    pub async fn confirm_email(&self, secret: &str) -> Result<(), AppError> {
        let id = self
            .mail
            .links()
            .redeem(Purpose::ConfirmNotification, secret)
            .await?
            .ok_or_else(spent_link)?;
        if !self.outbox.store().confirm(id).await? {
            // The game was deleted meanwhile: there is nothing left to tell.
            return Err(spent_link());
        }
        self.due.notify_one();
        Ok(())
    }

    /// The key browsers subscribe with (`applicationServerKey`): our VAPID public key,
    /// base64url.
    pub fn push_key(&self) -> String {
        self.vapid.public_base64()
    }

    /// Tells this device by Web Push when the visitor's game is ready.
    pub async fn subscribe_push(
        &self,
        visitor: &Visitor,
        game_id: &str,
        subscription: PushSubscriptionJson,
    ) -> Result<PushSubscribed, AppError> {
        Target::parse(&subscription, &self.push)
            .map_err(|refused| AppError::invalid(refused.field, refused.message))?;
        let game = self.games.owned(visitor, game_id).await?;
        // Stored in a canonical form, so the same subscription sent twice is one row.
        let target = serde_json::to_string(&subscription).map_err(|e| internal("push", e))?;
        let added = self
            .outbox
            .add(game.id, "push", &target, self.push.max_per_game, now_ms())
            .await?;
        let game_ready = game.status == GameStatus::Ready;
        match added {
            NotificationAdded::Added => Ok(PushSubscribed {
                new: true,
                game_ready,
            }),
            NotificationAdded::AlreadyThere => Ok(PushSubscribed {
                new: false,
                game_ready,
            }),
            NotificationAdded::TooMany => Err(AppError::invalid(
                "endpoint",
                format!(
                    "this game already notifies {} devices, the most it may",
                    self.push.max_per_game
                ),
            )),
            NotificationAdded::NoGame => Err(AppError::NotFound),
        }
    }
}

/// An optional address to tell when the game is ready; blank means none. Lower-cased, as
/// accounts keep theirs.
fn parse_email(email: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let valid = email.len() <= 254 && email.parse::<lettre::Address>().is_ok();
    if !valid {
        return Err(AppError::invalid(
            "notify_email",
            "enter an email address such as name@example.com, or leave it empty",
        ));
    }
    Ok(Some(email.to_lowercase()))
}
