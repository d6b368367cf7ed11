//! The API's per-address limit (design document §6.3, `api_limit`): `/api/v1` requests per
//! minute per client address, counted in the shared rate limiter (Redis across replicas),
//! answered 429 with `Retry-After` beyond it. A game's public files are not counted: everyone
//! who plays a game fetches them, and a school's players share one address.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::client_ip::{ClientIp, limit_key};
use super::error::HttpError;
use crate::infra::limits::{Decision, RateLimiter};

pub struct ApiLimit {
    pub limiter: Arc<dyn RateLimiter>,
    pub per_minute: u32,
}

/// Whether a request counts toward the limit (the API document says where `429` may come
/// from by the same rule).
pub(super) fn counted(method: &Method, path: &str) -> bool {
    path.starts_with("/api/v1/")
        && path != "/api/v1/openapi.json"
        // Stripe's deliveries come in bursts from a few addresses; the signature guards it.
        && path != super::api::WEBHOOK_PATH
        && !(*method == Method::GET && path.starts_with("/api/v1/play/"))
}

pub async fn limit(State(limit): State<Arc<ApiLimit>>, request: Request, next: Next) -> Response {
    let client = request.extensions().get::<ClientIp>().and_then(|c| c.0);
    let Some(client) = client.filter(|_| counted(request.method(), request.uri().path())) else {
        return next.run(request).await;
    };
    let key = format!("api:{}", limit_key(client));
    match limit
        .limiter
        .hit(&key, limit.per_minute, Duration::from_secs(60))
        .await
    {
        Ok(Decision::Allowed { .. }) => next.run(request).await,
        Ok(Decision::Limited { retry_after }) => HttpError(app::error::AppError::RateLimited {
            retry_after_secs: retry_after.as_secs().max(1),
        })
        .into_response(),
        // The limiter's store is down: serving on unlimited beats refusing everyone; the
        // per-visitor limits on uploads still hold (they fail closed).
        Err(e) => {
            tracing::error!(error = %e, "the API limit could not be counted");
            next.run(request).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_games_public_files_and_the_document_are_not_counted() {
        assert!(counted(&Method::GET, "/api/v1/games"));
        assert!(counted(&Method::POST, "/api/v1/images/upload"));
        assert!(counted(&Method::POST, "/api/v1/play/abc/plays"));
        assert!(!counted(&Method::GET, "/api/v1/play/abc/game.wasm"));
        assert!(!counted(&Method::GET, "/api/v1/openapi.json"));
        assert!(!counted(&Method::GET, "/g/abc"));
        assert!(!counted(&Method::POST, "/_sf/create_game"));
    }
}
