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

use crate::clock::now_ms;
use crate::config::Config;
use crate::games::Games;
use crate::games::pipeline::GamePipeline;
use crate::games::store::{GameStore, PipelineStore};
use crate::http::health::{Health, Role};
use crate::http::{self, SessionSettings};
use crate::infra::blobs::Blobs;
use crate::infra::changes::Changes;
use crate::infra::db::Db;
use crate::infra::keys::KeyStore;
use crate::infra::limits::{MemoryLimiter, RateLimiter, RedisLimiter};
use crate::infra::metrics::Metrics;
use crate::infra::runtime::GameRuntime;
use crate::infra::sessions::{AnySessionStore, RedisSessionStore};
use crate::jobs::Worker;
use crate::notifications::Notifications;
use crate::notifications::push::VapidKey;
use crate::notifications::sender::Notifier;
use crate::notifications::store::NotificationStore;
use crate::photos::{PhotoStore, Photos};
use crate::state::{AppState, Scrape, Shutdown};
use crate::studio::Studio;
use crate::studio::engine::{Engine, burn::BurnEngine};
use crate::studio::work::StudioWork;
use crate::urls::PublicUrl;

/// Redis keys start with this, so one Redis can serve several deployments or test runs.
const REDIS_PREFIX: &str = "petpixel:";

/// What both `serve` and `worker` stand on.
struct Parts {
    config: Arc<Config>,
    db: Db,
    blobs: Blobs,
    runtime: Arc<GameRuntime>,
    redis: Option<ConnectionManager>,
    changes: Changes,
    vapid: VapidKey,
    /// Rung when a game is queued in this process, so its worker need not wait to poll.
    jobs_queued: Arc<Notify>,
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
        let vapid = vapid_key(&config, &db).await?;
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
            blobs,
            runtime,
            redis,
            changes,
            vapid,
            jobs_queued: Arc::new(Notify::new()),
            notifications_due: Arc::new(Notify::new()),
        })
    }

    /// Loads the image models on the configured device.
    fn engine(&self) -> anyhow::Result<Engine> {
        let models =
            BurnEngine::load(self.config.ml_compute).context("loading the image models")?;
        Ok(Engine::new(Arc::new(models), self.config.ml_concurrency))
    }

    /// What runs work in this process: the games' pipeline and the notification sender.
    fn work(&self, studio: StudioWork, public_url: PublicUrl) -> anyhow::Result<Work> {
        let pipeline = Arc::new(GamePipeline {
            games: Arc::new(self.db.clone()),
            jobs: Arc::new(self.db.clone()),
            photos: Arc::new(self.db.clone()),
            blobs: self.blobs.clone(),
            studio,
            runtime: Arc::clone(&self.runtime),
            timeouts: self.config.jobs.timeouts_ms.clone(),
            changes: self.changes.clone(),
            notifications_due: Arc::clone(&self.notifications_due),
        });
        let games = Arc::new(Worker::new(
            pipeline,
            self.config.jobs.clone(),
            self.config.jobs.concurrency,
            Arc::clone(&self.jobs_queued),
        ));
        let notifier = Arc::new(Notifier::new(
            &self.config,
            public_url,
            self.vapid.clone(),
            Arc::new(self.db.clone()) as Arc<dyn NotificationStore>,
            Arc::new(self.db.clone()) as Arc<dyn GameStore>,
            Arc::clone(&self.notifications_due),
        )?);
        Ok(Work { games, notifier })
    }
}

/// The workers of one process, and the notification sender beside them.
struct Work {
    games: Arc<Worker<GamePipeline>>,
    notifier: Arc<Notifier>,
}

impl Work {
    /// Runs everything until `stopped` turns true; a message being sent is finished, not cut
    /// off to be sent again after its lease.
    async fn run(self, stopped: watch::Receiver<bool>) -> anyhow::Result<()> {
        let sender = tokio::spawn(self.notifier.run(until_stopped(stopped.clone())));
        let games = tokio::spawn(self.games.run(until_stopped(stopped)));
        games.await?;
        sender.await?;
        Ok(())
    }
}

/// Runs a worker alone (`petpixel worker`), with its notification sender, until Ctrl-C or
/// SIGTERM.
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let parts = Parts::build(config).await?;
    let engine = parts.engine()?;
    let studio = StudioWork::new(parts.blobs.clone(), engine);
    let public_url = parts.config.public_url(parts.config.site_addr);
    let work = parts.work(studio, public_url)?;
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(work.run(stopped));
    shutdown_signal().await;
    let _ = stop.send(true);
    running.await?
}

/// Completes once `stopped` turns true (or its sender is gone).
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// The VAPID key: the configured one, or the one the first node made and kept in the database.
async fn vapid_key(config: &Config, keys: &dyn KeyStore) -> anyhow::Result<VapidKey> {
    if let Some(key) = &config.push.vapid_private_key {
        return VapidKey::from_base64(key.expose_secret()).map_err(anyhow::Error::msg);
    }
    let stored = keys
        .keep(
            "vapid_private_key",
            &VapidKey::generate().private_base64(),
            now_ms(),
        )
        .await
        .context("keeping the VAPID key")?;
    VapidKey::from_base64(&stored)
        .map_err(|e| anyhow::anyhow!("the VAPID key in server_keys is damaged: {e}"))
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

fn blobs(config: &Config) -> anyhow::Result<Blobs> {
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
                AnySessionStore::Memory(tower_sessions::MemoryStore::default()),
            ),
        };
        let listener = TcpListener::bind(config.site_addr)
            .await
            .with_context(|| format!("binding {}", config.site_addr))?;
        let addr = listener.local_addr()?;

        let engine = parts.engine()?;
        let studio_work = StudioWork::new(parts.blobs.clone(), engine.clone());
        let work = if config.jobs.in_process_worker {
            Some(parts.work(studio_work.clone(), config.public_url(addr))?)
        } else {
            None
        };

        let photos = Arc::new(Photos::new(
            Arc::new(parts.db.clone()) as Arc<dyn PhotoStore>,
            parts.blobs.clone(),
            Arc::clone(&limiter),
            config.limits.clone(),
        ));
        let games = Arc::new(Games::new(
            Arc::new(parts.db.clone()) as Arc<dyn GameStore>,
            Arc::clone(&photos),
            parts.blobs.clone(),
            Arc::clone(&parts.runtime),
            parts.changes.clone(),
            Arc::clone(&parts.jobs_queued),
        ));
        let studio = Arc::new(Studio::new(
            Arc::clone(&photos),
            parts.blobs.clone(),
            studio_work,
        ));
        let notifications = Arc::new(Notifications::new(
            Arc::new(parts.db.clone()) as Arc<dyn NotificationStore>,
            Arc::clone(&games),
            parts.vapid.clone(),
            config.push.clone(),
        ));
        let metrics = Arc::new(Metrics::default());
        let health = Arc::new(Health {
            role: if work.is_some() { Role::All } else { Role::Web },
            db: parts.db.clone(),
            blobs: parts.blobs.kind(),
            sessions: sessions.kind(),
            rate_limits: limiter.kind(),
            ml_backend: Some(engine.backend()),
            runtime_module_bytes: parts.runtime.module.len(),
        });
        let leptos = LeptosOptions::builder()
            .output_name("petpixel")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let state = AppState {
            photos,
            studio,
            games,
            notifications,
            health,
            scrape: Arc::new(Scrape {
                metrics: Arc::clone(&metrics),
                games: Arc::new(parts.db.clone()) as Arc<dyn GameStore>,
                jobs: Arc::new(parts.db.clone()) as Arc<dyn PipelineStore>,
            }),
            shutdown: Shutdown(stop.subscribe()),
            leptos,
        };
        let router = http::router(
            state,
            SessionSettings {
                store: sessions,
                secure_cookies: config.secure_cookies,
            },
            metrics,
            config.limits.max_upload_bytes,
        );
        Ok(Self {
            listener,
            router,
            work,
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
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(until_stopped(stopped))
            .await?;
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
