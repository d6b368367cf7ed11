//! Guessing game codes: a code is the only key to a link-only game, so an address that asks
//! for codes that do not exist again and again is stopped (`limits.code_misses_per_hour`).
//! Each miss is counted in the shared limiter (every node together); once an address has
//! missed that often, every lookup by code from it — found or not — is refused (`429`) until
//! its hour is over. Codes are ten characters of 31 (about 8 × 10¹⁴), so a person who
//! mistypes a link never meets the limit; a script enumerating them meets it at once.
//!
//! Every game file is looked up by its code, so reading the shared count on each lookup
//! would put a Redis round trip on the players' hot path. Each node remembers the addresses
//! that missed on it within the hour and reads the shared count only for those: a player who
//! never mistyped costs nothing, and a guesser's misses reach every node behind a balancer.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::error::AppError;

use crate::http::client_ip::limit_key;
use crate::infra::limits::{Decision, HOUR, RateLimiter};

pub struct CodeGuesses {
    limiter: Arc<dyn RateLimiter>,
    misses_per_hour: u32,
    /// Addresses that missed on this node, and when last.
    missed_here: Mutex<HashMap<IpAddr, Instant>>,
}

impl CodeGuesses {
    pub fn new(limiter: Arc<dyn RateLimiter>, misses_per_hour: u32) -> Self {
        Self {
            limiter,
            misses_per_hour,
            missed_here: Mutex::default(),
        }
    }

    /// Whether `client` missed on this node within the hour.
    fn missed_lately(&self, client: IpAddr) -> bool {
        let missed = self.missed_here.lock().unwrap_or_else(|p| p.into_inner());
        missed.get(&client).is_some_and(|at| at.elapsed() < HOUR)
    }

    fn remember_miss(&self, client: IpAddr) {
        let mut missed = self.missed_here.lock().unwrap_or_else(|p| p.into_inner());
        // Kept as small as the set of addresses missing this hour.
        if missed.len() > 10_000 {
            missed.retain(|_, at| at.elapsed() < HOUR);
        }
        missed.insert(client, Instant::now());
    }

    fn key(client: IpAddr) -> String {
        format!("code_misses:{}", limit_key(client))
    }

    /// Refuses an address that has missed too often this hour. The limiter being out of
    /// reach lets the lookup through: games keep playing while Redis is down.
    pub async fn admit(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        let Some(client) = client.filter(|c| self.missed_lately(*c)) else {
            return Ok(());
        };
        match self
            .limiter
            .peek(&Self::key(client), self.misses_per_hour)
            .await
        {
            Ok(Decision::Limited { retry_after }) => Err(AppError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            }),
            Ok(Decision::Allowed { .. }) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "code guesses could not be read");
                Ok(())
            }
        }
    }

    /// Counts a miss: `NotFound`, or `RateLimited` for the miss that passes the limit.
    pub async fn missed(&self, client: Option<IpAddr>) -> AppError {
        let Some(client) = client else {
            return AppError::NotFound;
        };
        self.remember_miss(client);
        match self
            .limiter
            .hit(&Self::key(client), self.misses_per_hour, HOUR)
            .await
        {
            Ok(Decision::Limited { retry_after }) => {
                tracing::warn!(client = %limit_key(client), "an address is guessing game codes");
                AppError::RateLimited {
                    retry_after_secs: retry_after.as_secs().max(1),
                }
            }
            Ok(Decision::Allowed { .. }) => AppError::NotFound,
            Err(e) => {
                tracing::error!(error = %e, "a code miss could not be counted");
                AppError::NotFound
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::limits::MemoryLimiter;

    #[tokio::test]
    async fn an_address_that_misses_too_often_is_refused_and_others_are_not() {
        let guesses = CodeGuesses::new(Arc::new(MemoryLimiter::default()), 2);
        let guesser: Option<IpAddr> = "203.0.113.9".parse().ok();
        let player: Option<IpAddr> = "198.51.100.4".parse().ok();
        for _ in 0..2 {
            guesses.admit(guesser).await.expect("still admitted");
            assert_eq!(guesses.missed(guesser).await, AppError::NotFound);
        }
        guesses
            .admit(guesser)
            .await
            .expect("two misses are allowed");
        assert!(matches!(
            guesses.missed(guesser).await,
            AppError::RateLimited { .. }
        ));
        assert!(matches!(
            guesses.admit(guesser).await,
            Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs <= 3600
        ));
        guesses.admit(player).await.expect("another address");
        // Without an address (a test client, a unix socket) nothing is counted.
        guesses.admit(None).await.expect("no address");
        assert_eq!(guesses.missed(None).await, AppError::NotFound);
    }

    #[tokio::test]
    async fn a_node_reads_the_shared_count_only_for_addresses_that_missed_on_it() {
        // Two nodes counting in one limiter (Redis, in production).
        let shared: Arc<dyn RateLimiter> = Arc::new(MemoryLimiter::default());
        let (a, b) = (
            CodeGuesses::new(Arc::clone(&shared), 2),
            CodeGuesses::new(Arc::clone(&shared), 2),
        );
        let guesser: Option<IpAddr> = "203.0.113.10".parse().ok();
        for _ in 0..3 {
            let _ = a.missed(guesser).await;
        }
        assert!(a.admit(guesser).await.is_err(), "refused where it missed");
        // Node B has not seen this address miss: its players' lookups skip the shared read.
        b.admit(guesser).await.expect("not looked up on B yet");
        // One miss on B, and B reads the count every node keeps.
        assert!(matches!(
            b.missed(guesser).await,
            AppError::RateLimited { .. }
        ));
        assert!(b.admit(guesser).await.is_err());
    }
}
