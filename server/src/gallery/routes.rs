//! The gallery under `/api/v1`: publishing one's game, browsing what is listed, searching it.

use std::sync::Arc;

use app::dto::{ApiErrorBody, GalleryPage, GameView, PublishRequest};
use app::port::Visitor;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Gallery, PageParams};
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::Caller;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish))
        .routes(routes!(unpublish))
        .routes(routes!(gallery))
        .routes(routes!(search))
}

/// Asks for one of the caller's finished games to be listed in the gallery: it waits for a
/// moderator (`visibility: pending`). Needs an account.
#[utoipa::path(
    post,
    path = "/games/{id}/publish",
    tag = "gallery",
    params(("id" = String, Path, description = "The game's id")),
    request_body = PublishRequest,
    responses(
        (status = 200, description = "Waiting for a moderator (or listed already)", body = GameView),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 409, description = "A moderator took it down", body = ApiErrorBody),
        (status = 422, description = "Not finished, or a description too long", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn publish(
    State(gallery): State<Arc<Gallery>>,
    Extension(visitor): Extension<Visitor>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<PublishRequest>,
) -> Result<Json<GameView>, HttpError> {
    Ok(Json(
        gallery
            .publish(&visitor, caller.as_ref(), &id, request)
            .await?,
    ))
}

/// Takes one of the caller's games out of the gallery (or the queue): link-only again.
#[utoipa::path(
    post,
    path = "/games/{id}/unpublish",
    tag = "gallery",
    params(("id" = String, Path, description = "The game's id")),
    responses(
        (status = 200, description = "Link-only", body = GameView),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn unpublish(
    State(gallery): State<Arc<Gallery>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Result<Json<GameView>, HttpError> {
    Ok(Json(gallery.unpublish(&visitor, &id).await?))
}

/// What a gallery page is asked for.
#[derive(serde::Deserialize, utoipa::IntoParams)]
struct GalleryQuery {
    /// `new` (the default: newest listed first), `featured`, `popular` (most played in the last
    /// 24 hours) or `popular_week` (the last 7 days); the most played come on one page.
    sort: Option<String>,
    /// Only games in this world.
    theme: Option<String>,
    /// Only games of this difficulty.
    difficulty: Option<String>,
    /// Where the page starts: the `next` of the page before.
    cursor: Option<String>,
    /// Games on the page, 1 to 48 (default 24).
    limit: Option<String>,
}

/// Listed games, newest, featured or most played first, by world and difficulty; `next`
/// continues (newest and featured).
#[utoipa::path(
    get,
    path = "/gallery",
    tag = "gallery",
    params(GalleryQuery),
    responses(
        (status = 200, description = "A page of games", body = GalleryPage),
        (status = 422, description = "An unknown sort, world or difficulty, a bad cursor or limit (or a cursor with a most-played sort)", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn gallery(
    State(gallery): State<Arc<Gallery>>,
    Query(query): Query<GalleryQuery>,
) -> Result<Json<GalleryPage>, HttpError> {
    Ok(Json(
        gallery
            .page(PageParams {
                sort: query.sort,
                theme: query.theme,
                difficulty: query.difficulty,
                cursor: query.cursor,
                limit: query.limit,
            })
            .await?,
    ))
}

/// What is searched for.
#[derive(serde::Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// Words of a title, pet name or description; each matches as a prefix.
    q: Option<String>,
}

/// Listed games whose title, pet name or description has every word (as a prefix), best
/// first.
#[utoipa::path(
    get,
    path = "/games/search",
    tag = "gallery",
    params(SearchQuery),
    responses(
        (status = 200, description = "The best matches, at most 24", body = GalleryPage),
        (status = 422, description = "No word to search for, or more than 100 characters", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn search(
    State(gallery): State<Arc<Gallery>>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<GalleryPage>, HttpError> {
    Ok(Json(
        gallery
            .search(query.q.as_deref().unwrap_or_default())
            .await?,
    ))
}
