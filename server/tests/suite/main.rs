//! The server's integration tests, in one binary (one link instead of one per file): the real
//! server on port 0, the storage/blob/limit conformance suites, and the scale-out journey.

mod common;

mod accounts;
mod analytics;
mod api_contract;
mod blob_conformance;
mod delivery;
mod email;
mod gallery;
mod gdpr;
mod guards;
mod hostile;
mod idor;
mod images;
mod jobs;
mod journey;
mod leaderboard;
mod payments;
mod pressure;
mod push;
mod redis_conformance;
mod services;
mod sessions;
mod social;
mod store_conformance;
mod studio;
mod studio_jobs;
mod uploads;
mod visitors;
