//! The blob layout of a game's folder, `games/{id}/`: what each pipeline stage writes
//! (`cutout.png`, `pixels.json`, `sprite.png`, `sheet.png`, `layout.json`, `preview.gif`, and
//! for premium games `pixels-64.json`, `sheet-64.png`, `preview-64.gif`) and the assembled
//! module, named by its content (`game-{tag}.wasm`).

use uuid::Uuid;

pub fn file(game_id: Uuid, name: &str) -> String {
    format!("games/{game_id}/{name}")
}

/// The folder holding everything of a game's (deleting it deletes them all).
pub fn folder(game_id: Uuid) -> String {
    format!("games/{game_id}")
}
