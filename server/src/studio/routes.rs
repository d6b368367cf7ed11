//! The studio's API: cut a pet out, draw it in a look, list the styles, and fetch what was
//! made.

use std::sync::Arc;

use app::dto::{CutoutView, ImageStatus, PixelArtRequest, PixelArtView, StyleView};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use uuid::Uuid;

use super::Studio;
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
) -> Result<Json<CutoutView>, HttpError> {
    Ok(Json(
        studio.remove_background(&visitor, body.image_id).await?,
    ))
}

async fn styles() -> Json<Vec<StyleView>> {
    Json(Studio::styles())
}

async fn generate(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(request): ValidJson<PixelArtRequest>,
) -> Result<Json<PixelArtView>, HttpError> {
    Ok(Json(studio.pixel_art(&visitor, request).await?))
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
