//! The one writer of page events in a process: requests hand it their events and wait for
//! the commit, and it writes whatever has gathered meanwhile as one transaction (a group
//! commit). A quiet site writes each batch at once; a busy one writes hundreds of requests'
//! events per statement, so the database sees a few writes a second however many pages are
//! open. Past `QUEUE` waiting requests, events are dropped (and counted) rather than
//! piling up in memory: they are a tally, not someone's data.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::store::{AnalyticsStore, NewEvent};
use crate::infra::db::StoreError;

/// Requests that may wait for the writer at once.
const QUEUE: usize = 4096;
/// Events written in one transaction at most.
const MOST_PER_WRITE: usize = 2000;

struct Pending {
    events: Vec<NewEvent>,
    written: oneshot::Sender<Result<(), Arc<StoreError>>>,
}

/// Why events were not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("too many events are waiting to be written")]
    Busy,
    #[error("the events writer has stopped")]
    Stopped,
    #[error("writing events: {0}")]
    Store(Arc<StoreError>),
}

#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Pending>,
}

impl Writer {
    /// Starts the writer task; it ends once every `Writer` is dropped and the queue is drained.
    pub fn start(store: Arc<dyn AnalyticsStore>) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(store, waiting));
        Self { queue }
    }

    /// Writes `events`, together with whatever else is waiting; returns once committed.
    pub async fn write(&self, events: Vec<NewEvent>) -> Result<(), WriteError> {
        if events.is_empty() {
            return Ok(());
        }
        let (written, done) = oneshot::channel();
        match self.queue.try_send(Pending { events, written }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return Err(WriteError::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(WriteError::Stopped),
        }
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(WriteError::Store(e)),
            Err(_) => Err(WriteError::Stopped),
        }
    }
}

async fn write_batches(store: Arc<dyn AnalyticsStore>, mut waiting: mpsc::Receiver<Pending>) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        let mut events = batch[0].events.len();
        while events < MOST_PER_WRITE {
            match waiting.try_recv() {
                Ok(more) => {
                    events += more.events.len();
                    batch.push(more);
                }
                Err(_) => break,
            }
        }
        let all: Vec<NewEvent> = batch
            .iter()
            .flat_map(|p| p.events.iter().copied())
            .collect();
        let outcome = store.record(&all).await.map_err(Arc::new);
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, events = all.len(), "could not write page events");
        }
        for pending in batch {
            // A request that gave up waiting no longer listens.
            let _ = pending.written.send(outcome.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::analytics::store::{DayCount, Totals, Upkept};

    /// Keeps what it is given, in memory; each `record` waits until let go, so requests
    /// gather behind a write in progress.
    struct Held {
        entered: AtomicUsize,
        writes: Mutex<Vec<usize>>,
        gate: tokio::sync::Semaphore,
    }

    #[async_trait::async_trait]
    impl AnalyticsStore for Held {
        async fn record(&self, events: &[NewEvent]) -> Result<(), StoreError> {
            self.entered.fetch_add(1, Ordering::SeqCst);
            let permit = self.gate.acquire().await.expect("open");
            permit.forget();
            self.writes.lock().expect("lock").push(events.len());
            Ok(())
        }
        async fn totals(&self, _: Uuid) -> Result<Option<Totals>, StoreError> {
            Ok(None)
        }
        async fn days(&self, _: Uuid, _: DateTime<Utc>) -> Result<Vec<DayCount>, StoreError> {
            Ok(Vec::new())
        }
        async fn upkeep(&self, _: DateTime<Utc>, _: u32) -> Result<Upkept, StoreError> {
            Ok(Upkept::default())
        }
    }

    #[tokio::test]
    async fn requests_waiting_behind_a_write_are_written_together() {
        let store = Arc::new(Held {
            entered: AtomicUsize::new(0),
            writes: Mutex::new(Vec::new()),
            gate: tokio::sync::Semaphore::new(0),
        });
        let writer = Writer::start(Arc::clone(&store) as Arc<dyn AnalyticsStore>);
        let event = NewEvent {
            game: Uuid::new_v4(),
            kind: "view",
            at: Utc::now(),
        };
        // The first request's write starts and is held; ten more gather meanwhile.
        let first = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(vec![event]).await }
        });
        while store.entered.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let rest: Vec<_> = (0..10)
            .map(|_| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(vec![event, event]).await })
            })
            .collect();
        while writer.queue.capacity() > QUEUE - 10 {
            tokio::task::yield_now().await;
        }
        store.gate.add_permits(2);
        first.await.expect("task").expect("written");
        for request in rest {
            request.await.expect("task").expect("written");
        }
        assert_eq!(*store.writes.lock().expect("lock"), vec![1, 20]);
    }
}
