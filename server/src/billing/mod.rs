//! Packages and payments: what each package allows a game ([`Billing::admit`]), checkout
//! through Stripe (an order, its payment intent, a card saved by Stripe.js and paid here),
//! the subscription and its monthly credits, refunds, the buyer's history — and Stripe's
//! webhooks, which are what actually move an order: a game bought with a package is made when
//! Stripe says its payment succeeded, never on the browser's word.
//!
//! With no Stripe keys configured, payments are off: every package costs nothing.
//! `docs/adr/0014-payments.md` says why it is built this way.

pub mod events;
mod live;
pub mod routes;
pub mod signature;
pub mod store;
pub mod stripe;
pub mod sweep;

use std::sync::Arc;

use app::dto::{
    Checkout, ConfirmPaymentRequest, CreateIntentRequest, OrderList, OrderView, PackageOffer,
    PaymentHistory, PaymentOffer, PaymentProgress, Price, RefundRequest, ReturnedPayment,
    SubscribeRequest, SubscribeStep, SubscriptionView,
};
use app::error::AppError;
use app::port::Visitor;
use chrono::{DateTime, Utc};
use domain::{Currency, GameStatus, OrderStatus, Package};
use secrecy::ExposeSecret;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::accounts::SignedIn;
use crate::accounts::roles::Permission;
use crate::clock::Clock;
use crate::config::Payments;
use crate::error::internal;
use crate::games::store::GameStore;
use crate::infra::changes::{Change, Changes};
use crate::infra::db::StoreError;
use crate::infra::metrics::Metrics;
use store::{Applied, BillingStore, Effect, EventKey, OrderRecord, RefundRecord, Returned};
use stripe::{GatewayError, IntentStatus, Stripe};

/// The most orders the history lists (newest first).
pub const HISTORY_LIMIT: u32 = 200;
/// The longest reason an admin may give for a refund.
pub const MAX_REFUND_REASON_CHARS: usize = 500;
/// The newest orders an admin's list shows.
pub const ADMIN_LIST_LIMIT: u32 = 50;
/// Longer than any id Stripe or we give out.
pub const MAX_REFERENCE_CHARS: usize = 255;
/// The longest payment method id Stripe.js gives.
const MAX_PAYMENT_METHOD_CHARS: usize = 255;

pub struct Billing {
    store: Arc<dyn BillingStore>,
    games: Arc<dyn GameStore>,
    /// `None`: payments are off.
    stripe: Option<Stripe>,
    payments: Payments,
    clock: Clock,
    jobs_queued: Arc<Notify>,
    changes: Changes,
    metrics: Arc<Metrics>,
}

/// How a new game is paid for, decided before it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    pub package: Package,
    /// `Generating`, or `AwaitingPayment` until its order is paid.
    pub status: GameStatus,
    /// The subscriber whose credit the game spends (in the transaction that records it).
    pub spend_credit_of: Option<Uuid>,
}

/// Why a webhook delivery was refused (400) or could not be applied (500: Stripe retries).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("payments are off")]
    Off,
    #[error("signature: {0}")]
    Forged(#[from] signature::SignatureError),
    #[error("unreadable event: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebhookError {
    /// The label `webhook_failures_total` counts it under.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Forged(_) => "signature",
            Self::Unreadable(_) => "unreadable",
            Self::Store(_) => "store",
        }
    }
}

impl Billing {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn BillingStore>,
        games: Arc<dyn GameStore>,
        stripe: Option<Stripe>,
        payments: Payments,
        clock: Clock,
        jobs_queued: Arc<Notify>,
        changes: Changes,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            games,
            stripe,
            payments,
            clock,
            jobs_queued,
            changes,
            metrics,
        }
    }

    pub fn enabled(&self) -> bool {
        self.stripe.is_some()
    }

    /// The packages, what they allow and cost.
    pub fn offer(&self) -> PaymentOffer {
        let enabled = self.enabled();
        let packages = Package::ALL
            .into_iter()
            .map(|package| {
                let allowance = package.allowance();
                let prices = if enabled {
                    Currency::ALL
                        .into_iter()
                        .filter_map(|c| {
                            self.payments
                                .prices
                                .of(package, c)
                                .map(|a| Price::new(c, a))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                PackageOffer {
                    package,
                    label: package.label().to_owned(),
                    max_levels: allowance.max_levels,
                    styles: allowance.styles.map(<[_]>::to_vec),
                    download: allowance.download,
                    expires_after_days: allowance.expires_after_days,
                    new_levels: allowance.new_levels,
                    hires_sprite: allowance.hires_sprite,
                    prices,
                }
            })
            .collect();
        PaymentOffer {
            enabled,
            publishable_key: enabled
                .then(|| self.payments.publishable_key.clone())
                .flatten(),
            stripe_js: enabled.then(|| self.payments.stripe_js.clone()),
            currencies: Currency::ALL.to_vec(),
            default_currency: self.payments.default_currency,
            packages,
            subscription_credits: self.payments.subscription_credits,
        }
    }

    /// How a game asked for with `requested` is paid: at once (free, payments off, or a
    /// subscriber's credit) or once its order is paid. Buying needs an account, where the
    /// receipts are kept.
    pub fn admit(
        &self,
        caller: Option<&SignedIn>,
        requested: Option<Package>,
    ) -> Result<Admission, AppError> {
        let now = |package| Admission {
            package,
            status: GameStatus::Generating,
            spend_credit_of: None,
        };
        if !self.enabled() {
            // Payments are off: every package costs nothing, so the best is the default.
            return Ok(now(requested.unwrap_or(Package::Premium)));
        }
        let package = requested.unwrap_or(Package::Free);
        if package == Package::Free {
            return Ok(now(package));
        }
        let caller = caller.ok_or_else(|| {
            AppError::Unauthorized(format!(
                "sign in to buy the {} package: your purchases and receipts are kept with your \
                 account",
                package.label()
            ))
        })?;
        Ok(match package {
            Package::Subscription => Admission {
                package,
                status: GameStatus::Generating,
                spend_credit_of: Some(caller.id),
            },
            _ => Admission {
                package,
                status: GameStatus::AwaitingPayment,
                spend_credit_of: None,
            },
        })
    }

    /// The words for a subscriber with no credit left.
    pub fn no_credit() -> AppError {
        AppError::PaymentRequired(
            "no subscription credits left: subscribe (or wait for next month's), or buy this \
             game as premium"
                .into(),
        )
    }

    fn stripe(&self) -> Result<&Stripe, AppError> {
        self.stripe.as_ref().ok_or_else(|| {
            AppError::invalid(
                "package",
                "this site takes no payments: every package is free, choose it when you make \
                 the game",
            )
        })
    }

    /// Starts paying for one of the caller's games: the one waiting for its payment, or a
    /// free game kept for good with the basic package. Asking again resumes the same order.
    pub async fn create_intent(
        &self,
        visitor: &Visitor,
        caller: Option<&SignedIn>,
        request: CreateIntentRequest,
    ) -> Result<Checkout, AppError> {
        let stripe = self.stripe()?;
        let caller = signed_in(caller)?;
        let game = self
            .games
            .get(request.game_id)
            .await?
            .filter(|g| visitor.owns(&g.visitor_id))
            .ok_or(AppError::NotFound)?;
        let existing = self.store.order_for_game(game.id).await?;
        if existing
            .as_ref()
            .is_some_and(|o| o.status != OrderStatus::Pending)
        {
            return Err(AppError::Conflict {
                field: "game_id".into(),
                message: "this game is paid for already".into(),
            });
        }
        let package = if game.status == GameStatus::AwaitingPayment {
            let package = request.package.unwrap_or(game.package);
            if package != game.package {
                return Err(AppError::invalid(
                    "package",
                    format!(
                        "this game was made for the {} package: pay for that one",
                        game.package.label()
                    ),
                ));
            }
            package
        } else {
            let package = request.package.unwrap_or(Package::Basic);
            if game.package != Package::Free || package != Package::Basic {
                return Err(AppError::invalid(
                    "package",
                    "a game that is made already can only be kept for good with the basic \
                     package, and only while it is free",
                ));
            }
            package
        };
        // Resumed without a currency (a reloaded page), the order keeps the one it started in.
        let currency = request
            .currency
            .or(existing.as_ref().map(|o| o.currency))
            .unwrap_or(self.payments.default_currency);
        let amount = self
            .payments
            .prices
            .of(package, currency)
            .ok_or_else(|| AppError::invalid("package", "the free package costs nothing"))?;
        let now = self.clock.now();
        let order = match existing {
            Some(order) if order.currency != currency || order.package != package => {
                return Err(AppError::Conflict {
                    field: "currency".into(),
                    message: format!(
                        "this game's payment was started as {} in {}: finish that one",
                        order.package.label(),
                        order.currency.as_str().to_uppercase()
                    ),
                });
            }
            Some(order) => order,
            None => {
                let order = OrderRecord {
                    id: Uuid::new_v4(),
                    user_id: Some(caller.id),
                    package,
                    amount_minor: amount,
                    refunded_minor: 0,
                    currency,
                    status: OrderStatus::Pending,
                    payment_intent: None,
                    subscription: None,
                    invoice: None,
                    game_id: Some(game.id),
                    failure: None,
                    created_at: now,
                    completed_at: None,
                };
                match self.store.insert_order(&order).await {
                    Ok(()) => order,
                    // Another tab started it meanwhile: resume that one.
                    Err(StoreError::Conflict { .. }) => self
                        .store
                        .order_for_game(game.id)
                        .await?
                        .ok_or(AppError::Internal)?,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let customer = self.customer(stripe, caller.id).await?;
        let setup_client_secret = stripe
            .setup_card(&customer, &Uuid::new_v4().to_string())
            .await
            .map_err(gateway)?;
        Ok(Checkout {
            order: order_view(&order),
            setup_client_secret,
            publishable_key: self.publishable_key(),
        })
    }

    /// Pays one of the caller's pending orders with the card Stripe.js saved (or, without
    /// one, says how it stands). The order becomes paid when Stripe's webhook says so.
    pub async fn confirm(
        &self,
        caller: Option<&SignedIn>,
        request: ConfirmPaymentRequest,
    ) -> Result<PaymentProgress, AppError> {
        let stripe = self.stripe()?;
        let caller = signed_in(caller)?;
        let order = self.own_order(caller, request.order_id).await?;
        let progress = |order: &OrderRecord, next: &str| PaymentProgress {
            order: order_view(order),
            next: next.into(),
            client_secret: None,
            message: None,
        };
        match order.status {
            OrderStatus::Pending => {}
            OrderStatus::Canceled => return Ok(progress(&order, "canceled")),
            _ => return Ok(progress(&order, "succeeded")),
        }
        let Some(method) = &request.payment_method else {
            return Ok(progress(&order, "waiting"));
        };
        validate_payment_method(method)?;
        // An attempt still under way (3-D Secure in another tab, a payment processing) is
        // finished, not doubled.
        if let Some(current) = &order.payment_intent {
            let found = stripe.intent(current).await.map_err(gateway)?;
            if found.status != IntentStatus::NeedsPaymentMethod
                && found.status != IntentStatus::Canceled
            {
                return self.progress(&order, found).await;
            }
        }
        let customer = self.customer(stripe, caller.id).await?;
        let attempt = stripe
            .create_intent(
                order.id,
                &customer,
                order.amount_minor,
                order.currency,
                order.game_id,
                method,
                Uuid::new_v4(),
            )
            .await
            .map_err(gateway)?;
        let now = self.clock.now();
        if !self
            .store
            .swap_intent(order.id, order.payment_intent.as_deref(), &attempt.id, now)
            .await?
        {
            // Another attempt started meanwhile: this one is not used.
            let _ = stripe.cancel_intent(&attempt.id).await;
            return Ok(progress(&order, "processing"));
        }
        if let Some(previous) = &order.payment_intent {
            // A declined attempt is closed, so it cannot be completed later.
            if let Err(e) = stripe.cancel_intent(previous).await {
                tracing::info!(intent = %previous, error = %e, "could not cancel a declined attempt");
            }
        }
        let confirmed = stripe.confirm(&attempt.id).await.map_err(gateway)?;
        let order = self
            .store
            .order(order.id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.progress(&order, confirmed).await
    }

    /// What the page does next, from where the order's attempt stands at Stripe.
    async fn progress(
        &self,
        order: &OrderRecord,
        intent: stripe::Intent,
    ) -> Result<PaymentProgress, AppError> {
        let mut answer = PaymentProgress {
            order: order_view(order),
            next: "processing".into(),
            client_secret: None,
            message: None,
        };
        match intent.status {
            IntentStatus::Succeeded => answer.next = "succeeded".into(),
            IntentStatus::NeedsAction => {
                answer.next = "authenticate".into();
                answer.client_secret = intent.client_secret;
            }
            IntentStatus::NeedsPaymentMethod => {
                let message = intent
                    .failure
                    .unwrap_or_else(|| "the card could not be charged: try another".into());
                self.store
                    .apply(
                        None,
                        &Effect::IntentFailed {
                            intent: intent.id.clone(),
                            message: message.clone(),
                        },
                        self.clock.now(),
                    )
                    .await?;
                answer.next = "declined".into();
                answer.message = Some(message);
            }
            IntentStatus::Processing => {}
            IntentStatus::Canceled => answer.next = "canceled".into(),
        }
        Ok(answer)
    }

    /// Refunds all of a paid order, or part of it (admins).
    pub async fn refund(
        &self,
        caller: Option<&SignedIn>,
        request: RefundRequest,
    ) -> Result<OrderView, AppError> {
        let stripe = self.stripe()?;
        let caller = signed_in(caller)?;
        caller.require(Permission::ManagePayments)?;
        let order = self
            .store
            .order(request.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(reason) = &request.reason
            && reason.chars().count() > MAX_REFUND_REASON_CHARS
        {
            return Err(AppError::invalid(
                "reason",
                format!("at most {MAX_REFUND_REASON_CHARS} characters"),
            ));
        }
        let refund = self
            .refund_order(
                stripe,
                &order,
                request.amount_minor,
                request.reason,
                Some(caller.id),
            )
            .await?;
        Ok(order_view(&refund))
    }

    /// Asks Stripe to refund `amount` (what is left when `None`) of `order`, recording the
    /// refund first (its id is the idempotency key).
    async fn refund_order(
        &self,
        stripe: &Stripe,
        order: &OrderRecord,
        amount: Option<i64>,
        reason: Option<String>,
        by: Option<Uuid>,
    ) -> Result<OrderRecord, AppError> {
        if !order.status.is_paid() {
            return Err(AppError::invalid(
                "order_id",
                "only a paid order can be refunded",
            ));
        }
        let Some(intent) = &order.payment_intent else {
            return Err(AppError::invalid(
                "order_id",
                "a subscription's month is refunded from Stripe's dashboard",
            ));
        };
        let left = order.amount_minor - order.refunded_minor;
        let amount = amount.unwrap_or(left);
        if !(1..=left).contains(&amount) {
            return Err(AppError::invalid(
                "amount_minor",
                format!(
                    "refund between {} and {} (what is left of the order)",
                    order.currency.format(1),
                    order.currency.format(left)
                ),
            ));
        }
        let refund = RefundRecord {
            id: Uuid::new_v4(),
            order_id: order.id,
            amount_minor: amount,
            reason,
            requested_by: by,
            stripe_refund_id: None,
            status: "requested".into(),
            created_at: self.clock.now(),
        };
        self.store
            .insert_refund(&refund)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => AppError::Conflict {
                    field: "order_id".into(),
                    message: "this order is being refunded already".into(),
                },
                other => other.into(),
            })?;
        let (stripe_id, status) = stripe
            .refund(intent, Some(amount), &format!("refund-{}", refund.id))
            .await
            .map_err(gateway)?;
        let applied = self
            .store
            .refund_answered(refund.id, &stripe_id, &status, self.clock.now())
            .await?;
        self.after(&applied).await;
        self.store.order(order.id).await?.ok_or(AppError::NotFound)
    }

    /// Orders for an admin to look through (to refund one): those an order id or a Stripe
    /// reference (`pi_…`, `in_…`) names, or without `query` the newest.
    pub async fn orders(
        &self,
        caller: Option<&SignedIn>,
        query: Option<&str>,
    ) -> Result<OrderList, AppError> {
        let caller = signed_in(caller)?;
        caller.require(Permission::ManagePayments)?;
        let query = query.map(str::trim).filter(|q| !q.is_empty());
        let orders = match query {
            None => self.store.recent_orders(ADMIN_LIST_LIMIT).await?,
            Some(q) if q.chars().count() > MAX_REFERENCE_CHARS => {
                return Err(AppError::invalid(
                    "q",
                    format!(
                        "an order id or a Stripe reference (at most {MAX_REFERENCE_CHARS} characters)"
                    ),
                ));
            }
            Some(q) => match Uuid::parse_str(q) {
                Ok(id) => self.store.order(id).await?.into_iter().collect(),
                Err(_) => self.store.orders_by_reference(q).await?,
            },
        };
        Ok(OrderList {
            orders: orders.iter().map(order_view).collect(),
        })
    }

    /// The caller's orders, subscription and credits.
    pub async fn history(&self, caller: Option<&SignedIn>) -> Result<PaymentHistory, AppError> {
        let caller = signed_in(caller)?;
        self.history_of(caller.id, HISTORY_LIMIT).await
    }

    /// Whose history a stream follows, and the notices it follows it by (taken before the
    /// first read, so nothing between the two is missed): each payment, refund, month's
    /// credits or subscription change applied to an account is announced as the account's.
    pub async fn follow_history(
        &self,
        caller: Option<&SignedIn>,
    ) -> Result<(Uuid, broadcast::Receiver<Change>), AppError> {
        let caller = signed_in(caller)?;
        Ok((caller.id, self.changes.subscribe()))
    }

    /// An account's history: its newest `limit` orders and payments given back.
    pub(crate) async fn history_of(
        &self,
        user: Uuid,
        limit: u32,
    ) -> Result<PaymentHistory, AppError> {
        let orders = self.store.orders_of(user, limit).await?;
        let returned = self.store.returned_to(user, limit).await?;
        let account = self.store.account(user).await?;
        let subscription = self.store.subscription_of(user).await?;
        Ok(PaymentHistory {
            orders: orders.iter().map(order_view).collect(),
            subscription: subscription.map(|s| self.subscription_view(&s)),
            credits: account.as_ref().map_or(0, |a| a.credits),
            tier: account.map_or_else(|| "free".into(), |a| a.tier),
            returned: returned.iter().map(returned_view).collect(),
        })
    }

    /// Subscribes the caller: without a card, the secret Stripe.js saves one with; with the
    /// card it saved, the subscription (its credits arrive with its paid invoice).
    pub async fn subscribe(
        &self,
        caller: Option<&SignedIn>,
        request: SubscribeRequest,
    ) -> Result<SubscribeStep, AppError> {
        let stripe = self.stripe()?;
        let caller = signed_in(caller)?;
        if let Some(current) = self.store.subscription_of(caller.id).await?
            && matches!(current.status.as_str(), "active" | "trialing" | "past_due")
        {
            return Err(AppError::Conflict {
                field: "subscription".into(),
                message: "you are subscribed already".into(),
            });
        }
        let currency = request.currency.unwrap_or(self.payments.default_currency);
        let amount = self.payments.prices.subscription.of(currency);
        let customer = self.customer(stripe, caller.id).await?;
        let mut step = SubscribeStep {
            price: Price::new(currency, amount),
            setup_client_secret: None,
            publishable_key: self.publishable_key(),
            subscription: None,
        };
        let Some(method) = request.payment_method else {
            let secret = stripe
                .setup_card(&customer, &Uuid::new_v4().to_string())
                .await
                .map_err(gateway)?;
            step.setup_client_secret = Some(secret);
            return Ok(step);
        };
        validate_payment_method(&method)?;
        let plan = stripe
            .monthly_plan(currency, amount)
            .await
            .map_err(gateway)?;
        let made = stripe
            .subscribe(&customer, &plan, &method, Uuid::new_v4(), caller.id)
            .await
            .map_err(gateway)?;
        let now = self.clock.now();
        self.store
            .insert_subscription(&store::SubscriptionRecord {
                id: made.id.clone(),
                user_id: Some(caller.id),
                status: made.status.clone(),
                currency,
                current_period_end: made.current_period_end,
                status_at: made.created,
                created_at: now,
            })
            .await?;
        let applied = self
            .store
            .apply(
                None,
                &Effect::SubscriptionChanged {
                    id: made.id.clone(),
                    customer,
                    status: made.status.clone(),
                    current_period_end: made.current_period_end,
                    at: made.created,
                },
                now,
            )
            .await?;
        self.after(&applied).await;
        let stored = self.store.subscription_of(caller.id).await?;
        step.subscription = stored.map(|s| self.subscription_view(&s));
        Ok(step)
    }

    /// Ends the caller's subscription now; credits already granted stay until the tier
    /// goes down with it.
    pub async fn cancel_subscription(
        &self,
        caller: Option<&SignedIn>,
    ) -> Result<SubscriptionView, AppError> {
        let stripe = self.stripe()?;
        let caller = signed_in(caller)?;
        let current = self
            .store
            .subscription_of(caller.id)
            .await?
            .filter(|s| s.status != "canceled")
            .ok_or(AppError::NotFound)?;
        let canceled = stripe
            .cancel_subscription(&current.id)
            .await
            .map_err(gateway)?;
        let customer = self.customer(stripe, caller.id).await?;
        let now = self.clock.now();
        let applied = self
            .store
            .apply(
                None,
                &Effect::SubscriptionChanged {
                    id: current.id.clone(),
                    customer,
                    status: canceled.status,
                    current_period_end: canceled.current_period_end,
                    at: now.timestamp().max(current.status_at),
                },
                now,
            )
            .await?;
        self.after(&applied).await;
        let stored = self
            .store
            .subscription_of(caller.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(self.subscription_view(&stored))
    }

    /// A webhook delivery: verified, recorded by id, acted on once. Returns what it did.
    pub async fn webhook(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<String, WebhookError> {
        let result = self.handle_webhook(body, signature).await;
        if let Err(e) = &result {
            self.metrics.webhook_failure(e.reason());
            tracing::warn!(error = %e, "refused a Stripe webhook delivery");
        }
        result
    }

    async fn handle_webhook(
        &self,
        body: &[u8],
        signature_header: Option<&str>,
    ) -> Result<String, WebhookError> {
        let secret = self
            .payments
            .webhook_secret
            .as_ref()
            .ok_or(WebhookError::Off)?;
        if self.stripe.is_none() {
            return Err(WebhookError::Off);
        }
        signature::verify(
            body,
            signature_header,
            secret.expose_secret(),
            self.clock.now(),
        )?;
        let event: events::Event =
            serde_json::from_slice(body).map_err(|e| WebhookError::Unreadable(e.to_string()))?;
        let effect = event
            .effect(self.payments.subscription_credits)
            .map_err(|e| WebhookError::Unreadable(e.to_string()))?;
        let key = EventKey {
            id: &event.id,
            kind: &event.kind,
            created: event.created,
        };
        let applied = self
            .store
            .apply(Some(key), &effect, self.clock.now())
            .await?;
        if !applied.fresh {
            return Ok("received before: nothing done".into());
        }
        tracing::info!(event = %event.id, kind = %event.kind, outcome = %applied.outcome, "Stripe event");
        self.after(&applied).await;
        Ok(applied.outcome)
    }

    /// Tells the worker and open pages what an applied change did, and gives back a payment
    /// that bought nothing (the sweep retries it when Stripe cannot be reached now).
    async fn after(&self, applied: &Applied) {
        if let Some(game) = applied.released {
            self.jobs_queued.notify_one();
            self.changes.game(game).await;
        }
        if let Some(account) = applied.account {
            self.changes.account(account).await;
        }
        if let (Some(intent), Some(stripe)) = (&applied.unearned, &self.stripe)
            && let Err(e) = self.refund_unearned(stripe, intent).await
        {
            tracing::warn!(intent, error = %e, "could not refund an unearned payment yet");
        }
    }

    /// Refunds all of a payment no order was waiting for (see [`Applied::unearned`]).
    pub(crate) async fn refund_unearned(
        &self,
        stripe: &Stripe,
        intent: &str,
    ) -> Result<(), AppError> {
        let (refund, _) = stripe
            .refund(intent, None, &format!("unearned-{intent}"))
            .await
            .map_err(gateway)?;
        tracing::warn!(
            intent,
            refund,
            "refunded a payment for an order that was not waiting for it"
        );
        let owner = self
            .store
            .unearned_refunded(intent, &refund, self.clock.now())
            .await?;
        if let Some(owner) = owner {
            self.changes.account(owner).await;
        }
        Ok(())
    }

    /// The account's Stripe customer, made the first time it pays.
    async fn customer(&self, stripe: &Stripe, user: Uuid) -> Result<String, AppError> {
        if let Some(id) = self.store.customer_of(user).await? {
            return Ok(id);
        }
        let made = stripe.create_customer(user).await.map_err(gateway)?;
        Ok(self
            .store
            .keep_customer(user, &made, self.clock.now())
            .await?)
    }

    async fn own_order(&self, caller: &SignedIn, id: Uuid) -> Result<OrderRecord, AppError> {
        self.store
            .order(id)
            .await?
            .filter(|o| o.user_id == Some(caller.id))
            .ok_or(AppError::NotFound)
    }

    /// The origins pages must allow for Stripe.js while payments are on: where it loads from,
    /// Stripe's API and 3-D Secure frames (or the configured stand-in's).
    pub fn origins(&self) -> Vec<String> {
        if !self.enabled() {
            return Vec::new();
        }
        let mut origins = Vec::new();
        for url in [
            Some(self.payments.stripe_js.as_str()),
            self.payments.api_base.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(origin) = origin_of(url)
                && !origins.contains(&origin)
            {
                origins.push(origin);
            }
        }
        if self.payments.api_base.is_none() {
            // Stripe.js calls Stripe's API and frames 3-D Secure from hooks.stripe.com.
            origins.push("https://api.stripe.com".into());
            origins.push("https://hooks.stripe.com".into());
        }
        origins
    }

    fn publishable_key(&self) -> String {
        self.payments.publishable_key.clone().unwrap_or_default()
    }

    fn subscription_view(&self, sub: &store::SubscriptionRecord) -> SubscriptionView {
        SubscriptionView {
            id: sub.id.clone(),
            status: sub.status.clone(),
            price: Price::new(
                sub.currency,
                self.payments.prices.subscription.of(sub.currency),
            ),
            current_period_end: sub.current_period_end.map(rfc3339),
        }
    }

    pub(crate) fn store(&self) -> &dyn BillingStore {
        self.store.as_ref()
    }

    pub(crate) fn gateway(&self) -> Option<&Stripe> {
        self.stripe.as_ref()
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn payments(&self) -> &Payments {
        &self.payments
    }
}

/// `scheme://host[:port]` of a URL; `None` for anything else.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let safe = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (matches!(scheme, "http" | "https") && safe).then(|| format!("{scheme}://{host}"))
}

/// What an account has of payments: its receipts are exported with its data; its
/// subscription ends with it. Orders outlive it unlinked (bookkeeping), and its Stripe
/// customer goes with its row.
#[async_trait::async_trait]
impl crate::accounts::Belongings for Billing {
    fn kind(&self) -> &'static str {
        "payments"
    }

    /// Only accounts buy: an anonymous visitor has nothing to hand over.
    async fn hand_over(&self, _from: &Visitor, _to: &Visitor) -> Result<u64, AppError> {
        Ok(0)
    }

    /// `payments.json`: receipts, subscription and credits.
    async fn export(
        &self,
        owner: &Visitor,
        zip: &mut crate::accounts::export::Export,
    ) -> Result<(), AppError> {
        let Ok(user) = Uuid::parse_str(&owner.0) else {
            return Ok(());
        };
        let history = self.history_of(user, u32::MAX).await?;
        zip.add_json("payments.json", &history).await
    }

    /// A subscription still running is ended at Stripe first: deleting the account must not
    /// leave it charging. Should Stripe not answer, the account stays whole.
    async fn erasable(&self, owner: &Visitor) -> Result<(), AppError> {
        let Ok(user) = Uuid::parse_str(&owner.0) else {
            return Ok(());
        };
        let running = self
            .store
            .subscription_of(user)
            .await?
            .filter(|s| !matches!(s.status.as_str(), "canceled" | "incomplete_expired"));
        if let (Some(sub), Some(stripe)) = (running, &self.stripe) {
            stripe.cancel_subscription(&sub.id).await.map_err(gateway)?;
        }
        Ok(())
    }

    /// The rows go with the account's: orders and subscriptions are unlinked, the customer
    /// deleted (foreign keys).
    async fn erase(&self, _owner: &Visitor) -> Result<u64, AppError> {
        Ok(0)
    }
}

fn signed_in(caller: Option<&SignedIn>) -> Result<&SignedIn, AppError> {
    caller.ok_or_else(|| AppError::Unauthorized("sign in to pay".into()))
}

/// A Stripe.js payment method id: `pm_…` (or a legacy `card_…`), letters, digits, `_`.
fn validate_payment_method(id: &str) -> Result<(), AppError> {
    let body = id.strip_prefix("pm_").or_else(|| id.strip_prefix("card_"));
    let shaped = id.len() <= MAX_PAYMENT_METHOD_CHARS
        && body.is_some_and(|b| {
            !b.is_empty() && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        });
    if shaped {
        Ok(())
    } else {
        Err(AppError::invalid(
            "payment_method",
            "not a payment method id from Stripe.js (pm_…)",
        ))
    }
}

/// What a failed call to Stripe means to the person paying.
fn gateway(e: GatewayError) -> AppError {
    match e {
        GatewayError::Declined(message) => AppError::PaymentRequired(message),
        GatewayError::Unreachable(detail) => {
            tracing::error!(%detail, "Stripe could not be reached");
            AppError::Unavailable(
                "the payment service could not be reached: nothing was charged, try again in a \
                 minute"
                    .into(),
            )
        }
        GatewayError::Refused(detail) => internal("Stripe refused a request", detail),
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An order as its buyer sees it.
fn returned_view(returned: &Returned) -> ReturnedPayment {
    ReturnedPayment {
        order_id: returned.order_id,
        amount: Price::new(returned.currency, returned.amount_minor),
        reference: returned.payment_intent.clone(),
        received_at: rfc3339(returned.created_at),
        refunded_at: returned.refunded_at.map(rfc3339),
    }
}

pub fn order_view(order: &OrderRecord) -> OrderView {
    OrderView {
        id: order.id,
        package: order.package,
        label: order.package.label().to_owned(),
        amount: Price::new(order.currency, order.amount_minor),
        refunded: Price::new(order.currency, order.refunded_minor),
        status: order.status,
        game_id: order.game_id,
        created_at: rfc3339(order.created_at),
        completed_at: order.completed_at.map(rfc3339),
        failure: order.failure.clone(),
        reference: order
            .invoice
            .clone()
            .or_else(|| order.payment_intent.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host_only() {
        assert_eq!(
            origin_of("https://js.stripe.com/v3/").as_deref(),
            Some("https://js.stripe.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3160/js.stripe.com/v3/").as_deref(),
            Some("http://127.0.0.1:3160")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://evil.com; script-src *"), None);
        assert_eq!(origin_of("ftp://x"), None);
    }

    #[test]
    fn only_stripe_payment_method_ids_are_taken() {
        assert!(validate_payment_method("pm_1AbC23").is_ok());
        assert!(validate_payment_method("card_9z").is_ok());
        for bad in [
            "",
            "pm_",
            "4242 4242 4242 4242",
            "pm_1;DROP",
            "tok_123",
            &"pm_x".repeat(80),
        ] {
            assert!(validate_payment_method(bad).is_err(), "{bad}");
        }
    }
}
