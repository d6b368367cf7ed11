//! "This game changed" notices, from whoever moved a game along (a worker, a retry) to every
//! open progress stream. A notice carries only the game's id: streams read the game itself from
//! the store, which stays the one source of truth, so a lost or repeated notice costs nothing
//! but a moment's delay or one extra read.
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

/// Notices buffered per listener; a listener that falls further behind re-reads its game.
const BUFFER: usize = 256;
/// How long a dropped subscription waits before connecting again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct GameEvents {
    local: broadcast::Sender<Uuid>,
    redis: Option<Redis>,
}

#[derive(Clone)]
struct Redis {
    publisher: ConnectionManager,
    channel: Arc<str>,
}

impl GameEvents {
    /// Notices within this process only.
    pub fn local() -> Self {
        Self {
            local: broadcast::channel(BUFFER).0,
            redis: None,
        }
    }

    /// Notices across every process subscribed to `{prefix}game-events` on Redis. Spawns the
    /// subscription, which reconnects by itself if Redis goes away.
    pub fn redis(client: redis::Client, publisher: ConnectionManager, prefix: &str) -> Self {
        let channel: Arc<str> = format!("{prefix}game-events").into();
        let local = broadcast::channel(BUFFER).0;
        tokio::spawn(forward(client, Arc::clone(&channel), local.clone()));
        Self {
            local,
            redis: Some(Redis { publisher, channel }),
        }
    }

    /// Tells every stream that `game_id` changed. Best effort: streams also catch up when they
    /// (re)connect.
    pub async fn changed(&self, game_id: Uuid) {
        match &self.redis {
            // Our own subscription delivers it back to this process too.
            Some(redis) => {
                let mut conn = redis.publisher.clone();
                let sent: redis::RedisResult<i64> =
                    conn.publish(&*redis.channel, game_id.to_string()).await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "could not publish a game event");
                    let _ = self.local.send(game_id);
                }
            }
            None => {
                let _ = self.local.send(game_id);
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.local.subscribe()
    }
}

/// Copies the Redis channel into the local broadcast, for as long as the process lives.
async fn forward(client: redis::Client, channel: Arc<str>, local: broadcast::Sender<Uuid>) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&*channel).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let id = message
                            .get_payload::<String>()
                            .ok()
                            .and_then(|s| Uuid::parse_str(&s).ok());
                        if let Some(id) = id {
                            let _ = local.send(id);
                        }
                    }
                    tracing::warn!("game event subscription ended; subscribing again");
                }
                Err(e) => tracing::warn!(error = %e, "could not subscribe to game events"),
            },
            Err(e) => tracing::warn!(error = %e, "could not connect for game events"),
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}
