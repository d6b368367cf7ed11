//! REST errors: each `AppError` becomes one status and the JSON body `{"error": {...}}`.

use app::dto::{ApiError, ApiErrorBody};
use app::error::AppError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The REST edge's error: an `AppError` on its way to the client.
#[derive(Debug)]
pub struct HttpError(pub AppError);

impl From<AppError> for HttpError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl HttpError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self(AppError::invalid(field, message))
    }

    pub fn not_found() -> Self {
        Self(AppError::NotFound)
    }

    fn status(&self) -> StatusCode {
        match &self.0 {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            AppError::Expired(_) => StatusCode::GONE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let field = match &self.0 {
            AppError::Invalid { field, .. } | AppError::Conflict { field, .. } => {
                Some(field.clone())
            }
            _ => None,
        };
        let body = ApiErrorBody {
            error: ApiError {
                code: self.0.code().to_owned(),
                message: self.0.to_string(),
                field,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let AppError::Unauthorized(_) = self.0 {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"petpixel\""),
            );
        }
        if let AppError::RateLimited { retry_after_secs } = self.0
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // Something we depend on, or this node, is out of room for now: a client (or a load
        // balancer) may try again shortly rather than give up.
        if let AppError::Unavailable(_) = self.0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
