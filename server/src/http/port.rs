//! The pages' server functions reach the capabilities through the port `app` declares; this is
//! its implementation, one line per use case.

use std::net::IpAddr;
use std::sync::Arc;

use app::dto::{
    AccountView, Checkout, ConfirmPaymentRequest, CreateIntentRequest, CropRequest, CutoutView,
    DeviceView, GalleryPage, GalleryQuery, GameRequest, GameStats, GameView, Leaderboard,
    ModerationDecision, ModerationQueue, OrderList, OrderView, PaymentHistory, PaymentOffer,
    PaymentProgress, PixelArtRequest, PixelArtView, PublishRequest, PushSubscribed,
    PushSubscriptionJson, RefundRequest, ReportReceived, ReportRequest, StyleView,
    SubscribeRequest, SubscribeStep, SubscriptionView, UploadedImage,
};
use app::error::AppError;
use app::port::{PetPixelPort, Visitor};
use axum::Extension;
use uuid::Uuid;

use crate::accounts::devices::Devices;
use crate::accounts::social::SocialSignIn;
use crate::accounts::{Accounts, SignedIn};
use crate::billing::Billing;
use crate::gallery::{Gallery, PageParams};
use crate::games::{Games, public_game_view};
use crate::http::client_ip::ClientIp;
use crate::http::visitor::Caller;
use crate::leaderboard::Leaderboards;
use crate::moderation::Moderation;
use crate::notifications::Notifications;
use crate::photos::Photos;
use crate::studio::{Studio, Waited};

pub struct Port {
    pub accounts: Arc<Accounts>,
    pub devices: Arc<Devices>,
    pub social: Arc<SocialSignIn>,
    pub photos: Arc<Photos>,
    pub studio: Arc<Studio>,
    pub games: Arc<Games>,
    pub notifications: Arc<Notifications>,
    pub billing: Arc<Billing>,
    pub gallery: Arc<Gallery>,
    pub moderation: Arc<Moderation>,
    pub leaderboards: Arc<Leaderboards>,
    pub analytics: Arc<crate::analytics::Analytics>,
    pub public_url: crate::urls::PublicUrl,
}

#[async_trait::async_trait]
impl PetPixelPort for Port {
    async fn current_account(&self) -> Result<Option<AccountView>, AppError> {
        let (caller, _) = caller_and_client().await?;
        match caller {
            Some(caller) => Ok(self.accounts.get(caller.id).await?.map(|a| a.view())),
            None => Ok(None),
        }
    }

    async fn my_sessions(&self) -> Result<Vec<DeviceView>, AppError> {
        let (caller, _) = caller_and_client().await?;
        let caller = caller.ok_or_else(crate::accounts::not_signed_in)?;
        self.devices.list(caller.id, caller.device).await
    }

    fn sign_in_providers(&self) -> Vec<String> {
        self.social.offered()
    }

    async fn my_games(&self, visitor: &Visitor) -> Result<Vec<GameView>, AppError> {
        self.games.mine(visitor).await
    }

    async fn create_game(
        &self,
        visitor: &Visitor,
        request: GameRequest,
    ) -> Result<GameView, AppError> {
        let (caller, client) = caller_and_client().await?;
        crate::games::start(
            &self.games,
            &self.notifications,
            &self.billing,
            visitor,
            caller.as_ref(),
            client,
            request,
        )
        .await
    }

    async fn game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        self.games.view(visitor, id).await
    }

    async fn regenerate_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        let (_, client) = caller_and_client().await?;
        self.games.regenerate(visitor, client, id).await
    }

    async fn delete_game(&self, visitor: &Visitor, id: &str) -> Result<(), AppError> {
        self.games.delete(visitor, id).await
    }

    async fn retry_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        self.games.retry(visitor, id).await
    }

    fn push_key(&self) -> String {
        self.notifications.push_key()
    }

    async fn subscribe_push(
        &self,
        visitor: &Visitor,
        id: &str,
        subscription: PushSubscriptionJson,
    ) -> Result<PushSubscribed, AppError> {
        self.notifications
            .subscribe_push(visitor, id, subscription)
            .await
    }

    async fn game_by_code(&self, code: &str) -> Result<GameView, AppError> {
        let (_, client) = caller_and_client().await?;
        let mut view = public_game_view(&self.games.public(code, client).await?);
        // What a shared link unfurls with, and the embed snippet pasted on other sites, need
        // absolute URLs.
        view.urls.share = Some(self.public_url.absolute(&view.urls.play));
        view.urls.share_embed = Some(self.public_url.absolute(&view.urls.embed));
        view.urls.share_image = view
            .urls
            .cutout
            .as_deref()
            .map(|path| self.public_url.absolute(path));
        Ok(view)
    }

    fn styles(&self) -> Vec<StyleView> {
        Studio::styles()
    }

    async fn crop_image(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
        crop: CropRequest,
    ) -> Result<UploadedImage, AppError> {
        let (_, client) = caller_and_client().await?;
        self.photos.crop(visitor, client, image_id, crop).await
    }

    async fn remove_background(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
    ) -> Result<CutoutView, AppError> {
        let (_, client) = caller_and_client().await?;
        match self
            .studio
            .remove_background(visitor, client, image_id)
            .await?
        {
            Waited::Done(cutout) => Ok(cutout),
            // A page cannot be answered "accepted": it asks again.
            Waited::Pending(_) => Err(AppError::invalid(
                "image",
                "we are still cutting your pet out: choose the photo again in a moment",
            )),
        }
    }

    async fn pixel_art(
        &self,
        visitor: &Visitor,
        request: PixelArtRequest,
    ) -> Result<PixelArtView, AppError> {
        // The view says whether it is done; the page shows it either way.
        let (_, client) = caller_and_client().await?;
        match self.studio.pixel_art(visitor, client, request).await? {
            Waited::Done(view) | Waited::Pending(view) => Ok(view),
        }
    }

    fn payment_offer(&self) -> PaymentOffer {
        self.billing.offer()
    }

    async fn create_payment(
        &self,
        visitor: &Visitor,
        request: CreateIntentRequest,
    ) -> Result<Checkout, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing
            .create_intent(visitor, caller.as_ref(), request)
            .await
    }

    async fn confirm_payment(
        &self,
        request: ConfirmPaymentRequest,
    ) -> Result<PaymentProgress, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing.confirm(caller.as_ref(), request).await
    }

    async fn payment_history(&self) -> Result<PaymentHistory, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing.history(caller.as_ref()).await
    }

    async fn admin_orders(&self, query: Option<String>) -> Result<OrderList, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing.orders(caller.as_ref(), query.as_deref()).await
    }

    async fn refund_payment(&self, request: RefundRequest) -> Result<OrderView, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing.refund(caller.as_ref(), request).await
    }

    async fn publish_game(
        &self,
        visitor: &Visitor,
        id: &str,
        request: PublishRequest,
    ) -> Result<GameView, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.gallery
            .publish(visitor, caller.as_ref(), id, request)
            .await
    }

    async fn unpublish_game(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        self.gallery.unpublish(visitor, id).await
    }

    async fn gallery(&self, query: GalleryQuery) -> Result<GalleryPage, AppError> {
        self.gallery
            .page(PageParams {
                sort: query.sort,
                theme: query.theme,
                difficulty: query.difficulty,
                cursor: query.cursor,
                limit: query.limit,
            })
            .await
    }

    async fn search_games(&self, q: String) -> Result<GalleryPage, AppError> {
        self.gallery.search(&q).await
    }

    async fn report_game(
        &self,
        visitor: &Visitor,
        code: &str,
        request: ReportRequest,
    ) -> Result<ReportReceived, AppError> {
        let (caller, client) = caller_and_client().await?;
        self.moderation
            .report(visitor, caller.as_ref(), client, code, request)
            .await
    }

    async fn leaderboard(&self, code: &str) -> Result<Leaderboard, AppError> {
        let (_, client) = caller_and_client().await?;
        self.leaderboards.board(code, None, client).await
    }

    async fn game_stats(&self, visitor: &Visitor, id: &str) -> Result<GameStats, AppError> {
        self.analytics.stats(visitor, id, None).await
    }

    async fn moderation_queue(&self) -> Result<ModerationQueue, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.moderation.queue(caller.as_ref()).await
    }

    async fn moderate(&self, item: String, reject: Option<String>) -> Result<(), AppError> {
        let (caller, _) = caller_and_client().await?;
        match reject {
            None => self.moderation.approve(caller.as_ref(), &item).await,
            Some(reason) => {
                self.moderation
                    .reject(
                        caller.as_ref(),
                        &item,
                        ModerationDecision {
                            reason: Some(reason),
                        },
                    )
                    .await
            }
        }
    }

    async fn subscribe(&self, request: SubscribeRequest) -> Result<SubscribeStep, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing.subscribe(caller.as_ref(), request).await
    }

    async fn cancel_subscription(&self) -> Result<SubscriptionView, AppError> {
        let (caller, _) = caller_and_client().await?;
        self.billing.cancel_subscription(caller.as_ref()).await
    }
}

/// Who is asking, and from where, for a server function.
async fn caller_and_client() -> Result<(Option<SignedIn>, Option<IpAddr>), AppError> {
    let (Extension(Caller(caller)), Extension(ClientIp(client))) =
        leptos_axum::extract::<(Extension<Caller>, Extension<ClientIp>)>()
            .await
            .map_err(|e| crate::error::internal("server function's request", e))?;
    Ok((caller, client))
}
