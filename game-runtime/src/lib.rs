//! The PetPixel platformer: game-data format, level generation, fixed-step simulation
//! and software renderer (pure Rust, native and wasm), packaging for the server, and
//! the browser entry (wasm only).

pub mod assemble;
pub mod chunks;
pub mod format;
pub mod generate;
pub mod level;
pub mod physics;
pub mod render;
pub mod run;
pub mod sim;
pub mod solve;
pub mod theme;
#[cfg(target_arch = "wasm32")]
pub mod web;
