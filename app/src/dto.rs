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
}

/// The request that starts a game.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameRequest {
    pub image_id: String,
    pub pet_name: String,
    pub theme: String,
    pub difficulty: String,
    pub level_count: u32,
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
    pub status: GameStatus,
    /// A plain-words reason when `status` is `failed`.
    pub failure: Option<String>,
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
