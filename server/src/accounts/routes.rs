//! Under `/api/v1/auth` (design document §2.1.1): register, login, logout, refresh, profile,
//! and the password.

use std::sync::Arc;

use app::dto::{
    AccountView, ApiErrorBody, LoginRequest, LogoutRequest, PasswordChange, RefreshRequest,
    RegisterRequest, TokenPair,
};
use app::port::Visitor;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Accounts, not_signed_in};
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::{self, Caller};
use crate::state::AppState;

/// Under `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(refresh))
        .routes(routes!(profile))
        .routes(routes!(change_password))
}

/// Makes an account and signs this session in to it; what the visitor made before (photos,
/// games) becomes the account's. It can log in at once; verifying the address gates the
/// mail we send it.
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Made, and signed in", body = AccountView),
        (status = 409, description = "An account with this email exists; `error.field` is `email`", body = ApiErrorBody),
        (status = 422, description = "An invalid email or password; `error.field` names which", body = ApiErrorBody),
        (status = 500, description = "Our side failed; nothing was made", body = ApiErrorBody),
    )
)]
async fn register(
    State(accounts): State<Arc<Accounts>>,
    session: Session,
    Extension(visitor): Extension<Visitor>,
    Extension(caller): Extension<Caller>,
    ValidJson(request): ValidJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AccountView>), HttpError> {
    let account = accounts.register(request.email, request.password).await?;
    if caller.0.is_none() {
        accounts.adopt(&visitor, &account).await?;
    }
    visitor::sign_in(&session, &account).await?;
    Ok((StatusCode::CREATED, Json(account.view())))
}

/// Logs in with an email and a password. A browser gets the session cookie (under a new
/// session id, and what it made while anonymous becomes the account's); with
/// `"token": true` a script or an app gets a token pair instead and no cookie.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in: the account, or with `token: true` a token pair", body = AccountView),
        (status = 401, description = "The email and password do not match an account", body = ApiErrorBody),
        (status = 422, description = "A malformed email or password", body = ApiErrorBody),
        (status = 429, description = "Too many attempts for this account or from this address", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn login(
    State(accounts): State<Arc<Accounts>>,
    session: Session,
    Extension(visitor): Extension<Visitor>,
    Extension(caller): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(request): ValidJson<LoginRequest>,
) -> Result<Response, HttpError> {
    let account = accounts
        .authenticate(&request.email, request.password.expose(), client)
        .await?;
    if request.token {
        let pair: TokenPair = accounts.issue_tokens(&account).await?;
        return Ok(Json(pair).into_response());
    }
    if caller.0.is_none() {
        accounts.adopt(&visitor, &account).await?;
    }
    visitor::sign_in(&session, &account).await?;
    Ok(Json(account.view()).into_response())
}

/// Logs out this session; with `refresh_token`, revokes that token's family; with
/// `"everywhere": true`, ends every session and token of the account. The body is optional.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "accounts",
    request_body(content = Option<LogoutRequest>, description = "Optional"),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "`everywhere` without being signed in", body = ApiErrorBody),
        (status = 422, description = "A malformed body", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn logout(
    State(accounts): State<Arc<Accounts>>,
    session: Session,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<StatusCode, HttpError> {
    let request: LogoutRequest = if body.is_empty() {
        LogoutRequest::default()
    } else {
        crate::http::extract::parse(&body)?
    };
    if let Some(token) = &request.refresh_token {
        accounts.revoke(token).await?;
    }
    if request.everywhere {
        let caller = caller.0.ok_or_else(not_signed_in)?;
        accounts.end_sessions(caller.id).await?;
    }
    visitor::sign_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trades a refresh token for a new pair; each refresh token works once, and presenting a
/// used one revokes every token of its family.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The next pair", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or already used", body = ApiErrorBody),
        (status = 422, description = "A malformed body", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn refresh(
    State(accounts): State<Arc<Accounts>>,
    ValidJson(request): ValidJson<RefreshRequest>,
) -> Result<Json<TokenPair>, HttpError> {
    Ok(Json(accounts.refresh(&request.refresh_token).await?))
}

/// The signed-in account.
#[utoipa::path(
    get,
    path = "/auth/profile",
    tag = "accounts",
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 401, description = "Not signed in, or a bad token", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn profile(
    State(accounts): State<Arc<Accounts>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<AccountView>, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    Ok(Json(accounts.of(&caller).await?.view()))
}

/// Changes the password. Every other session and token of the account ends; this session
/// stays signed in.
#[utoipa::path(
    put,
    path = "/auth/password",
    tag = "accounts",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 422, description = "A wrong current password or an invalid new one; `error.field` names which", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn change_password(
    State(accounts): State<Arc<Accounts>>,
    session: Session,
    Extension(caller): Extension<Caller>,
    ValidJson(request): ValidJson<PasswordChange>,
) -> Result<StatusCode, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    let current = request.current_password.as_ref().map(|p| p.expose());
    let generation = accounts
        .change_password(&caller, current, &request.new_password)
        .await?;
    if !caller.by_token {
        visitor::continue_in(&session, caller.id, generation).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
