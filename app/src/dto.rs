//! Data shapes shared by the server, the REST API and the browser. Values with a fixed set of
//! choices or a format are the shared vocabulary's types (`domain`), so a request that
//! deserializes is already valid in those respects.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::{
    Currency, CutoutMethod, Difficulty, Email, Gait, GameStatus, LevelCount, Look,
    MAX_PET_NAME_CHARS, OrderStatus, Package, Password, PetName, PipelineStage, ReportReason, Role,
    ShortCode, SpriteSize, StudioState, Style, Theme, Visibility,
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
    /// What the game is bought with (`GET /api/v1/payments/offer` lists them). Absent: `free`
    /// while payments are on, `premium` (at no cost) while they are off. A paid package is
    /// `awaiting_payment` until its payment succeeds; `subscription` spends a credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
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
    /// The game's id, for its owner (`GET /api/v1/games/{id}`); absent where the game is
    /// reached by its code (the play page, anyone holding the link), which says nothing that
    /// would let a caller address the game any other way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
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
    /// What the game was bought with; what it allows follows from it.
    #[serde(default = "free_package")]
    pub package: Package,
    /// When a free game stops playing (RFC 3339); `None`: it is kept for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Past `expires_at`: its page says so and offers a way to keep it.
    #[serde(default)]
    pub expired: bool,
    /// Whether the gallery lists it: `private` (link only), `pending` (published, waiting for
    /// a moderator), `public`, `rejected` or `hidden`.
    #[serde(default)]
    pub visibility: Visibility,
    /// What the owner says about it in the gallery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Why a moderator rejected or hid it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation_note: Option<String>,
    pub urls: GameUrls,
}

fn free_package() -> Package {
    Package::Free
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
    /// The 64-px sheet and its animated preview (premium games).
    #[serde(default)]
    pub hires_sheet: Option<String>,
    #[serde(default)]
    pub hires_preview: Option<String>,
    /// The public page as an absolute URL, to share (filled where the site's address is
    /// known: the public page's own answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    /// The embed as an absolute URL: what the snippet for other sites points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_embed: Option<String>,
    /// The pet's cut-out as an absolute URL: the picture a shared link unfurls with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_image: Option<String>,
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

/// `GET /api/v1/payments/offer`: the packages, what each allows and costs, and whether
/// payments are on at all.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOffer {
    /// False: this site takes no payments and every package costs nothing.
    pub enabled: bool,
    /// What Stripe.js is started with; `None` when payments are off.
    pub publishable_key: Option<String>,
    /// Where the page loads Stripe.js from.
    pub stripe_js: Option<String>,
    pub currencies: Vec<Currency>,
    pub default_currency: Currency,
    pub packages: Vec<PackageOffer>,
    /// Premium games a month of the subscription adds.
    pub subscription_credits: u32,
}

/// One package: what it allows and what it costs.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageOffer {
    pub package: Package,
    pub label: String,
    pub max_levels: u32,
    /// The styles it may use; `None`: every style.
    pub styles: Option<Vec<Style>>,
    pub download: bool,
    /// Days a game plays; `None`: for good.
    pub expires_after_days: Option<u32>,
    /// New sets of levels a game may be made with; `None`: without limit.
    pub new_levels: Option<u32>,
    /// The pet also drawn and animated at 64 px, to keep.
    pub hires_sprite: bool,
    /// Its price in each currency (none for the free package, or while payments are off).
    pub prices: Vec<Price>,
}

/// An amount of money: minor units (`499` is $4.99; JPY has none, so `800` is ¥800), and the
/// same as a person reads it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub currency: Currency,
    pub amount_minor: i64,
    pub display: String,
}

impl Price {
    pub fn new(currency: Currency, amount_minor: i64) -> Self {
        Self {
            currency,
            amount_minor,
            display: currency.format(amount_minor),
        }
    }
}

/// `POST /api/v1/payments/create-intent`: pay for a game waiting for its payment, or keep a
/// free game for good by buying it a package.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIntentRequest {
    pub game_id: Uuid,
    /// The package to buy: the game's own for a game waiting for payment; `basic` or
    /// `premium` to keep a free game. Absent: the game's package, or `basic` for a free game.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Absent: the site's default currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// What the checkout page needs: the order, and the secret Stripe.js collects the card with.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    pub order: OrderView,
    /// For `stripe.confirmCardSetup`: the card is saved to the buyer's customer at Stripe and
    /// never reaches this server.
    pub setup_client_secret: String,
    pub publishable_key: String,
}

/// `POST /api/v1/payments/confirm`: pay an order with the card Stripe.js saved.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPaymentRequest {
    pub order_id: Uuid,
    /// The `pm_…` id `confirmCardSetup` gave; absent: only ask how the order stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
}

/// Where a payment stands after `confirm`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentProgress {
    pub order: OrderView,
    /// `succeeded` (the game is made once Stripe's confirmation arrives), `authenticate`
    /// (3-D Secure: call `stripe.confirmCardPayment(client_secret)`), `declined` (try
    /// another card: `message` says why), `processing` or `waiting` (no card yet).
    pub next: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An order as its buyer sees it: a receipt once paid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: Uuid,
    pub package: Package,
    pub label: String,
    pub amount: Price,
    pub refunded: Price,
    pub status: OrderStatus,
    /// The game it paid for.
    pub game_id: Option<Uuid>,
    /// RFC 3339.
    pub created_at: String,
    /// When it was paid (or canceled), RFC 3339.
    pub completed_at: Option<String>,
    /// Why the last attempt to pay failed.
    pub failure: Option<String>,
    /// Stripe's payment (or invoice) id: what support and Stripe's receipts name.
    pub reference: Option<String>,
}

/// `POST /api/v1/payments/refund` (admins): all of an order, or part of it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    pub order_id: Uuid,
    /// Minor units; absent: what is left of the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /api/v1/payments/history`: the caller's orders (receipts), subscription and credits.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentHistory {
    pub orders: Vec<OrderView>,
    pub subscription: Option<SubscriptionView>,
    /// Premium games left to make with the subscription.
    pub credits: u32,
    /// `subscription` while a subscription is active, else `free`.
    pub tier: String,
    /// Payments that bought nothing (a game deleted before its payment arrived, a second
    /// payment for an order paid already), each given back in full.
    pub returned: Vec<ReturnedPayment>,
}

/// A payment that bought nothing, refunded in full.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedPayment {
    /// The order it was made for.
    pub order_id: Option<Uuid>,
    pub amount: Price,
    /// Stripe's payment id.
    pub reference: String,
    /// When it arrived, RFC 3339.
    pub received_at: String,
    /// When it was refunded, RFC 3339; `None` while the refund is still being asked for.
    pub refunded_at: Option<String>,
}

/// `GET /api/v1/payments/orders` (admins): the orders a search found, newest first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderList {
    pub orders: Vec<OrderView>,
}

/// A subscription as its owner sees it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionView {
    pub id: String,
    /// Stripe's status: `active`, `past_due`, `canceled`, `incomplete`, ...
    pub status: String,
    pub price: Price,
    /// The end of the paid month, RFC 3339.
    pub current_period_end: Option<String>,
}

/// `POST /api/v1/payments/subscriptions/create`: first without a card (the answer carries the
/// secret Stripe.js saves one with), then with the card Stripe.js saved.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
}

/// The answer to `subscriptions/create`: a card to collect first, or the subscription made.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeStep {
    pub price: Price,
    /// Set when a card is to be collected: for `stripe.confirmCardSetup`.
    pub setup_client_secret: Option<String>,
    pub publishable_key: String,
    /// Set once subscribed.
    pub subscription: Option<SubscriptionView>,
}

/// `POST /api/v1/games/{id}/publish`: ask for the game to be listed in the gallery.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// What the gallery shows under the title (500 characters at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A gallery page as asked for: `sort` (`new`, `featured`), `theme`, `difficulty`, `cursor`
/// (the `next` of the page before), `limit`; the server checks each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryQuery {
    pub sort: Option<String>,
    pub theme: Option<String>,
    pub difficulty: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// One game as the gallery and search show it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryCard {
    pub short_code: ShortCode,
    pub title: String,
    pub pet_name: PetName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub theme: Theme,
    pub difficulty: Difficulty,
    pub level_count: LevelCount,
    pub plays: u64,
    /// Picked by a moderator.
    pub featured: bool,
    /// When it entered the gallery, RFC 3339 (none while it waits for a moderator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Its public page.
    pub play: String,
    /// The animated pet (GIF).
    pub preview: Option<String>,
}

/// `GET /api/v1/gallery` and `GET /api/v1/games/search`: a page of games, and where the next
/// page starts (`cursor`; none after the last).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryPage {
    pub games: Vec<GalleryCard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A published game waiting for a moderator, with what there is to judge.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationItem {
    pub id: Uuid,
    pub game_id: Uuid,
    /// Why it is in the queue: `published` (its owner asked for it to be listed) or
    /// `report: {reason}` (someone reported it; see `ReportReason`).
    pub reason: String,
    /// What the person reporting it wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub game: GalleryCard,
    pub cutout: Option<String>,
    pub sprite: Option<String>,
    /// The owner's photo (moderators only), while it is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

/// `GET /api/v1/moderation/queue` (moderators): what waits, oldest first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationQueue {
    pub items: Vec<ModerationItem>,
}

/// A moderator's reason: required to reject or hide, shown to the game's owner.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationDecision {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/v1/play/{code}/report`: asks the moderators to look at a game.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub reason: ReportReason,
    /// Anything the moderators should know (500 characters at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A report received: it waits in the moderators' queue.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReceived {
    pub id: Uuid,
}

/// `POST /api/v1/games/{id}/feature` (moderators): show a public game among the featured,
/// or stop.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureRequest {
    pub featured: bool,
}

/// One verified time on a game's leaderboard.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardEntry {
    /// 1 for the fastest; equal times share a rank.
    pub rank: u32,
    pub name: String,
    /// The run's time in 1/60 s steps, as its replay took.
    pub steps: u32,
    /// The time as people read it: `1:02.45`.
    pub time: String,
    pub score: u32,
    /// When the time was set, RFC 3339.
    pub at: String,
}

/// `GET /api/v1/play/{code}/leaderboard`: the ten fastest verified runs of the game's current
/// levels (new levels start a new board).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaderboard {
    pub entries: Vec<LeaderboardEntry>,
    /// The name the signed-in caller last played under, to offer again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub your_name: Option<String>,
}

/// `POST /api/v1/play/{code}/leaderboard`: a finished run, as the game's page recorded it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSubmission {
    /// The name shown on the board (1 to 24 characters).
    pub name: String,
    /// The time the page saw, in 1/60 s steps: the replay must take exactly as long.
    pub steps: u32,
    /// The buttons of every step from leaving the title screen to the last goal, run-length
    /// encoded: `bits:steps` pairs joined by commas (bits 1 left, 2 right, 4 jump, 8 start,
    /// 16 pause).
    #[cfg_attr(feature = "ssr", schema(max_length = 180_000))]
    pub run: String,
}

/// The answer to a believed run: where it placed and the board now.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecorded {
    /// Where this time places among the board's names.
    pub rank: u32,
    /// False when this name already holds a faster (or equal) time, which stays.
    pub best: bool,
    pub entry: LeaderboardEntry,
    pub board: Leaderboard,
}

/// What a game's page or embed saw happen (`POST /api/v1/play/{code}/events`). A play is
/// reported on its own route (`/play/{code}/plays`), once, when the game first starts.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageEventKind {
    /// The game was shown (its page or an embed loaded).
    View,
    /// A player reached the last goal.
    Complete,
    /// Someone shared the game's link.
    Share,
}

impl PageEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Complete => "complete",
            Self::Share => "share",
        }
    }
}

/// One thing a page saw.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageEvent {
    #[serde(rename = "type")]
    pub kind: PageEventKind,
}

/// A batch of what a page saw, sent together (at most 20).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    pub events: Vec<PageEvent>,
}

/// How many of a batch were counted: none from a robot.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsCounted {
    pub counted: u32,
}

/// One day of a game's audience (UTC).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub views: u64,
    pub plays: u64,
    pub completions: u64,
}

/// `GET /api/v1/games/{id}/stats`: a game's audience, for its owner.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameStats {
    /// Since the game was made.
    pub views: u64,
    pub plays: u64,
    pub completions: u64,
    pub shares: u64,
    /// Completions per play, 0 to 1 (0 before the first play).
    pub completion_rate: f64,
    /// The last `days` days, oldest first, every day present (zeros included).
    pub days: Vec<DayStats>,
}
