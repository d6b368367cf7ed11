//! The studio's API: cut a pet out, draw it in a look, animate it, follow the work, list the
//! styles, and fetch what was made. Work the server is still making after its wait answers
//! 202 with where it stands; ask the status URL again.

use std::sync::Arc;

use app::dto::{
    AnimateRequest, ApiErrorBody, CutoutView, ImageStatus, PixelArtRequest, PixelArtView, StyleView,
};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Studio, Waited};
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::{AnyJson, Binary, owned_file};
use crate::state::AppState;

/// Under `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(image_status))
        .routes(routes!(remove_background))
        .routes(routes!(art_file))
        .routes(routes!(styles))
        .routes(routes!(generate))
        .routes(routes!(animate))
        .routes(routes!(pixel_art_status))
}

/// 200 with the result, or 202 with where the work stands.
fn waited<D: serde::Serialize, P: serde::Serialize>(waited: Waited<D, P>) -> Response {
    match waited {
        Waited::Done(done) => (StatusCode::OK, Json(done)).into_response(),
        Waited::Pending(pending) => (StatusCode::ACCEPTED, Json(pending)).into_response(),
    }
}

/// The body of `POST /images/remove-background`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
struct ImageRef {
    image_id: Uuid,
}

/// Cuts the pet out of one of the caller's photos (made once; later calls answer from
/// storage). Answers once it is made, or after a while with where it stands.
#[utoipa::path(
    post,
    path = "/images/remove-background",
    tag = "studio",
    request_body = ImageRef,
    responses(
        (status = 200, description = "The cut-out", body = CutoutView),
        (status = 202, description = "Still being made: the photo's status, to follow at `/images/{id}/status`", body = ImageStatus),
        (status = 422, description = "Unknown photo (`image_id`), or no pet found in it (`image`)", body = ApiErrorBody),
        (status = 429, description = "New studio work asked for too often this hour (`limits.studio_jobs_per_hour`)", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn remove_background(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(body): ValidJson<ImageRef>,
) -> Result<Response, HttpError> {
    let answer: Waited<CutoutView, ImageStatus> = studio
        .remove_background(&visitor, client, body.image_id)
        .await?;
    Ok(waited(answer))
}

/// The pixel-art styles on offer, with their fixed palettes.
#[utoipa::path(
    get,
    path = "/pixel-art/styles",
    tag = "studio",
    responses((status = 200, description = "Every style", body = Vec<StyleView>))
)]
async fn styles() -> Json<Vec<StyleView>> {
    Json(Studio::styles())
}

/// Draws the cut-out pet in a look (style, size, dithering) and, unless `animate` is false,
/// animates it; each look is made once.
#[utoipa::path(
    post,
    path = "/pixel-art/generate",
    tag = "studio",
    request_body = PixelArtRequest,
    responses(
        (status = 200, description = "Drawn (and animated)", body = PixelArtView),
        (status = 202, description = "Still being made; follow `status_url`", body = PixelArtView),
        (status = 422, description = "An invalid field, an unknown photo, or no pet found", body = ApiErrorBody),
        (status = 429, description = "New studio work asked for too often this hour (`limits.studio_jobs_per_hour`)", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn generate(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(request): ValidJson<PixelArtRequest>,
) -> Result<Response, HttpError> {
    Ok(waited(studio.pixel_art(&visitor, client, request).await?))
}

/// Animates pixel art drawn earlier (by `generate` with `animate: false`).
#[utoipa::path(
    post,
    path = "/pixel-art/animate",
    tag = "studio",
    request_body = AnimateRequest,
    responses(
        (status = 200, description = "Animated", body = PixelArtView),
        (status = 202, description = "Still being made; follow `status_url`", body = PixelArtView),
        (status = 422, description = "No such pixel art of the caller's (`id`)", body = ApiErrorBody),
        (status = 429, description = "New studio work asked for too often this hour (`limits.studio_jobs_per_hour`)", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn animate(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(request): ValidJson<AnimateRequest>,
) -> Result<Response, HttpError> {
    Ok(waited(studio.animate(&visitor, client, request.id).await?))
}

/// Where pixel art stands: queued, running, done (with its links) or failed (with why).
#[utoipa::path(
    get,
    path = "/pixel-art/{id}/status",
    tag = "studio",
    params(("id" = String, Path, description = "The id `generate` answered with")),
    responses(
        (status = 200, description = "Where it stands", body = PixelArtView),
        (status = 404, description = "No such pixel art of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn pixel_art_status(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<PixelArtView>, HttpError> {
    Ok(Json(studio.pixel_art_status(&visitor, &id).await?))
}

/// One of the caller's photos and what has been made of it so far.
#[utoipa::path(
    get,
    path = "/images/{id}/status",
    tag = "studio",
    params(("id" = String, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "The photo and its cut-out and looks so far", body = ImageStatus),
        (status = 404, description = "No such photo of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn image_status(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<ImageStatus>, HttpError> {
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    Ok(Json(studio.image_status(&visitor, id).await?))
}

/// One file of a look drawn from one of the caller's photos.
#[utoipa::path(
    get,
    path = "/images/{id}/art/{look}/{file}",
    tag = "studio",
    params(
        ("id" = String, Path, description = "The photo's id"),
        ("look" = String, Path, description = "`{style}-{size}[-dither]`, e.g. `game-boy-48-dither`"),
        ("file" = String, Path, description = "`sprite.png`, `sheet.png`, `sheet.json` or `preview.gif`"),
    ),
    responses(
        (status = 200, description = "The file", content(
            (Binary = "image/png"), (Binary = "image/gif"), (AnyJson = "application/json"))),
        (status = 404, description = "No such photo, look or file of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn art_file(
    State(studio): State<Arc<Studio>>,
    Extension(visitor): Extension<Visitor>,
    Path((id, look, file)): Path<(String, String, String)>,
) -> Result<Response, HttpError> {
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    let bytes = studio.art_file(&visitor, id, &look, &file).await?;
    Ok(owned_file(&file, bytes))
}
