//! Passwords: argon2id (RFC 9106) in PHC form, with the `argon2` crate's defaults (19 MiB,
//! 2 passes, 1 lane: OWASP's recommended minimum). Hashing takes tens of milliseconds of CPU,
//! so it runs on the blocking pool, never on the async workers that serve requests.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use domain::Password;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("the blocking pool is gone: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A hash of a password nobody has, checked when the email is unknown, so a login for an
/// unknown address takes as long as one with a wrong password and does not tell which.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    hash_now("not a password anyone has; it only spends the same time").unwrap_or_default()
});

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// The PHC string of `password` under a fresh salt.
pub async fn hash(password: &Password) -> Result<String, PasswordError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

/// Whether `password` matches `stored` (a PHC string); `None` (no such account, or one that
/// signs in only through a provider) spends the same time and answers false.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, PasswordError> {
    let password = password.to_owned();
    let (stored, real) = match stored {
        Some(s) => (s.to_owned(), true),
        None => (DUMMY.clone(), false),
    };
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| PasswordError::Hash(e.to_string()))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && real)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = Password::parse("correct horse battery").expect("valid");
        let stored = hash(&password).await.expect("hashed");
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(!stored.contains("horse"));
        assert!(
            verify("correct horse battery", Some(&stored))
                .await
                .expect("checked")
        );
        assert!(
            !verify("correct horse batterY", Some(&stored))
                .await
                .expect("checked")
        );
        // The same password hashes differently each time (a fresh salt).
        assert_ne!(stored, hash(&password).await.expect("hashed"));
    }

    #[tokio::test]
    async fn no_account_never_matches() {
        assert!(!verify("anything", None).await.expect("checked"));
        assert!(verify("x", Some("not a phc string")).await.is_err());
    }
}
