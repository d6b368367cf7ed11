//! Writes demo pages for a browser check of the built runtime:
//! `game.html` (one offline file), `embed.html` + `game.wasm` (the URL form, serve
//! the directory over HTTP) and `error.html` (game data of an unknown version).
//!
//!     scripts/build.sh   (the runtime lands in site/pkg/game)
//!     cargo run -p game-runtime --example demo_page -- /tmp/pp/pkg

use std::path::{Path, PathBuf};

use game_runtime::assemble::{self, GameSource, LOADER_JS, PageOptions};
use game_runtime::format::{GameData, GameSpec, Sprite};
use game_runtime::theme::{Difficulty, Theme};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: demo_page PKG_DIR")?);
    let theme = match std::env::args().nth(2) {
        Some(name) => name.parse::<Theme>()?,
        None => Theme::Garden,
    };
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))
    };
    let runtime = read("petpixel_game_bg.wasm")?;
    let glue = String::from_utf8(read("petpixel_game.js")?)?;
    let title = "Biscuit's Big Adventure";
    let data = GameData::generate(
        &GameSpec {
            title,
            pet_name: "Biscuit",
            theme,
            difficulty: Difficulty::Normal,
            seed: 2024,
            level_count: 3,
        },
        Sprite::placeholder(),
    )?;
    let game = assemble::inject(&runtime, &data)?;
    let inline = |module: &[u8]| {
        assemble::html_page(&PageOptions {
            title,
            source: GameSource::Inline {
                glue_js: &glue,
                loader_js: LOADER_JS,
                module,
            },
        })
    };
    write(&dir, "game.html", inline(&game).as_bytes())?;
    write(&dir, "game.wasm", &game)?;
    write(&dir, "loader.js", LOADER_JS.as_bytes())?;
    let embed = assemble::html_page(&PageOptions {
        title,
        source: GameSource::Url {
            plays_url: None,
            events_url: None,
            leaderboard_url: None,
            report_url: None,
            glue_url: "./petpixel_game.js",
            loader_url: "./loader.js",
            module_url: "./game.wasm",
        },
    });
    write(&dir, "embed.html", embed.as_bytes())?;

    // The same game with its data header claiming a future format version.
    let mut future = game.clone();
    let header = future
        .windows(6)
        .position(|w| w[..4] == *b"PPGD")
        .ok_or("no game data header")?;
    future[header + 4..header + 6].copy_from_slice(&99u16.to_le_bytes());
    write(&dir, "error.html", inline(&future).as_bytes())?;
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}
