//! Who to tell is personal data (design document §6.2): an address or a browser's push
//! subscription (its endpoint names the device to the push service) is sealed before it is
//! stored and opened only by the sender about to use it. The same target sent twice is
//! recognised by its blind index, never by its value.
//!
//! [`Outbox`] is the notifications store as the use cases see it: plain targets in, plain
//! targets out, sealed in between.

use std::sync::Arc;

use uuid::Uuid;

use super::store::{
    ClaimedNotification, NotificationAdded, NotificationStore, SealedTarget, StoredTarget,
};
use crate::infra::db::StoreError;
use crate::infra::pii::{KeyRing, PiiError};

/// The column sealed values belong to (bound in as associated data).
const CONTEXT: &str = "notifications.target";

/// A message claimed for sending, its target opened.
#[derive(Debug)]
pub struct Due {
    pub message: ClaimedNotification,
    /// The address or subscription; an error when it no longer opens (sealed by a key that
    /// has left the ring, or damaged), which no retry can mend.
    pub target: Result<String, PiiError>,
}

#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn NotificationStore>,
    keys: Arc<KeyRing>,
}

impl Outbox {
    pub fn new(store: Arc<dyn NotificationStore>, keys: Arc<KeyRing>) -> Self {
        Self { store, keys }
    }

    pub fn store(&self) -> &dyn NotificationStore {
        self.store.as_ref()
    }

    /// `plain` sealed for channel `channel`, with its blind index.
    pub fn seal(&self, channel: &str, plain: &str) -> SealedTarget {
        SealedTarget {
            sealed: self.keys.seal(plain, CONTEXT),
            index: self.keys.blind_index(&index_input(channel, plain)),
        }
    }

    /// What a stored target says.
    pub fn open(&self, target: &StoredTarget) -> Result<String, PiiError> {
        match target {
            StoredTarget::Sealed(t) => self.keys.open(&t.sealed, CONTEXT),
            StoredTarget::Legacy(plain) => Ok(plain.clone()),
        }
    }

    /// Adds someone to tell when the game is ready: see [`NotificationStore::add`]. A target
    /// indexed under an older key is not recognised until `rotate-keys` has run: at worst it
    /// is stored twice and told twice.
    pub async fn add(
        &self,
        game_id: Uuid,
        channel: &str,
        plain: &str,
        max: u32,
        now_ms: i64,
    ) -> Result<NotificationAdded, StoreError> {
        let target = self.seal(channel, plain);
        self.store.add(game_id, channel, &target, max, now_ms).await
    }

    /// The oldest due message, leased until `now_ms + lease_ms`, with its target opened.
    pub async fn claim(&self, now_ms: i64, lease_ms: i64) -> Result<Option<Due>, StoreError> {
        let claimed = self.store.claim(now_ms, lease_ms).await?;
        Ok(claimed.map(|message| Due {
            target: self.open(&message.target),
            message,
        }))
    }

    /// Seals every target not yet sealed under the current key, and indexes it under that
    /// key (`petpixel admin rotate-keys`); rows written before targets were sealed are sealed
    /// now. Returns how many were.
    pub async fn reseal_all(&self) -> Result<u64, ResealError> {
        const PAGE: u32 = 500;
        let mut after = None;
        let mut resealed = 0;
        loop {
            let page = self.store.targets_page(after, PAGE).await?;
            for (id, channel, target) in &page {
                let plain = self.open(target)?;
                let current = matches!(target, StoredTarget::Sealed(t)
                    if !self.keys.is_stale(&t.sealed)
                        && t.index == self.keys.blind_index(&index_input(channel, &plain)));
                if current {
                    continue;
                }
                self.store
                    .reseal_target(*id, target.stored(), &self.seal(channel, &plain))
                    .await?;
                resealed += 1;
            }
            match page.last() {
                Some((last, _, _)) if page.len() == PAGE as usize => after = Some(*last),
                _ => return Ok(resealed),
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a notification's target: {0}")]
    Open(#[from] PiiError),
}

/// What the blind index is taken of: the channel is part of it, and the prefix keeps it
/// apart from the accounts' email index made with the same key, so the two cannot be joined.
fn index_input(channel: &str, plain: &str) -> String {
    format!("notifications/{channel}/{plain}")
}
