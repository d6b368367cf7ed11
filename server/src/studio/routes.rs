//! The studio's API: cut a pet out, draw it in a look, animate it, follow the work, list the
//! styles, and fetch what was made. Work the server is still making after its wait answers
//! 202 with where it stands; ask the status URL again.

use std::sync::Arc;

use app::dto::{AnimateRequest, CutoutView, ImageStatus, PixelArtRequest, PixelArtView, StyleView};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use uuid::Uuid;

use super::{Studio, Waited};
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::owned_file;
use crate::state::AppState;

/// Under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/images/{id}/status", get(image_status))
        .route("/images/remove-background", post(remove_background))
        .route("/images/{id}/art/{look}/{file}", get(art_file))
        .route("/pixel-art/styles", get(styles))
        .route("/pixel-art/generate", post(generate))
        .route("/pixel-art/animate", post(animate))
        .route("/pixel-art/{id}/status", get(pixel_art_status))
}

/// 200 with the result, or 202 with where the work stands.
fn waited<D: serde::Serialize, P: serde::Serialize>(waited: Waited<D, P>) -> Response {
    match waited {
        Waited::Done(done) => (StatusCode::OK, Json(done)).into_response(),
        Waited::Pending(pending) => (StatusCode::ACCEPTED, Json(pending)).into_response(),
    }
}

/// The body of `POST /images/remove-background`.
#[derive(serde::Deserialize)]
struct ImageRef {
    image_id: Uuid,
}

async fn remove_background(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(body): ValidJson<ImageRef>,
) -> Result<Response, HttpError> {
    let answer: Waited<CutoutView, ImageStatus> =
        studio.remove_background(&visitor, body.image_id).await?;
    Ok(waited(answer))
}

async fn styles() -> Json<Vec<StyleView>> {
    Json(Studio::styles())
}

async fn generate(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(request): ValidJson<PixelArtRequest>,
) -> Result<Response, HttpError> {
    Ok(waited(studio.pixel_art(&visitor, request).await?))
}

async fn animate(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(request): ValidJson<AnimateRequest>,
) -> Result<Response, HttpError> {
    Ok(waited(studio.animate(&visitor, request.id).await?))
}

async fn pixel_art_status(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<PixelArtView>, HttpError> {
    Ok(Json(studio.pixel_art_status(&visitor, &id).await?))
}

async fn image_status(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<ImageStatus>, HttpError> {
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    Ok(Json(studio.image_status(&visitor, id).await?))
}

async fn art_file(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Path((id, look, file)): Path<(String, String, String)>,
) -> Result<Response, HttpError> {
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    let bytes = studio.art_file(&visitor, id, &look, &file).await?;
    Ok(owned_file(&file, bytes))
}
