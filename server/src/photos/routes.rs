//! Under `/api/v1/images`: upload, crop, delete, and the files of a photo.

use std::sync::Arc;

use app::dto::{CropRequest, UploadedImage};
use app::port::Visitor;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use tower_sessions::Session;
use uuid::Uuid;

use super::{PhotoFile, Photos};
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::{owned_file, visitor};
use crate::state::AppState;

/// Under `/api/v1`. `max_upload_bytes` bounds the upload's body (multipart framing adds a
/// little on top of the photo itself).
pub fn routes(max_upload_bytes: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/images/upload",
            post(upload).layer(DefaultBodyLimit::max(max_upload_bytes + 64 * 1024)),
        )
        .route("/images/crop", post(crop))
        .route("/images/{id}", delete(delete_image))
        .route("/images/{id}/{file}", get(file))
}

/// An upload is what makes a visitor: a request without a session gets one once its photo is
/// kept, and not before.
async fn upload(
    State(photos): State<Arc<Photos>>,
    session: Session,
    Extension(visitor): Extension<Visitor>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<UploadedImage>), HttpError> {
    let (visitor, new) = visitor::for_keeping(visitor);
    let too_big = || {
        HttpError::invalid(
            "image",
            format!(
                "the file is larger than {} MB",
                photos.limits().max_upload_bytes / (1024 * 1024)
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
            let uploaded = photos.upload(&visitor, bytes).await?;
            if new {
                visitor::remember(&session, &visitor).await?;
            }
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

/// The body of `POST /images/crop`: the photo and the rectangle, in its pixels.
#[derive(serde::Deserialize)]
struct CropBody {
    image_id: Uuid,
    #[serde(flatten)]
    rect: CropRequest,
}

async fn crop(
    State(photos): State<Arc<Photos>>,
    Extension(visitor): Extension<Visitor>,
    ValidJson(body): ValidJson<CropBody>,
) -> Result<(StatusCode, Json<UploadedImage>), HttpError> {
    let image = photos.crop(&visitor, body.image_id, body.rect).await?;
    Ok((StatusCode::CREATED, Json(image)))
}

/// Deletes a photo and everything made from it: 204, then 404 for it everywhere.
async fn delete_image(
    State(photos): State<Arc<Photos>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    photos.delete(&visitor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn file(
    State(photos): State<Arc<Photos>>,
    Extension(visitor): Extension<Visitor>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let kind = PhotoFile::parse(&file).ok_or_else(HttpError::not_found)?;
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    let bytes = photos.file(&visitor, id, kind).await?;
    Ok(owned_file(&file, bytes))
}
