//! The compiled game runtime (wasm module and its wasm-bindgen glue), built once by
//! `scripts/build.sh` and read at start-up; every game is this module plus its data.

use std::path::Path;

/// Where the build puts the runtime, under the site root.
pub const RUNTIME_DIR: &str = "pkg/game";
pub const MODULE_FILE: &str = "petpixel_game_bg.wasm";
pub const GLUE_FILE: &str = "petpixel_game.js";
/// Served next to the glue for the embed page; the same text is compiled into the server.
pub const LOADER_FILE: &str = "loader.js";

#[derive(Debug)]
pub struct GameRuntime {
    pub module: Vec<u8>,
    pub glue_js: String,
    /// The page loader, compiled in from `game-runtime/web/loader.js`.
    pub loader_js: &'static str,
}

impl GameRuntime {
    pub fn load(site_root: &Path) -> Result<Self, String> {
        let dir = site_root.join(RUNTIME_DIR);
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                format!(
                    "{}: {e} — build the web assets first (scripts/build.sh)",
                    dir.join(name).display()
                )
            })
        };
        let text = |name: &str| {
            read(name).and_then(|b| String::from_utf8(b).map_err(|e| format!("{name}: {e}")))
        };
        Ok(Self {
            module: read(MODULE_FILE)?,
            glue_js: text(GLUE_FILE)?,
            loader_js: game_runtime::assemble::LOADER_JS,
        })
    }

    /// URLs the embed page loads the runtime from (served from the site root).
    pub fn glue_url() -> String {
        format!("/{RUNTIME_DIR}/{GLUE_FILE}")
    }

    pub fn loader_url() -> String {
        format!("/{RUNTIME_DIR}/{LOADER_FILE}")
    }
}
