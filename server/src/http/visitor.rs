//! Who is asking. A visitor's id lives in their session, and a session exists only once
//! something was kept for them: their first upload writes it. Every other request reads it
//! when a session cookie comes back, and is anonymous (owning nothing) otherwise, so pages
//! and assets fetched without a cookie create no session and set no cookie.

use app::port::Visitor;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::error::HttpError;

const KEY: &str = "visitor";

/// Puts the visitor (or an anonymous one) in the request for handlers and server functions.
pub async fn attach(session: Session, mut request: Request, next: Next) -> Response {
    let visitor = match session.get::<String>(KEY).await {
        Ok(Some(id)) => Visitor(id),
        Ok(None) => Visitor::anonymous(),
        Err(e) => {
            tracing::error!(error = %e, "session load failed");
            return HttpError(app::error::AppError::Internal).into_response();
        }
    };
    request.extensions_mut().insert(visitor);
    next.run(request).await
}

/// The visitor something is about to be kept for: the one asking, or a new one when the
/// request is anonymous. Call [`remember`] once the thing is kept, so the session is written
/// only for a visitor who then owns something.
pub fn for_keeping(visitor: Visitor) -> (Visitor, bool) {
    if visitor.is_anonymous() {
        (Visitor(uuid::Uuid::new_v4().to_string()), true)
    } else {
        (visitor, false)
    }
}

/// Writes a new visitor into the session (the response then sets its cookie).
pub async fn remember(session: &Session, visitor: &Visitor) -> Result<(), HttpError> {
    session.insert(KEY, &visitor.0).await.map_err(|e| {
        tracing::error!(error = %e, "session insert failed");
        HttpError(app::error::AppError::Internal)
    })
}
