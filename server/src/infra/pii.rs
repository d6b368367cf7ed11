//! Personal data at rest (design document §6.2): emails, names and push subscriptions are
//! sealed with AES-256-GCM under a fresh random 96-bit nonce per value, tagged with the id of
//! the key that sealed them so keys can rotate; lookups by email go through an HMAC blind
//! index instead of the value. (The document's sample calls `createCipher`, which ignores its
//! IV and derives the same key stream for every value: nothing here is modelled on it.)
//!
//! One configured secret per key id yields three independent keys (HKDF-SHA256 with distinct
//! labels): the cipher key, the blind-index key and the key that signs access tokens, so no
//! key is ever used by two algorithms.
//!
//! A sealed value is `{key id}.{base64url(nonce ‖ ciphertext ‖ tag)}`. The column it belongs
//! to is bound in as associated data, so a value copied into another column does not open.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE_BYTES: usize = 12;
const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("security.pii_keys: {0}")]
    Config(String),
    #[error("the PII key file {path}: {message}")]
    KeyFile { path: String, message: String },
    /// A stored value that does not open: damaged, or sealed by a key we no longer hold.
    #[error("a sealed value could not be opened ({0})")]
    Open(&'static str),
}

/// One key of the ring, expanded into its three uses.
struct Key {
    id: String,
    cipher: Aes256Gcm,
    index: [u8; KEY_BYTES],
    tokens: [u8; KEY_BYTES],
}

impl Key {
    fn new(id: &str, secret: &[u8; KEY_BYTES]) -> Result<Self, PiiError> {
        if id.is_empty()
            || id.len() > 16
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(PiiError::Config(format!(
                "key id {id:?} must be 1 to 16 letters, digits, `_` or `-`"
            )));
        }
        let hkdf = hkdf::Hkdf::<Sha256>::new(None, secret);
        let derive = |label: &str| {
            let mut out = [0u8; KEY_BYTES];
            // Infallible: 32 bytes is far below HKDF-SHA256's 8160-byte limit.
            let _ = hkdf.expand(label.as_bytes(), &mut out);
            out
        };
        let cipher_key = derive("petpixel/pii/aes-256-gcm");
        Ok(Self {
            id: id.to_owned(),
            cipher: Aes256Gcm::new(&cipher_key.into()),
            index: derive("petpixel/pii/blind-index"),
            tokens: derive("petpixel/tokens/hs256"),
        })
    }
}

/// The keys personal data is sealed with. The first is current: it seals and indexes new
/// values and signs new tokens; the others still open, find and verify what they made until
/// `petpixel admin rotate-keys` has moved everything to the current one.
pub struct KeyRing {
    keys: Vec<Key>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("KeyRing").field("ids", &ids).finish()
    }
}

impl KeyRing {
    /// Parses `id:base64,id:base64,...` (`PETPIXEL__SECURITY__PII_KEYS`), current key first;
    /// each secret is 32 random bytes in standard or URL-safe base64.
    pub fn parse(spec: &str) -> Result<Self, PiiError> {
        let mut keys: Vec<Key> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, secret) = entry.split_once(':').ok_or_else(|| {
                PiiError::Config("write each key as `id:base64` (comma-separated)".into())
            })?;
            let bytes = STANDARD
                .decode(secret.trim())
                .or_else(|_| URL_SAFE_NO_PAD.decode(secret.trim().trim_end_matches('=')))
                .map_err(|_| PiiError::Config(format!("key {id:?} is not base64")))?;
            let secret: [u8; KEY_BYTES] = bytes
                .try_into()
                .map_err(|_| PiiError::Config(format!("key {id:?} must be {KEY_BYTES} bytes")))?;
            if keys.iter().any(|k| k.id == id) {
                return Err(PiiError::Config(format!("key id {id:?} appears twice")));
            }
            keys.push(Key::new(id, &secret)?);
        }
        if keys.is_empty() {
            return Err(PiiError::Config("no key given".into()));
        }
        Ok(Self { keys })
    }

    /// The embedded default's ring: read from `path`, or made once (one random key) and
    /// written there readable by its owner only.
    pub fn load_or_create(path: &Path) -> Result<Self, PiiError> {
        let file_error = |message: String| PiiError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read_to_string(path) {
            Ok(spec) => {
                check_private(path).map_err(file_error)?;
                Self::parse(&spec)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let spec = Self::generate_spec("k1");
                write_private(path, &spec).map_err(|e| file_error(e.to_string()))?;
                // Whoever won a race to create it, its content is what every later read sees.
                Self::parse(&std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?)
            }
            Err(e) => Err(file_error(e.to_string())),
        }
    }

    /// A new random key as `id:base64`, for the key file or an operator's secret.
    pub fn generate_spec(id: &str) -> String {
        let mut secret = [0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut secret);
        format!("{id}:{}", STANDARD.encode(secret))
    }

    fn current(&self) -> &Key {
        // `parse` refuses an empty ring.
        &self.keys[0]
    }

    pub fn current_id(&self) -> &str {
        &self.current().id
    }

    /// Seals `plaintext` for the column `context` (e.g. `users.email`) under the current key.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let key = self.current();
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // AES-GCM fails only past 64 GiB per message.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{}.{}", key.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a value [`seal`](Self::seal) made for the same `context`, with whichever key of
    /// the ring sealed it.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, PiiError> {
        let (id, body) = sealed
            .split_once('.')
            .ok_or(PiiError::Open("not a sealed value"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or(PiiError::Open("sealed by a key not in the ring"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| PiiError::Open("not base64"))?;
        if bytes.len() < NONCE_BYTES + 16 {
            return Err(PiiError::Open("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| PiiError::Open("authentication failed"))?;
        String::from_utf8(plain).map_err(|_| PiiError::Open("not UTF-8"))
    }

    /// Whether a sealed value was made by a key other than the current one.
    pub fn is_stale(&self, sealed: &str) -> bool {
        sealed.split_once('.').map(|(id, _)| id) != Some(self.current_id())
    }

    /// The current key's blind index of `value` (hex HMAC-SHA256 of the value as given:
    /// callers normalise first, e.g. lower-case an email).
    pub fn blind_index(&self, value: &str) -> String {
        index_with(&self.current().index, value)
    }

    /// The value's blind index under every key of the ring, current first: a lookup matches
    /// a row whichever key indexed it, so rotation never hides an account.
    pub fn blind_indexes(&self, value: &str) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| index_with(&k.index, value))
            .collect()
    }

    /// The key new access tokens are signed with, and its id.
    pub fn token_key(&self) -> (&str, &[u8; KEY_BYTES]) {
        let key = self.current();
        (&key.id, &key.tokens)
    }

    /// The key that signed a token carrying `kid`, if the ring still holds it.
    pub fn token_key_by_id(&self, kid: &str) -> Option<&[u8; KEY_BYTES]> {
        self.keys.iter().find(|k| k.id == kid).map(|k| &k.tokens)
    }
}

fn index_with(key: &[u8; KEY_BYTES], value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(value.as_bytes());
    super::hex(&mac.finalize().into_bytes())
}

/// Creates `path` with mode 0600 (failing if it exists, so two starting processes cannot
/// overwrite each other's key).
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(content.as_bytes())?;
            file.sync_all()
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses a key file others may read: a key anyone on the machine can read protects nothing.
fn check_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "is readable by others (mode {:o}): chmod 600 it",
                mode & 0o777
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// AES-256 test cases 13–16 of the GCM specification (McGrew & Viega), the vectors NIST
    /// SP 800-38D's validation suite starts from: key, IV, plaintext, AAD, ciphertext ‖ tag.
    const GCM_VECTORS: [(&str, &str, &str, &str, &str); 4] = [
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b",
        ),
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015adb094dac5d93471bdec1a502270e3cc6c",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b",
        ),
    ];

    #[test]
    fn the_cipher_gives_the_known_answers() {
        for (key, iv, plain, aad, expected) in GCM_VECTORS {
            let key: [u8; 32] = unhex(key).try_into().expect("32 bytes");
            let cipher = Aes256Gcm::new(&key.into());
            let (iv, plain, aad) = (unhex(iv), unhex(plain), unhex(aad));
            let sealed = cipher
                .encrypt(
                    Nonce::from_slice(&iv),
                    Payload {
                        msg: &plain,
                        aad: &aad,
                    },
                )
                .expect("encrypts");
            assert_eq!(crate::infra::hex(&sealed), expected);
            let opened = cipher
                .decrypt(
                    Nonce::from_slice(&iv),
                    Payload {
                        msg: &sealed,
                        aad: &aad,
                    },
                )
                .expect("decrypts");
            assert_eq!(opened, plain);
        }
    }

    fn ring(spec: &str) -> KeyRing {
        KeyRing::parse(spec).expect("valid ring")
    }

    #[test]
    fn values_round_trip_with_a_fresh_nonce_each_time() {
        let keys = ring(&KeyRing::generate_spec("a"));
        let one = keys.seal("cat@example.com", "users.email");
        let two = keys.seal("cat@example.com", "users.email");
        assert_ne!(one, two, "the same value seals differently every time");
        assert!(!one.contains("cat"), "{one}");
        assert!(one.starts_with("a."), "{one}");
        assert_eq!(
            keys.open(&one, "users.email").expect("opens"),
            "cat@example.com"
        );
    }

    #[test]
    fn a_value_opens_only_in_its_own_column_and_unaltered() {
        let keys = ring(&KeyRing::generate_spec("a"));
        let sealed = keys.seal("Rex", "users.name");
        assert!(keys.open(&sealed, "users.email").is_err());
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        assert!(keys.open(&flipped, "users.name").is_err());
        assert!(keys.open("garbage", "users.name").is_err());
        assert!(keys.open("a.", "users.name").is_err());
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_findable() {
        let old_spec = KeyRing::generate_spec("old");
        let old = ring(&old_spec);
        let sealed = old.seal("dog@example.com", "users.email");
        let index = old.blind_index("dog@example.com");

        let rotated = ring(&format!("{},{old_spec}", KeyRing::generate_spec("new")));
        assert_eq!(rotated.current_id(), "new");
        assert!(rotated.is_stale(&sealed));
        assert_eq!(
            rotated.open(&sealed, "users.email").expect("old key opens"),
            "dog@example.com"
        );
        assert!(rotated.blind_indexes("dog@example.com").contains(&index));
        assert_ne!(rotated.blind_index("dog@example.com"), index);
        assert!(!rotated.is_stale(&rotated.seal("x", "users.email")));
        // A ring without the old key cannot open what it sealed.
        let fresh = ring(&KeyRing::generate_spec("new"));
        assert!(fresh.open(&sealed, "users.email").is_err());
    }

    #[test]
    fn the_blind_index_is_deterministic_and_keyed() {
        let spec = KeyRing::generate_spec("a");
        assert_eq!(
            ring(&spec).blind_index("x@example.com"),
            ring(&spec).blind_index("x@example.com")
        );
        assert_ne!(
            ring(&spec).blind_index("x@example.com"),
            ring(&KeyRing::generate_spec("a")).blind_index("x@example.com")
        );
        assert_eq!(ring(&spec).blind_index("x@example.com").len(), 64);
    }

    #[test]
    fn bad_key_specs_are_refused_with_the_reason() {
        for (spec, reason) in [
            ("", "no key"),
            ("nocolon", "id:base64"),
            ("a:!!!", "not base64"),
            ("a:AAAA", "32 bytes"),
            ("bad id:AAAA", "32 bytes"),
        ] {
            let err = KeyRing::parse(spec).expect_err(spec).to_string();
            assert!(err.contains(reason), "{spec:?}: {err}");
        }
        let key = KeyRing::generate_spec("a");
        let err = KeyRing::parse(&format!("{key},{key}"))
            .expect_err("duplicate")
            .to_string();
        assert!(err.contains("twice"), "{err}");
        let secret = key.split_once(':').expect("spec").1;
        let err = KeyRing::parse(&format!("has space:{secret}"))
            .expect_err("bad id")
            .to_string();
        assert!(err.contains("key id"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn the_embedded_key_file_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys").join("pii.keys");
        let first = KeyRing::load_or_create(&path).expect("made");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = first.seal("kept", "t");
        let again = KeyRing::load_or_create(&path).expect("read back");
        assert_eq!(again.open(&sealed, "t").expect("same key"), "kept");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = KeyRing::load_or_create(&path).expect_err("world-readable");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
