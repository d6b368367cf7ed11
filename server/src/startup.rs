//! Building the application from its configuration: the one place that picks the embedded
//! parts or the services, so tests can start the real server on port 0.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use leptos::prelude::LeptosOptions;
use redis::aio::ConnectionManager;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};

use crate::blobs::Blobs;
use crate::config::Config;
use crate::events::GameEvents;
use crate::http::{self, Health, HttpParts};
use crate::jobs::Worker;
use crate::limits::{MemoryLimiter, RateLimiter, RedisLimiter};
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::pipeline::Pipeline;
use crate::push::VapidKey;
use crate::runtime_assets::GameRuntime;
use crate::service::Service;
use crate::sessions::{AnySessionStore, RedisSessionStore};
use crate::store::{PgStore, SqliteStore, Store};
use crate::studio::Studio;

/// Redis keys start with this, so one Redis can serve several deployments or test runs.
const REDIS_PREFIX: &str = "petpixel:";

pub struct Application {
    listener: TcpListener,
    router: Router,
    service: Arc<Service>,
    /// The in-process worker and its notification sender, unless configuration turned them off.
    worker: Option<(Arc<Worker>, Arc<Notifier>)>,
    /// Tells the server, its worker and its streams to stop.
    stop: watch::Sender<bool>,
}

/// What both `serve` and `worker` are made of: storage, the image models and the game pipeline.
struct Core {
    config: Arc<Config>,
    runtime: Arc<GameRuntime>,
    store: Arc<dyn Store>,
    blobs: Blobs,
    studio: Arc<Studio>,
    pipeline: Arc<Pipeline>,
    jobs_queued: Arc<Notify>,
    redis: Option<ConnectionManager>,
    events: GameEvents,
    metrics: Arc<Metrics>,
    notifications_due: Arc<Notify>,
    vapid: VapidKey,
}

impl Core {
    async fn build(config: Config) -> anyhow::Result<Self> {
        // reqwest (used by object_store) is built without a default TLS provider: pick ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = Arc::new(config);
        let runtime = Arc::new(GameRuntime::load(&config.site_root).map_err(anyhow::Error::msg)?);
        let store = open_store(&config).await?;
        let vapid = vapid_key(&config, &*store).await?;
        let blobs = blobs(&config)?;
        let (redis, events) = match redis(&config).await? {
            Some((client, conn)) => (
                Some(conn.clone()),
                GameEvents::redis(client, conn, REDIS_PREFIX),
            ),
            None => (None, GameEvents::local()),
        };
        let compute: ml::Compute = config.ml_compute.parse()?;
        let ml = ml::Pipeline::on(compute).context("loading the image models")?;
        let studio = Arc::new(Studio::new(
            blobs.clone(),
            Arc::new(ml),
            Arc::new(Semaphore::new(config.ml_concurrency)),
        ));
        let pipeline = Arc::new(Pipeline::new(
            Arc::clone(&store),
            blobs.clone(),
            Arc::clone(&studio),
            Arc::clone(&runtime),
        ));
        Ok(Self {
            config,
            runtime,
            store,
            blobs,
            studio,
            pipeline,
            jobs_queued: Arc::new(Notify::new()),
            redis,
            events,
            metrics: Arc::new(Metrics::default()),
            notifications_due: Arc::new(Notify::new()),
            vapid,
        })
    }

    fn worker(&self) -> Arc<Worker> {
        Arc::new(Worker::new(
            Arc::clone(&self.store),
            Arc::clone(&self.pipeline),
            self.config.jobs.clone(),
            Arc::clone(&self.jobs_queued),
            self.events.clone(),
            Arc::clone(&self.metrics),
            Arc::clone(&self.notifications_due),
        ))
    }

    fn notifier(&self, public_url: String) -> anyhow::Result<Arc<Notifier>> {
        Ok(Arc::new(Notifier::new(
            &self.config,
            public_url,
            self.vapid.clone(),
            Arc::clone(&self.store),
            Arc::clone(&self.notifications_due),
        )?))
    }
}

/// Runs a worker alone (`petpixel worker`), with its notification sender, until Ctrl-C or
/// SIGTERM.
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let core = Core::build(config).await?;
    let notifier = core.notifier(core.config.public_url())?;
    let (stop, stopped) = watch::channel(false);
    let sender = tokio::spawn(notifier.run(until_stopped(stopped)));
    core.worker().run(shutdown_signal()).await;
    let _ = stop.send(true);
    sender.await?;
    Ok(())
}

/// Completes once `stopped` turns true (or its sender is gone).
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// The VAPID key: the configured one, or the one the first node made and kept in the database.
async fn vapid_key(config: &Config, store: &dyn Store) -> anyhow::Result<VapidKey> {
    if let Some(key) = &config.push.vapid_private_key {
        return VapidKey::from_base64(key.expose_secret()).map_err(anyhow::Error::msg);
    }
    let stored = store
        .server_key(
            "vapid_private_key",
            &VapidKey::generate().private_base64(),
            crate::jobs::now_ms(),
        )
        .await
        .context("keeping the VAPID key")?;
    VapidKey::from_base64(&stored)
        .map_err(|e| anyhow::anyhow!("the VAPID key in server_keys is damaged: {e}"))
}

/// Opens the configured database (running migrations): PostgreSQL or the SQLite file.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &config.database_url {
        Some(url) => Arc::new(
            PgStore::connect(url.expose_secret())
                .await
                .context("connecting to PostgreSQL")?,
        ),
        None => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("creating the data directory {}", config.data_dir.display())
            })?;
            let path = config.data_dir.join("petpixel.sqlite3");
            Arc::new(
                SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("opening {}", path.display()))?,
            )
        }
    })
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

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let core = Core::build(config).await?;
        let config = Arc::clone(&core.config);
        let stop = watch::Sender::new(false);
        let (limiter, sessions): (Arc<dyn RateLimiter>, AnySessionStore) = match core.redis.clone()
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
        // Links in messages point at the address actually bound unless one is configured.
        let public_url = match &config.public_url {
            Some(_) => config.public_url(),
            None => format!("http://{addr}"),
        };
        let worker = if config.jobs.in_process_worker {
            Some((core.worker(), core.notifier(public_url)?))
        } else {
            None
        };
        let service = Arc::new(Service {
            config: Arc::clone(&config),
            store: core.store,
            blobs: core.blobs,
            limiter,
            pipeline: Arc::clone(&core.pipeline),
            decode_budget: Arc::new(Semaphore::new(config.limits.decode_memory_mib as usize)),
            jobs_queued: Arc::clone(&core.jobs_queued),
            events: core.events.clone(),
            metrics: Arc::clone(&core.metrics),
            studio: core.studio,
            runtime: core.runtime,
            vapid: core.vapid.clone(),
            stopping: stop.subscribe(),
        });

        let leptos = LeptosOptions::builder()
            .output_name("petpixel")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let health = Arc::new(Health {
            service: Arc::clone(&service),
            sessions: sessions.kind(),
        });
        let router = http::router(HttpParts {
            service: Arc::clone(&service),
            sessions,
            leptos,
            health,
        });
        Ok(Self {
            listener,
            router,
            service,
            worker,
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

    pub fn service(&self) -> Arc<Service> {
        Arc::clone(&self.service)
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
        let worker = self.worker.map(|(worker, notifier)| {
            let sender = tokio::spawn(notifier.run(until_stopped(stopped.clone())));
            let stopped = until_stopped(stopped.clone());
            (
                tokio::spawn(async move { worker.run(stopped).await }),
                sender,
            )
        });
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(until_stopped(stopped))
            .await?;
        // A message being sent is finished, not cut off to be sent again after its lease.
        if let Some((worker, sender)) = worker {
            worker.await?;
            sender.await?;
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
