//! What handlers reach: one sub-state per capability (`State<Arc<Games>>`, ...), pulled out of
//! [`AppState`] by `FromRef`, so a handler names exactly what it uses.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use tokio::sync::watch;

use crate::accounts::Accounts;
use crate::accounts::devices::Devices;
use crate::accounts::social::SocialSignIn;
use crate::analytics::Analytics;
use crate::billing::Billing;
use crate::billing::store::BillingStore;
use crate::gallery::Gallery;
use crate::games::Games;
use crate::games::store::{GameStore, PipelineStore};
use crate::http::health::Health;
use crate::infra::metrics::Metrics;
use crate::leaderboard::Leaderboards;
use crate::moderation::Moderation;
use crate::notifications::Notifications;
use crate::photos::Photos;
use crate::studio::Studio;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub accounts: Arc<Accounts>,
    pub devices: Arc<Devices>,
    pub social: Arc<SocialSignIn>,
    pub billing: Arc<Billing>,
    pub photos: Arc<Photos>,
    pub studio: Arc<Studio>,
    pub games: Arc<Games>,
    pub gallery: Arc<Gallery>,
    pub moderation: Arc<Moderation>,
    pub leaderboards: Arc<Leaderboards>,
    pub analytics: Arc<Analytics>,
    pub notifications: Arc<Notifications>,
    pub health: Arc<Health>,
    pub scrape: Arc<Scrape>,
    pub shutdown: Shutdown,
    /// Open progress and history streams, capped (`http::streams`).
    pub streams: Arc<crate::http::streams::StreamSlots>,
    pub leptos: LeptosOptions,
    /// The app's files as the build named them (by content).
    pub assets: Arc<crate::http::assets::SiteAssets>,
    /// Everything under the site's `pkg`, read once (`http::static_files`).
    pub pkg: Arc<crate::http::static_files::StaticFiles>,
    /// The site's address as people reach it, for links that leave it (a shared game).
    pub public_url: crate::urls::PublicUrl,
}

/// Turns true when the server is stopping, so long-lived responses (progress streams) end and
/// graceful shutdown does not wait on them.
#[derive(Clone)]
pub struct Shutdown(pub watch::Receiver<bool>);

/// What `/metrics` reads: this process's counters and the shared queue and outcomes.
pub struct Scrape {
    pub metrics: Arc<Metrics>,
    /// What `Authorization: Bearer` must carry; `None`: loopback peers only.
    pub token: Option<secrecy::SecretString>,
    pub games: Arc<dyn GameStore>,
    pub jobs: Arc<dyn PipelineStore>,
    pub billing: Arc<dyn BillingStore>,
}
