//! Typed configuration: defaults, then an optional TOML file, then environment variables.
//!
//! Every setting has an embedded default so the product runs with no services. The usual
//! operator variables (`DATABASE_URL`, `REDIS_URL`, `LEPTOS_SITE_ADDR`, `PETPIXEL_DATA_DIR`,
//! `S3_BUCKET`, ...) are read too; `PETPIXEL__SECTION__KEY` reaches any setting.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The whole configuration. Its `Debug` redacts secrets (they are `SecretString`s).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where the HTTP server listens.
    pub site_addr: SocketAddr,
    /// The built web assets (`pkg/`: hydrate wasm, CSS, game runtime).
    pub site_root: PathBuf,
    /// SQLite file and local blobs live here when no services are configured.
    pub data_dir: PathBuf,
    /// PostgreSQL URL; SQLite under `data_dir` when unset.
    #[serde(skip_serializing)]
    pub database_url: Option<SecretString>,
    /// A read replica of `database_url` (`DATABASE_READ_URL`): the gallery, search and
    /// games' stats read from it. Unset, they read from `database_url`. PostgreSQL only.
    #[serde(skip_serializing)]
    pub database_read_url: Option<SecretString>,
    /// Redis URL for sessions and rate limits; in-process when unset.
    #[serde(skip_serializing)]
    pub redis_url: Option<SecretString>,
    /// An S3-compatible bucket for blobs; a local folder when unset.
    pub s3: Option<S3Config>,
    pub limits: Limits,
    /// How many photos are processed at once (each uses one blocking thread).
    pub ml_concurrency: usize,
    /// Where the image models run: `cpu` (always available), `wgpu` or `cuda` (when the
    /// server was built with that feature of the `ml` crate).
    pub ml_compute: MlCompute,
    /// The background-removal net: `u2netp` (every build) or `u2net`, the full net for GPU
    /// worker nodes (a server built with `--features ml/full-u2net`; ADR 0012).
    pub ml_cutout_net: MlCutoutNet,
    /// The durable job queue that makes games.
    pub jobs: Jobs,
    /// "Your game is ready" emails.
    pub email: Email,
    /// "Your game is ready" as a Web Push notification.
    pub push: Push,
    /// The site's address as people reach it, for links in messages; `http://{site_addr}`
    /// when unset.
    pub public_url: Option<String>,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// Whether session cookies need HTTPS.
    pub secure_cookies: bool,
    /// Where `petpixel worker` answers `/health` and `/metrics` (for probes and scrapes);
    /// unset, a worker serves no HTTP.
    pub worker_addr: Option<SocketAddr>,
    /// Keys for personal data and tokens.
    pub security: Security,
    /// Signing in through Google and Facebook; a provider not configured is not offered.
    pub auth: Auth,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// Packages and payments through Stripe; off (every package free) without its keys.
    pub payments: Payments,
    /// Games' audiences: the events pages send, and how long they are kept.
    pub analytics: AnalyticsConfig,
}

/// The events games' pages send (views, completions, shares) and plays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsConfig {
    /// Months of events kept (the current one included); older months are dropped (whole
    /// partitions on PostgreSQL). A game's totals are kept for good.
    pub keep_months: u32,
    /// How often each node looks after the events table (next months' partitions, dropping
    /// old ones), seconds.
    pub upkeep_every_secs: u64,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            keep_months: 13,
            upkeep_every_secs: 3600,
        }
    }
}

/// Payments through Stripe (`STRIPE_SECRET_KEY`, `STRIPE_PUBLISHABLE_KEY`,
/// `STRIPE_WEBHOOK_SECRET`). With none of the three set, payments are off: every package
/// costs nothing and the create page says so. Set all three or none.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Payments {
    #[serde(skip_serializing)]
    pub secret_key: Option<SecretString>,
    /// What Stripe.js in the browser is started with.
    pub publishable_key: Option<String>,
    /// The webhook endpoint's signing secret (`whsec_…`).
    #[serde(skip_serializing)]
    pub webhook_secret: Option<SecretString>,
    /// A Stripe-compatible server's address (`PETPIXEL__PAYMENTS__API_BASE`, for tests);
    /// Stripe's own API when unset.
    pub api_base: Option<String>,
    /// Where the browser loads Stripe.js from: Stripe's, or the test server's stand-in.
    pub stripe_js: String,
    /// The currency the create page offers first.
    pub default_currency: domain::Currency,
    /// Prices in minor units (`499` is $4.99; `800` is ¥800).
    pub prices: PriceTable,
    /// Premium games a subscription's invoice adds each month.
    pub subscription_credits: u32,
    /// An order still pending after this many minutes is looked up at Stripe, so a lost
    /// webhook does not lose a sale.
    pub reconcile_after_minutes: u64,
    /// How often each node looks for such orders (and paid games that failed for good,
    /// which are refunded), seconds.
    pub sweep_every_secs: u64,
}

/// What each paid package costs in each currency, in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PriceTable {
    pub basic: Prices,
    pub premium: Prices,
    /// A month of the subscription.
    pub subscription: Prices,
}

/// One package's price in each currency the site sells in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prices {
    pub usd: i64,
    pub eur: i64,
    pub gbp: i64,
    pub jpy: i64,
}

impl Prices {
    pub fn of(&self, currency: domain::Currency) -> i64 {
        use domain::Currency as C;
        match currency {
            C::Usd => self.usd,
            C::Eur => self.eur,
            C::Gbp => self.gbp,
            C::Jpy => self.jpy,
        }
    }
}

impl PriceTable {
    /// A package's price; `None` for the free package.
    pub fn of(&self, package: domain::Package, currency: domain::Currency) -> Option<i64> {
        use domain::Package as P;
        match package {
            P::Free => None,
            P::Basic => Some(self.basic.of(currency)),
            P::Premium => Some(self.premium.of(currency)),
            P::Subscription => Some(self.subscription.of(currency)),
        }
    }
}

impl Default for PriceTable {
    fn default() -> Self {
        Self {
            basic: Prices {
                usd: 499,
                eur: 499,
                gbp: 449,
                jpy: 800,
            },
            premium: Prices {
                usd: 999,
                eur: 999,
                gbp: 899,
                jpy: 1500,
            },
            subscription: Prices {
                usd: 1499,
                eur: 1499,
                gbp: 1299,
                jpy: 2300,
            },
        }
    }
}

impl Default for Payments {
    fn default() -> Self {
        Self {
            secret_key: None,
            publishable_key: None,
            webhook_secret: None,
            api_base: None,
            stripe_js: "https://js.stripe.com/v3/".into(),
            default_currency: domain::Currency::Usd,
            prices: PriceTable::default(),
            subscription_credits: 5,
            reconcile_after_minutes: 10,
            sweep_every_secs: 60,
        }
    }
}

impl Payments {
    /// Whether payments are on: the three keys are set.
    pub fn enabled(&self) -> bool {
        self.secret_key.is_some()
    }
}

/// Who may read `/metrics`: with a token set, only requests with `Authorization: Bearer`
/// and it (Prometheus' `authorization` setting); without one, only loopback peers.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsAccess {
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
}

/// The sign-in providers (`PETPIXEL__AUTH__GOOGLE__{ISSUER,CLIENT_ID,CLIENT_SECRET}`, the
/// same for `FACEBOOK`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Auth {
    /// OpenID Connect; `issuer` defaults to `https://accounts.google.com`.
    pub google: Option<SignInProvider>,
    /// OAuth 2 with Facebook's Graph API endpoints; with `issuer` set (a stand-in provider
    /// in tests), that provider's discovery document names the endpoints instead.
    pub facebook: Option<SignInProvider>,
}

/// One sign-in provider's registration of this site.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignInProvider {
    pub issuer: Option<String>,
    pub client_id: String,
    #[serde(skip_serializing)]
    pub client_secret: SecretString,
}

/// Keys for personal data at rest and the tokens the API issues.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Security {
    /// `id:base64,...`: 32-byte keys, the current one first, that seal personal data
    /// (AES-256-GCM), index emails (HMAC) and sign access tokens (HS256), each through its
    /// own derived key. Older keys stay listed until `petpixel admin rotate-keys` has moved
    /// everything to the current one. Unset on the embedded default: one is made and kept in
    /// `data_dir/pii.keys` (mode 0600). Required with PostgreSQL, where several nodes must
    /// share it.
    #[serde(skip_serializing)]
    pub pii_keys: Option<SecretString>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct S3Config {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    #[serde(skip_serializing)]
    pub secret_access_key: SecretString,
    /// Allow plain-HTTP endpoints (local test servers).
    #[serde(default)]
    pub allow_http: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest accepted upload, bytes.
    pub max_upload_bytes: usize,
    /// Largest accepted photo, pixels (width × height), checked from the header before decoding.
    pub max_pixels: u64,
    /// Largest accepted side, pixels.
    pub max_dimension: u32,
    /// Smallest accepted side, pixels.
    pub min_dimension: u32,
    /// Photos (uploads and crops) per hour per visitor or account, and per client address as
    /// well, so dropping the cookie does not start afresh (the seed's `upload_limit`).
    pub uploads_per_hour: u32,
    /// `/api/v1` requests per minute per client address (the seed's `api_limit`); a game's
    /// public files, fetched by everyone who plays it, are not counted.
    pub api_per_minute: u32,
    /// Login attempts per client address per 15 minutes, whichever accounts they name (each
    /// account also allows 10).
    pub logins_per_address: u32,
    /// Emails (address confirmations, password links) one client address may have us send
    /// per hour; each recipient also gets at most 3 an hour, whoever asks.
    pub mails_per_address: u32,
    /// Games started per day, per visitor or account and per client address.
    pub games_per_day: u32,
    /// "New levels" per day, per visitor or account and per client address.
    pub regenerations_per_day: u32,
    /// New studio work (cut-outs, looks, animations) per hour, per visitor or account and per
    /// client address; asking again for work already done or under way costs nothing.
    pub studio_jobs_per_hour: u32,
    /// Plays counted per hour for one game from one client address (more are refused, so a
    /// script cannot inflate a game's count).
    pub plays_per_hour: u32,
    /// Finished runs one client address may send to one game's leaderboard in an hour (each
    /// is replayed on our CPU before it is believed).
    pub runs_per_hour: u32,
    /// Reports of one game (to the moderators) per hour per visitor or account and per client
    /// address.
    pub reports_per_hour: u32,
    /// Batches of page events (views, completions, shares) one game may receive per hour
    /// per visitor and per client address.
    pub events_per_hour: u32,
    /// Proxies (addresses or CIDR blocks, e.g. `10.0.0.0/8`) whose `X-Forwarded-For` names the
    /// client; from anyone else the header is ignored and the peer is the client.
    pub trusted_proxies: Vec<String>,
    /// Memory all photo decodes in flight may use together, MiB (estimated from each
    /// header): uploads beyond it wait their turn instead of growing the process.
    pub decode_memory_mib: u32,
    /// Requests one node handles at once; beyond it a request is answered `503` with
    /// `Retry-After` at once (`/health` and `/metrics` are always answered).
    pub max_in_flight: u32,
    /// Memory request bodies in flight may take together, MiB, reserved by each request's
    /// declared length (the largest upload when it does not say); beyond it, `503`.
    pub body_memory_mib: u32,
    /// Seconds a request body has to arrive before it must keep up `body_min_rate`.
    pub body_grace_secs: u64,
    /// Bytes per second a body must average after its grace: each this many bytes earn it
    /// one more second. A slower body is cut off with `408`.
    pub body_min_rate: u32,
    /// Seconds a request may take until its answer begins (streams then run on).
    pub request_timeout_secs: u64,
    /// Live-update streams (a game's progress, the payments page) one client address may
    /// hold open on a node.
    pub streams_per_address: u32,
    /// Live-update streams one node keeps open in all.
    pub streams_total: u32,
    /// Seconds a live-update stream stays open; the browser then reconnects.
    pub stream_lifetime_secs: u64,
    /// Lookups of game codes that do not exist one client address may make per hour; past
    /// it, every lookup by code from that address is refused until the hour is over.
    pub code_misses_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_upload_bytes: 15 * 1024 * 1024,
            max_pixels: 48_000_000,
            max_dimension: 12_000,
            min_dimension: 32,
            uploads_per_hour: 10,
            api_per_minute: 100,
            logins_per_address: 30,
            mails_per_address: 10,
            games_per_day: 20,
            regenerations_per_day: 20,
            studio_jobs_per_hour: 60,
            plays_per_hour: 30,
            runs_per_hour: 20,
            reports_per_hour: 5,
            events_per_hour: 60,
            trusted_proxies: Vec::new(),
            decode_memory_mib: 256,
            max_in_flight: 512,
            body_memory_mib: 256,
            body_grace_secs: 20,
            body_min_rate: 1024,
            request_timeout_secs: 120,
            streams_per_address: 16,
            streams_total: 2000,
            stream_lifetime_secs: 600,
            code_misses_per_hour: 30,
        }
    }
}

/// How "your game is ready" emails leave.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Email {
    /// The SMTP server as a URL: `smtp://host:port` (plain, for a local relay),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`, with `user:password@`
    /// when it needs them. Unset: each message is written to `data_dir/outbox/` as an `.eml`
    /// file instead (the embedded default's outbox).
    #[serde(skip_serializing)]
    pub smtp_url: Option<SecretString>,
    /// The sender, e.g. `PetPixel Games <games@example.com>`.
    pub from: String,
    /// Sends of one message before it is given up.
    pub max_attempts: u32,
}

impl Default for Email {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "PetPixel Games <games@petpixel.localhost>".into(),
            max_attempts: 5,
        }
    }
}

/// How "your game is ready" reaches a device by Web Push.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Push {
    /// The VAPID private key that signs our pushes: the P-256 scalar, 32 bytes in base64url.
    /// Unset: one is made once and kept in the database, so every node signs with the same
    /// key and subscriptions outlive restarts.
    #[serde(skip_serializing)]
    pub vapid_private_key: Option<SecretString>,
    /// Who push services may contact about our pushes (RFC 8292's `sub`): a `mailto:` or
    /// `https:` URL. Unset: `mailto:` with the address of `email.from`.
    pub subject: Option<String>,
    /// The push services a subscription may point at: a host name, or `*.` and a domain.
    /// Anything else is refused when the subscription arrives, so nobody can make the server
    /// send requests to an address of their choosing.
    pub allowed_hosts: Vec<String>,
    /// Whether endpoints may be plain `http:` (only for a stand-in push service in tests).
    pub allow_http: bool,
    /// Whether an endpoint may be (or resolve to) a private, loopback or link-local address
    /// (only for a stand-in push service in tests). Off, the addresses a push service's name
    /// resolves to are checked as each push connects, so a name that points inside our
    /// network (or is re-pointed there later) reaches nothing.
    pub allow_private_addresses: bool,
    /// Devices one game may notify.
    pub max_per_game: u32,
    /// Sends of one message before it is given up.
    pub max_attempts: u32,
}

impl Default for Push {
    fn default() -> Self {
        Self {
            vapid_private_key: None,
            subject: None,
            // Chrome and Edge (FCM), Firefox (Mozilla autopush), Safari (Apple), Windows (WNS).
            allowed_hosts: [
                "fcm.googleapis.com",
                "*.push.services.mozilla.com",
                "web.push.apple.com",
                "*.push.apple.com",
                "*.notify.windows.com",
            ]
            .map(String::from)
            .to_vec(),
            allow_http: false,
            allow_private_addresses: false,
            max_per_game: 5,
            max_attempts: 5,
        }
    }
}

/// How games are made: workers claim stages from the job table.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Jobs {
    /// Whether `petpixel serve` runs a worker too. A cluster may run web nodes with `false`
    /// and `petpixel worker` processes (on GPU machines, say) beside them.
    pub in_process_worker: bool,
    /// Game stages one worker process runs at once (image work is further bounded by
    /// `ml_concurrency`).
    pub concurrency: usize,
    /// Studio jobs (cut-outs, sprites, animations) one worker process runs at once, in slots
    /// of their own, so neither kind of work can take every slot from the other.
    pub studio_concurrency: usize,
    /// How long a request waits for its studio work before answering 202 with where it
    /// stands, milliseconds.
    pub studio_wait_ms: u64,
    /// How long a claim holds a job without a heartbeat. A worker that dies is noticed after
    /// this long, and its job is claimed again.
    pub lease_secs: u64,
    /// Claims of one stage before the game is marked failed.
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long (capped at a minute).
    pub backoff_ms: u64,
    /// How often an idle worker looks for jobs other processes queued.
    pub poll_ms: u64,
    /// Time allowed per stage, milliseconds.
    pub timeouts_ms: StageTimeouts,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct StageTimeouts {
    pub remove_background: u64,
    pub pixelize: u64,
    pub animate: u64,
    pub assemble_game: u64,
    /// One studio job (a cut-out includes its photo's background removal).
    pub studio: u64,
}

impl Default for Jobs {
    fn default() -> Self {
        Self {
            in_process_worker: true,
            concurrency: 2,
            studio_concurrency: 1,
            studio_wait_ms: 60_000,
            lease_secs: 30,
            max_attempts: 3,
            backoff_ms: 1_000,
            poll_ms: 500,
            timeouts_ms: StageTimeouts::default(),
        }
    }
}

impl Default for StageTimeouts {
    fn default() -> Self {
        Self {
            remove_background: 120_000,
            pixelize: 60_000,
            animate: 60_000,
            assemble_game: 60_000,
            studio: 120_000,
        }
    }
}

impl StageTimeouts {
    pub fn of(&self, stage: app::dto::PipelineStage) -> std::time::Duration {
        use app::dto::PipelineStage as S;
        std::time::Duration::from_millis(match stage {
            S::RemoveBackground => self.remove_background,
            S::Pixelize => self.pixelize,
            S::Animate => self.animate,
            S::AssembleGame => self.assemble_game,
        })
    }
}

/// Where the image models run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MlCompute {
    /// Burn's CPU backend: always available.
    #[default]
    Cpu,
    /// The first wgpu adapter (Vulkan, Metal, DX12); needs the `ml/wgpu` feature.
    Wgpu,
    /// The first CUDA device; needs the `ml/cuda` feature.
    Cuda,
}

/// Which net cuts the pet out of its photo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MlCutoutNet {
    /// U²-Net-p (4.6 MB): in every build, fast enough on CPUs.
    #[default]
    U2netp,
    /// The full U²-Net (176 MB, about 3× the time, better masks); needs `ml/full-u2net`.
    U2net,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            site_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("site"),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_read_url: None,
            redis_url: None,
            s3: None,
            limits: Limits::default(),
            ml_concurrency: 1,
            ml_compute: MlCompute::Cpu,
            ml_cutout_net: MlCutoutNet::U2netp,
            jobs: Jobs::default(),
            email: Email::default(),
            push: Push::default(),
            public_url: None,
            log_format: LogFormat::Pretty,
            secure_cookies: false,
            worker_addr: None,
            security: Security::default(),
            auth: Auth::default(),
            metrics: MetricsAccess::default(),
            payments: Payments::default(),
            analytics: AnalyticsConfig::default(),
        }
    }
}

/// The plain variables operators expect, mapped onto settings.
const PLAIN_ENV: [(&str, &str); 18] = [
    ("LEPTOS_SITE_ADDR", "site_addr"),
    ("LEPTOS_SITE_ROOT", "site_root"),
    ("PETPIXEL_DATA_DIR", "data_dir"),
    ("DATABASE_URL", "database_url"),
    ("DATABASE_READ_URL", "database_read_url"),
    ("REDIS_URL", "redis_url"),
    ("S3_BUCKET", "s3.bucket"),
    ("S3_ENDPOINT", "s3.endpoint"),
    ("S3_REGION", "s3.region"),
    ("AWS_REGION", "s3.region"),
    ("AWS_ACCESS_KEY_ID", "s3.access_key_id"),
    ("AWS_SECRET_ACCESS_KEY", "s3.secret_access_key"),
    ("S3_ALLOW_HTTP", "s3.allow_http"),
    ("SMTP_URL", "email.smtp_url"),
    ("PETPIXEL_PUBLIC_URL", "public_url"),
    ("STRIPE_SECRET_KEY", "payments.secret_key"),
    ("STRIPE_PUBLISHABLE_KEY", "payments.publishable_key"),
    ("STRIPE_WEBHOOK_SECRET", "payments.webhook_secret"),
];

/// The plain variables that are switches rather than text.
const PLAIN_FLAGS: [&str; 1] = ["S3_ALLOW_HTTP"];

/// One plain variable's value merged in under `key`: as a boolean for the switches (`true`,
/// `false`, `1`, `0`), as text for the rest.
fn merge_plain(
    figment: Figment,
    var: &str,
    key: &str,
    value: String,
) -> Result<Figment, ConfigError> {
    if !PLAIN_FLAGS.contains(&var) {
        return Ok(figment.merge(Serialized::default(key, value)));
    }
    let flag = match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" => false,
        _ => {
            return Err(ConfigError::Invalid(format!(
                "{var} must be true or false, not {value:?}"
            )));
        }
    };
    Ok(figment.merge(Serialized::default(key, flag)))
}

impl Config {
    /// The base of links in messages: the configured `public_url`, else `http://` and the
    /// address the web is served at (`serve` passes the address it bound; a worker, which
    /// serves no pages, the configured `site_addr`).
    pub fn public_url(&self, served_at: SocketAddr) -> crate::urls::PublicUrl {
        match &self.public_url {
            Some(url) => crate::urls::PublicUrl::new(url),
            None => crate::urls::PublicUrl::new(&format!("http://{served_at}")),
        }
    }

    /// Loads defaults, then `PETPIXEL_CONFIG` (or `petpixel.toml` if present), then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("PETPIXEL_CONFIG").unwrap_or_else(|_| "petpixel.toml".into());
        let mut figment =
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::file(file));
        for (var, key) in PLAIN_ENV {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                figment = merge_plain(figment, var, key, value)?;
            }
        }
        let figment = figment.merge(Env::prefixed("PETPIXEL__").split("__"));
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types cannot: ranges and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.max_upload_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "limits.max_upload_bytes must be at least 1024".into(),
            ));
        }
        if l.min_dimension == 0 || l.min_dimension > l.max_dimension {
            return Err(ConfigError::Invalid(
                "limits.min_dimension must be between 1 and limits.max_dimension".into(),
            ));
        }
        if [
            l.uploads_per_hour,
            l.api_per_minute,
            l.logins_per_address,
            l.mails_per_address,
            l.games_per_day,
            l.regenerations_per_day,
            l.studio_jobs_per_hour,
            l.plays_per_hour,
            l.runs_per_hour,
            l.reports_per_hour,
            l.events_per_hour,
            l.code_misses_per_hour,
        ]
        .contains(&0)
        {
            return Err(ConfigError::Invalid(
                "limits.uploads_per_hour, limits.api_per_minute, limits.logins_per_address, \
                 limits.mails_per_address, limits.games_per_day, limits.regenerations_per_day, \
                 limits.studio_jobs_per_hour, limits.plays_per_hour, limits.runs_per_hour, \
                 limits.reports_per_hour, limits.events_per_hour and \
                 limits.code_misses_per_hour must be positive"
                    .into(),
            ));
        }
        if l.max_in_flight == 0
            || l.body_min_rate == 0
            || l.streams_per_address == 0
            || l.streams_total < l.streams_per_address
        {
            return Err(ConfigError::Invalid(
                "limits.max_in_flight, limits.body_min_rate and limits.streams_per_address \
                 must be positive, and limits.streams_total at least limits.streams_per_address"
                    .into(),
            ));
        }
        if l.body_grace_secs == 0
            || l.stream_lifetime_secs == 0
            || l.request_timeout_secs < l.body_grace_secs
        {
            return Err(ConfigError::Invalid(
                "limits.body_grace_secs and limits.stream_lifetime_secs must be positive, and \
                 limits.request_timeout_secs at least limits.body_grace_secs"
                    .into(),
            ));
        }
        if u64::from(l.body_memory_mib) * 1024 * 1024 < l.max_upload_bytes as u64 {
            return Err(ConfigError::Invalid(
                "limits.body_memory_mib must hold at least one upload of \
                 limits.max_upload_bytes"
                    .into(),
            ));
        }
        crate::http::client_ip::TrustedProxies::parse(&l.trusted_proxies)
            .map_err(|e| ConfigError::Invalid(format!("limits.trusted_proxies: {e}")))?;
        if l.decode_memory_mib < 16 {
            return Err(ConfigError::Invalid(
                "limits.decode_memory_mib must be at least 16".into(),
            ));
        }
        if l.max_pixels < u64::from(l.min_dimension).pow(2) {
            return Err(ConfigError::Invalid(
                "limits.max_pixels is smaller than one minimum-size photo".into(),
            ));
        }
        if self.ml_concurrency == 0 || self.ml_concurrency > 64 {
            return Err(ConfigError::Invalid(
                "ml_concurrency must be between 1 and 64".into(),
            ));
        }
        let j = &self.jobs;
        if j.concurrency == 0 || j.concurrency > 64 {
            return Err(ConfigError::Invalid(
                "jobs.concurrency must be between 1 and 64".into(),
            ));
        }
        if j.studio_concurrency == 0 || j.studio_concurrency > 64 {
            return Err(ConfigError::Invalid(
                "jobs.studio_concurrency must be between 1 and 64".into(),
            ));
        }
        if j.studio_wait_ms == 0 {
            return Err(ConfigError::Invalid(
                "jobs.studio_wait_ms must be positive".into(),
            ));
        }
        if j.lease_secs == 0 || j.max_attempts == 0 || j.poll_ms == 0 {
            return Err(ConfigError::Invalid(
                "jobs.lease_secs, jobs.max_attempts and jobs.poll_ms must be positive".into(),
            ));
        }
        let t = &j.timeouts_ms;
        if [
            t.remove_background,
            t.pixelize,
            t.animate,
            t.assemble_game,
            t.studio,
        ]
        .contains(&0)
        {
            return Err(ConfigError::Invalid(
                "jobs.timeouts_ms must all be positive".into(),
            ));
        }
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Invalid(
                "email.from must be an address such as `PetPixel <games@example.com>`".into(),
            ));
        }
        if let Some(url) = &self.email.smtp_url {
            smtp_login_is_encrypted(url.expose_secret()).map_err(ConfigError::Invalid)?;
        }
        if self.email.max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "email.max_attempts must be positive".into(),
            ));
        }
        let push = &self.push;
        if push.max_per_game == 0 || push.max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "push.max_per_game and push.max_attempts must be positive".into(),
            ));
        }
        if let Some(subject) = &push.subject
            && !(subject.starts_with("mailto:") || subject.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "push.subject must be a `mailto:` or `https://` URL".into(),
            ));
        }
        if let Some(key) = &push.vapid_private_key {
            crate::notifications::push::VapidKey::from_base64(key.expose_secret())
                .map_err(|e| ConfigError::Invalid(format!("push.vapid_private_key: {e}")))?;
        }
        if let Some(keys) = &self.security.pii_keys {
            crate::infra::pii::KeyRing::parse(keys.expose_secret())
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        if self.security.pii_keys.is_none() && self.database_url.is_some() {
            return Err(ConfigError::Invalid(
                "security.pii_keys (PETPIXEL__SECURITY__PII_KEYS) must be set with PostgreSQL, \
                 so every node seals and finds personal data with the same keys; \
                 `petpixel admin new-key` prints one"
                    .into(),
            ));
        }
        if self.database_read_url.is_some() && self.database_url.is_none() {
            return Err(ConfigError::Invalid(
                "DATABASE_READ_URL names a replica of DATABASE_URL: set both (PostgreSQL), \
                 or neither"
                    .into(),
            ));
        }
        if !(1..=120).contains(&self.analytics.keep_months) {
            return Err(ConfigError::Invalid(
                "analytics.keep_months must be between 1 and 120".into(),
            ));
        }
        if self.analytics.upkeep_every_secs == 0 {
            return Err(ConfigError::Invalid(
                "analytics.upkeep_every_secs must be positive".into(),
            ));
        }
        if let Some(s3) = &self.s3
            && s3.bucket.is_empty()
        {
            return Err(ConfigError::Invalid("s3.bucket must not be empty".into()));
        }
        self.payments.validate()
    }
}

/// An SMTP URL with a login must keep it encrypted: implicit TLS (`smtps://`) or STARTTLS
/// that is required (`?tls=required`). Over plain `smtp://` (or STARTTLS only when offered,
/// `tls=opportunistic`), anyone on the path between us and the mail server could read the
/// password, or strip the server's STARTTLS offer to make it so.
fn smtp_login_is_encrypted(url: &str) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("email.smtp_url is not a URL ({e})"))?;
    if parsed.username().is_empty() && parsed.password().is_none() {
        return Ok(());
    }
    let required_tls = parsed
        .query_pairs()
        .any(|(key, value)| key == "tls" && value == "required");
    match parsed.scheme() {
        "smtps" => Ok(()),
        "smtp" if required_tls => Ok(()),
        _ => Err(format!(
            "email.smtp_url carries a login but would send it unencrypted to {}: use \
             smtps://host:465 or smtp://host:587?tls=required",
            parsed.host_str().unwrap_or("the server")
        )),
    }
}

impl Payments {
    fn validate(&self) -> Result<(), ConfigError> {
        let set = [
            self.secret_key.is_some(),
            self.publishable_key.is_some(),
            self.webhook_secret.is_some(),
        ];
        if set.contains(&true) && set.contains(&false) {
            return Err(ConfigError::Invalid(
                "payments: set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and \
                 STRIPE_WEBHOOK_SECRET together (or none: payments off, every package free)"
                    .into(),
            ));
        }
        for (name, prices) in [
            ("basic", &self.prices.basic),
            ("premium", &self.prices.premium),
            ("subscription", &self.prices.subscription),
        ] {
            for currency in domain::Currency::ALL {
                // Stripe's smallest charge is about 50 US cents; a price must at least be one.
                if prices.of(currency) < 1 || prices.of(currency) > 99_999_999 {
                    return Err(ConfigError::Invalid(format!(
                        "payments.prices.{name}.{currency} must be between 1 and 99999999 \
                         minor units"
                    )));
                }
            }
        }
        if self.subscription_credits == 0 || self.subscription_credits > 1000 {
            return Err(ConfigError::Invalid(
                "payments.subscription_credits must be between 1 and 1000".into(),
            ));
        }
        if self.sweep_every_secs == 0 {
            return Err(ConfigError::Invalid(
                "payments.sweep_every_secs must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_services() {
        let config = Config::default();
        assert!(config.database_url.is_none() && config.redis_url.is_none() && config.s3.is_none());
        config.validate().expect("defaults are valid");
    }

    #[test]
    fn later_layers_override_earlier_ones() {
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(
                "ml_concurrency = 3\n[limits]\nuploads_per_hour = 5",
            ))
            .merge(Serialized::default("database_url", "postgres://db/x"))
            .merge(Serialized::default("security.pii_keys", test_keys()));
        let config = Config::from_figment(figment).expect("valid");
        assert_eq!(config.ml_concurrency, 3);
        assert_eq!(config.limits.uploads_per_hour, 5);
        assert_eq!(config.limits.max_dimension, Limits::default().max_dimension);
        assert_eq!(
            config.database_url.expect("set").expose_secret(),
            "postgres://db/x"
        );
    }

    #[test]
    fn plain_switches_are_read_as_booleans() {
        let base = || {
            Figment::from(Serialized::defaults(Config::default()))
                .merge(Serialized::default("s3.bucket", "b"))
                .merge(Serialized::default("s3.region", "us-east-1"))
                .merge(Serialized::default("s3.access_key_id", "k"))
                .merge(Serialized::default("s3.secret_access_key", "s"))
        };
        for (text, expected) in [("true", true), ("1", true), ("false", false)] {
            let figment = merge_plain(base(), "S3_ALLOW_HTTP", "s3.allow_http", text.into())
                .expect("a switch");
            let config = Config::from_figment(figment).expect("valid");
            assert_eq!(config.s3.expect("s3").allow_http, expected, "{text}");
        }
        let err = merge_plain(base(), "S3_ALLOW_HTTP", "s3.allow_http", "maybe".into())
            .expect_err("not a switch");
        assert!(err.to_string().contains("S3_ALLOW_HTTP"), "{err}");
    }

    /// A valid key ring (PostgreSQL requires one).
    fn test_keys() -> String {
        crate::infra::pii::KeyRing::generate_spec("k1")
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let keys = test_keys();
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default(
                "database_url",
                "postgres://user:hunter2@db/x",
            ))
            .merge(Serialized::default("security.pii_keys", keys.clone()))
            .merge(Serialized::default("metrics.token", "scrape-secret"));
        let config = Config::from_figment(figment).expect("valid");
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains(keys.split_once(':').expect("spec").1));
        assert!(!debug.contains("scrape-secret"));
    }

    #[test]
    fn an_smtp_login_is_only_sent_encrypted() {
        let with = |url: &str| {
            Config::from_figment(
                Figment::from(Serialized::defaults(Config::default()))
                    .merge(Serialized::default("email.smtp_url", url)),
            )
        };
        for refused in [
            "smtp://games:hunter2@mail.example.com:587",
            "smtp://games:hunter2@mail.example.com:587?tls=opportunistic",
            "smtp://games@mail.example.com:25",
        ] {
            let err = with(refused).expect_err(refused).to_string();
            assert!(
                err.contains("email.smtp_url") && err.contains("unencrypted"),
                "{err}"
            );
            assert!(
                !err.contains("hunter2"),
                "the password is not repeated: {err}"
            );
        }
        for accepted in [
            "smtps://games:hunter2@mail.example.com:465",
            "smtp://games:hunter2@mail.example.com:587?tls=required",
            // No login, nothing to protect: a relay on the same machine or network.
            "smtp://127.0.0.1:2525",
        ] {
            with(accepted).unwrap_or_else(|e| panic!("{accepted}: {e}"));
        }
    }

    #[test]
    fn the_web_tier_limits_must_hold_together() {
        for (toml, named) in [
            ("[limits]\nmax_in_flight = 0", "max_in_flight"),
            (
                "[limits]\nstreams_per_address = 5\nstreams_total = 4",
                "streams_total",
            ),
            (
                "[limits]\nbody_grace_secs = 30\nrequest_timeout_secs = 10",
                "request_timeout_secs",
            ),
            ("[limits]\nbody_memory_mib = 1", "body_memory_mib"),
            ("[limits]\ncode_misses_per_hour = 0", "code_misses_per_hour"),
        ] {
            let figment =
                Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(toml));
            let err = Config::from_figment(figment).expect_err(toml).to_string();
            assert!(err.contains(named), "{toml}: {err}");
        }
    }

    #[test]
    fn invalid_ranges_are_refused_with_the_setting_named() {
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("ml_concurrency = 0"));
        let err = Config::from_figment(figment).expect_err("invalid");
        assert!(err.to_string().contains("ml_concurrency"), "{err}");

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("ml_compute = \"tpu\""));
        let err = Config::from_figment(figment).expect_err("invalid");
        assert!(err.to_string().contains("ml_compute"), "{err}");

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("ml_cutout_net = \"isnet\""));
        let err = Config::from_figment(figment).expect_err("invalid");
        assert!(err.to_string().contains("ml_cutout_net"), "{err}");
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("ml_cutout_net = \"u2net\""));
        let config = Config::from_figment(figment).expect("the full net is a valid choice");
        assert_eq!(config.ml_cutout_net, MlCutoutNet::U2net);
    }

    #[test]
    fn pii_keys_are_checked_and_required_with_postgres() {
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("database_url", "postgres://db/x"));
        let err = Config::from_figment(figment).expect_err("no keys");
        assert!(
            err.to_string().contains("PETPIXEL__SECURITY__PII_KEYS"),
            "{err}"
        );

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("security.pii_keys", "k1:c2VjcmV0"));
        let err = Config::from_figment(figment).expect_err("short key");
        assert!(err.to_string().contains("32 bytes"), "{err}");
        assert!(!err.to_string().contains("c2VjcmV0"), "{err}");

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("database_url", "postgres://db/x"))
            .merge(Serialized::default("security.pii_keys", test_keys()));
        Config::from_figment(figment).expect("valid");
    }

    #[test]
    fn limits_are_checked() {
        let figment = Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(
            "[limits]\ntrusted_proxies = [\"10.0.0.0/8\", \"proxy\"]",
        ));
        let err = Config::from_figment(figment).expect_err("not an address");
        assert!(err.to_string().contains("limits.trusted_proxies"), "{err}");
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[limits]\napi_per_minute = 0"));
        let err = Config::from_figment(figment).expect_err("zero");
        assert!(err.to_string().contains("limits.api_per_minute"), "{err}");
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[limits]\nplays_per_hour = 0"));
        let err = Config::from_figment(figment).expect_err("zero");
        assert!(err.to_string().contains("limits.plays_per_hour"), "{err}");
        let defaults = Limits::default();
        assert_eq!(
            (defaults.uploads_per_hour, defaults.api_per_minute),
            (10, 100)
        );
        assert_eq!(
            (
                defaults.games_per_day,
                defaults.regenerations_per_day,
                defaults.studio_jobs_per_hour,
                defaults.plays_per_hour
            ),
            (20, 20, 60, 30)
        );
    }

    #[test]
    fn push_settings_are_checked() {
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[push]\nsubject = \"ftp://x\""));
        let err = Config::from_figment(figment).expect_err("invalid");
        assert!(err.to_string().contains("push.subject"), "{err}");

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("push.vapid_private_key", "AAAA"));
        let err = Config::from_figment(figment).expect_err("invalid");
        assert!(err.to_string().contains("push.vapid_private_key"), "{err}");
        // The key itself is a secret: not in the message.
        assert!(!err.to_string().contains("AAAA"), "{err}");

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[push]\nmax_per_game = 0"));
        let err = Config::from_figment(figment).expect_err("invalid");
        assert!(err.to_string().contains("push.max_per_game"), "{err}");
    }

    #[test]
    fn payments_take_all_three_keys_or_none_and_sane_prices() {
        let config = Config::default();
        assert!(!config.payments.enabled(), "off on the embedded default");
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("payments.secret_key", "sk_test_x"));
        let err = Config::from_figment(figment).expect_err("one key alone");
        assert!(err.to_string().contains("STRIPE_WEBHOOK_SECRET"), "{err}");
        assert!(!err.to_string().contains("sk_test_x"), "{err}");

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("payments.secret_key", "sk_test_x"))
            .merge(Serialized::default("payments.publishable_key", "pk_test_x"))
            .merge(Serialized::default("payments.webhook_secret", "whsec_x"))
            .merge(Toml::string(
                "[payments.prices.basic]\nusd = 0\neur = 1\ngbp = 1\njpy = 1",
            ));
        let err = Config::from_figment(figment).expect_err("a free basic package");
        assert!(
            err.to_string().contains("payments.prices.basic.usd"),
            "{err}"
        );

        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("payments.secret_key", "sk_test_x"))
            .merge(Serialized::default("payments.publishable_key", "pk_test_x"))
            .merge(Serialized::default("payments.webhook_secret", "whsec_x"))
            .merge(Serialized::default("payments.default_currency", "jpy"));
        let config = Config::from_figment(figment).expect("valid");
        assert!(config.payments.enabled());
        assert_eq!(config.payments.default_currency, domain::Currency::Jpy);
        assert_eq!(
            config
                .payments
                .prices
                .of(domain::Package::Premium, domain::Currency::Jpy),
            Some(1500)
        );
        assert_eq!(
            config
                .payments
                .prices
                .of(domain::Package::Free, domain::Currency::Usd),
            None
        );
    }
}
