//! Under `/api/v1/images`: upload, crop, delete, and the files of a photo.

use std::sync::Arc;

use app::dto::{ApiErrorBody, CropRequest, UploadedImage};
use app::port::Visitor;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use tower_sessions::Session;
use uuid::Uuid;

use super::{PhotoFile, Photos};
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::{Binary, owned_file, visitor};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Under `/api/v1`. `max_upload_bytes` bounds the upload's body (multipart framing adds a
/// little on top of the photo itself).
pub fn routes(max_upload_bytes: usize) -> OpenApiRouter<AppState> {
    let (schemas, paths, upload) = routes!(upload);
    let upload = upload.layer(DefaultBodyLimit::max(max_upload_bytes + 64 * 1024));
    OpenApiRouter::new()
        .routes((schemas, paths, upload))
        .routes(routes!(crop))
        .routes(routes!(delete_image))
        .routes(routes!(file))
}

/// The body of `POST /images/upload`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The photo: PNG, JPEG or WebP, recognised by content.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

/// Uploads a photo: validated by content (type, size and pixel limits before decoding),
/// re-encoded without metadata, and kept with a thumbnail and a preview. An upload is what
/// makes a visitor: a request without a session gets one once its photo is kept, and not
/// before.
#[utoipa::path(
    post,
    path = "/images/upload",
    tag = "photos",
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The photo, kept", body = UploadedImage),
        (status = 422, description = "Not a photo we accept; `error.field` is `image`", body = ApiErrorBody),
        (status = 429, description = "Too many photos this hour", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until another photo is accepted"))),
        (status = 500, description = "Our side failed; nothing was kept", body = ApiErrorBody),
    )
)]
async fn upload(
    State(photos): State<Arc<Photos>>,
    session: Session,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<UploadedImage>), HttpError> {
    let mut multipart = multipart.map_err(|e| {
        HttpError::invalid(
            "image",
            format!("send the photo as multipart/form-data: {}", e.body_text()),
        )
    })?;
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
            let uploaded = photos.upload(&visitor, client, bytes).await?;
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
#[derive(serde::Deserialize, utoipa::ToSchema)]
struct CropBody {
    image_id: Uuid,
    #[serde(flatten)]
    rect: CropRequest,
}

/// A rectangle of one of the caller's photos, in its pixels, as a new photo; it counts
/// toward the hourly photo limit.
#[utoipa::path(
    post,
    path = "/images/crop",
    tag = "photos",
    request_body = CropBody,
    responses(
        (status = 201, description = "The crop, kept as a photo", body = UploadedImage),
        (status = 422, description = "Unknown photo or a rectangle outside it; `error.field` names which", body = ApiErrorBody),
        (status = 429, description = "Too many photos this hour", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until another photo is accepted"))),
        (status = 500, description = "Our side failed; nothing was kept", body = ApiErrorBody),
    )
)]
async fn crop(
    State(photos): State<Arc<Photos>>,
    Extension(visitor): Extension<Visitor>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(body): ValidJson<CropBody>,
) -> Result<(StatusCode, Json<UploadedImage>), HttpError> {
    let image = photos
        .crop(&visitor, client, body.image_id, body.rect)
        .await?;
    Ok((StatusCode::CREATED, Json(image)))
}

/// Deletes one of the caller's photos and everything made from it (cut-out, mask, looks,
/// thumbnail, preview); games made from it keep playing.
#[utoipa::path(
    delete,
    path = "/images/{id}",
    tag = "photos",
    params(("id" = String, Path, description = "The photo's id")),
    responses(
        (status = 204, description = "Deleted; from now on it is 404 everywhere"),
        (status = 404, description = "No such photo of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed; ask again to finish", body = ApiErrorBody),
    )
)]
async fn delete_image(
    State(photos): State<Arc<Photos>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let id = Uuid::parse_str(&id).map_err(|_| HttpError::not_found())?;
    photos.delete(&visitor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A file of one of the caller's photos: `thumbnail.png` (256 px), `preview.png` (1024 px),
/// and once cut out `cutout.png` and `mask.png`.
#[utoipa::path(
    get,
    path = "/images/{id}/{file}",
    tag = "photos",
    params(
        ("id" = String, Path, description = "The photo's id"),
        ("file" = String, Path, description = "`thumbnail.png`, `preview.png`, `cutout.png` or `mask.png`"),
    ),
    responses(
        (status = 200, description = "The picture", content_type = "image/png", body = Binary),
        (status = 404, description = "No such photo or file of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
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
