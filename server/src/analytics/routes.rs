//! `POST /api/v1/play/{code}/events` (anyone holding the code: the game's page and embeds)
//! and `GET /api/v1/games/{id}/stats` (the game's owner).

use std::sync::Arc;

use app::dto::{ApiErrorBody, EventBatch, EventsCounted, GameStats};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Analytics;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::state::AppState;

/// Both know the caller: events are limited per visitor, stats are the owner's.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(stats))
}

/// What a page of the game saw: views, finished runs, shares (at most 20 at a time). A
/// robot's are received and not counted.
#[utoipa::path(
    post,
    path = "/play/{code}/events",
    tag = "play",
    params(("code" = String, Path, description = "The game's short code")),
    request_body = EventBatch,
    responses(
        (status = 202, description = "Received; how many were counted", body = EventsCounted),
        (status = 404, description = "No ready game has that code", body = ApiErrorBody),
        (status = 422, description = "No events, too many, or an unknown kind", body = ApiErrorBody),
        (status = 429, description = "This visitor or address sent enough for this game this hour", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 503, description = "Too many events at once; try again", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn events(
    State(analytics): State<Arc<Analytics>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
    headers: HeaderMap,
    ValidJson(batch): ValidJson<EventBatch>,
) -> Result<(StatusCode, Json<EventsCounted>), HttpError> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let counted = analytics
        .record(&visitor, client, agent, &code, batch)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(counted)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    /// Days the chart spans, today included (1 to 90; 30 unless given).
    #[param(minimum = 1, maximum = 90)]
    days: Option<u32>,
}

/// A game's audience for its owner: views, plays, completions, shares, the completion rate,
/// and each of the last days.
#[utoipa::path(
    get,
    path = "/games/{id}/stats",
    tag = "games",
    params(("id" = String, Path, description = "The game's id"), StatsQuery),
    responses(
        (status = 200, description = "The game's audience", body = GameStats),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 422, description = "Days out of range, or not a number", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn stats(
    State(analytics): State<Arc<Analytics>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
    ValidQuery(query): ValidQuery<StatsQuery>,
) -> Result<Json<GameStats>, HttpError> {
    Ok(Json(analytics.stats(&visitor, &id, query.days).await?))
}
