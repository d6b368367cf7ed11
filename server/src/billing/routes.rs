//! Payments under `/api/v1/payments` (the design's §2.1.5): the offer, checkout
//! (`create-intent`, `confirm`), refunds, the buyer's history, the subscription, and Stripe's
//! webhook.

use std::sync::Arc;

use app::dto::{
    ApiErrorBody, Checkout, ConfirmPaymentRequest, CreateIntentRequest, OrderList, OrderView,
    PaymentHistory, PaymentOffer, PaymentProgress, RefundRequest, SubscribeRequest, SubscribeStep,
    SubscriptionView,
};
use app::error::AppError;
use app::port::Visitor;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Billing, WebhookError};
use crate::http::error::HttpError;
use crate::http::extract::ValidJson;
use crate::http::visitor::Caller;
use crate::state::AppState;

/// Routes that know the caller.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(offer))
        .routes(routes!(create_intent))
        .routes(routes!(confirm))
        .routes(routes!(refund))
        .routes(routes!(orders))
        .routes(routes!(history))
        .routes(routes!(super::live::events))
        .routes(routes!(subscribe))
        .routes(routes!(cancel_subscription))
}

/// Stripe's webhook: no session, no cookie; the signature is the credential.
pub fn webhook_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(webhook))
}

/// The packages, what each allows and costs, and whether this site takes payments at all.
#[utoipa::path(
    get,
    path = "/payments/offer",
    tag = "payments",
    responses((status = 200, description = "The offer", body = PaymentOffer))
)]
async fn offer(State(billing): State<Arc<Billing>>) -> Json<PaymentOffer> {
    Json(billing.offer())
}

/// Starts (or resumes) paying for one of the caller's games: a game made with a paid package
/// and waiting for its payment, or a free game kept for good with `basic`. The answer carries
/// the order and the secret Stripe.js saves the card with; no card data reaches this server.
#[utoipa::path(
    post,
    path = "/payments/create-intent",
    tag = "payments",
    request_body = CreateIntentRequest,
    responses(
        (status = 200, description = "The order and what Stripe.js needs", body = Checkout),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 404, description = "No such game of the caller's", body = ApiErrorBody),
        (status = 409, description = "Paid already, or started in another currency", body = ApiErrorBody),
        (status = 422, description = "Payments are off, or a package this game cannot be bought with", body = ApiErrorBody),
        (status = 503, description = "Stripe could not be reached; nothing was charged", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn create_intent(
    State(billing): State<Arc<Billing>>,
    Extension(visitor): Extension<Visitor>,
    Extension(Caller(caller)): Extension<Caller>,
    ValidJson(request): ValidJson<CreateIntentRequest>,
) -> Result<Json<Checkout>, HttpError> {
    Ok(Json(
        billing
            .create_intent(&visitor, caller.as_ref(), request)
            .await?,
    ))
}

/// Pays one of the caller's pending orders with the card Stripe.js saved (`pm_…`), or,
/// without one, says how it stands. The game is made once Stripe confirms the payment to the
/// webhook, not on this call's word.
#[utoipa::path(
    post,
    path = "/payments/confirm",
    tag = "payments",
    request_body = ConfirmPaymentRequest,
    responses(
        (status = 200, description = "Where the payment stands: `next` says what the page does", body = PaymentProgress),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 402, description = "The card was declined", body = ApiErrorBody),
        (status = 404, description = "No such order of the caller's", body = ApiErrorBody),
        (status = 422, description = "Payments are off, or not a payment method id", body = ApiErrorBody),
        (status = 503, description = "Stripe could not be reached", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn confirm(
    State(billing): State<Arc<Billing>>,
    Extension(Caller(caller)): Extension<Caller>,
    ValidJson(request): ValidJson<ConfirmPaymentRequest>,
) -> Result<Json<PaymentProgress>, HttpError> {
    Ok(Json(billing.confirm(caller.as_ref(), request).await?))
}

/// Refunds all of a paid order or part of it (admins). The order shows it once Stripe has
/// made the refund.
#[utoipa::path(
    post,
    path = "/payments/refund",
    tag = "payments",
    request_body = RefundRequest,
    responses(
        (status = 200, description = "The order after the refund", body = OrderView),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not an admin", body = ApiErrorBody),
        (status = 404, description = "No such order", body = ApiErrorBody),
        (status = 409, description = "Being refunded already", body = ApiErrorBody),
        (status = 422, description = "Not paid, or more than is left of it", body = ApiErrorBody),
        (status = 503, description = "Stripe could not be reached", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn refund(
    State(billing): State<Arc<Billing>>,
    Extension(Caller(caller)): Extension<Caller>,
    ValidJson(request): ValidJson<RefundRequest>,
) -> Result<Json<OrderView>, HttpError> {
    Ok(Json(billing.refund(caller.as_ref(), request).await?))
}

/// What an admin searches orders by.
#[derive(serde::Deserialize, utoipa::IntoParams)]
struct OrderQuery {
    /// An order id, or a Stripe payment intent (`pi_…`) or invoice (`in_…`) id; absent:
    /// the newest 50 orders that were not canceled.
    q: Option<String>,
}

/// Orders to refund from (admins): the ones an order id or Stripe reference names, or the
/// newest.
#[utoipa::path(
    get,
    path = "/payments/orders",
    tag = "payments",
    params(OrderQuery),
    responses(
        (status = 200, description = "The orders found, newest first", body = OrderList),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 403, description = "Not an admin", body = ApiErrorBody),
        (status = 422, description = "A search longer than any id", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn orders(
    State(billing): State<Arc<Billing>>,
    Extension(Caller(caller)): Extension<Caller>,
    Query(query): Query<OrderQuery>,
) -> Result<Json<OrderList>, HttpError> {
    Ok(Json(
        billing.orders(caller.as_ref(), query.q.as_deref()).await?,
    ))
}

/// The caller's orders (receipts), newest first, their subscription and credits.
#[utoipa::path(
    get,
    path = "/payments/history",
    tag = "payments",
    responses(
        (status = 200, description = "The history", body = PaymentHistory),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn history(
    State(billing): State<Arc<Billing>>,
    Extension(Caller(caller)): Extension<Caller>,
) -> Result<Json<PaymentHistory>, HttpError> {
    Ok(Json(billing.history(caller.as_ref()).await?))
}

/// Subscribes the caller: first without `payment_method` (the answer carries the secret
/// Stripe.js saves a card with), then with the `pm_…` it gave. Its monthly credits arrive
/// with each paid invoice.
#[utoipa::path(
    post,
    path = "/payments/subscriptions/create",
    tag = "payments",
    request_body = SubscribeRequest,
    responses(
        (status = 200, description = "A card to collect, or the subscription", body = SubscribeStep),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 402, description = "The card was declined", body = ApiErrorBody),
        (status = 409, description = "Subscribed already", body = ApiErrorBody),
        (status = 422, description = "Payments are off, or not a payment method id", body = ApiErrorBody),
        (status = 503, description = "Stripe could not be reached", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn subscribe(
    State(billing): State<Arc<Billing>>,
    Extension(Caller(caller)): Extension<Caller>,
    ValidJson(request): ValidJson<SubscribeRequest>,
) -> Result<Json<SubscribeStep>, HttpError> {
    Ok(Json(billing.subscribe(caller.as_ref(), request).await?))
}

/// Ends the caller's subscription now.
#[utoipa::path(
    post,
    path = "/payments/subscriptions/cancel",
    tag = "payments",
    responses(
        (status = 200, description = "The subscription, canceled", body = SubscriptionView),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 404, description = "No subscription to cancel", body = ApiErrorBody),
        (status = 422, description = "Payments are off", body = ApiErrorBody),
        (status = 503, description = "Stripe could not be reached", body = ApiErrorBody),
        (status = 500, description = "Our side failed", body = ApiErrorBody),
    )
)]
async fn cancel_subscription(
    State(billing): State<Arc<Billing>>,
    Extension(Caller(caller)): Extension<Caller>,
) -> Result<Json<SubscriptionView>, HttpError> {
    Ok(Json(billing.cancel_subscription(caller.as_ref()).await?))
}

/// What a webhook delivery did.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Received {
    received: bool,
    outcome: String,
}

/// Stripe's events, signed with the endpoint's secret (`Stripe-Signature`, 300 s
/// tolerance). Each is recorded by id and acted on once; types we do not act on are
/// recorded and acknowledged.
#[utoipa::path(
    post,
    path = "/payments/webhook",
    tag = "payments",
    request_body(content = String, description = "The event, as Stripe sends it", content_type = "application/json"),
    params(("Stripe-Signature" = String, Header, description = "`t=<seconds>,v1=<HMAC-SHA256>`")),
    responses(
        (status = 200, description = "Received (and acted on, or received before)", body = Received),
        (status = 400, description = "A missing, forged or stale signature, or an event that cannot be read; nothing changed", body = ApiErrorBody),
        (status = 404, description = "Payments are off", body = ApiErrorBody),
        (status = 500, description = "Not recorded: Stripe delivers it again", body = ApiErrorBody),
    )
)]
async fn webhook(State(billing): State<Arc<Billing>>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match billing.webhook(&body, signature).await {
        Ok(outcome) => Json(Received {
            received: true,
            outcome,
        })
        .into_response(),
        Err(WebhookError::Off) => HttpError(AppError::NotFound).into_response(),
        Err(e @ (WebhookError::Forged(_) | WebhookError::Unreadable(_))) => {
            let message = e.to_string();
            let body = ApiErrorBody {
                error: app::dto::ApiError {
                    code: "invalid".into(),
                    message,
                    field: Some("Stripe-Signature".into()).filter(|_| e.reason() == "signature"),
                },
            };
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
        Err(WebhookError::Store(e)) => {
            HttpError(crate::error::internal("webhook", e)).into_response()
        }
    }
}
