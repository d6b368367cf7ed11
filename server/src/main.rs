//! `petpixel`: the server binary (`serve`, `worker`, `migrate`).

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "petpixel",
    version,
    about = "PetPixel Games: your pet stars in its own video game"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and the API (the default), with a job worker unless
    /// `jobs.in_process_worker` is false.
    Serve,
    /// Run a job worker alone: it makes the games that web nodes queue.
    Worker,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Administration: roles and keys.
    Admin {
        #[command(subcommand)]
        command: Admin,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Give the account with this email a role: user, moderator or admin (how the first
    /// admin is made).
    Grant { email: String, role: String },
    /// Print a new random key for `PETPIXEL__SECURITY__PII_KEYS` (put it first to make it
    /// current, keeping the older ones after it until `rotate-keys` has run).
    NewKey {
        /// The key's id: letters, digits, `_` or `-`.
        #[arg(default_value = "k1")]
        id: String,
    },
    /// Seal every account's personal data and blind index, every notification's address or
    /// push subscription, and the stored VAPID key under the current (first) key of PETPIXEL__SECURITY__PII_KEYS; older keys may then go.
    RotateKeys,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Admin {
        command: Admin::NewKey { id },
    }) = &cli.command
    {
        // Needs no configuration: it is how the configuration gets its key.
        let spec = server::infra::pii::KeyRing::generate_spec(id);
        server::infra::pii::KeyRing::parse(&spec)?;
        println!("{spec}");
        return Ok(());
    }
    let config = Config::load().context("loading configuration")?;
    init_logging(config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            server::Application::build(config)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Worker => server::startup::run_worker(config).await,
        Command::Migrate => {
            let db = server::startup::open_db(&config).await?;
            tracing::info!(engine = db.engine(), "database is up to date");
            Ok(())
        }
        Command::Admin { command } => match command {
            Admin::Grant { email, role } => {
                println!(
                    "{}",
                    server::startup::grant_role(config, &email, &role).await?
                );
                Ok(())
            }
            Admin::RotateKeys => {
                println!("{}", server::startup::rotate_keys(config).await?);
                Ok(())
            }
            Admin::NewKey { .. } => Ok(()),
        },
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,sqlx=warn,leptos=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
