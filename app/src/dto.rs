//! Data shapes shared by the server, the REST API and the browser.

use serde::{Deserialize, Serialize};

/// The five worlds a game can be set in.
pub const THEMES: [&str; 5] = ["garden", "house", "beach", "space", "park"];
/// The three difficulties.
pub const DIFFICULTIES: [&str; 3] = ["easy", "normal", "hard"];
/// Most levels one game may have.
pub const MAX_LEVELS: u32 = 12;
/// Longest pet name, in characters.
pub const MAX_PET_NAME_CHARS: usize = 40;

/// What the REST API answers after an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
    /// At most 256 px on its long side.
    #[serde(default)]
    pub thumbnail_url: String,
    /// At most 1024 px on its long side.
    #[serde(default)]
    pub preview_url: String,
}

/// `GET /api/v1/images/{id}/status`: a photo and what has been made of it so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStatus {
    #[serde(flatten)]
    pub image: UploadedImage,
    /// `pending` until the pet is cut out, then `done`.
    pub background: String,
    /// The cut-out, once made.
    pub cutout: Option<CutoutView>,
    /// The looks drawn from it so far (`{style}-{size}[-dither]`), each served under
    /// `/api/v1/images/{id}/art/{look}/`.
    pub looks: Vec<String>,
}

/// `POST /api/v1/images/crop`: a rectangle of an uploaded photo, in its pixels, to use as a
/// new photo (the original stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CropRequest {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The request that starts a game.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameRequest {
    pub image_id: String,
    pub pet_name: String,
    pub theme: String,
    pub difficulty: String,
    pub level_count: u32,
    /// A pixel-art style id from `GET /api/v1/pixel-art/styles`; `classic-16` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// An address to email once the game is ready (with its link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
}

/// A browser's Web Push subscription, as `PushSubscription.toJSON()` gives it: where the push
/// service accepts messages for this device, and the keys they are encrypted to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionJson {
    pub endpoint: String,
    pub keys: PushKeys,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushKeys {
    /// The device's P-256 public key, uncompressed, base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

/// What `POST /api/v1/games/{id}/push` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscribed {
    /// False when this device was already subscribed to the game.
    pub new: bool,
    /// True when the game was already ready, so the message is on its way now.
    pub game_ready: bool,
}

/// The style a game gets when its request names none.
pub const DEFAULT_STYLE: &str = "classic-16";
/// Sprite sizes the pixel-art previews can be drawn at.
pub const SPRITE_SIZES: [u32; 3] = [32, 48, 64];

/// One pixel-art style, as `GET /api/v1/pixel-art/styles` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleView {
    /// Stable id, e.g. `game-boy`.
    pub id: String,
    pub name: String,
    pub description: String,
    /// Most colours a sprite in this style has, outline excluded.
    pub colours: u32,
    /// The fixed palette as `#rrggbb`, or none for styles that pick colours per photo.
    pub palette: Option<Vec<String>>,
}

/// The pet cut out of an uploaded photo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoutView {
    pub image_id: String,
    /// `neural` (U²-Net-p and matting), `photo-alpha` (the photo's own transparency) or
    /// `colour-model` (the fallback when the net found no plausible pet).
    pub method: String,
    /// Advice for the owner when the cut-out may be poor, in plain words.
    pub notice: Option<String>,
    /// The cut-out: the pet on a transparent background.
    pub cutout_url: String,
    /// The mask over the whole photo.
    pub mask_url: String,
}

/// What `POST /api/v1/pixel-art/generate` draws.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelArtRequest {
    pub image_id: String,
    pub style: String,
    /// Frame height in pixels: 32, 48 or 64 (default 48).
    #[serde(default)]
    pub size: Option<u32>,
    /// Ordered dithering (default off).
    #[serde(default)]
    pub dither: Option<bool>,
}

/// A pixel-art sprite and its animated sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelArtView {
    pub image_id: String,
    pub style: String,
    pub size: u32,
    pub dither: bool,
    pub sprite_url: String,
    pub sheet_url: String,
    /// The frame table in Aseprite's sheet-JSON layout.
    pub sheet_json_url: String,
    /// An animated GIF cycling through the animations.
    pub preview_url: String,
    /// The sprite's colours as `#rrggbb`, outline last.
    pub palette: Vec<String>,
}

/// Where a game is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GameStatus {
    Generating,
    Ready,
    Failed,
}

impl GameStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generating => "generating",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

/// The stages a game is made in, in order; each is a durable job step on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineStage {
    RemoveBackground,
    Pixelize,
    Animate,
    AssembleGame,
}

impl PipelineStage {
    pub const ALL: [PipelineStage; 4] = [
        Self::RemoveBackground,
        Self::Pixelize,
        Self::Animate,
        Self::AssembleGame,
    ];

    /// The name stored in the job table and sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RemoveBackground => "remove_background",
            Self::Pixelize => "pixelize",
            Self::Animate => "animate",
            Self::AssembleGame => "assemble_game",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|stage| stage.as_str() == s)
    }

    /// What the progress bar says while this stage runs.
    pub fn label(self) -> &'static str {
        match self {
            Self::RemoveBackground => "Cutting your pet out",
            Self::Pixelize => "Drawing the pixel-art sprite",
            Self::Animate => "Animating",
            Self::AssembleGame => "Building the levels",
        }
    }

    /// The stage after this one; `None` after the last.
    pub fn next(self) -> Option<Self> {
        let at = Self::ALL.iter().position(|s| *s == self)?;
        Self::ALL.get(at + 1).copied()
    }

    /// Position from 0, for progress bars.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The share of the work done when this stage starts, in percent.
    pub fn percent_before(self) -> u8 {
        (self.index() * 100 / Self::ALL.len()) as u8
    }
}

/// A game as its owner (or, through its short code, anyone) sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameView {
    pub id: String,
    pub short_code: String,
    pub title: String,
    pub pet_name: String,
    pub theme: String,
    pub difficulty: String,
    pub level_count: u32,
    pub style: String,
    pub status: GameStatus,
    /// The stage being worked on (or that failed); `None` once the game is ready.
    #[serde(default)]
    pub stage: Option<PipelineStage>,
    /// How much of the work is done, in percent (100 once ready).
    #[serde(default)]
    pub progress: u8,
    /// A plain-words reason when `status` is `failed`.
    pub failure: Option<String>,
    /// Times the game was started online.
    #[serde(default)]
    pub plays: u64,
    pub urls: GameUrls,
}

/// Links to a game's pages and pictures; picture links appear as they are made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameUrls {
    pub play: String,
    pub embed: String,
    pub download: String,
    pub cutout: Option<String>,
    pub sprite: Option<String>,
    pub sprite_sheet: Option<String>,
    /// The animated preview (GIF) of the sprite sheet.
    #[serde(default)]
    pub preview: Option<String>,
}

/// The JSON body of every REST error: `{"error": {"code", "message", "field"?}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiError,
}

/// One REST error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
