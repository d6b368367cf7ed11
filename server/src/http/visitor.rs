//! Who is asking. Three kinds of caller:
//!
//! - a script or an app with `Authorization: Bearer` and an access token: the token's account
//!   (a missing, expired or forged token is 401 at once, before anything else runs);
//! - a browser whose session is signed in: the account, as long as the session's generation
//!   is the account's (a password change or "log out everywhere" ends older sessions) and
//!   its device is still signed in (`accounts::devices`: logged out from another device, or
//!   ended with the account, it is not);
//! - anyone else: the anonymous visitor their session names, whose first upload writes that
//!   session. Pages and assets fetched without a cookie create no session and set no cookie.
//!
//! Handlers read the [`Visitor`] (the owner key) and, when signed in, the [`SignedIn`] caller
//! from the request's extensions.

use std::sync::Arc;

use app::error::AppError;
use app::port::Visitor;
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use super::error::HttpError;
use crate::accounts::devices::{Devices, SIGNED_IN_FOR, Seen};
use crate::accounts::{self, Account, Accounts, SignedIn};

const VISITOR: &str = "visitor";
const ACCOUNT: &str = "account";
/// When (Unix seconds) a visitor's session was last saved: saving it again is what restarts
/// its lifetime (tower-sessions saves only changed sessions), so a visitor in use is saved
/// once a day and keeps the cookie that owns what they made.
const RENEWED: &str = "renewed";
const RENEW_EVERY_SECS: i64 = 24 * 3600;

/// What a signed-in session holds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct AccountSession {
    id: Uuid,
    generation: i64,
    /// Its row in `account_devices`. Sessions signed in before devices were recorded have
    /// none, and are over.
    #[serde(default)]
    device: Option<Uuid>,
}

/// The signed-in caller, if any, in the request's extensions beside the [`Visitor`].
#[derive(Clone, Debug)]
pub struct Caller(pub Option<SignedIn>);

/// Puts the visitor and the caller in the request for handlers and server functions.
pub async fn attach(
    State((accounts, devices)): State<(Arc<Accounts>, Arc<Devices>)>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    // Taken out first: a request (its body) cannot be held across the awaits below.
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let (visitor, caller) = match identify(&accounts, &devices, &session, authorization).await {
        Ok(found) => found,
        Err(e) => return HttpError(e).into_response(),
    };
    request.extensions_mut().insert(visitor);
    request.extensions_mut().insert(Caller(caller));
    next.run(request).await
}

async fn identify(
    accounts: &Accounts,
    devices: &Devices,
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
        let standing = match (accounts.standing(signed.id).await?, signed.device) {
            (Some((role, generation)), Some(device)) if generation == signed.generation => {
                match devices.signed_in(signed.id, device).await? {
                    Seen::Gone => None,
                    Seen::Recently => Some((role, device)),
                    Seen::Again => {
                        // Saved with the response under a new expiry: a browser in use
                        // stays signed in, one left alone for the lifetime does not.
                        session.set_expiry(Some(session_expiry()));
                        Some((role, device))
                    }
                }
            }
            _ => None,
        };
        match standing {
            Some((role, device)) => {
                let caller = SignedIn::session(signed.id, role, device);
                return Ok((accounts::owner(signed.id), Some(caller)));
            }
            // Ended elsewhere (or the account is gone): this session is over too.
            None => session.flush().await.map_err(session_error)?,
        }
    }
    let visitor = match session
        .get::<String>(VISITOR)
        .await
        .map_err(session_error)?
    {
        Some(id) => {
            renew_daily(session).await?;
            Visitor(id)
        }
        None => Visitor::anonymous(),
    };
    Ok((visitor, None))
}

/// Marks a visitor's session changed once a day, so it is saved with a new expiry (and its
/// cookie sent again): a visitor in use stays one, a session left alone for the lifetime ends.
async fn renew_daily(session: &Session) -> Result<(), AppError> {
    let now = chrono::Utc::now().timestamp();
    let renewed: Option<i64> = session.get(RENEWED).await.map_err(session_error)?;
    if renewed.is_none_or(|at| now.saturating_sub(at) >= RENEW_EVERY_SECS) {
        session.insert(RENEWED, now).await.map_err(session_error)?;
    }
    Ok(())
}

/// How long a session lives unused (renewed as its device is seen).
pub fn session_expiry() -> tower_sessions::Expiry {
    let lifetime = i64::try_from(SIGNED_IN_FOR.as_secs()).unwrap_or(i64::MAX);
    tower_sessions::Expiry::OnInactivity(time::Duration::seconds(lifetime))
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
    let now = chrono::Utc::now().timestamp();
    session
        .insert(VISITOR, &visitor.0)
        .await
        .map_err(session_error)?;
    session
        .insert(RENEWED, now)
        .await
        .map_err(|e| HttpError(session_error(e)))
}

/// The browser's session, with what signing it in and out records: the extractor for
/// routes that sign in or out.
pub struct BrowserSession {
    pub session: Session,
    devices: Arc<Devices>,
    user_agent: Option<String>,
}

impl<S> FromRequestParts<S> for BrowserSession
where
    Arc<Devices>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, why)| HttpError(crate::error::internal("session", why)))?;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Self {
            session,
            devices: Arc::<Devices>::from_ref(state),
            user_agent,
        })
    }
}

impl BrowserSession {
    /// Signs the session in as `account`, under a new session id (so an id fixed before
    /// login is worthless after it), as a new device of the account.
    pub async fn sign_in(&self, account: &Account) -> Result<(), AppError> {
        let session = &self.session;
        session.cycle_id().await.map_err(session_error)?;
        session.remove_value(VISITOR).await.map_err(session_error)?;
        // Saved now rather than with the response, so the new id is known to the device.
        session.save().await.map_err(session_error)?;
        let id = session
            .id()
            .ok_or_else(|| crate::error::internal("session", "saved without an id"))?;
        let device = self
            .devices
            .add(account.id, id, self.user_agent.as_deref())
            .await?;
        session
            .insert(
                ACCOUNT,
                AccountSession {
                    id: account.id,
                    generation: account.generation,
                    device: Some(device),
                },
            )
            .await
            .map_err(session_error)
    }

    /// Keeps this session signed in after the account's generation moved on (the password
    /// changed here: other sessions end, this one goes on).
    pub async fn continue_in(&self, generation: i64) -> Result<(), AppError> {
        let Some(mut signed) = self.signed().await? else {
            return Ok(());
        };
        signed.generation = generation;
        self.session
            .insert(ACCOUNT, signed)
            .await
            .map_err(session_error)
    }

    /// Ends this session: its device is logged out, its record deleted and its cookie
    /// cleared.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        if let Some(AccountSession {
            id,
            device: Some(device),
            ..
        }) = self.signed().await?
        {
            match self.devices.log_out(id, device).await {
                Ok(()) | Err(AppError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        self.session.flush().await.map_err(session_error)
    }

    async fn signed(&self) -> Result<Option<AccountSession>, AppError> {
        self.session
            .get::<AccountSession>(ACCOUNT)
            .await
            .map_err(session_error)
    }
}
