//! The browsers signed in to an account: each sign-in records one (`account_devices`), the
//! browser's session names it, and a session whose device is gone is over. The account page
//! lists them and logs any of them out; changing the password, "log out everywhere" and
//! deleting the account end them all. Ending a device deletes its session from the session
//! store as well, so nothing of it lingers until expiry: the row keeps the session's key
//! sealed (it is what the cookie carries) to find it by.

use std::sync::Arc;
use std::time::Duration;

use app::dto::DeviceView;
use app::error::AppError;
use app::port::Visitor;
use chrono::{DateTime, SecondsFormat, Utc};
use tower_sessions::SessionStore;
use tower_sessions::session::Id as SessionId;
use uuid::Uuid;

use super::Belongings;
use super::export::Export;
use crate::infra::db::{Db, Id, StoreError, each_engine};
use crate::infra::pii::KeyRing;

/// The column sealed session keys belong to.
const SESSION: &str = "account_devices.session";
/// A device's "last seen" moves at most this often: a write per page view would cost more
/// than the minute-level precision is worth.
const SEEN_EVERY: Duration = Duration::from_secs(5 * 60);
/// How long a signed-in browser stays signed in without being seen: its session's lifetime
/// (renewed whenever "last seen" moves).
pub const SIGNED_IN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest label kept.
const LABEL_CHARS: usize = 64;

/// A device as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_sealed: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// What a signed-in request found of its device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Logged out (or never recorded): the session is over.
    Gone,
    /// Signed in, seen recently.
    Recently,
    /// Signed in; "last seen" just moved, so the session's lifetime starts again too.
    Again,
}

/// Which of an account's devices to remove.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    One(Uuid),
    AllBut(Option<Uuid>),
}

#[async_trait::async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    async fn insert_device(&self, device: &DeviceRecord) -> Result<(), StoreError>;
    /// Whether device `id` of account `user_id` is signed in; its `last_seen_at` moves to
    /// `now` when it is older than `stale_before`.
    async fn touch_device(
        &self,
        user_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Seen, StoreError>;
    /// The account's devices, most recently seen first.
    async fn devices_of(&self, user_id: Uuid) -> Result<Vec<DeviceRecord>, StoreError>;
    /// Removes the account's devices `which` names; what was removed.
    async fn remove_devices(
        &self,
        user_id: Uuid,
        which: Which,
    ) -> Result<Vec<DeviceRecord>, StoreError>;
}

pub struct Devices {
    store: Arc<dyn DeviceStore>,
    keys: Arc<KeyRing>,
    sessions: Arc<dyn SessionStore>,
}

impl Devices {
    pub fn new(
        store: Arc<dyn DeviceStore>,
        keys: Arc<KeyRing>,
        sessions: Arc<dyn SessionStore>,
    ) -> Self {
        Self {
            store,
            keys,
            sessions,
        }
    }

    /// Records a browser signing in to account `user_id` under session `session`; the new
    /// device's id, for the session to name.
    pub async fn add(
        &self,
        user_id: Uuid,
        session: SessionId,
        user_agent: Option<&str>,
    ) -> Result<Uuid, AppError> {
        let now = Utc::now();
        let device = DeviceRecord {
            id: Uuid::new_v4(),
            user_id,
            session_sealed: self.keys.seal(&session.to_string(), SESSION),
            label: label(user_agent.unwrap_or_default()),
            created_at: now,
            last_seen_at: now,
        };
        self.store.insert_device(&device).await?;
        Ok(device.id)
    }

    /// Whether the device is still signed in to the account (and noting that it was seen).
    pub async fn signed_in(&self, user_id: Uuid, device: Uuid) -> Result<Seen, AppError> {
        let now = Utc::now();
        let stale_before = now - SEEN_EVERY;
        Ok(self
            .store
            .touch_device(user_id, device, now, stale_before)
            .await?)
    }

    /// The account's devices, `current` marked. Devices unseen for longer than a session
    /// lives are signed out already (their sessions expired): they are removed, not listed.
    pub async fn list(
        &self,
        user_id: Uuid,
        current: Option<Uuid>,
    ) -> Result<Vec<DeviceView>, AppError> {
        let expired_before = Utc::now() - SIGNED_IN_FOR;
        let (live, expired): (Vec<DeviceRecord>, Vec<DeviceRecord>) = self
            .store
            .devices_of(user_id)
            .await?
            .into_iter()
            .partition(|d| d.last_seen_at >= expired_before);
        for device in expired {
            let removed = self
                .store
                .remove_devices(user_id, Which::One(device.id))
                .await?;
            self.end(removed).await;
        }
        Ok(live
            .into_iter()
            .map(|d| DeviceView {
                current: Some(d.id) == current,
                id: d.id,
                label: d.label,
                signed_in_at: d.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                last_seen_at: d.last_seen_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            })
            .collect())
    }

    /// Logs device `id` of the account out; not found when the account has no such device.
    pub async fn log_out(&self, user_id: Uuid, id: Uuid) -> Result<(), AppError> {
        let removed = self.store.remove_devices(user_id, Which::One(id)).await?;
        if removed.is_empty() {
            return Err(AppError::NotFound);
        }
        self.end(removed).await;
        Ok(())
    }

    /// Logs every device of the account out but `keep`; how many were.
    pub async fn log_out_all(&self, user_id: Uuid, keep: Option<Uuid>) -> Result<u64, AppError> {
        let removed = self
            .store
            .remove_devices(user_id, Which::AllBut(keep))
            .await?;
        let count = removed.len() as u64;
        self.end(removed).await;
        Ok(count)
    }

    /// Deletes the removed devices' sessions. A session that cannot be found or deleted is
    /// over all the same (its device is gone, and the next request through it finds that):
    /// this only spares it waiting for its expiry.
    async fn end(&self, removed: Vec<DeviceRecord>) {
        for device in removed {
            let id = self
                .keys
                .open(&device.session_sealed, SESSION)
                .map_err(|e| e.to_string())
                .and_then(|plain| plain.parse::<SessionId>().map_err(|e| e.to_string()));
            let deleted = match id {
                Ok(id) => self.sessions.delete(&id).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            if let Err(error) = deleted {
                tracing::warn!(device = %device.id, error, "a logged-out device's session stays until it expires");
            }
        }
    }
}

/// A device's record in the export (`devices.json`).
#[derive(serde::Serialize)]
struct ExportedDevice {
    label: String,
    signed_in_at: String,
    last_seen_at: String,
}

#[async_trait::async_trait]
impl Belongings for Devices {
    fn kind(&self) -> &'static str {
        "devices"
    }

    /// A visitor has no devices: a device is a sign-in.
    async fn hand_over(&self, _from: &Visitor, _to: &Visitor) -> Result<u64, AppError> {
        Ok(0)
    }

    async fn export(&self, owner: &Visitor, zip: &mut Export) -> Result<(), AppError> {
        let Some(user_id) = account_of(owner) else {
            return Ok(());
        };
        let devices: Vec<ExportedDevice> = self
            .list(user_id, None)
            .await?
            .into_iter()
            .map(|d| ExportedDevice {
                label: d.label,
                signed_in_at: d.signed_in_at,
                last_seen_at: d.last_seen_at,
            })
            .collect();
        zip.add_json("devices.json", &devices).await
    }

    async fn erase(&self, owner: &Visitor) -> Result<u64, AppError> {
        match account_of(owner) {
            Some(user_id) => self.log_out_all(user_id, None).await,
            None => Ok(0),
        }
    }
}

/// The account an owner key names (an account's owner key is its id).
fn account_of(owner: &Visitor) -> Option<Uuid> {
    Uuid::parse_str(&owner.0).ok()
}

/// "Firefox on Android": the browser and the system a User-Agent names, coarsely; nothing
/// finer (versions, models) is kept.
fn label(user_agent: &str) -> String {
    let has = |needle: &str| user_agent.contains(needle);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") || has("Opera") {
        "Opera"
    } else if has("Firefox/") || has("FxiOS/") {
        "Firefox"
    } else if has("SamsungBrowser/") {
        "Samsung Internet"
    } else if has("Chromium/") {
        "Chromium"
    } else if has("Chrome/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") && has("Version/") {
        "Safari"
    } else {
        ""
    };
    let system = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") || has("iPod") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("Linux") {
        "Linux"
    } else {
        ""
    };
    let described = match (browser, system) {
        ("", "") => "An unknown browser".to_owned(),
        ("", system) => format!("A browser on {system}"),
        (browser, "") => browser.to_owned(),
        (browser, system) => format!("{browser} on {system}"),
    };
    described.chars().take(LABEL_CHARS).collect()
}

mod sql {
    /// What a device row reads as ([`super::Row`]).
    macro_rules! columns {
        () => {
            "id, user_id, session_sealed, label, created_at, last_seen_at"
        };
    }
    pub const INSERT: &str = concat!(
        "INSERT INTO account_devices (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6)"
    );
    pub const LAST_SEEN: &str =
        "SELECT last_seen_at FROM account_devices WHERE id = $1 AND user_id = $2";
    pub const SEEN: &str = "UPDATE account_devices SET last_seen_at = $1 WHERE id = $2";
    pub const OF_USER: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM account_devices WHERE user_id = $1 ORDER BY last_seen_at DESC, id"
    );
    pub const REMOVE_ONE: &str = concat!(
        "DELETE FROM account_devices WHERE user_id = $1 AND id = $2 RETURNING ",
        columns!()
    );
    pub const REMOVE_ALL_BUT: &str = concat!(
        "DELETE FROM account_devices WHERE user_id = $1 AND id <> $2 RETURNING ",
        columns!()
    );
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Id,
    user_id: Id,
    session_sealed: String,
    label: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl From<Row> for DeviceRecord {
    fn from(r: Row) -> Self {
        Self {
            id: r.id.into(),
            user_id: r.user_id.into(),
            session_sealed: r.session_sealed,
            label: r.label,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
        }
    }
}

#[async_trait::async_trait]
impl DeviceStore for Db {
    async fn insert_device(&self, d: &DeviceRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT)
                .bind(Id(d.id))
                .bind(Id(d.user_id))
                .bind(&d.session_sealed)
                .bind(&d.label)
                .bind(d.created_at)
                .bind(d.last_seen_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn touch_device(
        &self,
        user_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Seen, StoreError> {
        let seen: Option<DateTime<Utc>> = each_engine!(self, pool => sqlx::query_scalar(sql::LAST_SEEN)
            .bind(Id(id))
            .bind(Id(user_id))
            .fetch_optional(pool)
            .await?);
        match seen {
            None => Ok(Seen::Gone),
            Some(seen) if seen < stale_before => {
                each_engine!(self, pool => {
                    sqlx::query(sql::SEEN).bind(now).bind(Id(id)).execute(pool).await?;
                });
                Ok(Seen::Again)
            }
            Some(_) => Ok(Seen::Recently),
        }
    }

    async fn devices_of(&self, user_id: Uuid) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows: Vec<Row> = each_engine!(self, pool => sqlx::query_as(sql::OF_USER)
            .bind(Id(user_id))
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(DeviceRecord::from).collect())
    }

    async fn remove_devices(
        &self,
        user_id: Uuid,
        which: Which,
    ) -> Result<Vec<DeviceRecord>, StoreError> {
        let (statement, other) = match which {
            Which::One(id) => (sql::REMOVE_ONE, id),
            // No device has the nil id: every one goes.
            Which::AllBut(keep) => (sql::REMOVE_ALL_BUT, keep.unwrap_or(Uuid::nil())),
        };
        let rows: Vec<Row> = each_engine!(self, pool => sqlx::query_as(statement)
            .bind(Id(user_id))
            .bind(Id(other))
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(DeviceRecord::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_name_the_browser_and_system_only() {
        for (agent, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/156.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 \
                 Firefox/128.0",
                "Firefox on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, \
                 like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0",
                "Edge on macOS",
            ),
            ("curl/8.5.0", "An unknown browser"),
            ("", "An unknown browser"),
        ] {
            assert_eq!(label(agent), expected, "{agent}");
        }
    }
}
