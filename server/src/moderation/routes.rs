//! Moderation under `/api/v1`: reports from anyone holding a game's link; the queue and
//! decisions (moderators and admins).

use std::sync::Arc;

use app::dto::{
    ApiErrorBody, FeatureRequest, ModerationDecision, ModerationQueue, ReportReceived,
    ReportRequest,
};
use app::port::Visitor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Moderation;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::Caller;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(approve))
        .routes(routes!(photo))
        .routes(routes!(reject))
        .routes(routes!(hide))
        .routes(routes!(feature))
        .routes(routes!(report))
}

/// Asks the moderators to look at a game: it waits in their queue, where they keep it or take
/// it down.
#[utoipa::path(
    post,
    path = "/play/{code}/report",
    tag = "moderation",
    params(("code" = String, Path, description = "The game's short code")),
    request_body = ReportRequest,
    responses(
        (status = 202, description = "Received: a moderator will look at it", body = ReportReceived),
        (status = 404, description = "No game has that code", body = ApiErrorBody),
        (status = 422, description = "An unknown reason, or a note too long", body = ApiErrorBody),
        (status = 429, description = "This visitor or address reported enough for this hour", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn report(
    State(moderation): State<Arc<Moderation>>,
    Extension(visitor): Extension<Visitor>,
    Extension(Caller(caller)): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
    ValidJson(request): ValidJson<ReportRequest>,
) -> Result<(StatusCode, Json<ReportReceived>), HttpError> {
    let received = moderation
        .report(&visitor, caller.as_ref(), client, &code, request)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(received)))
}

/// What waits for a moderator, oldest first, with the pictures to judge it by.
#[utoipa::path(
    get,
    path = "/moderation/queue",
    tag = "moderation",
    responses(
        (status = 200, description = "The queue", body = ModerationQueue),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not a moderator", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn queue(
    State(moderation): State<Arc<Moderation>>,
    Extension(Caller(caller)): Extension<Caller>,
) -> Result<Json<ModerationQueue>, HttpError> {
    Ok(Json(moderation.queue(caller.as_ref()).await?))
}

/// The owner's photo a waiting game was made from, to judge beside its cut-out and sprite.
#[utoipa::path(
    get,
    path = "/moderation/{item}/photo",
    tag = "moderation",
    params(("item" = String, Path, description = "The queue item's id")),
    responses(
        (status = 200, description = "The photo (its preview)", content_type = "image/png", body = crate::http::Binary),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not a moderator", body = ApiErrorBody),
        (status = 404, description = "No such item waiting, or its photo was deleted", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn photo(
    State(moderation): State<Arc<Moderation>>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(item): Path<String>,
) -> Result<axum::response::Response, HttpError> {
    let bytes = moderation.photo(caller.as_ref(), &item).await?;
    Ok(crate::http::owned_file("photo.png", bytes))
}

/// Lists a waiting game in the gallery.
#[utoipa::path(
    post,
    path = "/moderation/{item}/approve",
    tag = "moderation",
    params(("item" = String, Path, description = "The queue item's id")),
    responses(
        (status = 204, description = "Listed"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not a moderator", body = ApiErrorBody),
        (status = 404, description = "No such item waiting (decided, or withdrawn by its owner)", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn approve(
    State(moderation): State<Arc<Moderation>>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(item): Path<String>,
) -> Result<StatusCode, HttpError> {
    moderation.approve(caller.as_ref(), &item).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns a waiting game down, with a reason its owner reads.
#[utoipa::path(
    post,
    path = "/moderation/{item}/reject",
    tag = "moderation",
    params(("item" = String, Path, description = "The queue item's id")),
    request_body = ModerationDecision,
    responses(
        (status = 204, description = "Rejected"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not a moderator", body = ApiErrorBody),
        (status = 404, description = "No such item waiting", body = ApiErrorBody),
        (status = 422, description = "No reason, or too long", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn reject(
    State(moderation): State<Arc<Moderation>>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(item): Path<String>,
    ValidJson(decision): ValidJson<ModerationDecision>,
) -> Result<StatusCode, HttpError> {
    moderation.reject(caller.as_ref(), &item, decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a listed game down: out of the gallery and search; its embed shows a notice.
#[utoipa::path(
    post,
    path = "/moderation/games/{id}/hide",
    tag = "moderation",
    params(("id" = String, Path, description = "The game's id")),
    request_body = ModerationDecision,
    responses(
        (status = 204, description = "Taken down"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not a moderator", body = ApiErrorBody),
        (status = 404, description = "No such listed game", body = ApiErrorBody),
        (status = 422, description = "No reason, or too long", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn hide(
    State(moderation): State<Arc<Moderation>>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
    ValidJson(decision): ValidJson<ModerationDecision>,
) -> Result<StatusCode, HttpError> {
    moderation.hide(caller.as_ref(), &id, decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shows a listed game among the featured, or stops.
#[utoipa::path(
    post,
    path = "/games/{id}/feature",
    tag = "moderation",
    params(("id" = String, Path, description = "The game's id")),
    request_body = FeatureRequest,
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not a moderator", body = ApiErrorBody),
        (status = 404, description = "No such listed game", body = ApiErrorBody),
        (status = 422, description = "Not a JSON `{featured}`", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn feature(
    State(moderation): State<Arc<Moderation>>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<FeatureRequest>,
) -> Result<StatusCode, HttpError> {
    moderation
        .feature(caller.as_ref(), &id, request.featured)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
