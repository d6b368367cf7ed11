//! Stripe, through async-stripe: customers, card collection (SetupIntents), payment intents,
//! refunds, the subscription's plans and subscriptions. Every call that creates something
//! carries an idempotency key derived from our own row (an order, a refund, an account), so a
//! call retried after a timeout cannot create a second one at Stripe.
//!
//! Only Stripe's ids and statuses come back into our records: card data stays between the
//! browser and Stripe.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::Currency;
use secrecy::ExposeSecret;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::plan::{
    CreatePlan, CreatePlanInlineProductParams, CreatePlanProduct, RetrievePlan,
};
use stripe_billing::subscription::{
    CancelSubscription, CreateSubscription, CreateSubscriptionItems,
};
use stripe_core::customer::{CreateCustomer, UpdateCustomer, UpdateCustomerInvoiceSettings};
use stripe_core::payment_intent::{
    CancelPaymentIntent, ConfirmPaymentIntent, CreatePaymentIntent, RetrievePaymentIntent,
};
use stripe_core::refund::CreateRefund;
use stripe_core::setup_intent::CreateSetupIntent;
use stripe_shared::{PaymentIntent, PaymentIntentStatus, PlanInterval, Subscription};
use uuid::Uuid;

use crate::config::Payments;

/// How long one call to Stripe may take before it counts as unanswered.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The card was declined, or needs something the person must fix: their words.
    #[error("{0}")]
    Declined(String),
    /// Stripe refused the request (a bug of ours, or a state Stripe does not allow).
    #[error("Stripe refused the request: {0}")]
    Refused(String),
    /// Stripe could not be reached or answered something unreadable.
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
}

impl From<StripeError> for GatewayError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Stripe(api, status) => {
                let message = api.message.clone().unwrap_or_else(|| "no message".into());
                let card = matches!(api.type_, stripe::ApiErrorsType::CardError) || status == 402;
                if card {
                    Self::Declined(message)
                } else if status >= 500 || status == 429 {
                    Self::Unreachable(format!("{status}: {message}"))
                } else {
                    Self::Refused(format!("{status}: {message}"))
                }
            }
            StripeError::JSONDeserialize(m) => Self::Unreachable(format!("unreadable answer: {m}")),
            StripeError::ClientError(m) | StripeError::ConfigError(m) => Self::Unreachable(m),
            StripeError::Timeout => Self::Unreachable("timed out".into()),
        }
    }
}

/// A payment intent as we use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    /// What Stripe.js needs to finish a step in the browser (3-D Secure).
    pub client_secret: Option<String>,
    pub status: IntentStatus,
    /// Why the last attempt failed, in Stripe's words.
    pub failure: Option<String>,
}

/// Where a payment intent is, as far as we act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntentStatus {
    /// Waiting for a card (or a new one after a decline).
    NeedsPaymentMethod,
    /// The card's bank wants the person (3-D Secure): Stripe.js finishes it.
    NeedsAction,
    /// Being processed (some payment methods take a while).
    Processing,
    Succeeded,
    Canceled,
}

impl IntentStatus {
    fn of(status: &PaymentIntentStatus) -> Self {
        match status {
            PaymentIntentStatus::Succeeded => Self::Succeeded,
            PaymentIntentStatus::Canceled => Self::Canceled,
            PaymentIntentStatus::RequiresAction => Self::NeedsAction,
            PaymentIntentStatus::Processing
            | PaymentIntentStatus::RequiresCapture
            | PaymentIntentStatus::RequiresConfirmation => Self::Processing,
            _ => Self::NeedsPaymentMethod,
        }
    }
}

impl From<PaymentIntent> for Intent {
    fn from(pi: PaymentIntent) -> Self {
        Self {
            status: IntentStatus::of(&pi.status),
            failure: pi
                .last_payment_error
                .as_ref()
                .and_then(|e| e.message.clone()),
            client_secret: pi.client_secret,
            id: pi.id.as_str().to_owned(),
        }
    }
}

/// A subscription as we use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeSubscription {
    pub id: String,
    pub status: String,
    pub current_period_end: Option<DateTime<Utc>>,
    /// Stripe's `created`, seconds.
    pub created: i64,
}

impl From<Subscription> for StripeSubscription {
    fn from(sub: Subscription) -> Self {
        let period_end = sub
            .items
            .data
            .first()
            .and_then(|item| DateTime::from_timestamp(item.current_period_end, 0));
        Self {
            id: sub.id.as_str().to_owned(),
            status: sub.status.as_str().to_owned(),
            current_period_end: period_end,
            created: sub.created,
        }
    }
}

/// The Stripe account the site sells through.
pub struct Stripe {
    client: Client,
}

impl Stripe {
    /// A client for the configured account; `None` when payments are off.
    pub fn from_config(payments: &Payments) -> anyhow::Result<Option<Self>> {
        let Some(key) = &payments.secret_key else {
            return Ok(None);
        };
        let mut builder = ClientBuilder::new(key.expose_secret()).timeout(CALL_TIMEOUT);
        if let Some(base) = &payments.api_base {
            builder = builder.url(base.as_str());
        }
        let client = builder
            .build()
            .map_err(|e| anyhow::anyhow!("payments: the Stripe client: {e}"))?;
        Ok(Some(Self { client }))
    }

    /// Makes the account's customer at Stripe (once per account: the key is the account).
    pub async fn create_customer(&self, user: Uuid) -> Result<String, GatewayError> {
        let customer = CreateCustomer::new()
            .metadata(metadata(&[("user_id", user.to_string())]))
            .customize()
            .request_strategy(once(&format!("customer-{user}"))?)
            .send(&self.client)
            .await?;
        Ok(customer.id.as_str().to_owned())
    }

    /// Starts collecting a card for `customer`: the browser confirms it with Stripe.js, and
    /// the card is saved to the customer for the payment that follows. `key` names what it is
    /// for (an order, a subscription attempt).
    pub async fn setup_card(&self, customer: &str, key: &str) -> Result<String, GatewayError> {
        let setup = CreateSetupIntent::new()
            .customer(customer)
            .customize()
            .request_strategy(once(&format!("setup-{key}"))?)
            .send(&self.client)
            .await?;
        setup.client_secret.ok_or_else(|| {
            GatewayError::Unreachable("a SetupIntent without a client secret".into())
        })
    }

    /// One attempt to pay an order with the card Stripe.js saved: a payment intent carrying
    /// the order's id (so whichever attempt succeeds pays the order), not yet confirmed.
    /// `attempt` is the idempotency key.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_intent(
        &self,
        order: Uuid,
        customer: &str,
        amount: i64,
        currency: Currency,
        game: Option<Uuid>,
        payment_method: &str,
        attempt: Uuid,
    ) -> Result<Intent, GatewayError> {
        let mut pairs = vec![("order_id", order.to_string())];
        if let Some(game) = game {
            pairs.push(("game_id", game.to_string()));
        }
        let intent = CreatePaymentIntent::new(amount, stripe_currency(currency))
            .customer(customer)
            .payment_method(payment_method)
            .metadata(metadata(&pairs))
            .customize()
            .request_strategy(once(&format!("attempt-{attempt}"))?)
            .send(&self.client)
            .await?;
        Ok(intent.into())
    }

    /// Confirms an attempt: it succeeds, needs 3-D Secure in the browser, or is declined
    /// (then the intent says why).
    pub async fn confirm(&self, intent: &str) -> Result<Intent, GatewayError> {
        match ConfirmPaymentIntent::new(intent).send(&self.client).await {
            Ok(pi) => Ok(pi.into()),
            Err(e) => match GatewayError::from(e) {
                GatewayError::Declined(message) => {
                    let mut current = self.intent(intent).await?;
                    current.failure = Some(message);
                    Ok(current)
                }
                other => Err(other),
            },
        }
    }

    /// Cancels an attempt that will not be used, so it cannot be completed later.
    pub async fn cancel_intent(&self, intent: &str) -> Result<(), GatewayError> {
        CancelPaymentIntent::new(intent).send(&self.client).await?;
        Ok(())
    }

    pub async fn intent(&self, id: &str) -> Result<Intent, GatewayError> {
        Ok(RetrievePaymentIntent::new(id)
            .send(&self.client)
            .await?
            .into())
    }

    /// Refunds `amount` (all of it when `None`) of an intent's payment; the refund's id and
    /// status. `key` names the refund for Stripe's idempotency: asking again with it refunds
    /// nothing more.
    pub async fn refund(
        &self,
        intent: &str,
        amount: Option<i64>,
        key: &str,
    ) -> Result<(String, String), GatewayError> {
        let mut request = CreateRefund::new().payment_intent(intent);
        if let Some(amount) = amount {
            request = request.amount(amount);
        }
        let refund = request
            .customize()
            .request_strategy(once(key)?)
            .send(&self.client)
            .await?;
        let status = refund.status.clone().unwrap_or_else(|| "pending".into());
        Ok((refund.id.as_str().to_owned(), status))
    }

    /// The monthly plan at this price, made at Stripe the first time it is needed. Its id
    /// names currency and amount, so a changed price is a new plan and existing subscribers
    /// keep theirs.
    pub async fn monthly_plan(
        &self,
        currency: Currency,
        amount: i64,
    ) -> Result<String, GatewayError> {
        let id = format!("petpixel-monthly-{currency}-{amount}");
        match RetrievePlan::new(id.as_str()).send(&self.client).await {
            Ok(plan) => return Ok(plan.id.as_str().to_owned()),
            Err(StripeError::Stripe(_, 404)) => {}
            Err(e) => return Err(e.into()),
        }
        // The plan's own product (a fixed product id would collide with the next currency's).
        let product = CreatePlanInlineProductParams::new("PetPixel monthly subscription");
        let created = CreatePlan::new(stripe_currency(currency), PlanInterval::Month)
            .id(id.as_str())
            .amount(amount)
            .product(CreatePlanProduct::InlineProductParams(product))
            .send(&self.client)
            .await;
        match created {
            Ok(plan) => Ok(plan.id.as_str().to_owned()),
            // Another node made it meanwhile (or the product exists): it is there now.
            Err(StripeError::Stripe(_, 400 | 409)) => Ok(RetrievePlan::new(id.as_str())
                .send(&self.client)
                .await?
                .id
                .as_str()
                .to_owned()),
            Err(e) => Err(e.into()),
        }
    }

    /// Subscribes `customer` to `plan`, paying with the card saved by the browser (made the
    /// customer's default for invoices, so renewals use it). `key` is the attempt's id.
    pub async fn subscribe(
        &self,
        customer: &str,
        plan: &str,
        payment_method: &str,
        key: Uuid,
        user: Uuid,
    ) -> Result<StripeSubscription, GatewayError> {
        let mut settings = UpdateCustomerInvoiceSettings::new();
        settings.default_payment_method = Some(payment_method.to_owned());
        UpdateCustomer::new(customer)
            .invoice_settings(settings)
            .send(&self.client)
            .await?;
        let mut item = CreateSubscriptionItems::new();
        item.plan = Some(plan.to_owned());
        let sub = CreateSubscription::new()
            .customer(customer)
            .items(vec![item])
            .metadata(metadata(&[("user_id", user.to_string())]))
            .customize()
            .request_strategy(once(&format!("subscription-{key}"))?)
            .send(&self.client)
            .await?;
        Ok(sub.into())
    }

    /// Ends a subscription now.
    pub async fn cancel_subscription(&self, id: &str) -> Result<StripeSubscription, GatewayError> {
        Ok(CancelSubscription::new(id).send(&self.client).await?.into())
    }
}

fn metadata(pairs: &[(&str, String)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Sent once, with an idempotency key: Stripe answers a repeat with the first answer.
fn once(key: &str) -> Result<RequestStrategy, GatewayError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| GatewayError::Refused(format!("idempotency key {key:?}: {e}")))
}

fn stripe_currency(currency: Currency) -> stripe_types::Currency {
    // Stripe's codes are ours (lower-case ISO 4217); parsing cannot fail.
    currency
        .as_str()
        .parse()
        .unwrap_or(stripe_types::Currency::USD)
}
