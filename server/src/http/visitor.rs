//! Who is asking. Three kinds of caller:
//!
//! - a script or an app with `Authorization: Bearer` and an access token: the token's account
//!   (a missing, expired or forged token is 401 at once, before anything else runs);
//! - a browser whose session is signed in: the account, as long as the session's generation
//!   is the account's (a password change or "log out everywhere" ends older sessions);
//! - anyone else: the anonymous visitor their session names, whose first upload writes that
//!   session. Pages and assets fetched without a cookie create no session and set no cookie.
//!
//! Handlers read the [`Visitor`] (the owner key) and, when signed in, the [`SignedIn`] caller
//! from the request's extensions.

use std::sync::Arc;

use app::error::AppError;
use app::port::Visitor;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use super::error::HttpError;
use crate::accounts::{self, Account, Accounts, SignedIn};

const VISITOR: &str = "visitor";
const ACCOUNT: &str = "account";

/// What a signed-in session holds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct AccountSession {
    id: Uuid,
    generation: i64,
}

/// The signed-in caller, if any, in the request's extensions beside the [`Visitor`].
#[derive(Clone, Debug)]
pub struct Caller(pub Option<SignedIn>);

/// Puts the visitor and the caller in the request for handlers and server functions.
pub async fn attach(
    State(accounts): State<Arc<Accounts>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    // Taken out first: a request (its body) cannot be held across the awaits below.
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let (visitor, caller) = match identify(&accounts, &session, authorization).await {
        Ok(found) => found,
        Err(e) => return HttpError(e).into_response(),
    };
    request.extensions_mut().insert(visitor);
    request.extensions_mut().insert(Caller(caller));
    next.run(request).await
}

async fn identify(
    accounts: &Accounts,
    session: &Session,
    authorization: Option<header::HeaderValue>,
) -> Result<(Visitor, Option<SignedIn>), AppError> {
    if let Some(value) = authorization {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized("send `Authorization: Bearer <access token>`".into())
            })?;
        let caller = accounts.bearer(token)?;
        return Ok((accounts::owner(caller.id), Some(caller)));
    }
    if let Some(signed) = session
        .get::<AccountSession>(ACCOUNT)
        .await
        .map_err(session_error)?
    {
        match accounts.standing(signed.id).await? {
            Some((role, generation)) if generation == signed.generation => {
                let caller = SignedIn::session(signed.id, role);
                return Ok((accounts::owner(signed.id), Some(caller)));
            }
            // Ended elsewhere (or the account is gone): this session is over too.
            _ => session.flush().await.map_err(session_error)?,
        }
    }
    let visitor = match session
        .get::<String>(VISITOR)
        .await
        .map_err(session_error)?
    {
        Some(id) => Visitor(id),
        None => Visitor::anonymous(),
    };
    Ok((visitor, None))
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    crate::error::internal("session", e)
}

/// The visitor something is about to be kept for: the one asking, or a new one when the
/// request is anonymous. Call [`remember`] once the thing is kept, so the session is written
/// only for a visitor who then owns something.
pub fn for_keeping(visitor: Visitor) -> (Visitor, bool) {
    if visitor.is_anonymous() {
        (Visitor(Uuid::new_v4().to_string()), true)
    } else {
        (visitor, false)
    }
}

/// Writes a new visitor into the session (the response then sets its cookie).
pub async fn remember(session: &Session, visitor: &Visitor) -> Result<(), HttpError> {
    session
        .insert(VISITOR, &visitor.0)
        .await
        .map_err(|e| HttpError(session_error(e)))
}

/// Signs the session in as `account`, under a new session id (so an id fixed before login
/// is worthless after it).
pub async fn sign_in(session: &Session, account: &Account) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.remove_value(VISITOR).await.map_err(session_error)?;
    continue_in(session, account.id, account.generation).await
}

/// Keeps this session signed in after the account's generation moved on (the password
/// changed here: other sessions end, this one goes on).
pub async fn continue_in(session: &Session, id: Uuid, generation: i64) -> Result<(), AppError> {
    session
        .insert(ACCOUNT, AccountSession { id, generation })
        .await
        .map_err(session_error)
}

/// Ends this session: its record is deleted and its cookie cleared.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}
