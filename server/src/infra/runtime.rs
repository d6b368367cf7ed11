//! The compiled game runtime (wasm module and its wasm-bindgen glue), built once by
//! `scripts/build.sh` and read at start-up; every game is this module plus its data.

use std::path::Path;

use sha2::{Digest, Sha256};

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
    /// Content tags of the glue and the loader: their URLs carry them, so the files
    /// can be cached for good and a new build is fetched at once.
    glue_tag: String,
    loader_tag: String,
}

/// A short content hash (64 bits of SHA-256, hex) for URLs and ETags.
pub fn content_tag(bytes: &[u8]) -> String {
    super::hex(&Sha256::digest(bytes)[..8])
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
        let glue_js = text(GLUE_FILE)?;
        let loader_on_disk = read(LOADER_FILE)?;
        let loader_js = game_runtime::assemble::LOADER_JS;
        if loader_on_disk != loader_js.as_bytes() {
            return Err(format!(
                "{}: differs from the loader this server was built with — rebuild (scripts/build.sh)",
                dir.join(LOADER_FILE).display()
            ));
        }
        Ok(Self {
            module: read(MODULE_FILE)?,
            glue_tag: content_tag(glue_js.as_bytes()),
            loader_tag: content_tag(loader_js.as_bytes()),
            glue_js,
            loader_js,
        })
    }

    /// URLs the embed page loads the runtime from (served from the site root),
    /// versioned by content: `/pkg` serves `?v=` requests as immutable.
    pub fn glue_url(&self) -> String {
        format!("/{RUNTIME_DIR}/{GLUE_FILE}?v={}", self.glue_tag)
    }

    pub fn loader_url(&self) -> String {
        format!("/{RUNTIME_DIR}/{LOADER_FILE}?v={}", self.loader_tag)
    }
}
