//! The owner's API of games: start one, follow it, make it over, try it again, download it.

use std::sync::Arc;

use app::dto::{ApiErrorBody, GameRequest, GameView};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Games;
use super::play::html_download;
use crate::billing::Billing;
use crate::http::Binary;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::Caller;
use crate::notifications::Notifications;
use crate::state::AppState;

/// Under `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, mine))
        .routes(routes!(game, delete_game))
        .routes(routes!(download))
        .routes(routes!(regenerate))
        .routes(routes!(retry))
        .routes(routes!(super::progress::events))
}

/// Starts making a game from one of the caller's photos: 202, then follow it
/// (`GET /games/{id}` or its events).
#[utoipa::path(
    post,
    path = "/games",
    tag = "games",
    request_body = GameRequest,
    responses(
        (status = 202, description = "Being made, or (a paid package) waiting for its payment: `status` says which", body = GameView),
        (status = 401, description = "A paid package asked for without signing in", body = ApiErrorBody),
        (status = 402, description = "`subscription` asked for with no credit left", body = ApiErrorBody),
        (status = 422, description = "An invalid field, an unknown photo, or more than the package allows; `error.field` names it", body = ApiErrorBody),
        (status = 429, description = "Games started today (`limits.games_per_day`), or confirmation mails to `notify_email`, used up for now", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed; nothing was kept", body = ApiErrorBody),
    )
)]
async fn create(
    State(games): State<Arc<Games>>,
    State(notifications): State<Arc<Notifications>>,
    State(billing): State<Arc<Billing>>,
    Extension(visitor): Extension<Visitor>,
    Extension(Caller(caller)): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(request): ValidJson<GameRequest>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = super::start(
        &games,
        &notifications,
        &billing,
        &visitor,
        caller.as_ref(),
        client,
        request,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// The caller's games, newest first ("My games"): with their status, plays and links.
#[utoipa::path(
    get,
    path = "/games",
    tag = "games",
    responses(
        (status = 200, description = "The caller's games; none for a visitor who made none", body = Vec<GameView>),
        (status = 401, description = "A bad bearer token", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn mine(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
) -> Result<Json<Vec<GameView>>, HttpError> {
    Ok(Json(games.mine(&visitor).await?))
}

/// One of the caller's games: where it is in the making, and its links.
#[utoipa::path(
    get,
    path = "/games/{id}",
    tag = "games",
    params(("id" = String, Path, description = "The game's id")),
    responses(
        (status = 200, description = "The game", body = GameView),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn game(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<GameView>, HttpError> {
    Ok(Json(games.view(&visitor, &id).await?))
}

/// Deletes one of the caller's finished games and its files: its link, embed and download
/// stop working.
#[utoipa::path(
    delete,
    path = "/games/{id}",
    tag = "games",
    params(("id" = String, Path, description = "The game's id")),
    responses(
        (status = 204, description = "Deleted; from now on it is 404 everywhere"),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 422, description = "It is being made; `error.field` is `id`", body = ApiErrorBody),
        (status = 500, description = "Our side failed; ask again to finish", body = ApiErrorBody),
    )
)]
async fn delete_game(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    games.delete(&visitor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New levels (a new seed) for one of the caller's finished games: 202, then follow it as
/// after creating it.
#[utoipa::path(
    post,
    path = "/games/{id}/regenerate",
    tag = "games",
    params(("id" = String, Path, description = "The game's id")),
    responses(
        (status = 202, description = "Being made again", body = GameView),
        (status = 402, description = "Its package's new levels are used up, or it waits for its payment", body = ApiErrorBody),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 422, description = "It is being made already", body = ApiErrorBody),
        (status = 429, description = "New levels asked for too often today (`limits.regenerations_per_day`)", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn regenerate(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = games.regenerate(&visitor, client, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// One of the caller's failed games made again from the stage that failed: 202, then follow
/// it as after creating it.
#[utoipa::path(
    post,
    path = "/games/{id}/retry",
    tag = "games",
    params(("id" = String, Path, description = "The game's id")),
    responses(
        (status = 202, description = "Being made again", body = GameView),
        (status = 402, description = "Its package's new levels are used up, or it waits for its payment", body = ApiErrorBody),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 422, description = "Only a game that failed can be tried again", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn retry(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = games.retry(&visitor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// One of the caller's games as one HTML file that plays offline.
#[utoipa::path(
    get,
    path = "/games/{id}/download",
    tag = "games",
    params(("id" = String, Path, description = "The game's id")),
    responses(
        (status = 200, description = "The game, as an attachment", content_type = "text/html", body = Binary),
        (status = 402, description = "The game's package has no offline download (free)", body = ApiErrorBody),
        (status = 404, description = "No such ready game of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn download(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let game = games.owned(&visitor, &id).await?;
    html_download(&games, &game).await
}
