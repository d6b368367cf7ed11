//! Where accounts are recorded (`users`, `refresh_tokens`), for both engines. Rows hold
//! personal data only sealed; this layer never sees a plain address, only the blind index it
//! is looked up by and the sealed text it hands back.

use chrono::{DateTime, Utc};
use domain::Role;
use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine, map_unique, parse_named};

/// An account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub email_index: String,
    pub email_sealed: String,
    pub name_sealed: Option<String>,
    pub password_hash: Option<String>,
    pub role: Role,
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Sessions made in an older generation are over.
    pub session_generation: i64,
    pub subscription_tier: String,
    pub created_at: DateTime<Utc>,
}

/// A refresh token as stored (by hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshRecord {
    pub token_hash: String,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// What presenting a refresh token found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshUse {
    /// Unused, unexpired and now used up: the caller issues the next of its family.
    Fresh { user_id: Uuid, family_id: Uuid },
    /// Used before (or revoked): someone replayed it. Its family is revoked now.
    Replayed,
    /// Unknown or expired.
    Invalid,
}

#[async_trait::async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Records a new account; `Conflict { field: "email" }` when the address has one.
    async fn insert(&self, user: &UserRecord) -> Result<(), StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError>;
    /// The account whose blind index is any of `indexes` (one per key of the ring).
    async fn by_email_index(&self, indexes: &[String]) -> Result<Option<UserRecord>, StoreError>;
    /// Replaces the password hash and ends every session (the generation goes up); returns
    /// the new generation, or `None` when the account is gone.
    async fn set_password(
        &self,
        id: Uuid,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
    /// Ends every session of the account and revokes its refresh tokens; returns the new
    /// generation, or `None` when the account is gone.
    async fn end_sessions(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<i64>, StoreError>;
    /// Gives the account a role; false when it is gone.
    async fn set_role(&self, id: Uuid, role: Role, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// The account signed in to through `provider` as `subject`.
    async fn by_identity(&self, provider: &str, subject: &str) -> Result<Option<Uuid>, StoreError>;
    /// Links `provider`'s `subject` to the account; `Conflict { field: "provider" }` when that
    /// subject is linked already (to any account).
    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The providers the account can sign in through, by name.
    async fn identities_of(&self, user_id: Uuid) -> Result<Vec<String>, StoreError>;
    /// Accounts in id order after `after` (`None`: from the first), at most `limit`: a walk
    /// over every account (`rotate-keys`).
    async fn page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<UserRecord>, StoreError>;
    /// Writes an account's personal data sealed anew, with its new blind index.
    async fn reseal(
        &self,
        id: Uuid,
        email_index: &str,
        email_sealed: &str,
        name_sealed: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Deletes the account's row (its refresh tokens and provider links go with it).
    async fn delete(&self, id: Uuid) -> Result<(), StoreError>;
    /// Records the account's address as confirmed (the first confirmation's time is kept).
    async fn mark_verified(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError>;
    async fn insert_refresh(&self, token: &RefreshRecord) -> Result<(), StoreError>;
    /// Uses up a refresh token, once: of two presentations racing, one finds it fresh and the
    /// other finds it replayed (and revokes the family).
    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshUse, StoreError>;
    /// Revokes the family of the refresh token with this hash (logging out a script).
    async fn revoke_family_of(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Id,
    email_index: String,
    email_sealed: String,
    name_sealed: Option<String>,
    password_hash: Option<String>,
    role: String,
    email_verified_at: Option<DateTime<Utc>>,
    session_generation: i64,
    subscription_tier: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id.into(),
            email_index: row.email_index,
            email_sealed: row.email_sealed,
            name_sealed: row.name_sealed,
            password_hash: row.password_hash,
            role: parse_named(&row.role)?,
            email_verified_at: row.email_verified_at,
            session_generation: row.session_generation,
            subscription_tier: row.subscription_tier,
            created_at: row.created_at,
        })
    }
}

/// An account's columns, as every read selects them.
macro_rules! user_select {
    ($where:literal) => {
        concat!(
            "SELECT id, email_index, email_sealed, name_sealed, password_hash, role, ",
            "email_verified_at, session_generation, subscription_tier, created_at ",
            "FROM users WHERE ",
            $where
        )
    };
}

mod sql {
    pub const BY_ID: &str = user_select!("id = $1");
    pub const BY_EMAIL_INDEX: &str = user_select!("email_index = $1");
    pub const INSERT: &str = "INSERT INTO users (id, email_index, email_sealed, name_sealed, \
        password_hash, role, email_verified_at, session_generation, subscription_tier, \
        created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)";
    /// A new generation, and with `$3` a new password hash.
    pub const NEXT_GENERATION: &str = "UPDATE users SET session_generation = \
        session_generation + 1, password_hash = COALESCE($3, password_hash), updated_at = $2 \
        WHERE id = $1 RETURNING session_generation";
    pub const REVOKE_USER_REFRESH: &str = "UPDATE refresh_tokens SET revoked_at = $2 \
        WHERE user_id = $1 AND revoked_at IS NULL";
    pub const SET_ROLE: &str = "UPDATE users SET role = $2, updated_at = $3 WHERE id = $1";
    pub const DELETE: &str = "DELETE FROM users WHERE id = $1";
    pub const FIRST_PAGE: &str = user_select!("TRUE ORDER BY id LIMIT $1");
    pub const PAGE_AFTER: &str = user_select!("id > $2 ORDER BY id LIMIT $1");
    pub const RESEAL: &str = "UPDATE users SET email_index = $2, email_sealed = $3, \
        name_sealed = $4 WHERE id = $1";
    pub const BY_IDENTITY: &str =
        "SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2";
    pub const LINK_IDENTITY: &str = "INSERT INTO user_identities (provider, subject, user_id, \
        created_at) VALUES ($1, $2, $3, $4)";
    pub const IDENTITIES_OF: &str =
        "SELECT provider FROM user_identities WHERE user_id = $1 ORDER BY provider";
    pub const MARK_VERIFIED: &str = "UPDATE users SET email_verified_at = $2, updated_at = $2 \
        WHERE id = $1 AND email_verified_at IS NULL";
    pub const INSERT_REFRESH: &str = "INSERT INTO refresh_tokens (token_hash, family_id, \
        user_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)";
    /// Uses the token up only if nothing has: the row's own update is the race's referee.
    pub const USE_REFRESH: &str = "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 \
        AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
        RETURNING user_id, family_id";
    pub const FAMILY_OF: &str = "SELECT family_id FROM refresh_tokens WHERE token_hash = $1";
    pub const REVOKE_FAMILY: &str = "UPDATE refresh_tokens SET revoked_at = $2 \
        WHERE family_id = $1 AND revoked_at IS NULL";
}

impl Db {
    /// Ends every session of the account (its generation goes up) and revokes its refresh
    /// tokens, setting a new password hash with it when one is given, in one transaction.
    async fn next_generation(
        &self,
        id: Uuid,
        hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let generation: Option<i64> = sqlx::query_scalar(sql::NEXT_GENERATION)
                .bind(Id(id))
                .bind(now)
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(sql::REVOKE_USER_REFRESH)
                .bind(Id(id))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            generation
        }))
    }

    async fn revoke_family(&self, family_id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::REVOKE_FAMILY)
                .bind(Id(family_id))
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

#[async_trait::async_trait]
impl AccountStore for Db {
    async fn insert(&self, user: &UserRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT)
                .bind(Id(user.id))
                .bind(&user.email_index)
                .bind(&user.email_sealed)
                .bind(&user.name_sealed)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.email_verified_at)
                .bind(user.session_generation)
                .bind(&user.subscription_tier)
                .bind(user.created_at)
                .execute(pool)
                .await
                .map_err(|e| map_unique(e, "email"))?;
        });
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> = each_engine!(self, pool => sqlx::query_as(sql::BY_ID)
            .bind(Id(id))
            .fetch_optional(pool)
            .await?);
        row.map(UserRecord::try_from).transpose()
    }

    async fn by_email_index(&self, indexes: &[String]) -> Result<Option<UserRecord>, StoreError> {
        // A ring holds a handful of keys: one lookup per key reads the unique index directly.
        for index in indexes {
            let row: Option<UserRow> = each_engine!(self, pool => sqlx::query_as(sql::BY_EMAIL_INDEX)
                .bind(index)
                .fetch_optional(pool)
                .await?);
            if let Some(row) = row {
                return UserRecord::try_from(row).map(Some);
            }
        }
        Ok(None)
    }

    async fn set_password(
        &self,
        id: Uuid,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        self.next_generation(id, Some(hash), now).await
    }

    async fn end_sessions(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        self.next_generation(id, None, now).await
    }

    async fn set_role(&self, id: Uuid, role: Role, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = each_engine!(self, pool => sqlx::query(sql::SET_ROLE)
            .bind(Id(id))
            .bind(role.as_str())
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    async fn page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> = match after {
            None => each_engine!(self, pool => sqlx::query_as(sql::FIRST_PAGE)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?),
            Some(after) => each_engine!(self, pool => sqlx::query_as(sql::PAGE_AFTER)
                .bind(i64::from(limit))
                .bind(Id(after))
                .fetch_all(pool)
                .await?),
        };
        rows.into_iter().map(UserRecord::try_from).collect()
    }

    async fn reseal(
        &self,
        id: Uuid,
        email_index: &str,
        email_sealed: &str,
        name_sealed: Option<&str>,
    ) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::RESEAL)
                .bind(Id(id))
                .bind(email_index)
                .bind(email_sealed)
                .bind(name_sealed)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn by_identity(&self, provider: &str, subject: &str) -> Result<Option<Uuid>, StoreError> {
        let id: Option<Id> = each_engine!(self, pool => sqlx::query_scalar(sql::BY_IDENTITY)
            .bind(provider)
            .bind(subject)
            .fetch_optional(pool)
            .await?);
        Ok(id.map(Uuid::from))
    }

    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::LINK_IDENTITY)
                .bind(provider)
                .bind(subject)
                .bind(Id(user_id))
                .bind(now)
                .execute(pool)
                .await
                .map_err(|e| map_unique(e, "provider"))?;
        });
        Ok(())
    }

    async fn identities_of(&self, user_id: Uuid) -> Result<Vec<String>, StoreError> {
        Ok(
            each_engine!(self, pool => sqlx::query_scalar(sql::IDENTITIES_OF)
            .bind(Id(user_id))
            .fetch_all(pool)
            .await?),
        )
    }

    async fn delete(&self, id: Uuid) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::DELETE).bind(Id(id)).execute(pool).await?;
        });
        Ok(())
    }

    async fn mark_verified(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::MARK_VERIFIED)
                .bind(Id(id))
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn insert_refresh(&self, token: &RefreshRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT_REFRESH)
                .bind(&token.token_hash)
                .bind(Id(token.family_id))
                .bind(Id(token.user_id))
                .bind(token.expires_at)
                .bind(token.created_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshUse, StoreError> {
        let used: Option<(Id, Id)> = each_engine!(self, pool => sqlx::query_as(sql::USE_REFRESH)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?);
        if let Some((user_id, family_id)) = used {
            return Ok(RefreshUse::Fresh {
                user_id: user_id.into(),
                family_id: family_id.into(),
            });
        }
        let family: Option<Id> = each_engine!(self, pool => sqlx::query_scalar(sql::FAMILY_OF)
            .bind(token_hash)
            .fetch_optional(pool)
            .await?);
        match family {
            // Known but not usable: used, revoked or expired. Only a replay of a used or
            // revoked one is theft; revoking an expired one's family costs nothing either way.
            Some(family) => {
                self.revoke_family(family.into(), now).await?;
                Ok(RefreshUse::Replayed)
            }
            None => Ok(RefreshUse::Invalid),
        }
    }

    async fn revoke_family_of(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let family: Option<Id> = each_engine!(self, pool => sqlx::query_scalar(sql::FAMILY_OF)
            .bind(token_hash)
            .fetch_optional(pool)
            .await?);
        if let Some(family) = family {
            self.revoke_family(family.into(), now).await?;
        }
        Ok(())
    }
}
