//! Blob storage behind one interface: a local folder by default, an S3-compatible bucket when
//! configured (both through `object_store`).

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::ExposeSecret;

use crate::config::S3Config;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found: {0}")]
    NotFound(String),
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    #[error("blob storage: {0}")]
    Backend(#[from] object_store::Error),
    #[error("blob storage setup: {0}")]
    Setup(String),
}

/// Where the product keeps photos, sprites and game modules.
#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    kind: &'static str,
}

impl Blobs {
    /// A folder on the local disk (created if missing).
    pub fn local(root: &Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(root)
            .map_err(|e| BlobError::Setup(format!("{}: {e}", root.display())))?;
        let store = LocalFileSystem::new_with_prefix(root)?.with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            kind: "local",
        })
    }

    /// An S3-compatible bucket.
    pub fn s3(config: &S3Config) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose_secret())
            .with_allow_http(config.allow_http);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        Ok(Self {
            store: Arc::new(builder.build()?),
            kind: "s3",
        })
    }

    /// `local` or `s3`, for `/health`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&parse_key(key)?, PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        match self.store.get(&parse_key(key)?).await {
            Ok(result) => Ok(result.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(key.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a blob; deleting a missing blob is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&parse_key(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every key under a prefix (tests and clean-up).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let prefix = (!prefix.is_empty())
            .then(|| parse_key(prefix))
            .transpose()?;
        let metas: Vec<_> = self.store.list(prefix.as_ref()).try_collect().await?;
        let mut keys: Vec<String> = metas.into_iter().map(|m| m.location.to_string()).collect();
        keys.sort();
        Ok(keys)
    }
}

/// Keys are made by the server (`images/{uuid}/original.png`), never taken from a request;
/// refusing odd ones anyway keeps a bug from escaping the store's root.
fn parse_key(key: &str) -> Result<ObjectPath, BlobError> {
    let ok = !key.is_empty()
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if !ok {
        return Err(BlobError::InvalidKey(key.to_owned()));
    }
    ObjectPath::parse(key).map_err(|_| BlobError::InvalidKey(key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_escape_the_root_are_refused() {
        for key in [
            "",
            "../x",
            "a/../../b",
            "/abs",
            "a//b",
            "a/./b",
            "sp ace",
            "a\\b",
        ] {
            assert!(parse_key(key).is_err(), "{key:?} accepted");
        }
        assert!(parse_key("images/0b6f/original.png").is_ok());
    }
}
