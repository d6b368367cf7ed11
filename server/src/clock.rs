//! Time as the durable queues count it: milliseconds since the epoch, passed into every store
//! call, so both engines compare plain integers and tests can name the moment.

use std::time::Duration;

use chrono::Utc;

/// The longest a retry waits, however many attempts came before.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
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
