//! Public routes of a game, reached by its short code: the bare embed page, the game module,
//! its pictures and the offline download. The embed page alone may be framed by other sites.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use game_runtime::assemble::{GameSource, PageOptions, html_page};

use super::error::HttpError;
use crate::runtime_assets::GameRuntime;
use crate::service::{Picture, Service};
use crate::store::GameRecord;

pub fn routes(service: Arc<Service>) -> Router {
    Router::new()
        .route("/embed/{code}", get(embed))
        .route("/api/v1/play/{code}/game.wasm", get(module))
        .route("/api/v1/play/{code}/download", get(download))
        .route("/api/v1/play/{code}/{file}", get(picture))
        .with_state(service)
}

async fn embed(
    State(service): State<Arc<Service>>,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    let game = service.public_game(&code).await?;
    let module_url = format!("/api/v1/play/{}/game.wasm", game.short_code);
    let page = html_page(&PageOptions {
        title: &game.title,
        source: GameSource::Url {
            glue_url: &GameRuntime::glue_url(),
            loader_url: &GameRuntime::loader_url(),
            module_url: &module_url,
        },
    });
    Ok((
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("frame-ancestors *"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Html(page),
    )
        .into_response())
}

async fn module(
    State(service): State<Arc<Service>>,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    let game = service.public_game(&code).await?;
    let bytes = service.game_module(&game).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/wasm"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes,
    )
        .into_response())
}

async fn picture(
    State(service): State<Arc<Service>>,
    Path((code, file)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let picture = Picture::parse(&file).ok_or(HttpError(app::error::AppError::NotFound))?;
    let game = service.public_game(&code).await?;
    let bytes = service.game_picture(&game, picture).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes,
    )
        .into_response())
}

async fn download(
    State(service): State<Arc<Service>>,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    let game = service.public_game(&code).await?;
    html_download(&service, &game).await
}

/// The game as one HTML file, offered as an attachment named after the game.
pub async fn html_download(service: &Service, game: &GameRecord) -> Result<Response, HttpError> {
    let html = service.download_html(game).await?;
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
