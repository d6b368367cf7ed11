//! The port the server implements: the use-cases server functions call (server side only).

use std::sync::Arc;

use crate::dto::{
    AccountView, Checkout, ConfirmPaymentRequest, CreateIntentRequest, CropRequest, CutoutView,
    DeviceView, GalleryPage, GalleryQuery, GameRequest, GameStats, GameView, Leaderboard,
    ModerationQueue, OrderList, OrderView, PaymentHistory, PaymentOffer, PaymentProgress,
    PixelArtRequest, PixelArtView, PublishRequest, PushSubscribed, PushSubscriptionJson,
    RefundRequest, ReportReceived, ReportRequest, StyleView, SubscribeRequest, SubscribeStep,
    SubscriptionView, UploadedImage,
};
use crate::error::AppError;

/// Who is asking, as an owner: an anonymous visitor's id, or once signed in the account's id.
/// Everything a caller makes is recorded under it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Visitor(pub String);

impl Visitor {
    /// Someone without a session yet (nothing has been kept for them): owns nothing.
    pub fn anonymous() -> Self {
        Self(String::new())
    }

    pub fn is_anonymous(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a record whose owner is `owner` belongs to this visitor: the one ownership
    /// check every use case makes. An anonymous visitor owns nothing, whatever the record.
    pub fn owns(&self, owner: &str) -> bool {
        !self.is_anonymous() && self.0 == owner
    }
}

/// The use-cases behind the pages. REST handlers and server functions are two thin edges over it.
#[async_trait::async_trait]
pub trait PetPixelPort: Send + Sync + 'static {
    async fn create_game(
        &self,
        visitor: &Visitor,
        request: GameRequest,
    ) -> Result<GameView, AppError>;
    /// The signed-in account of the current request, if any.
    async fn current_account(&self) -> Result<Option<AccountView>, AppError>;
    /// The browsers signed in to the current request's account, the asking one marked.
    async fn my_sessions(&self) -> Result<Vec<DeviceView>, AppError>;
    /// The providers people may sign in through (`google`, `facebook`): those configured.
    fn sign_in_providers(&self) -> Vec<String>;
    /// The games `visitor` made, newest first.
    async fn my_games(&self, visitor: &Visitor) -> Result<Vec<GameView>, AppError>;
    /// A game owned by `visitor`; another visitor's game is `NotFound`.
    async fn game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError>;
    /// Makes a ready (or failed) game of `visitor`'s again with new levels: a new
    /// seed, the same pet and settings.
    async fn regenerate_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError>;
    /// Deletes a finished game of `visitor`'s with its files.
    async fn delete_game(&self, visitor: &Visitor, id: &str) -> Result<(), AppError>;
    /// Makes a failed game of `visitor`'s again from the stage that failed.
    async fn retry_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError>;
    /// The key browsers subscribe with (`applicationServerKey`): our VAPID public key,
    /// base64url.
    fn push_key(&self) -> String;
    /// Tells this device by Web Push when `visitor`'s game is ready.
    async fn subscribe_push(
        &self,
        visitor: &Visitor,
        id: &str,
        subscription: PushSubscriptionJson,
    ) -> Result<PushSubscribed, AppError>;
    /// A game by its public short code (anyone holding the code may play it).
    async fn game_by_code(&self, code: &str) -> Result<GameView, AppError>;
    /// The pixel-art styles on offer.
    fn styles(&self) -> Vec<StyleView>;
    /// A new photo for `visitor` made of a rectangle of one of their photos.
    async fn crop_image(
        &self,
        visitor: &Visitor,
        image_id: uuid::Uuid,
        crop: CropRequest,
    ) -> Result<UploadedImage, AppError>;
    /// Cuts the pet out of one of `visitor`'s photos (once; later calls reuse the result).
    async fn remove_background(
        &self,
        visitor: &Visitor,
        image_id: uuid::Uuid,
    ) -> Result<CutoutView, AppError>;
    /// Draws the cut-out pet in a style (once per style, size and dithering).
    async fn pixel_art(
        &self,
        visitor: &Visitor,
        request: PixelArtRequest,
    ) -> Result<PixelArtView, AppError>;
    /// The packages, what they allow and cost, and whether payments are on.
    fn payment_offer(&self) -> PaymentOffer;
    /// Starts (or resumes) paying for one of `visitor`'s games.
    async fn create_payment(
        &self,
        visitor: &Visitor,
        request: CreateIntentRequest,
    ) -> Result<Checkout, AppError>;
    /// Pays an order with the card Stripe.js saved, or says how it stands.
    async fn confirm_payment(
        &self,
        request: ConfirmPaymentRequest,
    ) -> Result<PaymentProgress, AppError>;
    /// The signed-in account's orders, subscription and credits.
    async fn payment_history(&self) -> Result<PaymentHistory, AppError>;
    /// Orders an admin searched for (an order id or Stripe reference), or the newest.
    async fn admin_orders(&self, query: Option<String>) -> Result<OrderList, AppError>;
    /// Refunds all or part of an order (admins).
    async fn refund_payment(&self, request: RefundRequest) -> Result<OrderView, AppError>;
    /// Asks for one of `visitor`'s games to be listed in the gallery (a moderator decides).
    async fn publish_game(
        &self,
        visitor: &Visitor,
        id: &str,
        request: PublishRequest,
    ) -> Result<GameView, AppError>;
    /// Takes one of `visitor`'s games out of the gallery or the queue.
    async fn unpublish_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError>;
    /// A page of the gallery.
    async fn gallery(&self, query: GalleryQuery) -> Result<GalleryPage, AppError>;
    /// Listed games matching every word of `q`.
    async fn search_games(&self, q: String) -> Result<GalleryPage, AppError>;
    /// Asks the moderators to look at a game.
    async fn report_game(
        &self,
        visitor: &Visitor,
        code: &str,
        request: ReportRequest,
    ) -> Result<ReportReceived, AppError>;
    /// A game's leaderboard as everyone sees it (the public page is the same for everyone).
    async fn leaderboard(&self, code: &str) -> Result<Leaderboard, AppError>;
    /// One of `visitor`'s games' audience: totals and the last 30 days.
    async fn game_stats(&self, visitor: &Visitor, id: &str) -> Result<GameStats, AppError>;
    /// What waits for a moderator (moderators).
    async fn moderation_queue(&self) -> Result<ModerationQueue, AppError>;
    /// Lists (`reason: None`) or rejects a waiting game (moderators).
    async fn moderate(&self, item: String, reject: Option<String>) -> Result<(), AppError>;
    /// Subscribes the signed-in account (a card to collect first, then the subscription).
    async fn subscribe(&self, request: SubscribeRequest) -> Result<SubscribeStep, AppError>;
    /// Ends the signed-in account's subscription.
    async fn cancel_subscription(&self) -> Result<SubscriptionView, AppError>;
}

/// The port as Leptos context.
#[derive(Clone)]
pub struct Port(pub Arc<dyn PetPixelPort>);
