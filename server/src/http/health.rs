//! `GET /health`: 200 with the versions of the parts when the database answers, 503 when not.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::service::Service;

pub struct Health {
    pub service: Arc<Service>,
    pub sessions: &'static str,
}

pub async fn health(State(health): State<Arc<Health>>) -> (StatusCode, Json<Value>) {
    let s = &health.service;
    let database = match s.store.ping().await {
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
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "parts": {
            "database": { "engine": s.store.engine(), "status": database },
            "blobs": s.blobs.kind(),
            "sessions": health.sessions,
            "rate_limits": s.limiter.kind(),
            "ml": { "framework": "burn 0.22", "backend": "flex (cpu)" },
            "game_runtime": { "format_version": game_runtime::format::FORMAT_VERSION, "module_bytes": s.runtime.module.len() },
            "web": { "leptos": "0.8", "axum": "0.8" },
        },
    });
    (status, Json(body))
}
