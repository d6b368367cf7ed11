//! A game's leaderboard under `/api/v1/play/{code}`: anyone holding the code reads the board
//! and sends a finished run; a signed-in player's name is remembered.

use std::sync::Arc;

use app::dto::{ApiErrorBody, Leaderboard, RunRecorded, RunSubmission};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Leaderboards;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::Caller;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(board, submit))
}

/// The ten fastest verified runs of the game's current levels.
#[utoipa::path(
    get,
    path = "/play/{code}/leaderboard",
    tag = "play",
    params(("code" = String, Path, description = "The game's short code")),
    responses(
        (status = 200, description = "The board, fastest first", body = Leaderboard),
        (status = 404, description = "No ready game has that code", body = ApiErrorBody),
        (status = 410, description = "A free game past its time", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn board(
    State(boards): State<Arc<Leaderboards>>,
    Extension(Caller(caller)): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
) -> Result<Json<Leaderboard>, HttpError> {
    Ok(Json(boards.board(&code, caller.as_ref(), client).await?))
}

/// A finished run, replayed through the game's simulation: its time is kept under `name`
/// only if the replay reaches the last goal in exactly `steps` steps.
#[utoipa::path(
    post,
    path = "/play/{code}/leaderboard",
    tag = "play",
    params(("code" = String, Path, description = "The game's short code")),
    request_body = RunSubmission,
    responses(
        (status = 200, description = "Believed: where it placed and the board now", body = RunRecorded),
        (status = 404, description = "No ready game has that code", body = ApiErrorBody),
        (status = 410, description = "A free game past its time", body = ApiErrorBody),
        (status = 422, description = "A bad name, or a run its replay does not bear out (forged, cut short, padded, a wrong time)", body = ApiErrorBody),
        (status = 429, description = "This address sent enough runs of this game for this hour", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn submit(
    State(boards): State<Arc<Leaderboards>>,
    Extension(Caller(caller)): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
    ValidJson(submission): ValidJson<RunSubmission>,
) -> Result<Json<RunRecorded>, HttpError> {
    Ok(Json(
        boards
            .submit(&code, caller.as_ref(), client, submission)
            .await?,
    ))
}
