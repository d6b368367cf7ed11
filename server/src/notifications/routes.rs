//! Web Push under `/api/v1`: the key to subscribe with, and a device's subscription to a game.

use std::sync::Arc;

use app::dto::{PushSubscribed, PushSubscriptionJson};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::Notifications;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/games/{id}/push", post(subscribe_push))
        .route("/push/key", get(push_key))
}

/// `POST /games/{id}/push`: the body is the browser's `PushSubscription.toJSON()`. 201 when
/// the device is new to the game, 200 when it was already subscribed.
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

/// `GET /push/key`: the `applicationServerKey` to subscribe with.
async fn push_key(State(notifications): State<Arc<Notifications>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "public_key": notifications.push_key() }))
}
