//! Web Push: "your game is ready" on the pet owner's device, with the page closed.
//!
//! The browser subscribes with a push service (FCM, Mozilla, Apple, WNS) and hands us an
//! endpoint URL on that service plus two keys. We encrypt the message to those keys (RFC 8291,
//! `aes128gcm`, through `web-push-native`) and POST it to the endpoint, signed with our VAPID
//! key (RFC 8292) so the service knows the sender is the server the browser subscribed with.
//!
//! A subscription is user input that makes the server send a request somewhere, so its
//! endpoint must be `https:` on a known push service (`push.allowed_hosts`), the sender
//! follows no redirects, and it connects only to public addresses: an IP endpoint must be
//! one, and a name is resolved by [`PublicAddressesOnly`] as each push connects, so a name
//! that resolves (or is later re-pointed) into our own network reaches nothing there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use app::dto::PushSubscriptionJson;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore as _;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use web_push_native::Auth;

use super::sender::SendFailed;
use crate::clock::now_ms;
use crate::config::Push as PushConfig;

/// Longest endpoint URL accepted; the services' own are a few hundred characters.
const MAX_ENDPOINT_LEN: usize = 2048;
/// How long a push service keeps a message for a device that is offline.
const TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// VAPID tokens are valid for at most 24 hours (RFC 8292 §2); ours for 12.
const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// One push must not hold a sender longer than this.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// The application server's VAPID key pair.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public_base64())
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Self {
        loop {
            let mut scalar = [0u8; 32];
            rand::rng().fill_bytes(&mut scalar);
            // Zero and values at or above the group order are not keys; the chance of
            // drawing one is about 2^-32.
            if let Ok(signing) = SigningKey::from_slice(&scalar) {
                return Self { signing };
            }
        }
    }

    /// A key from its private scalar, 32 bytes in base64url (padding optional).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = B64
            .decode(text.trim().trim_end_matches('='))
            .map_err(|e| format!("not base64url: {e}"))?;
        if bytes.len() != 32 {
            return Err(format!(
                "a P-256 private key is 32 bytes, this is {}",
                bytes.len()
            ));
        }
        SigningKey::from_slice(&bytes)
            .map(|signing| Self { signing })
            .map_err(|_| "not a valid P-256 private key".into())
    }

    /// The private scalar in base64url, for keeping the key.
    pub fn private_base64(&self) -> String {
        B64.encode(self.signing.to_bytes())
    }

    /// The public key as browsers want it for `applicationServerKey`: the uncompressed point,
    /// base64url.
    pub fn public_base64(&self) -> String {
        let point = self.signing.verifying_key().to_encoded_point(false);
        B64.encode(point.as_bytes())
    }

    /// The `Authorization` header for a push to `endpoint` (RFC 8292 §3): a short-lived ES256
    /// JWT naming the push service's origin and our contact, and our public key.
    pub fn authorization(&self, endpoint: &Url, subject: &str, now_secs: u64) -> String {
        let audience = endpoint.origin().ascii_serialization();
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": audience,
            "exp": now_secs + TOKEN_LIFETIME.as_secs(),
            "sub": subject,
        });
        let claims = B64.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        format!(
            "vapid t={signed}.{}, k={}",
            B64.encode(signature.to_bytes()),
            self.public_base64()
        )
    }
}

/// Why a subscription was refused: the field and a sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: &'static str,
    pub message: String,
}

fn refused(field: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        field,
        message: message.into(),
    }
}

/// A subscription whose endpoint and keys have been checked.
#[derive(Clone, Debug)]
pub struct Target {
    endpoint: Url,
    ua_public: p256::PublicKey,
    auth: Auth,
}

impl Target {
    /// Checks a subscription's endpoint against the allowed push services and decodes its keys.
    pub fn parse(
        subscription: &PushSubscriptionJson,
        policy: &PushConfig,
    ) -> Result<Self, Refused> {
        if subscription.endpoint.len() > MAX_ENDPOINT_LEN {
            return Err(refused(
                "endpoint",
                format!("The endpoint is longer than {MAX_ENDPOINT_LEN} characters."),
            ));
        }
        let endpoint = Url::parse(&subscription.endpoint)
            .map_err(|e| refused("endpoint", format!("The endpoint is not a URL ({e}).")))?;
        let secure = endpoint.scheme() == "https";
        if !(secure || (policy.allow_http && endpoint.scheme() == "http")) {
            return Err(refused("endpoint", "The endpoint must be an https URL."));
        }
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err(refused("endpoint", "The endpoint must not carry a login."));
        }
        if let Some(ip) = ip_host(&endpoint)
            && !policy.allow_private_addresses
            && !is_public(ip)
        {
            return Err(refused(
                "endpoint",
                format!("{ip} is not a public address."),
            ));
        }
        let host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
        if !policy
            .allowed_hosts
            .iter()
            .any(|pattern| host_matches(pattern, &host))
        {
            return Err(refused(
                "endpoint",
                format!("{host} is not a push service this site sends to."),
            ));
        }
        let ua_public = B64
            .decode(subscription.keys.p256dh.trim_end_matches('='))
            .ok()
            .filter(|bytes| bytes.len() == 65)
            .and_then(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).ok())
            .ok_or_else(|| {
                refused(
                    "p256dh",
                    "keys.p256dh must be an uncompressed P-256 public key in base64url.",
                )
            })?;
        let auth = B64
            .decode(subscription.keys.auth.trim_end_matches('='))
            .ok()
            .filter(|bytes| bytes.len() == 16)
            .map(|bytes| Auth::clone_from_slice(&bytes))
            .ok_or_else(|| refused("auth", "keys.auth must be 16 bytes in base64url."))?;
        Ok(Target {
            endpoint,
            ua_public,
            auth,
        })
    }
}

/// The endpoint's host when it is an address rather than a name.
fn ip_host(endpoint: &Url) -> Option<IpAddr> {
    let host = endpoint.host_str()?;
    // An IPv6 host is written in brackets.
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Whether `ip` is on the public internet: not private, loopback, link-local, shared (CGNAT),
/// documentation, benchmarking, multicast, reserved or unspecified, nor an IPv6 form of one
/// (IPv4-mapped, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), RFC 6598.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, RFC 6890.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, RFC 2544.
        || (a == 198 && (18..20).contains(&b))
        // Reserved for future use (and broadcast), RFC 1112.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    // 6to4 (2002::/16) carries one in bits 16..48.
    if segments[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::from(
            (u32::from(segments[1]) << 16) | u32::from(segments[2]),
        ));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (segments[0] & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (segments[0] & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        // IPv4-compatible (deprecated) and other ::/96 forms.
        || segments[..6] == [0; 6])
}

/// Why a push was not sent: its service's name resolved to an address inside a network.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {address}, which is not a public address")]
pub struct PrivateAddress {
    host: String,
    address: IpAddr,
}

/// Resolves names as the system does, and refuses any that resolves to an address that is
/// not public (every address is checked: one bad answer among good ones refuses the name).
#[derive(Debug, Default)]
pub struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addresses.iter().find(|a| !is_public(a.ip())) {
                return Err(Box::new(PrivateAddress {
                    host,
                    address: bad.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The [`PrivateAddress`] somewhere in `error`'s chain of causes.
fn private_address<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a PrivateAddress> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<PrivateAddress>() {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// `pattern` is a host name or `*.` and a domain (which matches its subdomains only).
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == pattern,
    }
}

/// What a push looks like on the device; the service worker (`public/sw.js`) shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    /// Where a tap on the notification leads.
    pub url: String,
    pub icon: String,
    /// Replaces an earlier notification for the same game instead of stacking.
    pub tag: String,
}

/// Sends pushes: encrypts, signs and POSTs.
pub struct Pusher {
    client: reqwest::Client,
    key: VapidKey,
    subject: String,
    policy: PushConfig,
}

impl Pusher {
    pub fn new(key: VapidKey, subject: String, policy: PushConfig) -> anyhow::Result<Self> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(SEND_TIMEOUT);
        if !policy.allow_private_addresses {
            client = client.dns_resolver(Arc::new(PublicAddressesOnly));
        }
        let client = client.build()?;
        Ok(Self {
            client,
            key,
            subject,
            policy,
        })
    }

    /// Sends `message` to the subscription stored as `target` (its JSON).
    pub async fn send(&self, target: &str, message: &PushMessage) -> Result<(), SendFailed> {
        let permanent = SendFailed::permanent;
        let subscription: PushSubscriptionJson = serde_json::from_str(target)
            .map_err(|e| permanent(format!("stored subscription unreadable: {e}")))?;
        // Checked again: the allowed hosts may have changed since it was stored.
        let target = Target::parse(&subscription, &self.policy)
            .map_err(|refused| permanent(refused.message))?;
        let plain = serde_json::to_vec(message).map_err(|e| permanent(e.to_string()))?;
        let body = web_push_native::encrypt(plain, &target.ua_public, &target.auth)
            .map_err(|e| permanent(format!("encrypting: {e}")))?;
        let now = u64::try_from(now_ms() / 1000).unwrap_or_default();
        let response = self
            .client
            .post(target.endpoint.clone())
            .header(
                "Authorization",
                self.key.authorization(&target.endpoint, &self.subject, now),
            )
            .header("TTL", TTL.as_secs())
            .header("Urgency", "normal")
            .header("Topic", &message_topic(&message.tag))
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
            .await
            // The URL is the device's push address: kept out of logs and the outbox.
            .map_err(|e| match private_address(&e) {
                // It will resolve the same way next time: not worth retrying.
                Some(private) => permanent(private.to_string()),
                None => {
                    SendFailed::transient(format!("push service unreachable: {}", e.without_url()))
                }
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let detail: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        Err(SendFailed {
            message: format!("push service answered {status}: {detail}"),
            // 404/410: the subscription expired or was withdrawn. 429 and 5xx pass; the
            // rest (400, 401, 403, 413) will be answered the same way next time.
            permanent: !(status.as_u16() == 429 || status.is_server_error()),
        })
    }
}

/// A push `Topic` is at most 32 base64url characters; ours is derived from the tag.
fn message_topic(tag: &str) -> String {
    tag.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use app::dto::PushKeys;

    use super::*;

    fn policy() -> PushConfig {
        PushConfig::default()
    }

    fn browser_keys() -> PushKeys {
        let ua = VapidKey::generate();
        PushKeys {
            p256dh: ua.public_base64(),
            auth: B64.encode([7u8; 16]),
        }
    }

    fn subscription(endpoint: &str) -> PushSubscriptionJson {
        PushSubscriptionJson {
            endpoint: endpoint.into(),
            keys: browser_keys(),
        }
    }

    #[test]
    fn known_push_services_are_accepted() {
        for endpoint in [
            "https://fcm.googleapis.com/fcm/send/abc:def",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
            "https://web.push.apple.com/QGuQ",
            "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAD",
        ] {
            Target::parse(&subscription(endpoint), &policy())
                .unwrap_or_else(|e| panic!("{endpoint}: {e:?}"));
        }
    }

    #[test]
    fn other_endpoints_are_refused() {
        for endpoint in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://127.0.0.1/push",
            "https://evil.example/fcm.googleapis.com",
            "https://fcm.googleapis.com.evil.example/x",
            "https://push.services.mozilla.com.evil/x",
            "https://xnotify.windows.com/x",
            "https://user:pw@fcm.googleapis.com/x",
            "file:///etc/passwd",
            "not a url",
        ] {
            let refused = Target::parse(&subscription(endpoint), &policy()).expect_err(endpoint);
            assert_eq!(refused.field, "endpoint", "{endpoint}");
        }
        let long = format!(
            "https://fcm.googleapis.com/{}",
            "a".repeat(MAX_ENDPOINT_LEN)
        );
        assert_eq!(
            Target::parse(&subscription(&long), &policy())
                .expect_err("refused")
                .field,
            "endpoint"
        );
    }

    #[test]
    fn plain_http_and_private_addresses_only_when_allowed() {
        let mut local = policy();
        local.allowed_hosts = vec!["127.0.0.1".into()];
        let sub = subscription("http://127.0.0.1:9/push");
        assert!(Target::parse(&sub, &local).is_err());
        local.allow_http = true;
        let refused = Target::parse(&sub, &local).expect_err("a loopback address");
        assert!(
            refused.message.contains("not a public address"),
            "{refused:?}"
        );
        local.allow_private_addresses = true;
        assert!(Target::parse(&sub, &local).is_ok());
    }

    #[test]
    fn addresses_inside_networks_are_not_public() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "240.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = inside.parse().expect(inside);
            assert!(!is_public(ip), "{inside}");
        }
        for outside in [
            "8.8.8.8",
            "142.250.74.110",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001:80b::200a",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = outside.parse().expect(outside);
            assert!(is_public(ip), "{outside}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_the_network_is_not_connected_to() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        use reqwest::dns::Resolve as _;
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        let err = match PublicAddressesOnly.resolve(name).await {
            Ok(_) => panic!("localhost resolved through the public-only resolver"),
            Err(err) => err,
        };
        assert!(private_address(&*err).is_some(), "{err}");

        // Through the sender, end to end: a stand-in push service on this machine, named
        // `localhost`, is never reached; allowed private addresses, it is.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut local = policy();
        local.allowed_hosts = vec!["localhost".into()];
        local.allow_http = true;
        let endpoint = format!("http://localhost:{port}/push");
        let target = serde_json::to_string(&subscription(&endpoint)).expect("json");
        let message = PushMessage {
            title: "t".into(),
            body: "b".into(),
            url: "/".into(),
            icon: "/i.png".into(),
            tag: "x".into(),
        };
        let pusher = Pusher::new(
            VapidKey::generate(),
            "mailto:a@example.com".into(),
            local.clone(),
        )
        .expect("pusher");
        let failed = pusher.send(&target, &message).await.expect_err("refused");
        assert!(failed.permanent, "{}", failed.message);
        assert!(
            failed.message.contains("not a public address"),
            "{}",
            failed.message
        );
        // A connection made would wait in the listener's queue by now.
        let listener = listener.into_std().expect("std listener");
        listener.set_nonblocking(true).expect("nonblocking");
        assert_eq!(
            listener.accept().map(|_| ()).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock),
            "the push reached the private address"
        );
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");

        local.allow_private_addresses = true;
        let pusher = Pusher::new(VapidKey::generate(), "mailto:a@example.com".into(), local)
            .expect("pusher");
        let serve = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("a connection");
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let mut buf = vec![0u8; 65536];
            let _ = socket.read(&mut buf).await;
            socket
                .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")
                .await
                .expect("answer");
        });
        pusher
            .send(&target, &message)
            .await
            .expect("sent to the allowed stand-in");
        serve.await.expect("served");
    }

    #[test]
    fn bad_keys_name_their_field() {
        let mut sub = subscription("https://fcm.googleapis.com/fcm/send/x");
        sub.keys.p256dh = B64.encode([4u8; 65]); // not on the curve
        assert_eq!(
            Target::parse(&sub, &policy()).expect_err("refused").field,
            "p256dh"
        );
        sub.keys.p256dh = "!!".into();
        assert_eq!(
            Target::parse(&sub, &policy()).expect_err("refused").field,
            "p256dh"
        );
        sub.keys = browser_keys();
        sub.keys.auth = B64.encode([1u8; 15]);
        assert_eq!(
            Target::parse(&sub, &policy()).expect_err("refused").field,
            "auth"
        );
    }

    #[test]
    fn keys_round_trip_through_base64() {
        let key = VapidKey::generate();
        let again = VapidKey::from_base64(&key.private_base64()).expect("valid");
        assert_eq!(key.public_base64(), again.public_base64());
        assert_eq!(B64.decode(key.public_base64()).expect("valid").len(), 65);
        assert!(VapidKey::from_base64("c2hvcnQ").is_err());
        assert!(VapidKey::from_base64(&B64.encode([0u8; 32])).is_err());
        assert!(VapidKey::from_base64(&B64.encode([0xffu8; 32])).is_err());
    }

    #[test]
    fn the_vapid_token_verifies_with_the_public_key() {
        use p256::ecdsa::VerifyingKey;
        use p256::ecdsa::signature::Verifier as _;

        let key = VapidKey::generate();
        let endpoint = Url::parse("https://fcm.googleapis.com:443/fcm/send/x").expect("valid");
        let header = key.authorization(&endpoint, "mailto:games@example.com", 1_000);
        let (token, public) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .expect("vapid t=…, k=…");
        assert_eq!(public, key.public_base64());
        let (signed, signature) = token.rsplit_once('.').expect("valid");
        let claims: serde_json::Value = serde_json::from_slice(
            &B64.decode(signed.split('.').nth(1).expect("valid"))
                .expect("valid"),
        )
        .expect("valid");
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
        assert_eq!(claims["sub"], "mailto:games@example.com");
        assert_eq!(claims["exp"], 1_000 + TOKEN_LIFETIME.as_secs());
        let verifying =
            VerifyingKey::from_sec1_bytes(&B64.decode(public).expect("valid")).expect("a point");
        let signature =
            Signature::from_slice(&B64.decode(signature).expect("valid")).expect("valid");
        verifying
            .verify(signed.as_bytes(), &signature)
            .expect("signed by the key");
    }

    #[test]
    fn topics_are_short_and_safe() {
        assert_eq!(message_topic("game-1234"), "game-1234");
        assert_eq!(message_topic(&"x/".repeat(40)).len(), 32);
    }
}
