//! One-time links sent by email: confirm an account's address, set a new password, confirm
//! an address that asked to be told when a game is ready. The link carries 256 random bits;
//! the table keeps only their SHA-256 (`email_links`), so a leaked table opens nothing. A link
//! works once, for its purpose only, until it expires.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use app::error::AppError;

use crate::error::internal;
use crate::http::client_ip::limit_key;
use crate::infra::db::{Db, Id, StoreError, each_engine};
use crate::infra::limits::{RateLimiter, first_passed};
use crate::infra::mail::Mailer;
use crate::infra::pii::KeyRing;
use crate::urls::{self, PublicUrl};

/// What a link is for; a link for one purpose is refused for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Its subject is an account: its address is confirmed.
    VerifyEmail,
    /// Its subject is an account: it may set a new password.
    ResetPassword,
    /// Its subject is a "game ready" email waiting for its address's consent.
    ConfirmNotification,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ConfirmNotification => "confirm_notification",
        }
    }

    /// How long a link for this purpose works: a password link briefly, since whoever holds
    /// it holds the account.
    pub fn lifetime(self) -> chrono::Duration {
        match self {
            Self::VerifyEmail | Self::ConfirmNotification => chrono::Duration::days(7),
            Self::ResetPassword => chrono::Duration::hours(1),
        }
    }
}

/// A new link's secret (base64url, for the URL) and the hash it is stored under.
pub fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = secret_hash(&secret);
    (secret, hash)
}

/// What a secret is stored under: its SHA-256, hex.
pub fn secret_hash(secret: &str) -> String {
    crate::infra::hex(&Sha256::digest(secret.as_bytes()))
}

#[async_trait::async_trait]
pub trait LinkStore: Send + Sync + 'static {
    /// Records a link to `subject` for `purpose`, working until `expires_at`.
    async fn insert(
        &self,
        token_hash: &str,
        purpose: Purpose,
        subject: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses the link up: its subject when it is for `purpose`, unused and unexpired at `now`;
    /// `None` otherwise. Two uses racing: one wins.
    async fn redeem(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError>;
    /// Forgets every link to `subject` (used when its account is deleted, or once one of
    /// its password links is used).
    async fn forget(&self, subject: Uuid) -> Result<(), StoreError>;
}

/// Issues and redeems links over a [`LinkStore`].
pub struct Links {
    store: Arc<dyn LinkStore>,
}

impl Links {
    pub fn new(store: Arc<dyn LinkStore>) -> Self {
        Self { store }
    }

    /// A new link's secret for `subject`.
    pub async fn issue(&self, purpose: Purpose, subject: Uuid) -> Result<String, StoreError> {
        let (secret, hash) = new_secret();
        let now = Utc::now();
        self.store
            .insert(&hash, purpose, subject, now + purpose.lifetime(), now)
            .await?;
        Ok(secret)
    }

    /// The subject of a link that still works, using it up.
    pub async fn redeem(&self, purpose: Purpose, secret: &str) -> Result<Option<Uuid>, StoreError> {
        // A secret is 43 characters; anything far longer is not one, and is not hashed.
        if secret.is_empty() || secret.len() > 128 {
            return Ok(None);
        }
        self.store
            .redeem(&secret_hash(secret), purpose, Utc::now())
            .await
    }

    pub async fn forget(&self, subject: Uuid) -> Result<(), StoreError> {
        self.store.forget(subject).await
    }
}

/// An email carrying a link: its subject line, and the text before and after the link.
pub struct Letter<'a> {
    pub subject: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// Mails to one address allowed per [`MAIL_WINDOW`], whoever asks: nobody can make us
/// flood an inbox.
pub const MAILS_PER_RECIPIENT: u32 = 3;
pub const MAIL_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// Issues links and mails them, within the limits per recipient and per client address.
pub struct LinkMail {
    links: Links,
    mailer: Arc<Mailer>,
    public_url: PublicUrl,
    keys: Arc<KeyRing>,
    limiter: Arc<dyn RateLimiter>,
    /// Mails one client address may have us send per [`MAIL_WINDOW`].
    per_address: u32,
}

impl LinkMail {
    pub fn new(
        links: Links,
        mailer: Arc<Mailer>,
        public_url: PublicUrl,
        keys: Arc<KeyRing>,
        limiter: Arc<dyn RateLimiter>,
        per_address: u32,
    ) -> Self {
        Self {
            links,
            mailer,
            public_url,
            keys,
            limiter,
            per_address,
        }
    }

    /// Counts a mail to `recipient` asked for from `client`; `RateLimited` once either has
    /// had its share. The recipient is counted under its blind index, never in plain text.
    pub async fn within_limits(
        &self,
        recipient: &str,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let mut hits = vec![(
            format!(
                "mail-to:{}",
                self.keys.blind_index(&recipient.to_lowercase())
            ),
            MAILS_PER_RECIPIENT,
        )];
        if let Some(ip) = client {
            hits.push((format!("mail-from:{}", limit_key(ip)), self.per_address));
        }
        match first_passed(&*self.limiter, &hits, MAIL_WINDOW)
            .await
            .map_err(|e| internal("mail limit", e))?
        {
            Some(retry_after) => Err(AppError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            }),
            None => Ok(()),
        }
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    pub fn public_url(&self) -> &PublicUrl {
        &self.public_url
    }

    /// Mails `address` a new link for `purpose` to `subject`. A mail that cannot be sent is
    /// our failure: the caller may ask again (the unused link expires on its own).
    pub async fn send(
        &self,
        purpose: Purpose,
        subject: Uuid,
        address: &str,
        letter: Letter<'_>,
    ) -> Result<(), AppError> {
        let secret = self.links.issue(purpose, subject).await?;
        let link = self
            .public_url
            .absolute(&urls::emailed_link(purpose, &secret));
        let body = format!(
            "Hello,\n\n{}\n\n    {link}\n\n{}\n\nPetPixel Games\n",
            letter.before, letter.after
        );
        self.mailer
            .send_text(address, letter.subject, body)
            .await
            .map_err(|e| internal(purpose.as_str(), e))
    }
}

mod sql {
    pub const INSERT: &str = "INSERT INTO email_links (token_hash, purpose, subject_id, \
        expires_at, created_at) VALUES ($1, $2, $3, $4, $5)";
    /// The row's own update referees racing uses.
    pub const REDEEM: &str = "UPDATE email_links SET used_at = $3 WHERE token_hash = $1 \
        AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING subject_id";
    pub const FORGET: &str = "DELETE FROM email_links WHERE subject_id = $1";
}

#[async_trait::async_trait]
impl LinkStore for Db {
    async fn insert(
        &self,
        token_hash: &str,
        purpose: Purpose,
        subject: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT)
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(Id(subject))
                .bind(expires_at)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn redeem(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let subject: Option<Id> = each_engine!(self, pool => sqlx::query_scalar(sql::REDEEM)
            .bind(token_hash)
            .bind(purpose.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await?);
        Ok(subject.map(Uuid::from))
    }

    async fn forget(&self, subject: Uuid) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::FORGET).bind(Id(subject)).execute(pool).await?;
        });
        Ok(())
    }
}
