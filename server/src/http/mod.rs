//! The HTTP edge: pages (SSR + server functions), the REST API, public game routes, static
//! assets and `/health`, with the layers they share.

mod api;
mod error;
mod extract;
mod health;
mod play;
mod progress;
mod visitor;

use std::sync::Arc;

use app::port::{PetPixelPort, Port};
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use leptos::prelude::{LeptosOptions, provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::service::Service;
use crate::sessions::AnySessionStore;

pub use health::Health;

pub struct HttpParts {
    pub service: Arc<Service>,
    pub sessions: AnySessionStore,
    pub leptos: LeptosOptions,
    pub health: Arc<Health>,
}

pub fn router(parts: HttpParts) -> Router {
    let HttpParts {
        service,
        sessions,
        leptos,
        health,
    } = parts;
    let port = Port(Arc::clone(&service) as Arc<dyn PetPixelPort>);
    let sessions = SessionManagerLayer::new(sessions)
        .with_name("petpixel_session")
        .with_same_site(SameSite::Lax)
        .with_secure(service.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(30)));

    // Pages, server functions and the REST API know the visitor; static files do not need to.
    let shell_options = leptos.clone();
    let visitor_routes = Router::new()
        .leptos_routes_with_context(
            &leptos,
            generate_route_list(app::App),
            move || provide_context(port.clone()),
            move || app::shell(shell_options.clone()),
        )
        .nest(
            "/api/v1",
            api::routes(Arc::clone(&service)).fallback(api::not_found),
        )
        .route_layer(axum::middleware::from_fn(visitor::attach))
        .route_layer(sessions)
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(leptos.clone());

    let metrics = Arc::clone(&service.metrics);
    let pkg = ServeDir::new(std::path::Path::new(&*leptos.site_root).join(&*leptos.site_pkg_dir));
    let public_routes = play::routes(Arc::clone(&service))
        .route("/health", get(health::health).with_state(health))
        .route(
            "/metrics",
            get(metrics_page).with_state(Arc::clone(&service)),
        )
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn(pkg_cache_headers))
                .service(pkg),
        );

    public_routes
        .merge(visitor_routes)
        // Pages and API answers are revalidated on every use; what may be kept longer
        // (content-addressed modules and scripts, pictures) says so itself.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'self'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            count_response,
        ))
}

/// Counts every response by status for `http_requests_total`.
async fn count_response(
    axum::extract::State(metrics): axum::extract::State<Arc<crate::metrics::Metrics>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    metrics.request(response.status().as_u16());
    response
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics_page(
    axum::extract::State(service): axum::extract::State<Arc<Service>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let depths = match service.store.queue_depths().await {
        Ok(depths) => depths,
        Err(e) => {
            tracing::error!(error = %e, "could not read the queue depths");
            return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        service.metrics.render(&depths),
    )
        .into_response()
}

/// `/pkg` files asked for by content tag (`?v=`, from `GameRuntime`'s URLs) never
/// change under that URL: cache them for a year, with the tag as ETag. Any other
/// request revalidates every time, so a new build is picked up at once.
async fn pkg_cache_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let version = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("v=")))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_owned);
    let mut response = next.run(request).await;
    let success = response.status().is_success();
    let headers = response.headers_mut();
    match version.and_then(|v| HeaderValue::from_str(&format!("\"{v}\"")).ok()) {
        Some(etag) if success => {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            headers.insert(header::ETAG, etag);
        }
        _ => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
    }
    response
}
