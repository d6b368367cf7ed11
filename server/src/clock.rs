//! Time as the durable queues count it: milliseconds since the epoch, passed into every store
//! call, so both engines compare plain integers and tests can name the moment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest a retry waits, however many attempts came before.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The time as a capability sees it: the system's, or one a test sets (a subscription's
/// renewal across a month boundary, a webhook signature's age).
#[derive(Clone)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands at `start` until moved with [`Clock::set`].
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(Mutex::new(start))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now(),
            Some(t) => *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock (a system clock ignores it).
    pub fn set(&self, to: DateTime<Utc>) {
        if let Some(t) = &self.0 {
            *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
        }
    }
}

/// A duration in milliseconds, saturating.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `base`, doubled for each attempt after the first, capped at [`MAX_BACKOFF`].
pub fn backoff(base_ms: u64, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    Duration::from_millis(base_ms.saturating_mul(1 << doublings)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped() {
        assert_eq!(backoff(1000, 1), Duration::from_secs(1));
        assert_eq!(backoff(1000, 2), Duration::from_secs(2));
        assert_eq!(backoff(1000, 3), Duration::from_secs(4));
        assert_eq!(backoff(1000, 40), MAX_BACKOFF);
        assert_eq!(backoff(u64::MAX, 3), MAX_BACKOFF);
    }
}
