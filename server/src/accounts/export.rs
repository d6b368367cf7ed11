//! "Download my data": everything an account holds, as one ZIP file — its profile and, from
//! each capability ([`Belongings::export`](super::Belongings::export)), its things as JSON
//! with their files. The archive is written to a temporary file as it is gathered, so a large
//! account never sits in memory, then streamed to the person.

use app::error::AppError;
use axum::body::Body;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::internal;
use crate::infra::zip::ZipWriter;

/// An export being written.
pub struct Export {
    zip: ZipWriter<tokio::fs::File>,
}

/// A finished export: its size, and a body that streams it.
pub struct Exported {
    pub bytes: u64,
    pub body: Body,
}

impl Export {
    /// A new archive in a temporary file that no other process can open: it is unlinked as
    /// soon as it is made, and goes when the response is done with it.
    pub async fn start() -> Result<Self, AppError> {
        let path =
            std::env::temp_dir().join(format!("petpixel-export-{}.zip", uuid::Uuid::new_v4()));
        let file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| internal("create the export file", e))?;
        tokio::fs::remove_file(&path)
            .await
            .map_err(|e| internal("unlink the export file", e))?;
        Ok(Self {
            zip: ZipWriter::new(file),
        })
    }

    pub async fn add(&mut self, name: &str, data: &[u8]) -> Result<(), AppError> {
        self.zip
            .add(name, data)
            .await
            .map_err(|e| internal("write the export", e))
    }

    /// Adds `value` as pretty JSON, for people to read.
    pub async fn add_json<T: serde::Serialize>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<(), AppError> {
        let json = serde_json::to_vec_pretty(value).map_err(|e| internal("export JSON", e))?;
        self.add(name, &json).await
    }

    /// Closes the archive and streams it from the start.
    pub async fn finish(self) -> Result<Exported, AppError> {
        let mut file = self
            .zip
            .finish()
            .await
            .map_err(|e| internal("finish the export", e))?;
        let bytes = file
            .metadata()
            .await
            .map_err(|e| internal("size the export", e))?
            .len();
        file.seek(std::io::SeekFrom::Start(0))
            .await
            .map_err(|e| internal("rewind the export", e))?;
        // A read that fails ends the stream after its error.
        let stream = futures_util::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let mut chunk = vec![0u8; 64 * 1024];
            match file.read(&mut chunk).await {
                Ok(0) => None,
                Ok(n) => {
                    chunk.truncate(n);
                    Some((Ok(bytes::Bytes::from(chunk)), Some(file)))
                }
                Err(e) => Some((Err::<bytes::Bytes, _>(e), None)),
            }
        });
        Ok(Exported {
            bytes,
            body: Body::from_stream(stream),
        })
    }
}
