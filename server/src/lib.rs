//! PetPixel's server: the composition root that wires configuration, storage, the image
//! pipeline and the game runtime into one axum application.

pub mod blobs;
pub mod config;
pub mod events;
mod http;
pub mod intake;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod notify;
pub mod pipeline;
pub mod push;
pub mod runtime_assets;
pub mod service;
pub mod sessions;
pub mod startup;
pub mod store;
pub mod studio;

pub use startup::Application;
