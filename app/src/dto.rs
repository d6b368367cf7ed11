//! Data shapes shared by the server, the REST API and the browser. Values with a fixed set of
//! choices or a format are the shared vocabulary's types (`domain`), so a request that
//! deserializes is already valid in those respects.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::{
    CutoutMethod, Difficulty, Email, Gait, GameStatus, LevelCount, Look, MAX_PET_NAME_CHARS,
    Password, PetName, PipelineStage, Role, ShortCode, SpriteSize, StudioState, Style, Theme,
};

/// What the REST API answers after an upload.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    pub id: Uuid,
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStatus {
    #[serde(flatten)]
    pub image: UploadedImage,
    /// `pending` until the cut-out is asked for, then `queued`, `running`, and `done` or
    /// `failed`.
    pub background: String,
    /// Why the cut-out could not be made, in plain words, when `background` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_failure: Option<String>,
    /// The cut-out, once made.
    pub cutout: Option<CutoutView>,
    /// The looks drawn from it so far (`{style}-{size}[-dither]`), each served under
    /// `/api/v1/images/{id}/art/{look}/`.
    pub looks: Vec<String>,
}

/// `POST /api/v1/images/crop`: a rectangle of an uploaded photo, in its pixels, to use as a
/// new photo (the original stays).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CropRequest {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The request that starts a game.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameRequest {
    pub image_id: Uuid,
    pub pet_name: PetName,
    pub theme: Theme,
    pub difficulty: Difficulty,
    pub level_count: LevelCount,
    /// A pixel-art style from `GET /api/v1/pixel-art/styles`; `classic-16` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<Style>,
    /// How the pet walks and runs (`walk`, `hop`, `crawl` or `swim`); chosen from its
    /// silhouette when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gait: Option<Gait>,
    /// An address to email once the game is ready (with its link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
}

/// A browser's Web Push subscription, as `PushSubscription.toJSON()` gives it: where the push
/// service accepts messages for this device, and the keys they are encrypted to.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionJson {
    pub endpoint: String,
    pub keys: PushKeys,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushKeys {
    /// The device's P-256 public key, uncompressed, base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

/// What `POST /api/v1/games/{id}/push` did.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscribed {
    /// False when this device was already subscribed to the game.
    pub new: bool,
    /// True when the game was already ready, so the message is on its way now.
    pub game_ready: bool,
}

/// One pixel-art style, as `GET /api/v1/pixel-art/styles` lists it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleView {
    /// Stable id, e.g. `game-boy`.
    pub id: Style,
    pub name: String,
    pub description: String,
    /// Most colours a sprite in this style has, outline excluded.
    pub colours: u32,
    /// The fixed palette as `#rrggbb`, or none for styles that pick colours per photo.
    pub palette: Option<Vec<String>>,
}

/// The pet cut out of an uploaded photo.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoutView {
    pub image_id: Uuid,
    pub method: CutoutMethod,
    /// Advice for the owner when the cut-out may be poor, in plain words.
    pub notice: Option<String>,
    /// The cut-out: the pet on a transparent background.
    pub cutout_url: String,
    /// The mask over the whole photo.
    pub mask_url: String,
}

/// What `POST /api/v1/pixel-art/generate` draws.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelArtRequest {
    pub image_id: Uuid,
    pub style: Style,
    /// Frame height in pixels: 32, 48 or 64 (default 48).
    #[serde(default)]
    pub size: Option<SpriteSize>,
    /// Ordered dithering (default off).
    #[serde(default)]
    pub dither: Option<bool>,
    /// Animate the sprite too (default on); `POST /api/v1/pixel-art/animate` does it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<bool>,
    /// How the pet walks and runs (`walk`, `hop`, `crawl` or `swim`); chosen from its
    /// silhouette when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gait: Option<Gait>,
}

/// `POST /api/v1/pixel-art/animate`: animate pixel art drawn earlier.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnimateRequest {
    /// The `id` that `POST /api/v1/pixel-art/generate` answered with.
    pub id: Uuid,
}

/// A pixel-art sprite and its animated sheet, as far as they are made. Links appear as their
/// files are made.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelArtView {
    /// Names this pixel art for `GET /api/v1/pixel-art/{id}/status` and
    /// `POST /api/v1/pixel-art/animate`.
    pub id: Uuid,
    pub image_id: Uuid,
    pub style: Style,
    pub size: SpriteSize,
    pub dither: bool,
    /// The gait asked for; `None`: chosen from the pet's silhouette.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gait: Option<Gait>,
    /// `queued` or `running` while being made, then `done` or `failed`.
    pub status: StudioState,
    /// Why it could not be made, in plain words, when `status` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub status_url: String,
    pub sprite_url: Option<String>,
    pub sheet_url: Option<String>,
    /// The frame table in Aseprite's sheet-JSON layout.
    pub sheet_json_url: Option<String>,
    /// An animated GIF cycling through the animations.
    pub preview_url: Option<String>,
    /// The sprite's colours as `#rrggbb`, outline last (empty until it is drawn).
    pub palette: Vec<String>,
}

/// A game as its owner (or, through its short code, anyone) sees it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameView {
    pub id: Uuid,
    pub short_code: ShortCode,
    pub title: String,
    pub pet_name: PetName,
    pub theme: Theme,
    pub difficulty: Difficulty,
    pub level_count: LevelCount,
    pub style: Style,
    /// The gait the owner chose; `None`: chosen from the pet's silhouette.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gait: Option<Gait>,
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiError,
}

/// One REST error.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `POST /api/v1/auth/register`: a new account with a password.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct RegisterRequest {
    pub email: Email,
    pub password: Password,
}

/// `POST /api/v1/auth/login`. With `token: true` the answer is a [`TokenPair`] for a script
/// or an app; otherwise the session cookie is set.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct LoginRequest {
    pub email: Email,
    /// As typed; at most 128 characters.
    pub password: LoginPassword,
    #[serde(default)]
    pub token: bool,
}

/// A password as typed at login: any length up to 128 characters (a wrong one is a wrong
/// password, not a malformed request).
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct LoginPassword(String);

impl LoginPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LoginPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginPassword(..)")
    }
}

impl TryFrom<String> for LoginPassword {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.chars().count() > domain::MAX_PASSWORD_CHARS {
            Err("a password is at most 128 characters")
        } else {
            Ok(Self(s))
        }
    }
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for LoginPassword {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(domain::MAX_PASSWORD_CHARS))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for LoginPassword {}

/// What a script or an app signs in with: a short-lived access token for
/// `Authorization: Bearer`, and a refresh token to get the next pair with (once).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is good for.
    pub expires_in: u64,
}

/// `POST /api/v1/auth/refresh`, and the optional body of `POST /api/v1/auth/logout`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct RefreshRequest {
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub refresh_token: String,
}

/// `POST /api/v1/auth/logout`: this session (or, with `refresh_token`, that token's
/// family), or with `everywhere: true` every session and token of the account.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LogoutRequest {
    #[serde(default)]
    pub everywhere: bool,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// `PUT /api/v1/auth/password`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct PasswordChange {
    /// Required when the account has a password.
    #[serde(default)]
    pub current_password: Option<LoginPassword>,
    pub new_password: Password,
}

/// `DELETE /api/v1/auth/account`: the password again (an account without one sends none).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct AccountDeletion {
    #[serde(default)]
    pub password: Option<LoginPassword>,
}

/// The secret of a link we emailed (`?token=` of the page it opens).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmailedLink {
    #[cfg_attr(feature = "ssr", schema(max_length = 128))]
    pub token: String,
}

/// `POST /api/v1/auth/password/forgot`: mail a link to set a new password.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct ForgottenPassword {
    pub email: Email,
}

/// `POST /api/v1/auth/password/reset`: a new password, through the emailed link.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Deserialize)]
pub struct PasswordReset {
    #[cfg_attr(feature = "ssr", schema(max_length = 128))]
    pub token: String,
    pub password: Password,
}

/// An account as its owner sees it (`GET /api/v1/auth/profile`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
    /// The subscription tier: `free` until packages are bought.
    pub tier: String,
    /// False for an account that signs in only through a provider.
    pub has_password: bool,
    /// The providers it can sign in through (`google`, `facebook`).
    pub providers: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A browser signed in to the account (`GET /api/v1/auth/sessions`), most recently active
/// first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// What `DELETE /api/v1/auth/sessions/{id}` takes.
    pub id: Uuid,
    /// The browser and system it said it was at sign-in, e.g. "Firefox on Android".
    pub label: String,
    /// RFC 3339, UTC.
    pub signed_in_at: String,
    /// RFC 3339, UTC; updated at most every few minutes.
    pub last_seen_at: String,
    /// The session making this request.
    pub current: bool,
}
