//! Tokens for scripts and apps: short-lived JWT access tokens (RFC 7519, signed HS256 by the
//! key ring's token key, its id in the header so keys rotate) carrying the claims of design
//! document §6.1, and opaque refresh tokens kept only as hashes.
//!
//! HS256 is one HMAC over `header.payload`; it is written here on the `hmac` crate rather than
//! through a JWT library, which would bring RSA and elliptic-curve code we never use. The
//! verifier accepts exactly one algorithm, so `alg: none` and key-confusion tokens are refused
//! by construction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::infra::pii::KeyRing;

/// How long an access token is good for.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// How long a refresh token is good for, unused.
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;

/// The claims of design document §6.1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account's id.
    pub sub: Uuid,
    pub email: String,
    /// The subscription tier (`free` until billing exists).
    pub tier: String,
    pub permissions: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is signed with an algorithm we do not accept")]
    Algorithm,
    #[error("the token's signature is wrong")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued by someone else")]
    Issuer,
}

#[derive(Serialize, Deserialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// Signs `claims` with the ring's current token key.
pub fn sign(keys: &KeyRing, claims: &Claims) -> String {
    let (kid, key) = keys.token_key();
    let header = Header {
        alg: "HS256",
        typ: "JWT",
        kid,
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap_or_default());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(hs256(key, input.as_bytes()));
    format!("{input}.{signature}")
}

/// Checks a token's algorithm, signature (by the key its `kid` names), expiry at `now`
/// (seconds since the epoch) and issuer, and returns its claims.
pub fn verify(keys: &KeyRing, token: &str, issuer: &str, now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header_json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    let parsed: Header<'_> =
        serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
    if parsed.alg != "HS256" {
        return Err(TokenError::Algorithm);
    }
    let key = keys
        .token_key_by_id(parsed.kid)
        .ok_or(TokenError::Signature)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| TokenError::Signature)?;
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::Signature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    if claims.iss != issuer {
        return Err(TokenError::Issuer);
    }
    Ok(claims)
}

fn hs256(key: &[u8], input: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

/// A new refresh token (256 random bits, base64url) and the hash it is stored under: the
/// same kind of secret as an emailed link's.
pub fn new_refresh_token() -> (String, String) {
    crate::infra::links::new_secret()
}

/// What a refresh token is stored under: its SHA-256, hex. A leaked table holds nothing that
/// can be presented.
pub fn refresh_hash(token: &str) -> String {
    crate::infra::links::secret_hash(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 appendix A.1: the HS256 example's key, signing input and signature.
    #[test]
    fn hs256_gives_the_rfc_7515_answer() {
        let key = URL_SAFE_NO_PAD
            .decode(
                "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
            )
            .expect("base64url");
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(
            URL_SAFE_NO_PAD.encode(hs256(&key, input.as_bytes())),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    fn claims(now: i64) -> Claims {
        Claims {
            sub: Uuid::new_v4(),
            email: "cat@example.com".into(),
            tier: "free".into(),
            permissions: vec!["games:own".into()],
            iat: now,
            exp: now + ACCESS_TTL_SECS,
            iss: "http://petpixel.test".into(),
        }
    }

    fn ring() -> KeyRing {
        KeyRing::parse(&KeyRing::generate_spec("t1")).expect("ring")
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let keys = ring();
        let claims = claims(1_000);
        let token = sign(&keys, &claims);
        assert_eq!(
            verify(&keys, &token, "http://petpixel.test", 1_001),
            Ok(claims.clone())
        );
        assert_eq!(
            verify(&keys, &token, "http://petpixel.test", claims.exp),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&keys, &token, "http://elsewhere.test", 1_001),
            Err(TokenError::Issuer)
        );
    }

    #[test]
    fn forged_and_altered_tokens_are_refused() {
        let keys = ring();
        let token = sign(&keys, &claims(1_000));
        let iss = "http://petpixel.test";
        // Another key's signature.
        assert_eq!(
            verify(&ring(), &token, iss, 1_001),
            Err(TokenError::Signature)
        );
        // A payload swapped for one that claims more.
        let (head, rest) = token.split_once('.').expect("three parts");
        let signature = rest.rsplit_once('.').expect("three parts").1;
        let mut admin = claims(1_000);
        admin.permissions.push("users:manage".into());
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin).expect("json"));
        let forged = format!("{head}.{forged_payload}.{signature}");
        assert_eq!(
            verify(&keys, &forged, iss, 1_001),
            Err(TokenError::Signature)
        );
        // `alg: none`, unsigned.
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"t1"}"#);
        let unsigned = format!("{none}.{forged_payload}.");
        assert_eq!(
            verify(&keys, &unsigned, iss, 1_001),
            Err(TokenError::Algorithm)
        );
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(
                verify(&keys, junk, iss, 1_001),
                Err(TokenError::Malformed),
                "{junk}"
            );
        }
    }

    #[test]
    fn tokens_signed_before_a_rotation_still_verify() {
        let old_spec = KeyRing::generate_spec("old");
        let old = KeyRing::parse(&old_spec).expect("ring");
        let token = sign(&old, &claims(1_000));
        let rotated =
            KeyRing::parse(&format!("{},{old_spec}", KeyRing::generate_spec("new"))).expect("ring");
        assert!(verify(&rotated, &token, "http://petpixel.test", 1_001).is_ok());
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let (a, hash_a) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(hash_a, refresh_hash(&a));
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a));
    }
}
