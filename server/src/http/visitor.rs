//! Gives every browser a visitor id kept in its session: until accounts exist, the visitor
//! owns what it uploads and creates.

use app::port::Visitor;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::error::HttpError;

const KEY: &str = "visitor";

pub async fn attach(session: Session, mut request: Request, next: Next) -> Response {
    let id = match session.get::<String>(KEY).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            let id = uuid::Uuid::new_v4().to_string();
            if let Err(e) = session.insert(KEY, &id).await {
                tracing::error!(error = %e, "session insert failed");
                return HttpError(app::error::AppError::Internal).into_response();
            }
            id
        }
        Err(e) => {
            tracing::error!(error = %e, "session load failed");
            return HttpError(app::error::AppError::Internal).into_response();
        }
    };
    request.extensions_mut().insert(Visitor(id));
    next.run(request).await
}
