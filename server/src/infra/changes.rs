//! "This changed" notices, from whoever moved a game or a studio job along (a worker, a
//! retry) or applied a payment to an account (Stripe's webhook, the sweep) to everyone
//! following it (progress streams, requests waiting for a cut-out, payments pages). A notice
//! carries only an id: followers read the thing itself from the store, which stays the one
//! source of truth, so a lost or repeated notice costs nothing but a moment's delay or one
//! extra read.
//!
//! On one node the notices go through an in-process broadcast; with Redis they go through a
//! pub/sub channel that every node subscribes to, so a stream on node A sees the work a worker
//! on node B does.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Notices buffered per listener; a listener that falls further behind re-reads what it
/// follows.
const BUFFER: usize = 256;
/// How long a dropped subscription waits before connecting again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Game(Uuid),
    Studio(Uuid),
    /// An account's payments, subscription or credits.
    Account(Uuid),
}

impl Change {
    fn encode(self) -> String {
        match self {
            Self::Game(id) => format!("game:{id}"),
            Self::Studio(id) => format!("studio:{id}"),
            Self::Account(id) => format!("account:{id}"),
        }
    }

    fn decode(message: &str) -> Option<Self> {
        let (kind, id) = message.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "game" => Some(Self::Game(id)),
            "studio" => Some(Self::Studio(id)),
            "account" => Some(Self::Account(id)),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Changes {
    local: broadcast::Sender<Change>,
    redis: Option<Redis>,
}

#[derive(Clone)]
struct Redis {
    publisher: ConnectionManager,
    channel: Arc<str>,
}

impl Changes {
    /// Notices within this process only.
    pub fn local() -> Self {
        Self {
            local: broadcast::channel(BUFFER).0,
            redis: None,
        }
    }

    /// Notices across every process subscribed to `{prefix}changes` on Redis. Spawns the
    /// subscription, which reconnects by itself if Redis goes away.
    pub fn redis(client: redis::Client, publisher: ConnectionManager, prefix: &str) -> Self {
        let channel: Arc<str> = format!("{prefix}changes").into();
        let local = broadcast::channel(BUFFER).0;
        tokio::spawn(forward(client, Arc::clone(&channel), local.clone()));
        Self {
            local,
            redis: Some(Redis { publisher, channel }),
        }
    }

    /// Tells every follower that game `id` changed.
    pub async fn game(&self, id: Uuid) {
        self.send(Change::Game(id)).await;
    }

    /// Tells every follower that studio job `id` changed.
    pub async fn studio(&self, id: Uuid) {
        self.send(Change::Studio(id)).await;
    }

    /// Tells every follower that account `id`'s payments changed.
    pub async fn account(&self, id: Uuid) {
        self.send(Change::Account(id)).await;
    }

    /// Best effort: followers also re-read on their own from time to time.
    async fn send(&self, change: Change) {
        match &self.redis {
            // Our own subscription delivers it back to this process too.
            Some(redis) => {
                let mut conn = redis.publisher.clone();
                let sent: redis::RedisResult<i64> =
                    conn.publish(&*redis.channel, change.encode()).await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "could not publish a change");
                    let _ = self.local.send(change);
                }
            }
            None => {
                let _ = self.local.send(change);
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.local.subscribe()
    }
}

/// Copies the Redis channel into the local broadcast, for as long as the process lives.
async fn forward(client: redis::Client, channel: Arc<str>, local: broadcast::Sender<Change>) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&*channel).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let change = message
                            .get_payload::<String>()
                            .ok()
                            .and_then(|s| Change::decode(&s));
                        if let Some(change) = change {
                            let _ = local.send(change);
                        }
                    }
                    tracing::warn!("change subscription ended; subscribing again");
                }
                Err(e) => tracing::warn!(error = %e, "could not subscribe to changes"),
            },
            Err(e) => tracing::warn!(error = %e, "could not connect for changes"),
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_their_wire_form_and_odd_messages_are_dropped() {
        let id = Uuid::new_v4();
        for change in [Change::Game(id), Change::Studio(id), Change::Account(id)] {
            assert_eq!(Change::decode(&change.encode()), Some(change));
        }
        for odd in [
            "",
            "game",
            "game:x",
            "photo:00000000-0000-0000-0000-000000000000",
        ] {
            assert_eq!(Change::decode(odd), None, "{odd}");
        }
    }
}
