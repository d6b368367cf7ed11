//! Stripe's webhook signatures: the `Stripe-Signature` header is `t=<unix seconds>,v1=<hex>`
//! (a `v1` per signing secret while one is being rolled), each `v1` the HMAC-SHA256 of
//! `"{t}.{body}"` under the endpoint's secret. A delivery is accepted when one `v1` matches and
//! `t` is within the tolerance of now, so a captured delivery cannot be replayed later.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far from now a signature's timestamp may be (Stripe's libraries use the same).
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is more than {TOLERANCE_SECS} s from now")]
    Stale,
    #[error("no signature matches the payload")]
    Mismatch,
}

/// Checks `header` against `body` signed with `secret` at `now`.
pub fn verify(
    body: &[u8],
    header: Option<&str>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", hex)) => signatures.extend(decode_hex(hex)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now.timestamp() - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for signature in signatures {
        // `verify_slice` compares in constant time.
        if mac(secret, timestamp, body)
            .verify_slice(&signature)
            .is_ok()
        {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// The header Stripe would send for `body` at `timestamp` (for tests and the test scripts'
/// deliveries, which must be signed exactly as Stripe signs).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("time")
    }

    #[test]
    fn a_signature_made_with_the_secret_within_the_tolerance_is_accepted() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, SECRET, 1_700_000_000);
        assert_eq!(
            verify(body, Some(&header), SECRET, at(1_700_000_000)),
            Ok(())
        );
        assert_eq!(
            verify(body, Some(&header), SECRET, at(1_700_000_300)),
            Ok(())
        );
        // A second v1 (a secret being rolled) and unknown schemes do not get in the way.
        let rolled = format!("{header},v1=00ff,v0=abc");
        assert_eq!(
            verify(body, Some(&rolled), SECRET, at(1_700_000_001)),
            Ok(())
        );
    }

    #[test]
    fn forged_stale_and_malformed_signatures_are_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, SECRET, 1_700_000_000);
        let now = at(1_700_000_010);
        assert_eq!(
            verify(body, Some(&header), "whsec_other", now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(br#"{"id":"evt_2"}"#, Some(&header), SECRET, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(body, Some(&header), SECRET, at(1_700_000_301)),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(body, Some(&header), SECRET, at(1_699_999_699)),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(body, None, SECRET, now),
            Err(SignatureError::Missing)
        );
        for bad in [
            "",
            "t=abc,v1=00",
            "v1=00ff",
            "t=1700000000",
            "t=1700000000,v1=zz",
        ] {
            assert_eq!(
                verify(body, Some(bad), SECRET, now),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
