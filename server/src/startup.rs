//! The composition root: builds every part from the configuration — the embedded parts or the
//! services — and wires the capabilities together, so tests can start the real server on
//! port 0 and `main` stays a few lines.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use leptos::prelude::LeptosOptions;
use redis::aio::ConnectionManager;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower_sessions::SessionStore;

use crate::accounts::devices::{DeviceStore, Devices};
use crate::accounts::social::SocialSignIn;
use crate::accounts::store::AccountStore;
use crate::accounts::{Accounts, Belongings};
use crate::analytics::Analytics;
use crate::analytics::store::AnalyticsStore;
use crate::billing::Billing;
use crate::billing::store::BillingStore;
use crate::billing::stripe::Stripe;
use crate::clock::Clock;
use crate::clock::now_ms;
use crate::config::Config;
use crate::gallery::Gallery;
use crate::gallery::ranking::{Ranking, RedisRanking, SqlRanking};
use crate::gallery::store::GalleryStore;
use crate::games::pipeline::GamePipeline;
use crate::games::store::{GameStore, PipelineStore};
use crate::games::{GameQuotas, Games};
use crate::http::assets::SiteAssets;
use crate::http::client_ip::TrustedProxies;
use crate::http::health::{Health, Role};
use crate::http::{self, EdgeLimits, SessionSettings};
use crate::infra::blobs::Blobs;
use crate::infra::changes::Changes;
use crate::infra::db::Db;
use crate::infra::keys::KeyStore;
use crate::infra::limits::{DAY, HOUR, MemoryLimiter, Quota, RateLimiter, RedisLimiter};
use crate::infra::links::{LinkMail, LinkStore, Links};
use crate::infra::mail::Mailer;
use crate::infra::metrics::Metrics;
use crate::infra::pii::KeyRing;
use crate::infra::runtime::GameRuntime;
use crate::infra::sessions::{AnySessionStore, RedisSessionStore, SqlSessionStore};
use crate::jobs::Worker;
use crate::leaderboard::Leaderboards;
use crate::leaderboard::store::LeaderboardStore;
use crate::moderation::Moderation;
use crate::moderation::store::ModerationStore;
use crate::notifications::Notifications;
use crate::notifications::push::VapidKey;
use crate::notifications::sealed::Outbox;
use crate::notifications::sender::Notifier;
use crate::notifications::store::NotificationStore;
use crate::photos::{PhotoStore, Photos};
use crate::state::{AppState, Scrape, Shutdown};
use crate::studio::Studio;
use crate::studio::engine::Engine;
use crate::studio::jobs::StudioQueue;
use crate::studio::store::StudioStore;
use crate::studio::work::StudioWork;
use crate::urls::PublicUrl;

/// Redis keys start with this, so one Redis can serve several deployments or test runs.
pub const REDIS_PREFIX: &str = "petpixel:";
/// How often a web node deletes expired sessions from the database.
const SESSION_SWEEP: std::time::Duration = std::time::Duration::from_secs(3600);

/// What both `serve` and `worker` stand on.
struct Parts {
    config: Arc<Config>,
    db: Db,
    /// Where the gallery, search and stats read: the replica, or `db`.
    read_db: Db,
    blobs: Blobs,
    runtime: Arc<GameRuntime>,
    redis: Option<ConnectionManager>,
    changes: Changes,
    vapid: VapidKey,
    /// The keys personal data is sealed with and tokens are signed with.
    keys: Arc<KeyRing>,
    /// Outgoing mail: SMTP, or the data folder's outbox.
    mailer: Arc<Mailer>,
    /// Rung when a game is queued in this process, so its worker need not wait to poll.
    jobs_queued: Arc<Notify>,
    /// Rung when studio work is queued in this process.
    studio_queued: Arc<Notify>,
    /// Rung when a game is ready: its messages are due.
    notifications_due: Arc<Notify>,
}

impl Parts {
    async fn build(config: Config) -> anyhow::Result<Self> {
        // reqwest (used by object_store) is built without a default TLS provider: pick ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = Arc::new(config);
        let runtime = Arc::new(GameRuntime::load(&config.site_root).map_err(anyhow::Error::msg)?);
        let db = open_db(&config).await?;
        let read_db = match &config.database_read_url {
            Some(url) => Db::postgres_replica(url.expose_secret())
                .await
                .context("connecting to the PostgreSQL read replica (DATABASE_READ_URL)")?,
            None => db.clone(),
        };
        let keys = Arc::new(key_ring(&config)?);
        let mailer = Arc::new(Mailer::new(&config)?);
        let vapid = vapid_key(&config, &db, &keys).await?;
        let blobs = blobs(&config)?;
        let (redis, changes) = match redis(&config).await? {
            Some((client, conn)) => (
                Some(conn.clone()),
                Changes::redis(client, conn, REDIS_PREFIX),
            ),
            None => (None, Changes::local()),
        };
        Ok(Self {
            config,
            db,
            read_db,
            blobs,
            runtime,
            redis,
            changes,
            vapid,
            keys,
            mailer,
            jobs_queued: Arc::new(Notify::new()),
            studio_queued: Arc::new(Notify::new()),
            notifications_due: Arc::new(Notify::new()),
        })
    }

    /// What runs work in this process: the image models, the games' pipeline and the
    /// studio's queue, and the notification sender.
    fn work(&self, public_url: PublicUrl) -> anyhow::Result<Work> {
        let engine = load_models(&self.config)?;
        let studio = StudioWork::new(self.blobs.clone(), engine.clone());
        let jobs = &self.config.jobs;
        let pipeline = Arc::new(GamePipeline {
            games: Arc::new(self.db.clone()),
            jobs: Arc::new(self.db.clone()),
            photos: Arc::new(self.db.clone()),
            blobs: self.blobs.clone(),
            studio: studio.clone(),
            runtime: Arc::clone(&self.runtime),
            timeouts: jobs.timeouts_ms.clone(),
            changes: self.changes.clone(),
            notifications_due: Arc::clone(&self.notifications_due),
        });
        let games = Arc::new(Worker::new(
            pipeline,
            jobs.clone(),
            jobs.concurrency,
            Arc::clone(&self.jobs_queued),
        ));
        let queue = Arc::new(StudioQueue {
            store: Arc::new(self.db.clone()),
            photos: Arc::new(self.db.clone()),
            work: studio,
            time_limit: std::time::Duration::from_millis(jobs.timeouts_ms.studio),
            changes: self.changes.clone(),
        });
        let studio = Arc::new(Worker::new(
            queue,
            jobs.clone(),
            jobs.studio_concurrency,
            Arc::clone(&self.studio_queued),
        ));
        let notifier = Arc::new(Notifier::new(
            &self.config,
            public_url,
            self.vapid.clone(),
            Arc::clone(&self.mailer),
            self.outbox(),
            Arc::new(self.db.clone()) as Arc<dyn GameStore>,
            Arc::clone(&self.notifications_due),
        )?);
        Ok(Work {
            games,
            studio,
            notifier,
            engine,
        })
    }

    /// The notifications outbox, sealing who it tells.
    fn outbox(&self) -> Outbox {
        Outbox::new(
            Arc::new(self.db.clone()) as Arc<dyn NotificationStore>,
            Arc::clone(&self.keys),
        )
    }

    /// What `/health` reports of this node.
    fn health(
        &self,
        role: Role,
        sessions: &'static str,
        rate_limits: &'static str,
        ranking: &'static str,
        work: Option<&Work>,
    ) -> Arc<Health> {
        Arc::new(Health {
            role,
            db: self.db.clone(),
            blobs: self.blobs.kind(),
            sessions,
            rate_limits,
            ranking,
            ml_backend: work.map(|w| w.engine.backend()),
            runtime_module_bytes: self.runtime.module.len(),
        })
    }

    /// What `/metrics` reads, counting this process's responses in `metrics`.
    fn scrape(&self, metrics: Arc<Metrics>) -> Arc<Scrape> {
        Arc::new(Scrape {
            metrics,
            token: self.config.metrics.token.clone(),
            games: Arc::new(self.db.clone()) as Arc<dyn GameStore>,
            jobs: Arc::new(self.db.clone()) as Arc<dyn PipelineStore>,
            billing: Arc::new(self.db.clone()) as Arc<dyn BillingStore>,
        })
    }
}

/// Loads the image models on the configured device.
#[cfg(feature = "ml")]
fn load_models(config: &Config) -> anyhow::Result<Engine> {
    let models =
        crate::studio::engine::burn::BurnEngine::load(config.ml_compute, config.ml_cutout_net)
            .context("loading the image models")?;
    Ok(Engine::new(Arc::new(models), config.ml_concurrency))
}

/// A build without the `ml` feature has no models: it can serve the web, not run work.
#[cfg(not(feature = "ml"))]
fn load_models(_config: &Config) -> anyhow::Result<Engine> {
    anyhow::bail!(
        "this build of petpixel has no image models (built without the `ml` feature): \
         run it with jobs.in_process_worker = false, beside workers built with them"
    )
}

/// The workers of one process, and the notification sender beside them.
struct Work {
    games: Arc<Worker<GamePipeline>>,
    studio: Arc<Worker<StudioQueue>>,
    notifier: Arc<Notifier>,
    engine: Engine,
}

impl Work {
    /// Runs everything until `stopped` turns true; a message being sent is finished, not cut
    /// off to be sent again after its lease.
    async fn run(self, stopped: watch::Receiver<bool>) -> anyhow::Result<()> {
        let sender = tokio::spawn(self.notifier.run(until_stopped(stopped.clone())));
        let studio = tokio::spawn(self.studio.run(until_stopped(stopped.clone())));
        let games = tokio::spawn(self.games.run(until_stopped(stopped)));
        games.await?;
        studio.await?;
        sender.await?;
        Ok(())
    }
}

/// Runs a worker alone (`petpixel worker`), with its notification sender, until Ctrl-C or
/// SIGTERM; with `worker_addr` set it answers `/health` and `/metrics` there.
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let parts = Parts::build(config).await?;
    let public_url = parts.config.public_url(parts.config.site_addr);
    let work = parts.work(public_url)?;
    let (stop, stopped) = watch::channel(false);
    let ops = match parts.config.worker_addr {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            tracing::info!(addr = %listener.local_addr()?, "worker health and metrics");
            let metrics = Arc::new(Metrics::default());
            let health = parts.health(Role::Worker, "none", "none", "none", Some(&work));
            let router = http::ops_router(health, parts.scrape(Arc::clone(&metrics)), metrics);
            let stopped = stopped.clone();
            Some(tokio::spawn(async move {
                axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(until_stopped(stopped))
                .await
            }))
        }
        None => None,
    };
    let running = tokio::spawn(work.run(stopped));
    shutdown_signal().await;
    let _ = stop.send(true);
    running.await??;
    if let Some(ops) = ops {
        ops.await??;
    }
    Ok(())
}

/// Completes once `stopped` turns true (or its sender is gone).
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// Where the VAPID key the first node made is kept, and the context it is sealed for.
const VAPID_KEY: &str = "vapid_private_key";
const VAPID_CONTEXT: &str = "server_keys.vapid_private_key";

/// The VAPID key: the configured one, or the one the first node made and kept in the
/// database, sealed with the personal-data keys.
async fn vapid_key(
    config: &Config,
    store: &dyn KeyStore,
    ring: &KeyRing,
) -> anyhow::Result<VapidKey> {
    if let Some(key) = &config.push.vapid_private_key {
        return VapidKey::from_base64(key.expose_secret()).map_err(anyhow::Error::msg);
    }
    let candidate = ring.seal(&VapidKey::generate().private_base64(), VAPID_CONTEXT);
    let stored = store
        .keep(VAPID_KEY, &candidate, now_ms())
        .await
        .context("keeping the VAPID key")?;
    VapidKey::from_base64(&open_vapid(&stored, ring)?)
        .map_err(|e| anyhow::anyhow!("the VAPID key in server_keys is damaged: {e}"))
}

/// The stored VAPID key in plain text. One kept before keys were sealed (no key id, so no
/// `.`) is read as it is, until `rotate-keys` seals it.
fn open_vapid(stored: &str, ring: &KeyRing) -> anyhow::Result<String> {
    if !stored.contains('.') {
        return Ok(stored.to_owned());
    }
    ring.open(stored, VAPID_CONTEXT)
        .map_err(|e| anyhow::anyhow!("opening the stored VAPID key: {e}"))
}

/// The configured key ring, or on the embedded default the one kept in the data folder.
fn key_ring(config: &Config) -> anyhow::Result<KeyRing> {
    Ok(match &config.security.pii_keys {
        Some(spec) => KeyRing::parse(spec.expose_secret())?,
        None if config.database_url.is_some() => anyhow::bail!(
            "set security.pii_keys (PETPIXEL__SECURITY__PII_KEYS) to use PostgreSQL: every \
             node must seal personal data with the same keys (`petpixel admin new-key`)"
        ),
        None => KeyRing::load_or_create(&config.data_dir.join("pii.keys"))?,
    })
}

/// Accounts for an administrator's command: the configured database and keys, no web.
fn admin_accounts(config: &Config, db: &Db, keys: Arc<KeyRing>) -> anyhow::Result<Accounts> {
    let limiter: Arc<dyn RateLimiter> = Arc::new(MemoryLimiter::default());
    let mail = Arc::new(LinkMail::new(
        Links::new(Arc::new(db.clone()) as Arc<dyn LinkStore>),
        Arc::new(Mailer::new(config)?),
        config.public_url(config.site_addr),
        Arc::clone(&keys),
        Arc::clone(&limiter),
        config.limits.mails_per_address,
    ));
    Ok(Accounts::new(
        Arc::new(db.clone()) as Arc<dyn AccountStore>,
        keys,
        limiter,
        Vec::new(),
        mail,
        config.limits.logins_per_address,
    ))
}

/// Seals everything sealed under the ring's current key (`petpixel admin rotate-keys`):
/// every account's personal data and blind index, and the stored VAPID key.
pub async fn rotate_keys(config: Config) -> anyhow::Result<String> {
    let db = open_db(&config).await?;
    let keys = Arc::new(key_ring(&config)?);
    let accounts = admin_accounts(&config, &db, Arc::clone(&keys))?;
    let resealed = accounts
        .rotate_keys()
        .await
        .map_err(|e| anyhow::anyhow!("re-sealing accounts: {e}"))?;
    let notifications = Outbox::new(
        Arc::new(db.clone()) as Arc<dyn NotificationStore>,
        Arc::clone(&keys),
    )
    .reseal_all()
    .await
    .context("re-sealing notifications")?;
    let mut server_keys = 0;
    if let Some(stored) = db
        .kept(VAPID_KEY)
        .await?
        .filter(|s| !s.contains('.') || keys.is_stale(s))
    {
        let plain = open_vapid(&stored, &keys)?;
        db.replace(VAPID_KEY, &keys.seal(&plain, VAPID_CONTEXT))
            .await?;
        server_keys = 1;
    }
    Ok(format!(
        "re-sealed under key {}: {resealed} accounts, {notifications} notifications, \
         {server_keys} server key; keys after it \
         can now leave PETPIXEL__SECURITY__PII_KEYS",
        keys.current_id()
    ))
}

/// Gives the account with `email` a role (`petpixel admin grant`): how the first admin is
/// made.
pub async fn grant_role(config: Config, email: &str, role: &str) -> anyhow::Result<String> {
    let email = domain::Email::parse(email).map_err(anyhow::Error::msg)?;
    let role: domain::Role = role.parse()?;
    let db = open_db(&config).await?;
    let accounts = admin_accounts(&config, &db, Arc::new(key_ring(&config)?))?;
    match accounts.grant(&email, role).await {
        Ok(account) => Ok(format!("{} is now {}", account.email, account.role)),
        Err(app::error::AppError::NotFound) => {
            anyhow::bail!("no account has the address {email}: sign up first")
        }
        Err(e) => anyhow::bail!("could not grant the role: {e}"),
    }
}

/// Opens the configured database (running migrations): PostgreSQL or the SQLite file.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    match &config.database_url {
        Some(url) => Db::postgres(url.expose_secret())
            .await
            .context("connecting to PostgreSQL"),
        None => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("creating the data directory {}", config.data_dir.display())
            })?;
            let path = config.data_dir.join("petpixel.sqlite3");
            Db::sqlite(&path)
                .await
                .with_context(|| format!("opening {}", path.display()))
        }
    }
}

/// The gallery's most played: Redis's sorted sets shared by every node, or SQL over the
/// play events on the embedded default.
fn ranking(redis: Option<ConnectionManager>, reader: Arc<dyn GalleryStore>) -> Arc<dyn Ranking> {
    match redis {
        Some(conn) => Arc::new(RedisRanking::new(conn, REDIS_PREFIX, reader)),
        None => Arc::new(SqlRanking::new(reader)),
    }
}

async fn redis(config: &Config) -> anyhow::Result<Option<(redis::Client, ConnectionManager)>> {
    let Some(url) = &config.redis_url else {
        return Ok(None);
    };
    let client = redis::Client::open(url.expose_secret()).context("parsing REDIS_URL")?;
    let conn = ConnectionManager::new(client.clone())
        .await
        .context("connecting to Redis")?;
    Ok(Some((client, conn)))
}

/// The configured blob store: S3, or the data folder.
pub fn blobs(config: &Config) -> anyhow::Result<Blobs> {
    Ok(match &config.s3 {
        Some(s3) => Blobs::s3(s3).context("configuring the S3 bucket")?,
        None => {
            Blobs::local(&config.data_dir.join("blobs")).context("opening the local blob folder")?
        }
    })
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The in-process worker and its notification sender, unless configuration turned them off.
    work: Option<Work>,
    /// The sessions, swept of expired ones while serving.
    sweep: AnySessionStore,
    /// Payments, swept for lost webhooks and failed paid games while serving.
    billing: Arc<Billing>,
    /// Page events, whose old months are dropped while serving.
    analytics: Arc<Analytics>,
    /// Tells the server, its worker and its streams to stop.
    stop: watch::Sender<bool>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let parts = Parts::build(config).await?;
        let config = Arc::clone(&parts.config);
        let stop = watch::Sender::new(false);
        let (limiter, sessions): (Arc<dyn RateLimiter>, AnySessionStore) = match parts.redis.clone()
        {
            Some(conn) => (
                Arc::new(RedisLimiter::new(conn.clone(), REDIS_PREFIX)),
                AnySessionStore::Redis(RedisSessionStore::new(conn, REDIS_PREFIX)),
            ),
            None => (
                Arc::new(MemoryLimiter::default()),
                AnySessionStore::Sql(SqlSessionStore::new(parts.db.clone())),
            ),
        };
        let listener = TcpListener::bind(config.site_addr)
            .await
            .with_context(|| format!("binding {}", config.site_addr))?;
        let addr = listener.local_addr()?;

        // A web-only node loads no image model: its studio requests are studio jobs too.
        let work = if config.jobs.in_process_worker {
            Some(parts.work(config.public_url(addr))?)
        } else {
            None
        };

        let limits = &config.limits;
        let quota = |name, limit, window| Quota::new(Arc::clone(&limiter), name, limit, window);
        let metrics = Arc::new(Metrics::default());
        let billing = Arc::new(Billing::new(
            Arc::new(parts.db.clone()) as Arc<dyn BillingStore>,
            Arc::new(parts.db.clone()) as Arc<dyn GameStore>,
            Stripe::from_config(&config.payments)?,
            config.payments.clone(),
            Clock::system(),
            Arc::clone(&parts.jobs_queued),
            parts.changes.clone(),
            Arc::clone(&metrics),
        ));
        let photos = Arc::new(Photos::new(
            Arc::new(parts.db.clone()) as Arc<dyn PhotoStore>,
            parts.blobs.clone(),
            quota("uploads", limits.uploads_per_hour, HOUR),
            config.limits.clone(),
        ));
        let games = Arc::new(Games::new(
            Arc::new(parts.db.clone()) as Arc<dyn GameStore>,
            Arc::clone(&photos),
            parts.blobs.clone(),
            Arc::clone(&parts.runtime),
            parts.changes.clone(),
            Arc::clone(&parts.jobs_queued),
            GameQuotas {
                started: quota("games", limits.games_per_day, DAY),
                remade: quota("regenerations", limits.regenerations_per_day, DAY),
                plays: quota("plays", limits.plays_per_hour, HOUR),
                guesses: crate::games::guesses::CodeGuesses::new(
                    Arc::clone(&limiter),
                    limits.code_misses_per_hour,
                ),
            },
        ));
        let studio = Arc::new(Studio::new(
            Arc::clone(&photos),
            parts.blobs.clone(),
            Arc::new(parts.db.clone()) as Arc<dyn StudioStore>,
            parts.changes.clone(),
            Arc::clone(&parts.studio_queued),
            std::time::Duration::from_millis(config.jobs.studio_wait_ms),
            quota("studio", limits.studio_jobs_per_hour, HOUR),
        ));
        let mail = Arc::new(LinkMail::new(
            Links::new(Arc::new(parts.db.clone()) as Arc<dyn LinkStore>),
            Arc::clone(&parts.mailer),
            config.public_url(addr),
            Arc::clone(&parts.keys),
            Arc::clone(&limiter),
            config.limits.mails_per_address,
        ));
        let devices = Arc::new(Devices::new(
            Arc::new(parts.db.clone()) as Arc<dyn DeviceStore>,
            Arc::clone(&parts.keys),
            Arc::new(sessions.clone()) as Arc<dyn SessionStore>,
        ));
        let leaderboards = Arc::new(Leaderboards::new(
            Arc::new(parts.db.clone()) as Arc<dyn LeaderboardStore>,
            Arc::clone(&games),
            quota("runs", limits.runs_per_hour, HOUR),
        ));
        let analytics = Arc::new(Analytics::new(
            Arc::new(parts.db.clone()) as Arc<dyn AnalyticsStore>,
            Arc::new(parts.read_db.clone()) as Arc<dyn AnalyticsStore>,
            Arc::clone(&games),
            quota("events", limits.events_per_hour, HOUR),
            Clock::system(),
            config.analytics.clone(),
            Arc::clone(&metrics),
        ));
        let accounts = Arc::new(Accounts::new(
            Arc::new(parts.db.clone()) as Arc<dyn AccountStore>,
            Arc::clone(&parts.keys),
            Arc::clone(&limiter),
            vec![
                Arc::clone(&photos) as Arc<dyn Belongings>,
                Arc::clone(&games) as Arc<dyn Belongings>,
                Arc::clone(&devices) as Arc<dyn Belongings>,
                Arc::clone(&billing) as Arc<dyn Belongings>,
                Arc::clone(&leaderboards) as Arc<dyn Belongings>,
            ],
            Arc::clone(&mail),
            config.limits.logins_per_address,
        ));
        let notifications = Arc::new(Notifications::new(
            parts.outbox(),
            Arc::clone(&games),
            Arc::clone(&accounts),
            mail,
            parts.vapid.clone(),
            config.push.clone(),
            Arc::clone(&parts.notifications_due),
        ));
        let role = if work.is_some() { Role::All } else { Role::Web };
        let gallery_reader = Arc::new(parts.read_db.clone()) as Arc<dyn GalleryStore>;
        let ranking = ranking(parts.redis.clone(), Arc::clone(&gallery_reader));
        let health = parts.health(
            role,
            sessions.kind(),
            limiter.kind(),
            ranking.kind(),
            work.as_ref(),
        );
        let assets = SiteAssets::load(&config.site_root).map_err(anyhow::Error::msg)?;
        let leptos = LeptosOptions::builder()
            .output_name(assets.app.clone())
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let state = AppState {
            accounts,
            devices,
            social: Arc::new(SocialSignIn::new(&config.auth, config.public_url(addr))?),
            billing: Arc::clone(&billing),
            photos: Arc::clone(&photos),
            studio,
            gallery: Arc::new(Gallery::new(
                Arc::new(parts.db.clone()) as Arc<dyn GalleryStore>,
                gallery_reader,
                ranking,
                Arc::clone(&games),
            )),
            moderation: Arc::new(Moderation::new(
                Arc::new(parts.db.clone()) as Arc<dyn ModerationStore>,
                Arc::clone(&games),
                Arc::clone(&photos),
                quota("reports", limits.reports_per_hour, HOUR),
            )),
            leaderboards,
            analytics: Arc::clone(&analytics),
            games,
            notifications,
            health,
            scrape: parts.scrape(Arc::clone(&metrics)),
            shutdown: Shutdown(stop.subscribe()),
            streams: crate::http::streams::StreamSlots::new(
                limits.streams_per_address,
                limits.streams_total,
                std::time::Duration::from_secs(limits.stream_lifetime_secs),
            ),
            leptos,
            assets: Arc::new(assets),
            pkg: Arc::new(
                crate::http::static_files::StaticFiles::load(&config.site_root.join("pkg"))
                    .context("reading the site's pkg files")?,
            ),
            public_url: config.public_url(addr),
        };
        let sweep = sessions.clone();
        let trusted_proxies = TrustedProxies::parse(&config.limits.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("limits.trusted_proxies: {e}"))?;
        let router = http::router(
            state,
            SessionSettings {
                store: sessions,
                secure_cookies: config.secure_cookies,
                https: config.public_url(addr).as_str().starts_with("https://"),
            },
            EdgeLimits {
                limiter: Arc::clone(&limiter),
                api_per_minute: config.limits.api_per_minute,
                trusted_proxies,
                pressure: Arc::new(http::pressure::Pressure::new(
                    http::pressure::PressureSettings {
                        max_in_flight: limits.max_in_flight,
                        body_memory_mib: limits.body_memory_mib,
                        max_body_bytes: limits.max_upload_bytes,
                        body_grace_secs: limits.body_grace_secs,
                        body_min_rate: limits.body_min_rate,
                        request_timeout_secs: limits.request_timeout_secs,
                    },
                )),
            },
            metrics,
            config.limits.max_upload_bytes,
        );
        Ok(Self {
            listener,
            router,
            work,
            sweep,
            billing,
            analytics,
            stop,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// Serves (and runs the in-process worker, if any) until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(addr = %self.addr(), "listening");
        let stopped = self.stop.subscribe();
        let stop = self.stop;
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let work = self
            .work
            .map(|work| tokio::spawn(work.run(stopped.clone())));
        let sweep = tokio::spawn(self.sweep.sweep(SESSION_SWEEP));
        let payments = tokio::spawn(self.billing.run_sweeps(stopped.clone()));
        let upkeep = tokio::spawn(self.analytics.run_upkeep(stopped.clone()));
        // Peers' addresses reach handlers: `/metrics` answers loopback peers without a token.
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(until_stopped(stopped))
        .await?;
        sweep.abort();
        payments.await?;
        upkeep.await?;
        if let Some(work) = work {
            work.await??;
        }
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
