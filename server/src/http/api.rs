//! The REST API under `/api/v1`, assembled from each capability's routes, and its contract:
//! an OpenAPI 3.1 document generated from the same handlers and types
//! (`GET /api/v1/openapi.json`), so a route cannot exist without being described.

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::not_found;
use crate::state::AppState;
use crate::{
    accounts, analytics, billing, gallery, games, leaderboard, moderation, notifications, photos,
    studio,
};

/// The API's routers: what needs the visitor, and the games' public files.
pub struct ApiRouters {
    pub owner: Router<AppState>,
    pub public: Router<AppState>,
}

/// The document, as served.
#[derive(Clone)]
pub struct ApiDocument(Arc<String>);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PetPixel Games API",
        description = "Upload a pet photo, draw it as pixel art, and make a platformer starring \
            it. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`. A browser is \
            known by its session cookie (set by its first upload, or at login); a script or an \
            app sends `Authorization: Bearer` with an access token from `POST /auth/login` \
            (`\"token\": true`). What a caller made is theirs: anyone else gets 404."
    ),
    tags(
        (name = "accounts", description = "Sign-up, login, tokens and the profile"),
        (name = "photos", description = "Uploads, crops, deletions and a photo's files"),
        (name = "studio", description = "Cut-outs, pixel-art looks and their animation"),
        (name = "games", description = "Games made from photos, followed as they are made"),
        (name = "play", description = "A game's public files, by short code"),
        (name = "notifications", description = "\"Your game is ready\" by Web Push"),
        (name = "payments", description = "Packages, checkout through Stripe, refunds, the subscription, Stripe's webhook"),
        (name = "gallery", description = "Publishing a game, the public gallery and search"),
        (name = "moderation", description = "The moderators' queue, decisions, featuring and taking down"),
    )
)]
struct Doc;

/// Stripe's webhook, outside sessions, tokens and the per-address API limit.
pub const WEBHOOK_PATH: &str = "/api/v1/payments/webhook";

/// The routers and their document.
pub fn routers(max_upload_bytes: usize) -> (ApiRouters, ApiDocument) {
    let owner = OpenApiRouter::new()
        .merge(accounts::routes::routes())
        .merge(photos::routes::routes(max_upload_bytes))
        .merge(studio::routes::routes())
        .merge(games::routes::routes())
        .merge(notifications::routes::routes())
        .merge(billing::routes::routes())
        .merge(gallery::routes::routes())
        .merge(moderation::routes::routes())
        .merge(leaderboard::routes::routes())
        .merge(analytics::routes::routes())
        .routes(routes!(openapi_json))
        .fallback(not_found);
    let (owner, mut document) = OpenApiRouter::with_openapi(Doc::openapi())
        .nest("/api/v1", owner)
        .split_for_parts();
    let (public, public_document) = OpenApiRouter::new()
        .nest(
            "/api/v1",
            games::play::api_routes().merge(billing::routes::webhook_routes()),
        )
        .split_for_parts();
    // Routes outside sessions read no bearer token: no 401 from the edge there.
    let outside_sessions: Vec<String> = public_document.paths.paths.keys().cloned().collect();
    document.merge(public_document);
    document_edge_answers(&mut document, &outside_sessions);
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let json = document
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"the API document did not serialize: {e}\"}}"));
    (ApiRouters { owner, public }, ApiDocument(Arc::new(json)))
}

/// This document: every route of the API, its bodies, errors and statuses.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "photos",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = super::AnyJson))
)]
async fn openapi_json(Extension(document): Extension<ApiDocument>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.0.as_str().to_owned(),
    )
        .into_response()
}

/// The answers the edge gives before any handler runs, on the routes they apply to: `401` for
/// a missing, expired or forged bearer token (every route that knows its caller), `429` once
/// the address's API limit is spent (every counted route: not a game's public files, not
/// this document) or, on a game's public routes, once the address has asked for too many codes
/// that do not exist (`games::guesses`); `503` when the node is full and `408` for a body that
/// arrives too slowly (`pressure`), anywhere.
fn document_edge_answers(document: &mut utoipa::openapi::OpenApi, public: &[String]) {
    use axum::http::Method;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};

    let error = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ApiErrorBody")))
            .build()
    };
    // An answer that says when to ask again.
    let retry_later = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", error())
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                    .description(Some("Seconds until it may be asked again"))
                    .build(),
            )
            .build()
            .into()
    };
    for (path, item) in document.paths.paths.iter_mut() {
        // A game's public files and the webhook (whose credential is its signature).
        let public = public.contains(path);
        let document_itself = path == "/api/v1/openapi.json";
        let operations = [
            (Method::GET, &mut item.get),
            (Method::PUT, &mut item.put),
            (Method::POST, &mut item.post),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            let answers = &mut operation.responses.responses;
            if !public && !document_itself {
                answers.entry("401".into()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("A missing, expired or forged bearer token")
                        .content("application/json", error())
                        .build()
                        .into()
                });
            }
            if super::api_limit::counted(&method, path) {
                answers.entry("429".into()).or_insert_with(|| {
                    retry_later("Too many requests from this address this minute")
                });
            }
            if path.starts_with("/api/v1/play/{code}") {
                answers.entry("429".into()).or_insert_with(|| {
                    retry_later("This address asked for too many codes that do not exist this hour")
                });
            }
            if !document_itself {
                answers.entry("503".into()).or_insert_with(|| {
                    retry_later("The server is busy: try again after `Retry-After`")
                });
            }
            if operation.request_body.is_some() {
                answers.entry("408".into()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("The request's body arrived too slowly")
                        .content("application/json", error())
                        .build()
                        .into()
                });
            }
        }
    }
}
