//! Guessing game codes: a code is the only key to a link-only game, so an address that asks
//! for codes that do not exist again and again is stopped (`limits.code_misses_per_hour`).
//! Each miss is counted in the shared limiter (every node together); once an address has
//! missed that often, every lookup by code from it — found or not — is refused (`429`) until
//! its hour is over. Codes are ten characters of 31 (about 8 × 10¹⁴), so a person who
//! mistypes a link never meets the limit; a script enumerating them meets it at once.

use std::net::IpAddr;
use std::sync::Arc;

use app::error::AppError;

use crate::http::client_ip::limit_key;
use crate::infra::limits::{Decision, HOUR, RateLimiter};

pub struct CodeGuesses {
    limiter: Arc<dyn RateLimiter>,
    misses_per_hour: u32,
}

impl CodeGuesses {
    pub fn new(limiter: Arc<dyn RateLimiter>, misses_per_hour: u32) -> Self {
        Self {
            limiter,
            misses_per_hour,
        }
    }

    fn key(client: IpAddr) -> String {
        format!("code_misses:{}", limit_key(client))
    }

    /// Refuses an address that has missed too often this hour. The limiter being out of
    /// reach lets the lookup through: games keep playing while Redis is down.
    pub async fn admit(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        let Some(client) = client else { return Ok(()) };
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
}
