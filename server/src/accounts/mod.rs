//! Accounts: signing up and in with an email and a password, sessions that can all be ended
//! at once, tokens for scripts and apps, roles, and the hand-over of what a visitor made
//! before signing up.
//!
//! An account owns things the way a visitor does, through the owner key (`visitor_id`): once
//! signed in, the caller's [`Visitor`] is the account's id, so every existing ownership check
//! holds unchanged. Personal data is sealed before it reaches the store ([`KeyRing`]).

pub mod devices;
pub mod export;
pub mod password;
pub mod roles;
pub mod routes;
pub mod social;
pub mod store;
pub mod tokens;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::dto::{AccountView, TokenPair};
use app::error::AppError;
use app::port::Visitor;
use chrono::{DateTime, Utc};
use domain::{Email, Password, Role};
use uuid::Uuid;

use crate::error::internal;
use crate::http::client_ip::limit_key;
use crate::infra::db::StoreError;
use crate::infra::limits::{RateLimiter, first_passed};
use crate::infra::links::{Letter, LinkMail, Purpose};
use crate::infra::pii::KeyRing;
pub use roles::{Permission, SignedIn};
use store::{AccountStore, RefreshRecord, RefreshUse, UserRecord};

/// Column contexts sealed values are bound to.
const EMAIL: &str = "users.email";
const NAME: &str = "users.name";

/// Login attempts allowed per account in [`LOGIN_WINDOW`], right or wrong (a guesser must
/// not learn that a guess was right by being let in after the limit).
const LOGINS_PER_ACCOUNT: u32 = 10;
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What a capability keeps of a person: handed over when their visitor signs up or logs in
/// (everything the anonymous visitor made becomes the account's), exported when they ask
/// for their data, erased with their account.
#[async_trait::async_trait]
pub trait Belongings: Send + Sync + 'static {
    /// What is handed over, for the log.
    fn kind(&self) -> &'static str;
    /// Gives everything `from` owns to `to`; how many things moved.
    async fn hand_over(&self, from: &Visitor, to: &Visitor) -> Result<u64, AppError>;
    /// Writes everything `owner` has into the export: its rows as JSON, its files.
    async fn export(&self, owner: &Visitor, zip: &mut export::Export) -> Result<(), AppError>;
    /// Whether everything `owner` has can be erased now; asked of every capability before
    /// any erases, so a refusal leaves the account whole.
    async fn erasable(&self, _owner: &Visitor) -> Result<(), AppError> {
        Ok(())
    }
    /// Deletes everything `owner` has, rows and files; how many things went.
    async fn erase(&self, owner: &Visitor) -> Result<u64, AppError>;
}

/// An account, opened.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: Uuid,
    pub email: Email,
    pub name: Option<String>,
    pub role: Role,
    pub verified: bool,
    pub tier: String,
    pub has_password: bool,
    /// The providers it signs in through.
    pub providers: Vec<String>,
    pub generation: i64,
    pub created_at: DateTime<Utc>,
}

/// What the account `id` owns through: its id as the owner key.
pub fn owner(id: Uuid) -> Visitor {
    Visitor(id.to_string())
}

impl Account {
    pub fn visitor(&self) -> Visitor {
        owner(self.id)
    }

    pub fn view(&self) -> AccountView {
        AccountView {
            id: self.id,
            email: self.email.to_string(),
            name: self.name.clone(),
            role: self.role,
            email_verified: self.verified,
            tier: self.tier.clone(),
            has_password: self.has_password,
            providers: self.providers.clone(),
            created_at: self
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

pub struct Accounts {
    store: Arc<dyn AccountStore>,
    keys: Arc<KeyRing>,
    limiter: Arc<dyn RateLimiter>,
    belongings: Vec<Arc<dyn Belongings>>,
    /// Links to confirm the address and to set a new password, by email. Its public URL is
    /// the tokens' `iss`.
    mail: Arc<LinkMail>,
    /// Login attempts allowed per client address in [`LOGIN_WINDOW`], whichever accounts
    /// they name (one guesser trying many accounts).
    logins_per_address: u32,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn AccountStore>,
        keys: Arc<KeyRing>,
        limiter: Arc<dyn RateLimiter>,
        belongings: Vec<Arc<dyn Belongings>>,
        mail: Arc<LinkMail>,
        logins_per_address: u32,
    ) -> Self {
        Self {
            store,
            keys,
            limiter,
            belongings,
            mail,
            logins_per_address,
        }
    }

    /// The tokens' `iss`: the site's public URL.
    fn issuer(&self) -> &str {
        self.mail.public_url().as_str()
    }

    /// Opens a stored account; a value that does not open is corrupt data (or a key that
    /// was taken out of the ring too soon), and the account is unusable until it is fixed.
    fn open(&self, user: UserRecord, providers: Vec<String>) -> Result<Account, AppError> {
        let email = self
            .keys
            .open(&user.email_sealed, EMAIL)
            .map_err(|e| internal("open users.email", e))?;
        let email = Email::parse(&email).map_err(|e| internal("stored email", e))?;
        let name = user
            .name_sealed
            .as_deref()
            .map(|sealed| self.keys.open(sealed, NAME))
            .transpose()
            .map_err(|e| internal("open users.name", e))?;
        Ok(Account {
            id: user.id,
            email,
            name,
            role: user.role,
            verified: user.email_verified_at.is_some(),
            tier: user.subscription_tier,
            has_password: user.password_hash.is_some(),
            providers,
            generation: user.session_generation,
            created_at: user.created_at,
        })
    }

    /// A new account with a password. It can log in at once; verification gates the mail
    /// we send it.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, email: Email, password: Password) -> Result<Account, AppError> {
        // An account made under an older key has another index: look under every key, before
        // spending a hash on an address that has an account.
        if self
            .store
            .by_email_index(&self.keys.blind_indexes(email.as_str()))
            .await?
            .is_some()
        {
            return Err(email_taken());
        }
        let hash = password::hash(&password)
            .await
            .map_err(|e| internal("hash password", e))?;
        let now = Utc::now();
        let user = UserRecord {
            id: Uuid::new_v4(),
            email_index: self.keys.blind_index(email.as_str()),
            email_sealed: self.keys.seal(email.as_str(), EMAIL),
            name_sealed: None,
            password_hash: Some(hash),
            role: Role::User,
            email_verified_at: None,
            session_generation: 0,
            subscription_tier: "free".into(),
            created_at: now,
        };
        // Two sign-ups racing for one address: the unique index decides.
        match self.store.insert(&user).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Err(email_taken()),
            Err(e) => return Err(e.into()),
        }
        self.open(user, Vec::new())
    }

    /// The account `email` names, when `password` is its password. Attempts are throttled
    /// per account and per client address; an unknown address takes as long and reads the
    /// same as a wrong password.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(
        &self,
        email: &Email,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Account, AppError> {
        let indexes = self.keys.blind_indexes(email.as_str());
        let mut hits = vec![(
            format!("login:{}", self.keys.blind_index(email.as_str())),
            LOGINS_PER_ACCOUNT,
        )];
        if let Some(ip) = client {
            hits.push((
                format!("login-ip:{}", limit_key(ip)),
                self.logins_per_address,
            ));
        }
        if let Some(retry_after) = first_passed(&*self.limiter, &hits, LOGIN_WINDOW)
            .await
            .map_err(|e| internal("login limit", e))?
        {
            return Err(AppError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            });
        }
        let user = self.store.by_email_index(&indexes).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let matches = password::verify(password, stored)
            .await
            .map_err(|e| internal("verify password", e))?;
        match user {
            Some(user) if matches => self.opened(user).await,
            _ => Err(AppError::Unauthorized(
                "that email and password do not match an account".into(),
            )),
        }
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<Account>, AppError> {
        match self.store.get(id).await? {
            Some(user) => self.opened(user).await.map(Some),
            None => Ok(None),
        }
    }

    /// Opens a stored account with the providers it signs in through.
    async fn opened(&self, user: UserRecord) -> Result<Account, AppError> {
        let providers = self.store.identities_of(user.id).await?;
        self.open(user, providers)
    }

    /// What a signed-in session needs on every request: the account's role and session
    /// generation, read without opening its sealed personal data. `None` when it is gone.
    pub async fn standing(&self, id: Uuid) -> Result<Option<(Role, i64)>, AppError> {
        Ok(self
            .store
            .get(id)
            .await?
            .map(|user| (user.role, user.session_generation)))
    }

    /// The signed-in caller's account; gone (deleted meanwhile) is `Unauthorized`.
    pub async fn of(&self, caller: &SignedIn) -> Result<Account, AppError> {
        self.get(caller.id).await?.ok_or_else(not_signed_in)
    }

    /// Gives what `visitor` made before signing in to `account`. A visitor who already is an
    /// account (someone logging into a second account) keeps their things.
    pub async fn adopt(&self, visitor: &Visitor, account: &Account) -> Result<(), AppError> {
        let to = account.visitor();
        if visitor.is_anonymous() || *visitor == to {
            return Ok(());
        }
        for belongings in &self.belongings {
            let moved = belongings.hand_over(visitor, &to).await?;
            if moved > 0 {
                tracing::info!(kind = belongings.kind(), moved, "handed over to an account");
            }
        }
        Ok(())
    }

    /// Ends every session and token of the account; returns the generation the caller's
    /// own session continues in, if it should.
    pub async fn end_sessions(&self, id: Uuid) -> Result<i64, AppError> {
        self.store
            .end_sessions(id, Utc::now())
            .await?
            .ok_or_else(not_signed_in)
    }

    /// Sets a new password when `current` is right (an account without one, made through a
    /// provider, sets its first); every other session and token ends.
    pub async fn change_password(
        &self,
        caller: &SignedIn,
        current: Option<&str>,
        new: &Password,
    ) -> Result<i64, AppError> {
        self.reauthenticate(
            caller,
            current,
            AppError::invalid("current_password", "that is not your current password"),
        )
        .await?;
        let hash = password::hash(new)
            .await
            .map_err(|e| internal("hash password", e))?;
        self.store
            .set_password(caller.id, &hash, Utc::now())
            .await?
            .ok_or_else(not_signed_in)
    }

    /// The caller's account, once `password` is its password (`wrong` otherwise); an account
    /// without one, made through a provider, has only its session to show.
    async fn reauthenticate(
        &self,
        caller: &SignedIn,
        password: Option<&str>,
        wrong: AppError,
    ) -> Result<UserRecord, AppError> {
        let user = self.store.get(caller.id).await?.ok_or_else(not_signed_in)?;
        if let Some(stored) = user.password_hash.as_deref() {
            let ok = password::verify(password.unwrap_or_default(), Some(stored))
                .await
                .map_err(|e| internal("verify password", e))?;
            if !ok {
                return Err(wrong);
            }
        }
        Ok(user)
    }

    /// A fresh access token and the first refresh token of a new family.
    pub async fn issue_tokens(&self, account: &Account) -> Result<TokenPair, AppError> {
        self.tokens_in_family(account, Uuid::new_v4()).await
    }

    async fn tokens_in_family(
        &self,
        account: &Account,
        family_id: Uuid,
    ) -> Result<TokenPair, AppError> {
        let now = Utc::now();
        let claims = tokens::Claims {
            sub: account.id,
            email: account.email.to_string(),
            tier: account.tier.clone(),
            permissions: roles::permissions(account.role)
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            iat: now.timestamp(),
            exp: now.timestamp() + tokens::ACCESS_TTL_SECS,
            iss: self.issuer().to_owned(),
        };
        let (refresh_token, token_hash) = tokens::new_refresh_token();
        self.store
            .insert_refresh(&RefreshRecord {
                token_hash,
                family_id,
                user_id: account.id,
                expires_at: now + chrono::Duration::seconds(tokens::REFRESH_TTL_SECS),
                created_at: now,
            })
            .await?;
        Ok(TokenPair {
            access_token: tokens::sign(&self.keys, &claims),
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: tokens::ACCESS_TTL_SECS.unsigned_abs(),
        })
    }

    /// Trades a refresh token for a new pair of its family. A token presented twice revokes
    /// its family: whoever holds the other copy is cut off too.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AppError> {
        let hash = tokens::refresh_hash(refresh_token);
        match self.store.use_refresh(&hash, Utc::now()).await? {
            RefreshUse::Fresh { user_id, family_id } => {
                let account = self.get(user_id).await?.ok_or_else(not_signed_in)?;
                self.tokens_in_family(&account, family_id).await
            }
            RefreshUse::Replayed => {
                tracing::warn!("a used refresh token was presented again: family revoked");
                Err(AppError::Unauthorized(
                    "this refresh token was already used; log in again".into(),
                ))
            }
            RefreshUse::Invalid => Err(AppError::Unauthorized(
                "unknown or expired refresh token; log in again".into(),
            )),
        }
    }

    /// Revokes a refresh token's family (a script logging out); unknown tokens are ignored.
    pub async fn revoke(&self, refresh_token: &str) -> Result<(), AppError> {
        self.store
            .revoke_family_of(&tokens::refresh_hash(refresh_token), Utc::now())
            .await?;
        Ok(())
    }

    /// Who an `Authorization: Bearer` token says is asking.
    pub fn bearer(&self, token: &str) -> Result<SignedIn, AppError> {
        let claims = tokens::verify(&self.keys, token, self.issuer(), Utc::now().timestamp())
            .map_err(|e| AppError::Unauthorized(e.to_string()))?;
        Ok(SignedIn::from_claims(&claims))
    }

    /// Signs in through a provider. A signed-in caller links the identity to their own
    /// account. Otherwise: the account already linked to it; else, when the provider vouches
    /// for the address, the account with that address (linked now — accounts link by
    /// verified email); else a new account, with no password, whose address is confirmed if
    /// the provider says so.
    #[tracing::instrument(skip_all, fields(provider = identity.provider))]
    pub async fn sign_in_with(
        &self,
        identity: &social::ProviderIdentity,
        caller: Option<&SignedIn>,
    ) -> Result<Account, AppError> {
        let provider = identity.provider;
        let now = Utc::now();
        let linked = self.store.by_identity(provider, &identity.subject).await?;
        let id = match (linked, caller) {
            (Some(linked), Some(caller)) if linked != caller.id => {
                return Err(linked_elsewhere(provider));
            }
            (Some(linked), _) => linked,
            (None, Some(caller)) => {
                self.link(identity, caller.id, now).await?;
                caller.id
            }
            (None, None) => self.account_for(identity, now).await?,
        };
        self.get(id).await?.ok_or_else(not_signed_in)
    }

    /// The account a new provider identity signs in to: the one with its verified address,
    /// or a new one.
    async fn account_for(
        &self,
        identity: &social::ProviderIdentity,
        now: DateTime<Utc>,
    ) -> Result<Uuid, AppError> {
        let label = social::label(identity.provider);
        let email = identity.email.as_ref().ok_or_else(|| {
            AppError::invalid(
                "provider",
                format!(
                    "{label} did not share your email address: allow it, or sign up with a password"
                ),
            )
        })?;
        let existing = self
            .store
            .by_email_index(&self.keys.blind_indexes(email.as_str()))
            .await?;
        if let Some(user) = existing {
            // An address the provider does not vouch for could be anyone's: no account is
            // handed over on its word.
            if !identity.email_verified {
                return Err(AppError::Conflict {
                    field: "email".into(),
                    message: format!(
                        "an account with this email exists: log in with your password, then link {label} from your account page"
                    ),
                });
            }
            self.link(identity, user.id, now).await?;
            self.store.mark_verified(user.id, now).await?;
            return Ok(user.id);
        }
        let user = UserRecord {
            id: Uuid::new_v4(),
            email_index: self.keys.blind_index(email.as_str()),
            email_sealed: self.keys.seal(email.as_str(), EMAIL),
            name_sealed: identity.name.as_deref().map(|n| self.keys.seal(n, NAME)),
            password_hash: None,
            role: Role::User,
            email_verified_at: identity.email_verified.then_some(now),
            session_generation: 0,
            subscription_tier: "free".into(),
            created_at: now,
        };
        match self.store.insert(&user).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Err(email_taken()),
            Err(e) => return Err(e.into()),
        }
        self.link(identity, user.id, now).await?;
        Ok(user.id)
    }

    async fn link(
        &self,
        identity: &social::ProviderIdentity,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        match self
            .store
            .link_identity(identity.provider, &identity.subject, user_id, now)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict { .. }) => Err(linked_elsewhere(identity.provider)),
            Err(e) => Err(e.into()),
        }
    }

    /// Mails the account a link that confirms its address (at sign-up, and when asked
    /// again). Nothing is sent to an address already confirmed.
    pub async fn send_verification(
        &self,
        account: &Account,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        if account.verified {
            return Ok(());
        }
        self.mail
            .within_limits(account.email.as_str(), client)
            .await?;
        self.mail
            .send(
                Purpose::VerifyEmail,
                account.id,
                account.email.as_str(),
                Letter {
                    subject: "Confirm your email address for PetPixel Games",
                    before: "Please confirm that this is the address of your PetPixel Games \
                             account: open this link and press \"Confirm my address\".",
                    after: "The link works for 7 days. If you did not make an account with \
                            us, ignore this email.",
                },
            )
            .await
    }

    /// Confirms the address of the account an emailed link was sent for.
    pub async fn verify_email(&self, secret: &str) -> Result<Account, AppError> {
        let id = self
            .mail
            .links()
            .redeem(Purpose::VerifyEmail, secret)
            .await?
            .ok_or_else(spent_link)?;
        self.store.mark_verified(id, Utc::now()).await?;
        self.get(id).await?.ok_or_else(spent_link)
    }

    /// Mails a link to set a new password to the account with this address, if there is
    /// one. The answer is the same either way, and comes before the mail is sent, so neither
    /// it nor its timing tells whether the address has an account.
    pub async fn forgot_password(
        &self,
        email: &Email,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        self.mail.within_limits(email.as_str(), client).await?;
        let Some(user) = self
            .store
            .by_email_index(&self.keys.blind_indexes(email.as_str()))
            .await?
        else {
            return Ok(());
        };
        let mail = Arc::clone(&self.mail);
        let address = email.to_string();
        tokio::spawn(async move {
            let letter = Letter {
                subject: "Set a new password for PetPixel Games",
                before: "Someone asked to set a new password for your PetPixel Games \
                         account. If it was you, open this link and choose one:",
                after: "The link works for one hour, once. If you did not ask, ignore this \
                        email: your password stays as it is.",
            };
            // Failures are logged where they happen; the person can ask again.
            let _ = mail
                .send(Purpose::ResetPassword, user.id, &address, letter)
                .await;
        });
        Ok(())
    }

    /// Sets a new password through an emailed link. Following the link proves the address,
    /// so it counts as confirmed; every session and token of the account ends, and the
    /// account's other emailed links stop working.
    pub async fn reset_password(&self, secret: &str, new: &Password) -> Result<Account, AppError> {
        let id = self
            .mail
            .links()
            .redeem(Purpose::ResetPassword, secret)
            .await?
            .ok_or_else(spent_link)?;
        let hash = password::hash(new)
            .await
            .map_err(|e| internal("hash password", e))?;
        let now = Utc::now();
        self.store
            .set_password(id, &hash, now)
            .await?
            .ok_or_else(spent_link)?;
        self.store.mark_verified(id, now).await?;
        self.mail.links().forget(id).await?;
        self.get(id).await?.ok_or_else(spent_link)
    }

    /// Everything the account holds, as a ZIP: `account.json`, then each capability's part.
    pub async fn export(&self, caller: &SignedIn) -> Result<export::Exported, AppError> {
        let account = self.of(caller).await?;
        let mut zip = export::Export::start().await?;
        zip.add_json("account.json", &account.view()).await?;
        for belongings in &self.belongings {
            belongings.export(&account.visitor(), &mut zip).await?;
        }
        zip.finish().await
    }

    /// Deletes the account and everything it holds — every row and every file — once its
    /// password is given again (an account without one, made through a provider, has only
    /// its session to show).
    #[tracing::instrument(skip_all)]
    pub async fn delete(&self, caller: &SignedIn, password: Option<&str>) -> Result<(), AppError> {
        let user = self
            .reauthenticate(
                caller,
                password,
                AppError::invalid("password", "that is not your password: nothing was deleted"),
            )
            .await?;
        let owner = owner(user.id);
        for belongings in &self.belongings {
            belongings.erasable(&owner).await?;
        }
        for belongings in &self.belongings {
            let erased = belongings.erase(&owner).await?;
            tracing::info!(kind = belongings.kind(), erased, "erased with an account");
        }
        self.mail.links().forget(user.id).await?;
        // Its refresh tokens and provider links go with the row (ON DELETE CASCADE); its
        // sessions end when they next find the account gone.
        self.store.delete(user.id).await?;
        Ok(())
    }

    /// Seals every account's personal data under the ring's current key, with blind indexes
    /// under it too (`petpixel admin rotate-keys`); afterwards the older keys can leave the
    /// ring. How many accounts were re-sealed.
    pub async fn rotate_keys(&self) -> Result<u64, AppError> {
        const PAGE: u32 = 500;
        let mut after = None;
        let mut resealed = 0;
        loop {
            let users = self.store.page(after, PAGE).await?;
            for user in &users {
                let stale = self.keys.is_stale(&user.email_sealed)
                    || user
                        .name_sealed
                        .as_deref()
                        .is_some_and(|n| self.keys.is_stale(n));
                let account = self.open(user.clone(), Vec::new())?;
                let index = self.keys.blind_index(account.email.as_str());
                if !stale && index == user.email_index {
                    continue;
                }
                self.store
                    .reseal(
                        user.id,
                        &index,
                        &self.keys.seal(account.email.as_str(), EMAIL),
                        account
                            .name
                            .as_deref()
                            .map(|n| self.keys.seal(n, NAME))
                            .as_deref(),
                    )
                    .await?;
                resealed += 1;
            }
            match users.last() {
                Some(last) if users.len() == PAGE as usize => after = Some(last.id),
                _ => return Ok(resealed),
            }
        }
    }

    /// Gives the account with this address a role (`petpixel admin grant`).
    pub async fn grant(&self, email: &Email, role: Role) -> Result<Account, AppError> {
        let user = self
            .store
            .by_email_index(&self.keys.blind_indexes(email.as_str()))
            .await?
            .ok_or(AppError::NotFound)?;
        if !self.store.set_role(user.id, role, Utc::now()).await? {
            return Err(AppError::NotFound);
        }
        self.get(user.id).await?.ok_or(AppError::NotFound)
    }
}

fn email_taken() -> AppError {
    AppError::Conflict {
        field: "email".into(),
        message: "an account with this email already exists: log in instead".into(),
    }
}

fn linked_elsewhere(provider: &str) -> AppError {
    AppError::Conflict {
        field: "provider".into(),
        message: format!(
            "this {} account is linked to another PetPixel account",
            social::label(provider)
        ),
    }
}

/// A link that was used, has expired, or never was.
pub fn spent_link() -> AppError {
    AppError::invalid(
        "token",
        "this link has expired or was already used: ask for a new one",
    )
}

pub fn not_signed_in() -> AppError {
    AppError::Unauthorized("log in first".into())
}
