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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
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
