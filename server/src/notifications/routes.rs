//! Web Push under `/api/v1`: the key to subscribe with, and a device's subscription to a game.

use std::sync::Arc;

use app::dto::{ApiErrorBody, EmailedLink, PushSubscribed, PushSubscriptionJson};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Notifications;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(subscribe_push))
        .routes(routes!(push_key))
        .routes(routes!(confirm_email))
}

/// The owner of an address that was asked to be told when a game is ready consents, with
/// the link mailed to it: the game's email is sent once it is ready.
#[utoipa::path(
    post,
    path = "/notifications/confirm",
    tag = "notifications",
    request_body = EmailedLink,
    responses(
        (status = 204, description = "Confirmed"),
        (status = 422, description = "The link expired, was used, or its game is gone; `error.field` is `token`", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn confirm_email(
    State(notifications): State<Arc<Notifications>>,
    ValidJson(link): ValidJson<EmailedLink>,
) -> Result<StatusCode, HttpError> {
    notifications.confirm_email(&link.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The key browsers subscribe with.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct PushKey {
    /// The VAPID public key (`applicationServerKey`), base64url.
    public_key: String,
}

/// A Web Push notification to this device once the caller's game is ready (at once if it
/// is). The body is the browser's `PushSubscription.toJSON()`.
#[utoipa::path(
    post,
    path = "/games/{id}/push",
    tag = "notifications",
    params(("id" = String, Path, description = "The game's id")),
    request_body = PushSubscriptionJson,
    responses(
        (status = 201, description = "The device will be told", body = PushSubscribed),
        (status = 200, description = "The device was already subscribed", body = PushSubscribed),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 422, description = "Not a known push service's subscription, bad keys, or too many devices; `error.field` names which", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn subscribe_push(
    State(notifications): State<Arc<Notifications>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
    ValidJson(subscription): ValidJson<PushSubscriptionJson>,
) -> Result<(StatusCode, Json<PushSubscribed>), HttpError> {
    let subscribed = notifications
        .subscribe_push(&visitor, &id, subscription)
        .await?;
    let status = if subscribed.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(subscribed)))
}

/// The key browsers subscribe to Web Push with (`applicationServerKey`).
#[utoipa::path(
    get,
    path = "/push/key",
    tag = "notifications",
    responses((status = 200, description = "The key", body = PushKey))
)]
async fn push_key(State(notifications): State<Arc<Notifications>>) -> Json<PushKey> {
    Json(PushKey {
        public_key: notifications.push_key(),
    })
}
