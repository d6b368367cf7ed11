//! Server functions: the pages' calls into the server, each a thin edge over the port.

use leptos::prelude::*;

use crate::dto::{
    AccountView, Checkout, ConfirmPaymentRequest, CreateIntentRequest, CropRequest, CutoutView,
    DeviceView, GalleryPage, GalleryQuery, GameRequest, GameStats, GameView, Leaderboard,
    ModerationQueue, OrderList, OrderView, PaymentHistory, PaymentOffer, PaymentProgress,
    PixelArtRequest, PixelArtView, PublishRequest, PushSubscribed, PushSubscriptionJson,
    RefundRequest, ReportReceived, ReportRequest, StyleView, SubscribeRequest, SubscribeStep,
    SubscriptionView, UploadedImage,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::port::{Port, Visitor};

    /// The port and the visitor of the current request.
    pub async fn context() -> Result<(Port, Visitor), AppError> {
        let port = leptos::prelude::use_context::<Port>().ok_or(AppError::Internal)?;
        let axum::Extension(visitor) = leptos_axum::extract::<axum::Extension<Visitor>>()
            .await
            .map_err(|_| AppError::Internal)?;
        Ok((port, visitor))
    }
}

/// The signed-in account, if any (the header asks from the browser, so pages stay the same
/// for everyone and shared caches may keep them).
#[server(prefix = "/_sf", endpoint = "current_account")]
pub async fn current_account() -> Result<Option<AccountView>, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.current_account().await
}

/// The browsers signed in to the account, most recently active first.
#[server(prefix = "/_sf", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<DeviceView>, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.my_sessions().await
}

/// The providers people may sign in through: only configured ones are offered.
#[server(prefix = "/_sf", endpoint = "sign_in_providers")]
pub async fn sign_in_providers() -> Result<Vec<String>, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    Ok(port.0.sign_in_providers())
}

/// The visitor's games, newest first.
#[server(prefix = "/_sf", endpoint = "my_games")]
pub async fn my_games() -> Result<Vec<GameView>, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.my_games(&visitor).await
}

/// Starts making a game from an uploaded photo.
#[server(prefix = "/_sf", endpoint = "create_game")]
pub async fn create_game(request: GameRequest) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.create_game(&visitor, request).await
}

/// One of the visitor's games.
#[server(prefix = "/_sf", endpoint = "get_game")]
pub async fn get_game(id: String) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.game(&visitor, &id).await
}

/// One of the visitor's games' audience.
#[server(prefix = "/_sf", endpoint = "game_stats")]
pub async fn get_game_stats(id: String) -> Result<GameStats, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.game_stats(&visitor, &id).await
}

/// Asks for one of the visitor's games to be listed in the gallery.
#[server(prefix = "/_sf", endpoint = "publish_game")]
pub async fn publish_game(id: String, request: PublishRequest) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.publish_game(&visitor, &id, request).await
}

/// Takes one of the visitor's games out of the gallery or the queue.
#[server(prefix = "/_sf", endpoint = "unpublish_game")]
pub async fn unpublish_game(id: String) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.unpublish_game(&visitor, &id).await
}

/// A page of the gallery.
#[server(prefix = "/_sf", endpoint = "gallery")]
pub async fn get_gallery(query: GalleryQuery) -> Result<GalleryPage, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.gallery(query).await
}

/// Listed games matching every word of `q`.
#[server(prefix = "/_sf", endpoint = "search_games")]
pub async fn search_games(q: String) -> Result<GalleryPage, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.search_games(q).await
}

/// Asks the moderators to look at a game.
#[server(prefix = "/_sf", endpoint = "report_game")]
pub async fn report_game(code: String, request: ReportRequest) -> Result<ReportReceived, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.report_game(&visitor, &code, request).await
}

/// A game's ten best verified times.
#[server(prefix = "/_sf", endpoint = "get_leaderboard")]
pub async fn get_leaderboard(code: String) -> Result<Leaderboard, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.leaderboard(&code).await
}

/// What waits for a moderator.
#[server(prefix = "/_sf", endpoint = "moderation_queue")]
pub async fn get_moderation_queue() -> Result<ModerationQueue, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.moderation_queue().await
}

/// Lists a waiting game, or (with a reason) rejects it.
#[server(prefix = "/_sf", endpoint = "moderate")]
pub async fn moderate(item: String, reject: Option<String>) -> Result<(), AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.moderate(item, reject).await
}

/// New levels for one of the visitor's finished games.
#[server(prefix = "/_sf", endpoint = "regenerate_game")]
pub async fn regenerate_game(id: String) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.regenerate_game(&visitor, &id).await
}

/// Deletes one of the visitor's finished games.
#[server(prefix = "/_sf", endpoint = "delete_game")]
pub async fn delete_game(id: String) -> Result<(), AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.delete_game(&visitor, &id).await
}

/// Tries one of the visitor's failed games again from the stage that failed.
#[server(prefix = "/_sf", endpoint = "retry_game")]
pub async fn retry_game(id: String) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.retry_game(&visitor, &id).await
}

/// The key a browser subscribes to Web Push with.
#[server(prefix = "/_sf", endpoint = "push_key")]
pub async fn push_key() -> Result<String, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    Ok(port.0.push_key())
}

/// Asks for a push to this device when one of the visitor's games is ready.
#[server(prefix = "/_sf", endpoint = "subscribe_push")]
pub async fn subscribe_push(
    id: String,
    subscription: PushSubscriptionJson,
) -> Result<PushSubscribed, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.subscribe_push(&visitor, &id, subscription).await
}

/// A game by its public short code.
#[server(prefix = "/_sf", endpoint = "get_game_by_code")]
pub async fn get_game_by_code(code: String) -> Result<GameView, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.game_by_code(&code).await
}

/// The pixel-art styles on offer.
#[server(prefix = "/_sf", endpoint = "list_styles")]
pub async fn list_styles() -> Result<Vec<StyleView>, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    Ok(port.0.styles())
}

/// Cuts the pet out of an uploaded photo.
#[server(prefix = "/_sf", endpoint = "remove_background")]
pub async fn remove_background(image_id: uuid::Uuid) -> Result<CutoutView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.remove_background(&visitor, image_id).await
}

/// Draws the cut-out pet in one style.
#[server(prefix = "/_sf", endpoint = "pixel_art")]
pub async fn pixel_art(request: PixelArtRequest) -> Result<PixelArtView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.pixel_art(&visitor, request).await
}

/// A new photo made of a rectangle of an uploaded one.
#[server(prefix = "/_sf", endpoint = "crop_image")]
pub async fn crop_image(
    image_id: uuid::Uuid,
    crop: CropRequest,
) -> Result<UploadedImage, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.crop_image(&visitor, image_id, crop).await
}

/// The packages, what they allow and cost, and whether this site takes payments.
#[server(prefix = "/_sf", endpoint = "payment_offer")]
pub async fn get_payment_offer() -> Result<PaymentOffer, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    Ok(port.0.payment_offer())
}

/// Starts (or resumes) paying for one of the visitor's games.
#[server(prefix = "/_sf", endpoint = "create_payment")]
pub async fn create_payment(request: CreateIntentRequest) -> Result<Checkout, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.create_payment(&visitor, request).await
}

/// Pays an order with the card Stripe.js saved, or says how it stands.
#[server(prefix = "/_sf", endpoint = "confirm_payment")]
pub async fn confirm_payment(request: ConfirmPaymentRequest) -> Result<PaymentProgress, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.confirm_payment(request).await
}

/// The account's orders, subscription and credits.
#[server(prefix = "/_sf", endpoint = "payment_history")]
pub async fn get_payment_history() -> Result<PaymentHistory, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.payment_history().await
}

/// Orders an admin searched for by order id or Stripe reference, or the newest.
#[server(prefix = "/_sf", endpoint = "admin_orders")]
pub async fn get_admin_orders(query: Option<String>) -> Result<OrderList, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.admin_orders(query).await
}

/// Refunds all or part of an order (admins).
#[server(prefix = "/_sf", endpoint = "refund_payment")]
pub async fn refund_payment(request: RefundRequest) -> Result<OrderView, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.refund_payment(request).await
}

/// Subscribes the account: a card to collect first, then the subscription.
#[server(prefix = "/_sf", endpoint = "subscribe")]
pub async fn subscribe(request: SubscribeRequest) -> Result<SubscribeStep, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.subscribe(request).await
}

/// Ends the account's subscription.
#[server(prefix = "/_sf", endpoint = "cancel_subscription")]
pub async fn cancel_subscription() -> Result<SubscriptionView, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.cancel_subscription().await
}
