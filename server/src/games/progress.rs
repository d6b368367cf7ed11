//! `GET /api/v1/games/{id}/events`: a game's progress as server-sent events, one `progress`
//! event (the whole `GameView` as JSON) each time the game changes, until it is ready or fails.
//!
//! The first event is the game as it is now, so a stream that opens late, or reconnects after a
//! drop, misses nothing. Each event's id is a digest of its data: a client that reconnects with
//! `Last-Event-ID` is not sent again what it already has.
//!
//! Streams are capped per client address and per node and end after a while (`http::streams`);
//! the browser reconnects by itself.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::dto::{GameStatus, GameView};
use app::port::Visitor;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use super::Games;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::streams::StreamSlots;
use crate::infra::changes::Change;
use crate::infra::runtime::content_tag;
use crate::state::Shutdown;

/// One server-sent event of the stream, as the API document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ProgressEvent {
    /// Always `progress`.
    event: String,
    /// A digest of `data`: send it back as `Last-Event-ID` to get only what is new.
    id: String,
    /// The game as `GET /api/v1/games/{id}` answers it, as JSON.
    data: String,
}

/// A stream re-reads its game this often even without a notice, in case one was lost.
const RECHECK: Duration = Duration::from_secs(5);

/// The game's progress as server-sent events: one `progress` event (the game, as
/// `GET /games/{id}` answers) each time it changes, until it is ready or failed.
#[utoipa::path(
    get,
    path = "/games/{id}/events",
    tag = "games",
    params(
        ("id" = String, Path, description = "The game's id"),
        ("Last-Event-ID" = Option<String>, Header, description = "The last event's id: only what is new is sent"),
    ),
    responses(
        (status = 200, description = "`progress` events, each a game as JSON", content_type = "text/event-stream", body = ProgressEvent),
        (status = 404, description = "No such game of the caller's", body = app::dto::ApiErrorBody),
        (status = 429, description = "This address has as many streams open as it may", body = app::dto::ApiErrorBody),
        (status = 500, description = "Our side failed", body = app::dto::ApiErrorBody),
        (status = 503, description = "This server has as many streams open as it keeps", body = app::dto::ApiErrorBody),
    )
)]
pub async fn events(
    State(games): State<Arc<Games>>,
    State(Shutdown(stopping)): State<Shutdown>,
    State(slots): State<Arc<StreamSlots>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    // Listen before the first read, so a change between the two is not missed.
    let notices = games.changes().subscribe();
    let game = games.owned(&visitor, &id).await?;
    let slot = slots.take(client)?;
    let last_sent = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let follow = Follow {
        stopping,
        games,
        visitor,
        game_id: game.id,
        notices,
        last_sent,
        first: true,
        finished: false,
    };
    let stream = futures_util::stream::unfold(follow, |mut follow| async move {
        let event = follow.next().await?;
        Some((Ok(event), follow))
    });
    let stream = slots.bounded(slot, Box::pin(stream));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

struct Follow {
    games: Arc<Games>,
    visitor: Visitor,
    game_id: Uuid,
    notices: broadcast::Receiver<Change>,
    stopping: watch::Receiver<bool>,
    last_sent: Option<String>,
    first: bool,
    finished: bool,
}

impl Follow {
    /// The next change worth sending; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if self.finished {
                return None;
            }
            if !std::mem::take(&mut self.first) && !self.wait_for_notice().await {
                return None;
            }
            // A failed read ends the stream; the client's reconnect starts afresh.
            let view = self
                .games
                .view(&self.visitor, &self.game_id.to_string())
                .await
                .ok()?;
            // A game waiting for its payment is followed too: Stripe's webhook releasing it is
            // a change its page (and a script) wants to see.
            self.finished = !matches!(
                view.status,
                GameStatus::Generating | GameStatus::AwaitingPayment
            );
            if let Some(event) = self.event(&view) {
                return Some(event);
            }
        }
    }

    /// Waits until this game may have changed, or [`RECHECK`] has passed (however many
    /// notices for other games came meanwhile); false when the stream should end: no more
    /// notices can come, or the server is stopping.
    async fn wait_for_notice(&mut self) -> bool {
        let deadline = Instant::now() + RECHECK;
        loop {
            let notice = tokio::select! {
                notice = tokio::time::timeout_at(deadline, self.notices.recv()) => notice,
                _ = self.stopping.wait_for(|stopping| *stopping) => return false,
            };
            match notice {
                Ok(Ok(Change::Game(id))) if id == self.game_id => return true,
                Ok(Ok(_)) => {}
                // Fell behind: the notice may have been among those dropped.
                Ok(Err(RecvError::Lagged(_))) | Err(_) => return true,
                Ok(Err(RecvError::Closed)) => return false,
            }
        }
    }

    /// The view as an event, unless the client has it already.
    fn event(&mut self, view: &GameView) -> Option<Event> {
        let data = serde_json::to_string(view).ok()?;
        let tag = content_tag(data.as_bytes());
        if self.last_sent.as_deref() == Some(tag.as_str()) {
            return None;
        }
        self.last_sent = Some(tag.clone());
        Some(Event::default().event("progress").id(tag).data(data))
    }
}
