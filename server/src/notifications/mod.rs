//! "Your game is ready", by email or Web Push: who to tell is recorded with the game or when a
//! device subscribes (web side); a sender beside each worker delivers due messages from the
//! outbox (`sender`).

pub mod push;
pub mod routes;
pub mod sender;
pub mod store;

use std::sync::Arc;

use app::dto::{GameStatus, PushSubscribed, PushSubscriptionJson};
use app::error::AppError;
use app::port::Visitor;

use crate::clock::now_ms;
use crate::config;
use crate::error::internal;
use crate::games::Games;
use push::{Target, VapidKey};
use store::{NotificationAdded, NotificationStore};

pub struct Notifications {
    store: Arc<dyn NotificationStore>,
    games: Arc<Games>,
    /// Signs Web Push messages; its public half is what browsers subscribe with.
    vapid: VapidKey,
    push: config::Push,
}

impl Notifications {
    pub fn new(
        store: Arc<dyn NotificationStore>,
        games: Arc<Games>,
        vapid: VapidKey,
        push: config::Push,
    ) -> Self {
        Self {
            store,
            games,
            vapid,
            push,
        }
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
            .store
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
