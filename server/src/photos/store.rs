//! Where uploaded photos are recorded (`pet_images`), for both engines.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine, to_u32};

/// A photo as uploaded (validated, re-encoded) and stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: Uuid,
    /// The visitor whose session uploaded it.
    pub visitor_id: String,
    /// Blob key of the re-encoded original.
    pub original_key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub created_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait PhotoStore: Send + Sync + 'static {
    async fn insert(&self, image: &ImageRecord) -> Result<(), StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<ImageRecord>, StoreError>;
    /// Deletes a photo's row (games made from it let go of it: the schema sets their
    /// `image_id` to null); false when there was none.
    async fn delete(&self, id: Uuid) -> Result<bool, StoreError>;
    /// Gives every photo of owner `from` to owner `to` (a visitor who signs up or logs in);
    /// how many moved.
    async fn hand_over(&self, from: &str, to: &str) -> Result<u64, StoreError>;
    /// Every photo of `owner`, oldest first (an account's export and erasure).
    async fn photos_of(&self, owner: &str) -> Result<Vec<ImageRecord>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct ImageRow {
    id: Id,
    visitor_id: Option<String>,
    original_url: String,
    content_type: String,
    width: i32,
    height: i32,
    created_at: DateTime<Utc>,
}

impl TryFrom<ImageRow> for ImageRecord {
    type Error = StoreError;

    fn try_from(row: ImageRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id.into(),
            visitor_id: row.visitor_id.unwrap_or_default(),
            original_key: row.original_url,
            content_type: row.content_type,
            width: to_u32(row.width.into(), "width")?,
            height: to_u32(row.height.into(), "height")?,
            created_at: row.created_at,
        })
    }
}

/// The same statements serve both engines: ids bind as each engine's own type ([`Id`]).
const INSERT: &str = "INSERT INTO pet_images (id, visitor_id, original_url, content_type, width, \
    height, processing_status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'stored', $7)";
const SELECT: &str = "SELECT id, visitor_id, original_url, content_type, width, height, \
    created_at FROM pet_images WHERE id = $1";
const DELETE: &str = "DELETE FROM pet_images WHERE id = $1";
const BY_OWNER: &str = "SELECT id, visitor_id, original_url, content_type, width, height, \
    created_at FROM pet_images WHERE visitor_id = $1 ORDER BY created_at, id";
const HAND_OVER: &str = "UPDATE pet_images SET visitor_id = $2 WHERE visitor_id = $1";

#[async_trait::async_trait]
impl PhotoStore for Db {
    async fn insert(&self, image: &ImageRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(INSERT)
                .bind(Id(image.id))
                .bind(&image.visitor_id)
                .bind(&image.original_key)
                .bind(&image.content_type)
                .bind(i64::from(image.width))
                .bind(i64::from(image.height))
                .bind(image.created_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<ImageRecord>, StoreError> {
        let row: Option<ImageRow> = each_engine!(self, pool => sqlx::query_as(SELECT).bind(Id(id)).fetch_optional(pool).await?);
        row.map(ImageRecord::try_from).transpose()
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let done = each_engine!(self, pool => sqlx::query(DELETE).bind(Id(id)).execute(pool).await?.rows_affected());
        Ok(done > 0)
    }

    async fn hand_over(&self, from: &str, to: &str) -> Result<u64, StoreError> {
        Ok(each_engine!(self, pool => sqlx::query(HAND_OVER)
            .bind(from)
            .bind(to)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    async fn photos_of(&self, owner: &str) -> Result<Vec<ImageRecord>, StoreError> {
        let rows: Vec<ImageRow> = each_engine!(self, pool => sqlx::query_as(BY_OWNER)
            .bind(owner)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(ImageRecord::try_from).collect()
    }
}
