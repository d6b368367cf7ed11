//! Caps on long-lived answers (a game's progress, the payments page's history): each holds a
//! connection and re-reads the database every few seconds, so one node keeps at most
//! `limits.streams_total` open, one client address at most `limits.streams_per_address`, and
//! each ends after `limits.stream_lifetime_secs`. The browser's `EventSource` reconnects by
//! itself (with `Last-Event-ID`, so nothing is sent twice), and a reconnect is counted again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use app::error::AppError;
use futures_util::Stream;
use tokio::time::Sleep;

use super::client_ip::limit_key;

/// The node's open streams, counted per client address and in all.
pub struct StreamSlots {
    open: Mutex<Open>,
    per_address: u32,
    total: u32,
    lifetime: Duration,
}

#[derive(Default)]
struct Open {
    total: u32,
    by_address: HashMap<String, u32>,
}

impl StreamSlots {
    pub fn new(per_address: u32, total: u32, lifetime: Duration) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::default(),
            per_address,
            total,
            lifetime,
        })
    }

    /// A slot for one more stream from `client`: `429` when that address has its share
    /// open, `503` when the node has as many as it keeps. Both say when to try again.
    pub fn take(self: &Arc<Self>, client: Option<IpAddr>) -> Result<StreamSlot, AppError> {
        let address = client.map(limit_key).unwrap_or_default();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.total {
            return Err(AppError::Unavailable(
                "too many live updates are open on this server; the page will try again".into(),
            ));
        }
        let mine = open.by_address.entry(address.clone()).or_default();
        if *mine >= self.per_address {
            return Err(AppError::RateLimited {
                retry_after_secs: 5,
            });
        }
        *mine += 1;
        open.total += 1;
        Ok(StreamSlot {
            slots: Arc::clone(self),
            address,
        })
    }

    /// `stream`, holding `slot` while it runs and ending once the lifetime is up.
    pub fn bounded<S: Stream + Unpin>(&self, slot: StreamSlot, stream: S) -> Bounded<S> {
        Bounded {
            inner: stream,
            ends: Box::pin(tokio::time::sleep(self.lifetime)),
            _slot: slot,
        }
    }

    /// Streams open now, from everyone.
    pub fn open(&self) -> u32 {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

/// One open stream's place; given back when dropped (the stream ended or the client left).
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    address: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(mine) = open.by_address.get_mut(&self.address) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// A stream that ends at its lifetime, holding its slot until then.
pub struct Bounded<S> {
    inner: S,
    ends: Pin<Box<Sleep>>,
    _slot: StreamSlot,
}

impl<S: Stream + Unpin> Stream for Bounded<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        if self.ends.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;

    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn each_address_has_its_share_and_the_node_its_total() {
        let slots = StreamSlots::new(2, 3, Duration::from_secs(60));
        let a1 = slots.take(ip("203.0.113.1")).expect("first");
        let _a2 = slots.take(ip("203.0.113.1")).expect("second");
        assert!(matches!(
            slots.take(ip("203.0.113.1")),
            Err(AppError::RateLimited { .. })
        ));
        let _b1 = slots.take(ip("203.0.113.2")).expect("another address");
        assert!(matches!(
            slots.take(ip("203.0.113.3")),
            Err(AppError::Unavailable(_))
        ));
        assert_eq!(slots.open(), 3);
        // A stream that ends gives its place back.
        drop(a1);
        assert_eq!(slots.open(), 2);
        let _c1 = slots.take(ip("203.0.113.3")).expect("room again");
    }

    #[tokio::test]
    async fn a_stream_ends_at_its_lifetime_and_frees_its_slot() {
        let slots = StreamSlots::new(1, 10, Duration::from_millis(300));
        let slot = slots.take(ip("198.51.100.7")).expect("slot");
        // A source that never ends by itself.
        let mut stream = slots.bounded(slot, futures_util::stream::pending::<u8>());
        let started = std::time::Instant::now();
        assert_eq!(stream.next().await, None);
        let lived = started.elapsed();
        assert!(lived >= Duration::from_millis(300), "{lived:?}");
        drop(stream);
        assert_eq!(slots.open(), 0);
    }
}
