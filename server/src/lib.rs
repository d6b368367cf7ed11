//! PetPixel's server, grown by capability. Each capability owns its use cases, its narrow
//! store trait with SQL for both engines, its routes and its tests:
//!
//! - [`accounts`]: sign-up and login, sessions, tokens for scripts, roles;
//! - [`photos`]: uploads, crops, deletions, a photo's files;
//! - [`studio`]: cut-outs and looks drawn from photos, the styles, the image models;
//! - [`games`]: games made as durable jobs, followed live, played by code;
//! - [`jobs`]: the durable work queues' worker (leases, retries, backoff);
//! - [`notifications`]: "your game is ready" by email and Web Push;
//! - [`billing`]: packages, Stripe payments and webhooks, subscriptions, refunds.
//!
//! The gallery, moderation and analytics land beside these the same way
//! (`docs/adr/0002-server-by-capability.md` says how). Underneath: [`infra`] (database, blobs,
//! Redis, limits, sessions, change notices, metrics) and the edge, [`http`]. [`startup`]
//! wires it all from the [`config`].

pub mod accounts;
pub mod analytics;
pub mod billing;
pub mod clock;
pub mod config;
pub mod error;
pub mod gallery;
pub mod games;
pub mod http;
pub mod infra;
pub mod jobs;
pub mod leaderboard;
pub mod moderation;
pub mod notifications;
pub mod photos;
pub mod startup;
pub mod state;
pub mod studio;
pub mod urls;

pub use startup::Application;
