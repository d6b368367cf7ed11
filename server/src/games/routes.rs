//! The owner's API of games: start one, follow it, make it over, try it again, download it.

use std::sync::Arc;

use app::dto::{GameRequest, GameView};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::Games;
use super::play::html_download;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::state::AppState;

/// Under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/games", post(create))
        .route("/games/{id}", get(game))
        .route("/games/{id}/download", get(download))
        .route("/games/{id}/regenerate", post(regenerate))
        .route("/games/{id}/retry", post(retry))
        .route("/games/{id}/events", get(super::progress::events))
}

async fn create(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(request): ValidJson<GameRequest>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = games.create(&visitor, request).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn game(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<GameView>, HttpError> {
    Ok(Json(games.view(&visitor, &id).await?))
}

/// New levels for a finished game: 202, then poll the game as after creating it.
async fn regenerate(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = games.regenerate(&visitor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// A failed game made again from the stage that failed: 202, then poll as after creating it.
async fn retry(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = games.retry(&visitor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn download(
    State(games): State<Arc<Games>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let game = games.owned(&visitor, &id).await?;
    html_download(&games, &game).await
}
