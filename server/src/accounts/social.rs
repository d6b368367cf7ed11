//! Signing in through Google (OpenID Connect: authorization code + PKCE + nonce, the ID token's
//! signature, issuer, audience, expiry and nonce checked by `openidconnect`) and Facebook
//! (OAuth 2 with PKCE through `oauth2`, then the Graph API's `me`). Only the providers the
//! configuration names are offered.
//!
//! The flow's secrets (state, PKCE verifier, nonce) wait in the person's session between the
//! redirect to the provider and its redirect back; the callback takes them out, so each can be
//! used once. Requests to providers follow no redirects: a provider's answer cannot send this
//! server elsewhere.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use app::error::AppError;
use domain::Email;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config;
use crate::error::internal;
use crate::urls::{self, PublicUrl};

/// Google's issuer, when the configuration names none.
const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// Facebook's OAuth 2 endpoints and the profile read after sign-in.
const FACEBOOK_AUTHORIZE: &str = "https://www.facebook.com/v19.0/dialog/oauth";
const FACEBOOK_TOKEN: &str = "https://graph.facebook.com/v19.0/oauth/access_token";
const FACEBOOK_ME: &str = "https://graph.facebook.com/v19.0/me?fields=id,name,email";

/// A client made from a provider's discovery document: authorization set, the token and
/// userinfo endpoints as the document says.
type GoogleClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Who a provider says signed in.
#[derive(Clone, Debug)]
pub struct ProviderIdentity {
    /// `google` or `facebook`.
    pub provider: &'static str,
    /// The provider's own id for the person: what links them to an account.
    pub subject: String,
    pub email: Option<Email>,
    /// The provider vouches that the address is the person's.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// A sign-in under way, kept in the session until the provider sends the person back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    provider: String,
    state: String,
    pkce_verifier: String,
    nonce: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Google,
    Facebook,
}

struct Provider {
    kind: Kind,
    config: config::SignInProvider,
}

impl Provider {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Google => "google",
            Kind::Facebook => "facebook",
        }
    }
}

pub struct SocialSignIn {
    providers: Vec<Provider>,
    http: ProviderHttp,
    public_url: PublicUrl,
}

/// The OAuth libraries' requests, sent with our HTTP client (the one reqwest of the tree).
#[derive(Clone)]
struct ProviderHttp(reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for ProviderHttp {
    type Error = std::io::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(std::io::Error::other)?;
            let mut answer = axum::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await.map_err(std::io::Error::other)?;
            answer.body(body.to_vec()).map_err(std::io::Error::other)
        })
    }
}

/// A provider that could not be talked to, or said no: the person is told which, never the
/// detail (which goes to the log).
fn provider_failed(provider: &str, e: impl std::fmt::Display) -> AppError {
    tracing::warn!(provider, error = %e, "sign-in through a provider failed");
    AppError::Unauthorized(format!(
        "signing in through {} did not work: please try again",
        label(provider)
    ))
}

/// A provider's name as people know it.
pub fn label(provider: &str) -> &'static str {
    match provider {
        "google" => "Google",
        "facebook" => "Facebook",
        _ => "the provider",
    }
}

impl SocialSignIn {
    pub fn new(auth: &config::Auth, public_url: PublicUrl) -> anyhow::Result<Self> {
        let providers = [
            (Kind::Google, &auth.google),
            (Kind::Facebook, &auth.facebook),
        ]
        .into_iter()
        .filter_map(|(kind, config)| config.clone().map(|config| Provider { kind, config }))
        .collect();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| anyhow::anyhow!("the sign-in providers' HTTP client: {e}"))?;
        Ok(Self {
            providers,
            http: ProviderHttp(http),
            public_url,
        })
    }

    /// The providers offered, by name.
    pub fn offered(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.name().to_owned()).collect()
    }

    fn provider(&self, name: &str) -> Result<&Provider, AppError> {
        self.providers
            .iter()
            .find(|p| p.name() == name)
            .ok_or(AppError::NotFound)
    }

    fn redirect_url(&self, provider: &Provider) -> Result<RedirectUrl, AppError> {
        RedirectUrl::new(
            self.public_url
                .absolute(&urls::social_callback(provider.name())),
        )
        .map_err(|e| internal("social redirect URL", e))
    }

    async fn discover(
        &self,
        provider: &Provider,
        issuer: &str,
    ) -> Result<CoreProviderMetadata, AppError> {
        let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| internal("issuer URL", e))?;
        CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| provider_failed(provider.name(), e))
    }

    /// The OpenID Connect client of a provider that speaks it (Google).
    async fn oidc_client(&self, provider: &Provider) -> Result<GoogleClient, AppError> {
        let issuer = provider.config.issuer.as_deref().unwrap_or(GOOGLE_ISSUER);
        let metadata = self.discover(provider, issuer).await?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.config.client_id.clone()),
            Some(ClientSecret::new(
                provider.config.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_url(provider)?))
    }

    /// Facebook's endpoints: its own, or a stand-in's from its discovery document.
    async fn oauth_endpoints(
        &self,
        provider: &Provider,
    ) -> Result<(String, String, String), AppError> {
        let Some(issuer) = provider.config.issuer.as_deref() else {
            return Ok((
                FACEBOOK_AUTHORIZE.to_owned(),
                FACEBOOK_TOKEN.to_owned(),
                FACEBOOK_ME.to_owned(),
            ));
        };
        let metadata = self.discover(provider, issuer).await?;
        let token = metadata
            .token_endpoint()
            .map(|u| u.as_str().to_owned())
            .ok_or_else(|| provider_failed(provider.name(), "no token endpoint"))?;
        let me = metadata
            .userinfo_endpoint()
            .map(|u| u.as_str().to_owned())
            .ok_or_else(|| provider_failed(provider.name(), "no userinfo endpoint"))?;
        Ok((
            metadata.authorization_endpoint().as_str().to_owned(),
            token,
            me,
        ))
    }

    /// Where to send the person to sign in, and what to keep until they are back.
    pub async fn start(&self, name: &str) -> Result<(String, Pending), AppError> {
        let provider = self.provider(name)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = match provider.kind {
            Kind::Google => {
                let client = self.oidc_client(provider).await?;
                let (url, state, nonce) = client
                    .authorize_url(
                        CoreAuthenticationFlow::AuthorizationCode,
                        CsrfToken::new_random,
                        Nonce::new_random,
                    )
                    .add_scope(Scope::new("email".into()))
                    .add_scope(Scope::new("profile".into()))
                    .set_pkce_challenge(challenge)
                    .url();
                (url.to_string(), state, Some(nonce.secret().clone()))
            }
            Kind::Facebook => {
                let (authorize, token, _) = self.oauth_endpoints(provider).await?;
                let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(
                    provider.config.client_id.clone(),
                ))
                .set_auth_uri(AuthUrl::new(authorize).map_err(|e| internal("auth URL", e))?)
                .set_token_uri(TokenUrl::new(token).map_err(|e| internal("token URL", e))?)
                .set_redirect_uri(self.redirect_url(provider)?);
                let (url, state) = client
                    .authorize_url(CsrfToken::new_random)
                    .add_scope(Scope::new("email".into()))
                    .set_pkce_challenge(challenge)
                    .url();
                (url.to_string(), state, None)
            }
        };
        Ok((
            url,
            Pending {
                provider: name.to_owned(),
                state: state.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                nonce,
            },
        ))
    }

    /// Who signed in, from the provider's redirect back (`code` and `state`), checked against
    /// what the session kept.
    pub async fn finish(
        &self,
        name: &str,
        pending: Option<Pending>,
        code: &str,
        state: &str,
    ) -> Result<ProviderIdentity, AppError> {
        let provider = self.provider(name)?;
        // Compared by hash: the time taken says nothing about how much of the state matched.
        let pending = pending
            .filter(|p| p.provider == name)
            .filter(|p| Sha256::digest(p.state.as_bytes()) == Sha256::digest(state.as_bytes()))
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "this sign-in was not started here, or has already finished: try again".into(),
                )
            })?;
        let http = &self.http;
        let code = AuthorizationCode::new(code.to_owned());
        let verifier = PkceCodeVerifier::new(pending.pkce_verifier);
        match provider.kind {
            Kind::Google => {
                let client = self.oidc_client(provider).await?;
                let tokens = client
                    .exchange_code(code)
                    .map_err(|e| provider_failed(name, e))?
                    .set_pkce_verifier(verifier)
                    .request_async(http)
                    .await
                    .map_err(|e| provider_failed(name, e))?;
                let id_token = tokens
                    .id_token()
                    .ok_or_else(|| provider_failed(name, "no ID token"))?;
                let nonce = Nonce::new(pending.nonce.unwrap_or_default());
                let claims = id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|e| provider_failed(name, e))?;
                Ok(ProviderIdentity {
                    provider: provider.name(),
                    subject: claims.subject().as_str().to_owned(),
                    email: claims.email().and_then(|e| Email::parse(e.as_str()).ok()),
                    email_verified: claims.email_verified().unwrap_or(false),
                    name: claims
                        .name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.as_str().to_owned()),
                })
            }
            Kind::Facebook => {
                let (authorize, token, me) = self.oauth_endpoints(provider).await?;
                let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(
                    provider.config.client_id.clone(),
                ))
                .set_client_secret(oauth2::ClientSecret::new(
                    provider.config.client_secret.expose_secret().to_owned(),
                ))
                .set_auth_type(oauth2::AuthType::RequestBody)
                .set_auth_uri(AuthUrl::new(authorize).map_err(|e| internal("auth URL", e))?)
                .set_token_uri(TokenUrl::new(token).map_err(|e| internal("token URL", e))?)
                .set_redirect_uri(self.redirect_url(provider)?);
                let tokens = client
                    .exchange_code(code)
                    .set_pkce_verifier(verifier)
                    .request_async(http)
                    .await
                    .map_err(|e| provider_failed(name, e))?;
                let body = self
                    .http
                    .0
                    .get(&me)
                    .bearer_auth(tokens.access_token().secret())
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| provider_failed(name, e))?
                    .bytes()
                    .await
                    .map_err(|e| provider_failed(name, e))?;
                let profile: FacebookProfile =
                    serde_json::from_slice(&body).map_err(|e| provider_failed(name, e))?;
                let subject = profile
                    .id
                    .or(profile.sub)
                    .ok_or_else(|| provider_failed(name, "no id in the profile"))?;
                let email = profile.email.and_then(|e| Email::parse(&e).ok());
                Ok(ProviderIdentity {
                    provider: provider.name(),
                    subject,
                    // Facebook shares only an address its owner has confirmed.
                    email_verified: email.is_some(),
                    email,
                    name: profile.name,
                })
            }
        }
    }
}

/// What Facebook's `me` (or a stand-in's userinfo) says.
#[derive(Deserialize)]
struct FacebookProfile {
    id: Option<String>,
    sub: Option<String>,
    email: Option<String>,
    name: Option<String>,
}
