//! Public routes of a game, reached by its short code: the bare embed page, the game module,
//! its pictures and the offline download. The embed page alone may be framed by other sites.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use game_runtime::assemble::{GameSource, PageOptions, html_page};

use super::store::GameRecord;
use super::{Games, Picture};
use crate::gallery::Gallery;
use crate::http::Binary;
use crate::http::cache::{etag_matches, weak_etag};
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::infra::runtime::content_tag;
use crate::state::AppState;
use crate::urls;
use app::dto::ApiErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The page other sites may frame: `/embed/{code}`.
pub fn page_routes() -> Router<AppState> {
    Router::new().route("/embed/{code}", get(embed))
}

/// A game's public files, under `/api/v1`.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(module))
        .routes(routes!(download))
        .routes(routes!(count_play))
        .routes(routes!(game_file))
}

async fn embed(
    State(games): State<Arc<Games>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    let game = games.public(&code, client).await?;
    if game.expired(chrono::Utc::now()) {
        return Ok(expired_page(&game));
    }
    if game.visibility.taken_down() {
        return Ok(notice_page(
            &game,
            "This game is not available: our moderators took it down.",
        ));
    }
    // The content-addressed name when the game has one, so the module is cached for good.
    let file = module_file(&game).unwrap_or("game.wasm");
    let module_url = urls::game_public_file(&game.short_code, file);
    let plays_url = urls::game_public_file(&game.short_code, "plays");
    let events_url = urls::game_public_file(&game.short_code, "events");
    let leaderboard_url = urls::game_public_file(&game.short_code, "leaderboard");
    let report_url = format!("{}#report", urls::play_page(&game.short_code));
    let runtime = games.runtime();
    let page = html_page(&PageOptions {
        title: &game.title,
        source: GameSource::Url {
            glue_url: &runtime.glue_url(),
            loader_url: &runtime.loader_url(),
            module_url: &module_url,
            plays_url: Some(&plays_url),
            events_url: Some(&events_url),
            leaderboard_url: Some(&leaderboard_url),
            report_url: Some(&report_url),
        },
    });
    // Cache headers and the ETag come from `http::cache`, as for the other public pages.
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors *"),
        )],
        Html(page),
    )
        .into_response())
}

/// What the embed shows once a free game has expired: where its owner can keep it.
fn expired_page(game: &GameRecord) -> Response {
    notice_page(
        game,
        &format!(
            "This free game has expired.</p><p><a href=\"{keep}\" target=\"_top\">Its owner \
             can keep it for good</a>",
            keep = urls::game_page(game.id),
        ),
    )
}

/// The embed's polite page instead of a game (410): `message` is HTML of ours.
fn notice_page(game: &GameRecord, message: &str) -> Response {
    let title = html_escape(&game.title);
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head><body \
         style=\"font-family:sans-serif;text-align:center;padding:2em\"><h1>{title}</h1>\
         <p>{message}</p></body></html>"
    );
    (
        StatusCode::GONE,
        [(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors *"),
        )],
        Html(page),
    )
        .into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Counts a play of a ready game (the page's loader reports the first start).
#[utoipa::path(
    post,
    path = "/play/{code}/plays",
    tag = "play",
    params(("code" = String, Path, description = "The game's short code")),
    responses(
        (status = 204, description = "Counted"),
        (status = 404, description = "No ready game has that code", body = ApiErrorBody),
        (status = 410, description = "A free game past its time", body = ApiErrorBody),
        (status = 429, description = "This client's plays of this game are counted enough for this hour", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn count_play(
    State(games): State<Arc<Games>>,
    State(gallery): State<Arc<Gallery>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
) -> Result<StatusCode, HttpError> {
    let game = games.count_play(&code, client).await?;
    gallery.played(game).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The file name of the game's stored module: `game-{content tag}.wasm` for games
/// assembled since modules are content-addressed.
fn module_file(game: &GameRecord) -> Option<&str> {
    let key = game.assets.as_ref()?.module.as_deref()?;
    key.rsplit('/').next()
}

/// The game's current module (the runtime with its data), revalidated on each use:
/// regenerating a game changes it.
#[utoipa::path(
    get,
    path = "/play/{code}/game.wasm",
    tag = "play",
    params(("code" = String, Path, description = "The game's short code")),
    responses(
        (status = 200, description = "The module; its ETag is its content tag", content_type = "application/wasm", body = Binary),
        (status = 304, description = "The caller holds this version (`If-None-Match`)"),
        (status = 404, description = "No ready game has that code", body = ApiErrorBody),
        (status = 410, description = "A free game past its time", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn module(
    State(games): State<Arc<Games>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let game = games.playable(&code, client).await?;
    let bytes = games.module(&game).await?;
    let tag = content_tag(&bytes);
    Ok(tagged(
        &headers,
        &tag,
        "no-cache",
        "application/wasm",
        bytes,
    ))
}

/// A response with an ETag, or 304 when the client already holds that version.
fn tagged(
    headers: &HeaderMap,
    tag: &str,
    cache: &'static str,
    content_type: &'static str,
    bytes: bytes::Bytes,
) -> Response {
    let etag = weak_etag(tag);
    let fresh = etag_matches(headers.get(header::IF_NONE_MATCH), &etag);
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
    ];
    if fresh {
        (StatusCode::NOT_MODIFIED, common).into_response()
    } else {
        (
            common,
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            bytes,
        )
            .into_response()
    }
}

/// A game's pictures (`cutout.png`, `sprite.png`, `sheet.png`, `preview.gif`) and its module
/// by content (`game-{tag}.wasm`, immutable: what `/embed` loads).
#[utoipa::path(
    get,
    path = "/play/{code}/{file}",
    tag = "play",
    params(
        ("code" = String, Path, description = "The game's short code"),
        ("file" = String, Path, description = "A picture's name, or `game-{tag}.wasm`"),
    ),
    responses(
        (status = 200, description = "The file", content(
            (Binary = "image/png"), (Binary = "image/gif"), (Binary = "application/wasm"))),
        (status = 304, description = "The caller holds this version (`If-None-Match`)"),
        (status = 404, description = "No such game or file", body = ApiErrorBody),
        (status = 410, description = "A free game past its time (its module)", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn game_file(
    State(games): State<Arc<Games>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path((code, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if let Some(tag) = file
        .strip_prefix("game-")
        .and_then(|rest| rest.strip_suffix(".wasm"))
    {
        let game = games.playable(&code, client).await?;
        if module_file(&game) != Some(file.as_str()) {
            return Err(HttpError(app::error::AppError::NotFound));
        }
        let bytes = games.module(&game).await?;
        return Ok(tagged(
            &headers,
            tag,
            "public, max-age=31536000, immutable",
            "application/wasm",
            bytes,
        ));
    }
    let picture = Picture::parse(&file).ok_or(HttpError(app::error::AppError::NotFound))?;
    let game = games.public(&code, client).await?;
    let bytes = games.picture(&game, picture).await?;
    Ok((
        [
            (header::CONTENT_TYPE, picture.content_type()),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes,
    )
        .into_response())
}

/// The game as one HTML file that plays offline.
#[utoipa::path(
    get,
    path = "/play/{code}/download",
    tag = "play",
    params(("code" = String, Path, description = "The game's short code")),
    responses(
        (status = 200, description = "The game, as an attachment", content_type = "text/html", body = Binary),
        (status = 402, description = "The game's package has no offline download (free)", body = ApiErrorBody),
        (status = 404, description = "No ready game has that code", body = ApiErrorBody),
        (status = 410, description = "A free game past its time", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn download(
    State(games): State<Arc<Games>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    let game = games.playable(&code, client).await?;
    html_download(&games, &game).await
}

/// The game as one HTML file, offered as an attachment named after the game, when its
/// package includes the offline download.
pub async fn html_download(games: &Games, game: &GameRecord) -> Result<Response, HttpError> {
    if !game.package.allowance().download {
        return Err(HttpError(app::error::AppError::PaymentRequired(format!(
            "the offline download comes with the basic and premium packages; this game is {}",
            game.package.label()
        ))));
    }
    let html = games.download_html(game).await?;
    let file: String = game
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{}.html\"", file.trim_matches('-'));
    let disposition =
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"));
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Html(html)).into_response())
}
