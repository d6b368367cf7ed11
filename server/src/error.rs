//! How internal failures reach a client: logged here with their detail, answered as
//! `AppError::Internal`, which carries none.

use app::error::AppError;

use crate::infra::blobs::BlobError;
use crate::infra::db::StoreError;

/// Logs an internal failure and hides its details from the client.
pub fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(context, error = %e, "internal error");
    AppError::Internal
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        internal("database", e)
    }
}

/// A blob read for a client: missing is `NotFound`, anything else is ours.
pub fn blob_read(e: BlobError) -> AppError {
    match e {
        BlobError::NotFound(_) => AppError::NotFound,
        other => internal("blob storage", other),
    }
}
