//! The HTTP edge: pages (SSR + server functions), the REST API assembled from each
//! capability's routes, static assets, `/health` and `/metrics`, with the layers they share.

mod api;
mod api_limit;
pub mod assets;
pub mod cache;
pub mod client_ip;
mod csrf;
pub mod error;
pub mod extract;
pub mod health;
pub mod page_policy;
mod port;
pub mod pressure;
pub mod static_files;
pub mod streams;
pub mod visitor;

use std::sync::Arc;

use app::port::{PetPixelPort, Port as PortContext};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use leptos::nonce::Nonce;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::SessionManagerLayer;
use tower_sessions::cookie::SameSite;

use crate::games;
use crate::infra::metrics::Metrics;
use crate::infra::sessions::AnySessionStore;
use crate::state::{AppState, Scrape};

/// What Leptos writes where a per-response nonce would go (see `router`); not in any policy.
const PAGE_NONCE: &str = "petpixel";

/// How sessions are kept and what their cookie is like.
pub struct SessionSettings {
    pub store: AnySessionStore,
    /// The cookie is sent over HTTPS only.
    pub secure_cookies: bool,
    /// The site's public URL is `https:`: the cookie is `Secure` and `__Host-` (bound to
    /// this host, path `/`, so no sibling domain can set or shadow it), and browsers are
    /// told to keep to HTTPS (HSTS).
    pub https: bool,
}

/// The session cookie's name: `__Host-` prefixed when the site is HTTPS.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-petpixel_session"
    } else {
        "petpixel_session"
    }
}

/// What the edge counts requests with: the shared limiter, the API's per-minute limit, and
/// the proxies whose `X-Forwarded-For` names the client.
pub struct EdgeLimits {
    pub limiter: Arc<dyn crate::infra::limits::RateLimiter>,
    pub api_per_minute: u32,
    pub trusted_proxies: client_ip::TrustedProxies,
    /// What one node takes on at once, and for how long.
    pub pressure: Arc<pressure::Pressure>,
}

/// The whole application's router.
pub fn router(
    state: AppState,
    sessions: SessionSettings,
    limits: EdgeLimits,
    metrics: Arc<Metrics>,
    max_upload_bytes: usize,
) -> Router {
    let port = PortContext(Arc::new(port::Port {
        accounts: Arc::clone(&state.accounts),
        devices: Arc::clone(&state.devices),
        social: Arc::clone(&state.social),
        photos: Arc::clone(&state.photos),
        studio: Arc::clone(&state.studio),
        games: Arc::clone(&state.games),
        notifications: Arc::clone(&state.notifications),
        billing: Arc::clone(&state.billing),
        gallery: Arc::clone(&state.gallery),
        moderation: Arc::clone(&state.moderation),
        leaderboards: Arc::clone(&state.leaderboards),
        analytics: Arc::clone(&state.analytics),
        public_url: state.public_url.clone(),
    }) as Arc<dyn PetPixelPort>);
    let site = Arc::new(page_policy::SitePolicy {
        https: sessions.https,
        payments: state.billing.origins(),
    });
    let sessions = SessionManagerLayer::new(sessions.store)
        .with_name(session_cookie_name(sessions.https))
        .with_same_site(SameSite::Lax)
        .with_secure(sessions.secure_cookies || sessions.https)
        .with_path("/")
        .with_expiry(visitor::session_expiry());

    let (api, document) = api::routers(max_upload_bytes);

    // Pages, server functions and the REST API know the visitor; static files do not need to.
    let leptos = state.leptos.clone();
    let stylesheet = state.assets.stylesheet();
    let shell = move |options| app::shell(options, stylesheet.clone());
    let page_shell = shell.clone();
    let visitor_routes = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(app::App),
            move || {
                provide_context(port.clone());
                // Left alone, Leptos writes a fresh nonce into every page, which would make
                // every response unique. The policy allows inline scripts by their hashes
                // (`page_policy`), not by nonce: a fixed value keeps a page the same for
                // everyone, so shared caches can keep it and ETags match.
                provide_context(Nonce::from_value(PAGE_NONCE));
            },
            move || page_shell(leptos.clone()),
        )
        .merge(api.owner)
        .route_layer(axum::middleware::from_fn_with_state(
            (Arc::clone(&state.accounts), Arc::clone(&state.devices)),
            visitor::attach,
        ))
        .route_layer(sessions)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));

    // The build's files with the brotli and gzip copies it left beside each, from memory,
    // sent as the client accepts.
    let pkg = Router::new().route(
        "/{*path}",
        get(
            |State(files): State<Arc<static_files::StaticFiles>>,
             axum::extract::Path(path): axum::extract::Path<String>,
             headers: axum::http::HeaderMap| async move { files.answer(&path, &headers) },
        )
        .with_state(Arc::clone(&state.pkg)),
    );
    let public_routes = games::play::page_routes()
        .merge(api.public)
        .route("/health", get(health::health))
        .route("/metrics", get(metrics_page))
        .nest(
            "/pkg",
            pkg.layer(axum::middleware::from_fn(pkg_cache_headers)),
        );

    public_routes
        .merge(visitor_routes)
        .with_state(state)
        .layer(Extension(document))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(api_limit::ApiLimit {
                limiter: limits.limiter,
                per_minute: limits.api_per_minute,
            }),
            api_limit::limit,
        ))
        // Before sessions are read or written: a refused request touches none.
        .layer(axum::middleware::from_fn(csrf::refuse_cross_site))
        // Outermost of these: every layer inside knows the client's address.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(limits.trusted_proxies),
            client_ip::attach,
        ))
        // Pages and API answers are revalidated on every use; what may be kept longer
        // (content-addressed modules and scripts, pictures) says so itself.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        // Pages get a policy built from their own scripts; everything gets Referrer-Policy,
        // and HSTS on an https site.
        .layer(axum::middleware::from_fn_with_state(
            site,
            page_policy::apply,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn(cache::public_pages))
        // Pages, API answers and modules compressed as they go (brotli at quality 4, gzip),
        // outside the page cache so ETags are of the content; files the build precompressed,
        // pictures, archives (compressed already; Chromium cancelled the "Download my data"
        // ZIP when it came brotli-wrapped), small answers and event streams are left alone.
        .layer(CompressionLayer::new().compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/zip")),
        ))
        // Before any work: a full node answers 503 at once; bodies are timed as they arrive.
        .layer(axum::middleware::from_fn_with_state(
            limits.pressure,
            pressure::guard,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            count_response,
        ))
}

/// What a worker answers, when asked to (`worker_addr`): `/health` and `/metrics` only.
pub fn ops_router(
    health: Arc<health::Health>,
    scrape: Arc<Scrape>,
    metrics: Arc<Metrics>,
) -> Router {
    Router::new()
        .route("/health", get(health::health).with_state(health))
        .route("/metrics", get(metrics_page).with_state(scrape))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            count_response,
        ))
}

/// Answers `/api/v1/...` paths that match no route with a JSON 404.
async fn not_found() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        error::HttpError::not_found(),
    )
}

/// Raw bytes in a response (a picture, a module, a page), for the API document.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// A JSON document whose shape is another format's (Aseprite's frame table), for the API
/// document.
pub struct AnyJson;

impl utoipa::PartialSchema for AnyJson {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType};
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .into()
    }
}

impl utoipa::ToSchema for AnyJson {}

/// A file only its owner may fetch; what a key holds never changes once written.
pub fn owned_file(name: &str, bytes: bytes::Bytes) -> Response {
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

/// Counts every response by status for `http_requests_total`.
async fn count_response(
    State(metrics): State<Arc<Metrics>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    metrics.request(response.status().as_u16());
    response
}

/// `GET /metrics`: Prometheus' text format, to whoever may read it ([`may_scrape`]).
async fn metrics_page(
    State(scrape): State<Arc<Scrape>>,
    request: axum::http::request::Parts,
) -> Response {
    if !may_scrape(&scrape, &request) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CACHE_CONTROL, "no-store")],
            "metrics need `Authorization: Bearer` and the metrics token, or a loopback peer\n",
        )
            .into_response();
    }
    let read = async {
        Ok::<_, crate::infra::db::StoreError>((
            scrape.games.outcomes().await?,
            scrape.jobs.depths().await?,
            scrape.billing.tallies().await?,
        ))
    };
    match read.await {
        Ok((outcomes, depths, payments)) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            scrape.metrics.render(&outcomes, &depths, &payments),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not read the metrics from the database");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// With `metrics.token` set, the request must carry it as a bearer token; without, it must
/// come from a loopback peer (a sidecar or `kubectl port-forward`, never the internet).
fn may_scrape(scrape: &Scrape, request: &axum::http::request::Parts) -> bool {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    match &scrape.token {
        Some(token) => request
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            // Digests are compared, so the time taken says nothing about the token.
            .is_some_and(|given| {
                Sha256::digest(given.trim().as_bytes())
                    == Sha256::digest(token.expose_secret().as_bytes())
            }),
        None => request
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|peer| peer.0.ip().is_loopback()),
    }
}

/// `/pkg` files named by content (the app's, `assets`) or asked for by content tag (`?v=`,
/// from `GameRuntime`'s URLs) never change under that URL: cache them for a year, with the
/// tag as ETag. Any other request revalidates every time, so a new build is picked up at once.
async fn pkg_cache_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_tag = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric());
    let named = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .filter(|name| assets::content_named(name))
        .map(str::to_owned);
    let version = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("v=")))
        .filter(|v| is_tag(v))
        .map(str::to_owned)
        .or(named);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let mut response = next.run(request).await;
    let success = response.status().is_success();
    let headers = response.headers_mut();
    // Whichever copy went (brotli, gzip, none), a shared cache keeps one per encoding.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let etag = version
        .filter(|_| success)
        .map(|v| cache::weak_etag(&v))
        .and_then(|e| Some((HeaderValue::from_str(&e).ok()?, e)));
    let Some((value, etag)) = etag else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    };
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(header::ETAG, value);
    // The client holds this very file (it cannot change under its name): no body.
    if cache::etag_matches(if_none_match.as_ref(), &etag) {
        return cache::not_modified(response.into_parts().0);
    }
    response
}
