//! `GET /api/v1/payments/events`: the caller's payment history as server-sent events, one
//! `history` event (the whole `PaymentHistory` as JSON) when the stream opens and again each
//! time something reaches their account: a payment Stripe confirmed, a refund, a month's
//! credits, a subscription's new status. Those arrive by webhook or by the sweep, long after
//! the request that started them, so the payments page (and a script) follows this rather
//! than asking again and again.
//!
//! As with a game's progress, each event's id is a digest of its data: a client reconnecting
//! with `Last-Event-ID` is not sent what it has.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::dto::PaymentHistory;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use super::{Billing, HISTORY_LIMIT};
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::streams::StreamSlots;
use crate::http::visitor::Caller;
use crate::infra::changes::Change;
use crate::infra::runtime::content_tag;
use crate::state::Shutdown;

/// One server-sent event of the stream, as the API document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct HistoryEvent {
    /// Always `history`.
    event: String,
    /// A digest of `data`: send it back as `Last-Event-ID` to get only what is new.
    id: String,
    /// The history as `GET /api/v1/payments/history` answers it, as JSON.
    data: String,
}

/// The history is read again this often even without a notice, in case one was lost.
const RECHECK: Duration = Duration::from_secs(30);

/// The caller's payment history, then again each time it changes.
#[utoipa::path(
    get,
    path = "/payments/events",
    tag = "payments",
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The last event's id: only what is new is sent"),
    ),
    responses(
        (status = 200, description = "`history` events, each the history as JSON", content_type = "text/event-stream", body = HistoryEvent),
        (status = 401, description = "Not signed in", body = app::dto::ApiErrorBody),
        (status = 429, description = "This address has as many streams open as it may", body = app::dto::ApiErrorBody),
        (status = 500, description = "Our side failed", body = app::dto::ApiErrorBody),
        (status = 503, description = "This server has as many streams open as it keeps", body = app::dto::ApiErrorBody),
    )
)]
pub async fn events(
    State(billing): State<Arc<Billing>>,
    State(Shutdown(stopping)): State<Shutdown>,
    State(slots): State<Arc<StreamSlots>>,
    Extension(Caller(caller)): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    // Listen before the first read, so a change between the two is not missed.
    let (user, notices) = billing.follow_history(caller.as_ref()).await?;
    // The stream ends after `limits.stream_lifetime_secs` (`http::streams`); the browser's
    // `EventSource` reconnects, and the session is checked again then (a signed-out tab stops
    // hearing about the account).
    let slot = slots.take(client)?;
    let last_sent = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let follow = Follow {
        billing,
        user,
        notices,
        stopping,
        last_sent,
        first: true,
    };
    let stream = futures_util::stream::unfold(follow, |mut follow| async move {
        let event = follow.next().await?;
        Some((Ok(event), follow))
    });
    let stream = slots.bounded(slot, Box::pin(stream));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

struct Follow {
    billing: Arc<Billing>,
    user: Uuid,
    notices: broadcast::Receiver<Change>,
    stopping: watch::Receiver<bool>,
    last_sent: Option<String>,
    first: bool,
}

impl Follow {
    /// The next history worth sending; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if !std::mem::take(&mut self.first) && !self.wait_for_notice().await {
                return None;
            }
            // A failed read ends the stream; the client's reconnect starts afresh.
            let history = self
                .billing
                .history_of(self.user, HISTORY_LIMIT)
                .await
                .ok()?;
            if let Some(event) = self.event(&history) {
                return Some(event);
            }
        }
    }

    /// Waits until the account may have changed, or [`RECHECK`] has passed; false when the
    /// stream should end (no more notices can come, or the server stops).
    async fn wait_for_notice(&mut self) -> bool {
        let deadline = Instant::now() + RECHECK;
        loop {
            let notice = tokio::select! {
                notice = tokio::time::timeout_at(deadline, self.notices.recv()) => notice,
                _ = self.stopping.wait_for(|stopping| *stopping) => return false,
            };
            match notice {
                Ok(Ok(Change::Account(id))) if id == self.user => return true,
                Ok(Ok(_)) => {}
                // Fell behind, or time to look anyway.
                Ok(Err(RecvError::Lagged(_))) | Err(_) => return true,
                Ok(Err(RecvError::Closed)) => return false,
            }
        }
    }

    fn event(&mut self, history: &PaymentHistory) -> Option<Event> {
        let data = serde_json::to_string(history).ok()?;
        let tag = content_tag(data.as_bytes());
        if self.last_sent.as_deref() == Some(tag.as_str()) {
            return None;
        }
        self.last_sent = Some(tag.clone());
        Some(Event::default().event("history").id(tag).data(data))
    }
}
