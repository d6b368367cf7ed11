//! Under `/api/v1/auth` (design document §2.1.1): register, login, logout, refresh, profile,
//! the password, and the emailed links that confirm an address and set a forgotten password.

use std::sync::Arc;

use app::dto::{
    AccountDeletion, AccountView, ApiErrorBody, DeviceView, EmailedLink, ForgottenPassword,
    LoginRequest, LogoutRequest, PasswordChange, PasswordReset, RefreshRequest, RegisterRequest,
    TokenPair,
};
use app::error::AppError;
use app::port::Visitor;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::devices::Devices;
use super::social::{self, Pending, SocialSignIn};
use super::{Accounts, not_signed_in};
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::{BrowserSession, Caller};
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
        .routes(routes!(send_verification))
        .routes(routes!(verify_email))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(delete_account))
        .routes(routes!(export))
        .routes(routes!(sessions))
        .routes(routes!(end_session))
        .routes(routes!(social_start))
        .routes(routes!(social_callback))
}

/// Where the session keeps a sign-in through a provider while the person is away at it.
const SOCIAL_PENDING: &str = "social_pending";

/// Makes an account and signs this session in to it; what the visitor made before (photos,
/// games) becomes the account's. It can log in at once; a link to confirm the address is
/// mailed to it, and confirming gates the mail we send it.
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
    browser: BrowserSession,
    Extension(visitor): Extension<Visitor>,
    Extension(caller): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(request): ValidJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AccountView>), HttpError> {
    let account = accounts.register(request.email, request.password).await?;
    if caller.0.is_none() {
        accounts.adopt(&visitor, &account).await?;
    }
    browser.sign_in(&account).await?;
    // The account is made either way: a link that could not be mailed (or was over the
    // address's limit) is asked for again from the account page.
    if let Err(e) = accounts.send_verification(&account, client).await {
        tracing::warn!(error = %e, "no confirmation link mailed at sign-up");
    }
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
    browser: BrowserSession,
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
    browser.sign_in(&account).await?;
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
    State(devices): State<Arc<Devices>>,
    browser: BrowserSession,
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
        devices.log_out_all(caller.id, None).await?;
    }
    browser.sign_out().await?;
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
    State(devices): State<Arc<Devices>>,
    browser: BrowserSession,
    Extension(caller): Extension<Caller>,
    ValidJson(request): ValidJson<PasswordChange>,
) -> Result<StatusCode, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    let current = request.current_password.as_ref().map(|p| p.expose());
    let generation = accounts
        .change_password(&caller, current, &request.new_password)
        .await?;
    devices.log_out_all(caller.id, caller.device).await?;
    if !caller.by_token {
        browser.continue_in(generation).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Mails the signed-in account a new link to confirm its address (nothing when it is
/// confirmed already).
#[utoipa::path(
    post,
    path = "/auth/verify-email",
    tag = "accounts",
    responses(
        (status = 202, description = "Mailed, unless the address is confirmed already"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 429, description = "This address or this client had its share of mail for now", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed; ask again", body = ApiErrorBody),
    )
)]
async fn send_verification(
    State(accounts): State<Arc<Accounts>>,
    Extension(caller): Extension<Caller>,
    Extension(ClientIp(client)): Extension<ClientIp>,
) -> Result<StatusCode, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    let account = accounts.of(&caller).await?;
    accounts.send_verification(&account, client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Confirms an account's address with the link mailed to it. Works signed in or not (the
/// link may be opened on another device).
#[utoipa::path(
    post,
    path = "/auth/verify-email/confirm",
    tag = "accounts",
    request_body = EmailedLink,
    responses(
        (status = 200, description = "Confirmed", body = AccountView),
        (status = 422, description = "The link expired, was used, or never was; `error.field` is `token`", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn verify_email(
    State(accounts): State<Arc<Accounts>>,
    ValidJson(link): ValidJson<EmailedLink>,
) -> Result<Json<AccountView>, HttpError> {
    Ok(Json(accounts.verify_email(&link.token).await?.view()))
}

/// Mails a link to set a new password to the account with this address. The answer is the
/// same whether or not there is one.
#[utoipa::path(
    post,
    path = "/auth/password/forgot",
    tag = "accounts",
    request_body = ForgottenPassword,
    responses(
        (status = 202, description = "Mailed if an account has this address"),
        (status = 422, description = "A malformed email", body = ApiErrorBody),
        (status = 429, description = "This address or this client had its share of mail for now", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it may be tried again"))),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn forgot_password(
    State(accounts): State<Arc<Accounts>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    ValidJson(request): ValidJson<ForgottenPassword>,
) -> Result<StatusCode, HttpError> {
    accounts.forgot_password(&request.email, client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with the link mailed by `/auth/password/forgot`, and signs this
/// session in (under a new session id). Every other session and token of the account ends.
#[utoipa::path(
    post,
    path = "/auth/password/reset",
    tag = "accounts",
    request_body = PasswordReset,
    responses(
        (status = 200, description = "Set, and signed in", body = AccountView),
        (status = 422, description = "The link expired, was used, or never was (`error.field` `token`), or the password is invalid", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn reset_password(
    State(accounts): State<Arc<Accounts>>,
    State(devices): State<Arc<Devices>>,
    browser: BrowserSession,
    Extension(visitor): Extension<Visitor>,
    Extension(caller): Extension<Caller>,
    ValidJson(request): ValidJson<PasswordReset>,
) -> Result<Json<AccountView>, HttpError> {
    let account = accounts
        .reset_password(&request.token, &request.password)
        .await?;
    devices.log_out_all(account.id, None).await?;
    if caller.0.is_none() {
        accounts.adopt(&visitor, &account).await?;
    }
    browser.sign_in(&account).await?;
    Ok(Json(account.view()))
}

/// Deletes the signed-in account with everything it made — photos, games, their files —
/// and logs out. The password is asked again; nothing is deleted without it.
#[utoipa::path(
    delete,
    path = "/auth/account",
    tag = "accounts",
    request_body = AccountDeletion,
    responses(
        (status = 204, description = "Deleted, every row and file"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 422, description = "A wrong password (`error.field` `password`), or a game still being made (`account`)", body = ApiErrorBody),
        (status = 500, description = "Our side failed; ask again to finish", body = ApiErrorBody),
    )
)]
async fn delete_account(
    State(accounts): State<Arc<Accounts>>,
    browser: BrowserSession,
    Extension(caller): Extension<Caller>,
    ValidJson(request): ValidJson<AccountDeletion>,
) -> Result<StatusCode, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    let password = request.password.as_ref().map(|p| p.expose());
    accounts.delete(&caller, password).await?;
    if !caller.by_token {
        browser.sign_out().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Everything the signed-in account holds, as one ZIP: `account.json`, `photos.json` and
/// `games.json`, every photo and game file, and each ready game as an HTML file that plays
/// offline.
#[utoipa::path(
    get,
    path = "/auth/export",
    tag = "accounts",
    responses(
        (status = 200, description = "The archive, as an attachment", content_type = "application/zip", body = crate::http::Binary),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn export(
    State(accounts): State<Arc<Accounts>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    let exported = accounts.export(&caller).await?;
    let day = chrono::Utc::now().format("%Y-%m-%d");
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"petpixel-data-{day}.zip\""),
            ),
            (header::CONTENT_LENGTH, exported.bytes.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        exported.body,
    )
        .into_response())
}

/// The browsers signed in to the account, most recently active first; `current` marks the
/// one asking.
#[utoipa::path(
    get,
    path = "/auth/sessions",
    tag = "accounts",
    responses(
        (status = 200, description = "The signed-in browsers", body = Vec<DeviceView>),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn sessions(
    State(devices): State<Arc<Devices>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<DeviceView>>, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    Ok(Json(devices.list(caller.id, caller.device).await?))
}

/// Logs one signed-in browser of the account out (this one too, when it names it): its
/// session is deleted, and its next request is anonymous.
#[utoipa::path(
    delete,
    path = "/auth/sessions/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "A session's id, from `GET /auth/sessions`")),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 404, description = "The account has no such session", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn end_session(
    State(devices): State<Arc<Devices>>,
    browser: BrowserSession,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let caller = caller.0.ok_or_else(not_signed_in)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    if caller.device == Some(id) {
        browser.sign_out().await?;
    } else {
        devices.log_out(caller.id, id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Signs in through a provider (`google`, `facebook`): a redirect to its sign-in page. Only
/// configured providers exist here.
#[utoipa::path(
    get,
    path = "/auth/social/{provider}",
    tag = "accounts",
    params(("provider" = String, Path, description = "`google` or `facebook`")),
    responses(
        (status = 303, description = "To the provider's sign-in page",
            headers(("Location" = String, description = "The provider's authorization URL"))),
        (status = 401, description = "The provider could not be reached", body = ApiErrorBody),
        (status = 404, description = "No such provider is configured", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn social_start(
    State(social): State<Arc<SocialSignIn>>,
    session: tower_sessions::Session,
    Path(provider): Path<String>,
) -> Result<Response, HttpError> {
    let (url, pending) = social.start(&provider).await?;
    session
        .insert(SOCIAL_PENDING, pending)
        .await
        .map_err(|e| crate::error::internal("session", e))?;
    Ok(Redirect::to(&url).into_response())
}

/// What a provider sends back.
#[derive(serde::Deserialize, utoipa::IntoParams)]
struct ProviderAnswer {
    code: Option<String>,
    state: Option<String>,
    /// Set when the person refused, or the provider failed.
    error: Option<String>,
}

/// Where a provider sends the person back: signed in (or the provider linked, for a
/// signed-in person), then on to My games (the account page, when linking); on failure to
/// the log-in page, which says what went wrong.
#[utoipa::path(
    get,
    path = "/auth/social/{provider}/callback",
    tag = "accounts",
    params(("provider" = String, Path, description = "`google` or `facebook`"), ProviderAnswer),
    responses(
        (status = 303, description = "Signed in, on to `/my-games` (`/account` after linking); or back to `/login?error=...`",
            headers(("Location" = String, description = "The next page"))),
        (status = 404, description = "No such provider is configured", body = ApiErrorBody),
    )
)]
async fn social_callback(
    State(accounts): State<Arc<Accounts>>,
    State(social): State<Arc<SocialSignIn>>,
    browser: BrowserSession,
    Extension(visitor): Extension<Visitor>,
    Extension(Caller(caller)): Extension<Caller>,
    Path(provider): Path<String>,
    Query(answer): Query<ProviderAnswer>,
) -> Result<Response, HttpError> {
    if !social.offered().contains(&provider) {
        return Err(AppError::NotFound.into());
    }
    let pending: Option<Pending> = browser
        .session
        .remove(SOCIAL_PENDING)
        .await
        .map_err(|e| crate::error::internal("session", e))?;
    let outcome = async {
        if answer.error.is_some() {
            return Err(AppError::Unauthorized(format!(
                "{} did not sign you in",
                social::label(&provider)
            )));
        }
        let (Some(code), Some(state)) = (answer.code.as_deref(), answer.state.as_deref()) else {
            return Err(AppError::invalid("code", "the provider sent no code back"));
        };
        let identity = social.finish(&provider, pending, code, state).await?;
        accounts.sign_in_with(&identity, caller.as_ref()).await
    }
    .await;
    match outcome {
        Ok(account) => {
            let next = if caller.is_some() {
                "/account"
            } else {
                "/my-games"
            };
            if caller.is_none() {
                accounts.adopt(&visitor, &account).await?;
                browser.sign_in(&account).await?;
            }
            Ok(Redirect::to(next).into_response())
        }
        // A person arrived here by a redirect: they are shown the reason on the log-in page
        // (ours is logged where it happened; the page reads only "try again").
        Err(e) => {
            let mut next = reqwest::Url::parse("http://site/login")
                .map_err(|e| crate::error::internal("url", e))?;
            next.query_pairs_mut().append_pair("error", &e.to_string());
            let location = format!("/login?{}", next.query().unwrap_or_default());
            Ok(Redirect::to(&location).into_response())
        }
    }
}
