//! What every capability stands on: the database, blob storage, Redis, rate limits, one-time
//! links, outgoing mail, change notices, sessions, metrics, personal data's keys, the server's own keys and the compiled game runtime.

pub mod blobs;
pub mod changes;
pub mod db;
pub mod keys;
pub mod limits;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod pii;
pub mod runtime;
pub mod sessions;
pub mod zip;

/// Lower-case hex of `bytes` (content tags, token hashes, blind indexes).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
