//! The blob layout of a photo's folder, `images/{id}/`: the photo's own files, and what the
//! studio makes from it (`cutout.png`, `mask.png`, `cutout.json` — written last: its presence
//! means the others are complete — and `art/{look}/`: the sprite's `sprite.png` and
//! `pixels.json` with `art.json` (its palette) last, the animation's `sheet.png` and
//! `preview.gif` with `sheet.json` last). Deleting the folder deletes everything made from
//! the photo.

use domain::Look;
use uuid::Uuid;

pub fn folder(id: Uuid) -> String {
    format!("images/{id}")
}

pub fn original(id: Uuid) -> String {
    format!("images/{id}/original.png")
}

pub fn thumbnail(id: Uuid) -> String {
    format!("images/{id}/thumbnail.png")
}

pub fn preview(id: Uuid) -> String {
    format!("images/{id}/preview.png")
}

pub fn cutout(id: Uuid) -> String {
    format!("images/{id}/cutout.png")
}

pub fn mask(id: Uuid) -> String {
    format!("images/{id}/mask.png")
}

pub fn cutout_meta(id: Uuid) -> String {
    format!("images/{id}/cutout.json")
}

/// The folder holding every look drawn from the photo.
pub fn looks(id: Uuid) -> String {
    format!("images/{id}/art")
}

/// One file of a look (`sprite.png`, `sheet.png`, `sheet.json`, `preview.gif`, `pixels.json`,
/// `art.json`).
pub fn art(id: Uuid, look: &Look, file: &str) -> String {
    format!("images/{id}/art/{}/{file}", look.slug())
}
