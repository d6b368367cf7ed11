//! The REST API under `/api/v1`: the same journey as the pages, for scripts and apps.

use std::sync::Arc;

use app::dto::{
    CropRequest, CutoutView, GameRequest, GameView, ImageStatus, PixelArtRequest, PixelArtView,
    PushSubscribed, PushSubscriptionJson, StyleView, UploadedImage,
};
use app::port::{PetPixelPort, Visitor};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};

use super::error::HttpError;
use super::extract::ValidJson;
use super::play::html_download;
use crate::service::{ImageFile, Service};

pub fn routes<S: Clone + Send + Sync + 'static>(service: Arc<Service>) -> Router<S> {
    // Multipart framing adds a little on top of the photo itself.
    let body_limit = service.config.limits.max_upload_bytes + 64 * 1024;
    Router::new()
        .route(
            "/images/upload",
            post(upload).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/images/crop", post(crop))
        .route("/images/{id}", delete(delete_image))
        .route("/images/{id}/status", get(image_status))
        .route("/images/remove-background", post(remove_background))
        .route("/images/{id}/{file}", get(image_file))
        .route("/images/{id}/art/{look}/{file}", get(art_file))
        .route("/pixel-art/styles", get(styles))
        .route("/pixel-art/generate", post(generate))
        .route("/games", post(create_game))
        .route("/games/{id}", get(game))
        .route("/games/{id}/download", get(download))
        .route("/games/{id}/regenerate", post(regenerate))
        .route("/games/{id}/retry", post(retry))
        .route("/games/{id}/events", get(super::progress::events))
        .route("/games/{id}/push", post(subscribe_push))
        .route("/push/key", get(push_key))
        .with_state(service)
}

async fn upload(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<UploadedImage>), HttpError> {
    let too_big = || {
        HttpError::invalid(
            "image",
            format!(
                "the file is larger than {} MB",
                service.config.limits.max_upload_bytes / (1024 * 1024)
            ),
        )
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, too_big()))?
    {
        if field.name() == Some("image") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| multipart_error(e, too_big()))?;
            let uploaded = service.upload_image(&visitor, bytes).await?;
            return Ok((StatusCode::CREATED, Json(uploaded)));
        }
    }
    Err(HttpError::invalid(
        "image",
        "send the photo as the multipart field `image`",
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError, too_big: HttpError) -> HttpError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_big
    } else {
        HttpError::invalid("image", format!("malformed upload: {}", e.body_text()))
    }
}

/// The body of `POST /images/remove-background`.
#[derive(serde::Deserialize)]
struct ImageRef {
    image_id: uuid::Uuid,
}

/// The body of `POST /images/crop`: the photo and the rectangle, in its pixels.
#[derive(serde::Deserialize)]
struct CropBody {
    image_id: uuid::Uuid,
    #[serde(flatten)]
    rect: CropRequest,
}

async fn crop(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(body): ValidJson<CropBody>,
) -> Result<(StatusCode, Json<UploadedImage>), HttpError> {
    let image = service
        .crop_image(&visitor, body.image_id, body.rect)
        .await?;
    Ok((StatusCode::CREATED, Json(image)))
}

async fn remove_background(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(body): ValidJson<ImageRef>,
) -> Result<Json<CutoutView>, HttpError> {
    Ok(Json(
        service.remove_background(&visitor, body.image_id).await?,
    ))
}

async fn styles(State(service): State<Arc<Service>>) -> Json<Vec<StyleView>> {
    Json(service.styles())
}

async fn generate(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(request): ValidJson<PixelArtRequest>,
) -> Result<Json<PixelArtView>, HttpError> {
    Ok(Json(service.pixel_art(&visitor, request).await?))
}

async fn image_status(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<ImageStatus>, HttpError> {
    Ok(Json(service.image_status(&visitor, &id).await?))
}

/// Deletes a photo and everything made from it: 204, then 404 for it everywhere.
async fn delete_image(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    service.delete_image(&visitor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn image_file(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let kind = ImageFile::parse(&file).ok_or(HttpError(app::error::AppError::NotFound))?;
    let image = service.owned_image(&visitor, &id).await?;
    let bytes = service.image_file(&image, kind).await?;
    Ok(owned_file(&file, bytes))
}

async fn art_file(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path((id, look, file)): Path<(String, String, String)>,
) -> Result<Response, HttpError> {
    let image = service.owned_image(&visitor, &id).await?;
    let bytes = service.art_file(&image, &look, &file).await?;
    Ok(owned_file(&file, bytes))
}

/// A file only its owner may fetch; what a key holds never changes once written.
fn owned_file(name: &str, bytes: bytes::Bytes) -> Response {
    let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

async fn create_game(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(request): ValidJson<GameRequest>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = service.create_game(&visitor, request).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn game(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<GameView>, HttpError> {
    Ok(Json(service.game(&visitor, &id).await?))
}

/// New levels for a finished game: 202, then poll the game as after creating it.
async fn regenerate(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = service.regenerate_game(&visitor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// A failed game made again from the stage that failed: 202, then poll as after creating it.
async fn retry(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GameView>), HttpError> {
    let view = service.retry_game(&visitor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// `POST /games/{id}/push`: the body is the browser's `PushSubscription.toJSON()`. 201 when
/// the device is new to the game, 200 when it was already subscribed.
async fn subscribe_push(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
    ValidJson(subscription): ValidJson<PushSubscriptionJson>,
) -> Result<(StatusCode, Json<PushSubscribed>), HttpError> {
    let subscribed = service.subscribe_push(&visitor, &id, subscription).await?;
    let status = if subscribed.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(subscribed)))
}

/// `GET /push/key`: the `applicationServerKey` to subscribe with.
async fn push_key(State(service): State<Arc<Service>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "public_key": service.push_key() }))
}

async fn download(
    State(service): State<Arc<Service>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let game = service.owned_game(&visitor, &id).await?;
    html_download(&service, &game).await
}

/// Answers `/api/v1/...` paths that match no route with a JSON 404.
pub async fn not_found() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        HttpError(app::error::AppError::NotFound),
    )
}
