//! `GET /health`: 200 with the parts in use, this node's role and the real versions when the
//! database answers; 503 when it does not.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::infra::db::Db;

/// What a node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Pages and the API; work is queued for workers.
    Web,
    /// Work only (`petpixel worker`).
    Worker,
    /// Both: `serve` with its in-process worker (the embedded default).
    All,
}

/// What `/health` reports, gathered at start-up.
pub struct Health {
    pub role: Role,
    pub db: Db,
    pub blobs: &'static str,
    pub sessions: &'static str,
    pub rate_limits: &'static str,
    /// Where the gallery's most played are counted: `sql` or `redis`.
    pub ranking: &'static str,
    /// Where the image models run, when this node loaded them.
    pub ml_backend: Option<String>,
    pub runtime_module_bytes: usize,
}

pub async fn health(State(health): State<Arc<Health>>) -> (StatusCode, Json<Value>) {
    let database = match health.db.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::error!(error = %e, "health: database ping failed");
            "unavailable"
        }
    };
    let status = if database == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let ml = match &health.ml_backend {
        Some(backend) => json!({
            "loaded": true,
            "framework": format!("burn {}", env!("PETPIXEL_VERSION_BURN")),
            "backend": backend,
        }),
        None => json!({ "loaded": false }),
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "role": health.role,
        "parts": {
            "database": { "engine": health.db.engine(), "status": database },
            "blobs": health.blobs,
            "sessions": health.sessions,
            "rate_limits": health.rate_limits,
            "ranking": health.ranking,
            "ml": ml,
            "game_runtime": {
                "format_version": game_runtime::format::FORMAT_VERSION,
                "module_bytes": health.runtime_module_bytes,
            },
            "web": {
                "leptos": env!("PETPIXEL_VERSION_LEPTOS"),
                "axum": env!("PETPIXEL_VERSION_AXUM"),
                "sqlx": env!("PETPIXEL_VERSION_SQLX"),
            },
        },
    });
    (status, Json(body))
}
