//! Where orders, webhook events, Stripe customers, subscriptions and refunds are recorded, for
//! both engines. Every change a Stripe event makes is applied in the transaction that records
//! the event, so an event is acted on exactly once however often, in whatever order and on
//! however many nodes it arrives; and an order only moves forwards.

use chrono::{DateTime, Utc};
use domain::{Currency, OrderStatus, Package, PipelineStage};
use uuid::Uuid;

use crate::infra::db::{Db, Id, StoreError, each_engine, map_unique, parse_named};

/// An order as stored: a one-off package for a game, or a month of a subscription (one per
/// paid invoice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: Uuid,
    /// `None` once the account was erased (the receipt is kept).
    pub user_id: Option<Uuid>,
    pub package: Package,
    pub amount_minor: i64,
    pub refunded_minor: i64,
    pub currency: Currency,
    pub status: OrderStatus,
    pub payment_intent: Option<String>,
    pub subscription: Option<String>,
    pub invoice: Option<String>,
    pub game_id: Option<Uuid>,
    /// Why the last attempt to pay failed.
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A subscription as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub id: String,
    pub user_id: Option<Uuid>,
    /// Stripe's status: `incomplete`, `active`, `past_due`, `canceled`, ...
    pub status: String,
    pub currency: Currency,
    pub current_period_end: Option<DateTime<Utc>>,
    /// The `created` (seconds) of the event the status came from.
    pub status_at: i64,
    pub created_at: DateTime<Utc>,
}

/// What an account has of the subscription: `users.subscription_tier`,
/// `subscription_status` and `credits_remaining`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingAccount {
    pub tier: String,
    pub status: String,
    pub credits: u32,
}

/// A refund asked of Stripe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount_minor: i64,
    pub reason: Option<String>,
    /// The admin who asked; `None`: automatic (a paid game that failed for good).
    pub requested_by: Option<Uuid>,
    pub stripe_refund_id: Option<String>,
    /// `requested`, then Stripe's status (`succeeded`, `pending`, `failed`).
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// What `/metrics` reports of payments, read from the shared store at scrape time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaymentTallies {
    pub attempted: u64,
    pub successful: u64,
    pub refunds: u64,
}

/// A webhook event's identity, recorded so a redelivery is a no-op.
#[derive(Clone, Copy, Debug)]
pub struct EventKey<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    /// Stripe's `created`, seconds since the epoch.
    pub created: i64,
}

/// What a Stripe event (or a reconciliation lookup) says happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// A payment intent succeeded: its order is paid.
    IntentSucceeded {
        intent: String,
        order: Option<Uuid>,
    },
    /// An attempt to pay failed (a declined card); the order stays pending for another try.
    IntentFailed {
        intent: String,
        message: String,
    },
    IntentCanceled {
        intent: String,
    },
    /// Stripe has refunded `total` of the intent's payment so far.
    Refunded {
        intent: String,
        total: i64,
    },
    /// A subscription's invoice was paid: a month's order and its credits.
    InvoicePaid {
        invoice: String,
        subscription: String,
        customer: String,
        amount: i64,
        currency: Currency,
        credits: u32,
        at: i64,
    },
    /// A subscription's status as of event time `at`.
    SubscriptionChanged {
        id: String,
        customer: String,
        status: String,
        current_period_end: Option<DateTime<Utc>>,
        at: i64,
    },
    /// An event we record and do not act on.
    Nothing,
}

/// What applying an effect did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// False: the event was recorded before (a redelivery) and nothing was done.
    pub fresh: bool,
    /// What was done, in words, as recorded with the event.
    pub outcome: String,
    /// A game whose payment arrived: its job was queued.
    pub released: Option<Uuid>,
    /// An order that changed.
    pub order: Option<Uuid>,
    /// The account whose payments, subscription or credits this touched: its payments
    /// pages are told.
    pub account: Option<Uuid>,
    /// A payment intent that succeeded for an order not waiting for it (paid already by
    /// another attempt, or canceled with its game): recorded, to be refunded in full.
    pub unearned: Option<String>,
}

#[async_trait::async_trait]
pub trait BillingStore: Send + Sync + 'static {
    /// Records a new order; `Conflict { field: "game_id" }` when the game has an order that
    /// is not canceled.
    async fn insert_order(&self, order: &OrderRecord) -> Result<(), StoreError>;
    /// Makes `new` the pending order's current attempt, if its attempt is still `old`; false
    /// when another attempt took its place meanwhile (or the order moved on).
    async fn swap_intent(
        &self,
        order: Uuid,
        old: Option<&str>,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn order(&self, id: Uuid) -> Result<Option<OrderRecord>, StoreError>;
    /// The game's order that is not canceled.
    async fn order_for_game(&self, game: Uuid) -> Result<Option<OrderRecord>, StoreError>;
    /// The account's orders, newest first.
    async fn orders_of(&self, user: Uuid, limit: u32) -> Result<Vec<OrderRecord>, StoreError>;
    /// Everyone's orders, newest first, leaving out the canceled (what admins look through).
    async fn recent_orders(&self, limit: u32) -> Result<Vec<OrderRecord>, StoreError>;
    /// The orders a Stripe payment intent or invoice id names.
    async fn orders_by_reference(&self, reference: &str) -> Result<Vec<OrderRecord>, StoreError>;
    /// Orders with a payment intent still pending since before `before`, oldest first.
    async fn pending_before(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError>;
    /// Paid orders whose game failed for good and that no refund was asked for yet.
    async fn failed_paid_orders(&self, limit: u32) -> Result<Vec<OrderRecord>, StoreError>;
    /// Applies `effect` once: with `event`, only if that event was not recorded before (the
    /// event is recorded with what it did, in the same transaction).
    async fn apply(
        &self,
        event: Option<EventKey<'_>>,
        effect: &Effect,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError>;
    /// The outcome recorded with an event, if it was received.
    async fn event_outcome(&self, id: &str) -> Result<Option<String>, StoreError>;
    async fn customer_of(&self, user: Uuid) -> Result<Option<String>, StoreError>;
    /// Keeps `customer` as the account's Stripe customer unless it has one; returns the one
    /// kept (the first of two racing).
    async fn keep_customer(
        &self,
        user: Uuid,
        customer: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError>;
    async fn insert_subscription(&self, sub: &SubscriptionRecord) -> Result<(), StoreError>;
    /// The account's newest subscription.
    async fn subscription_of(&self, user: Uuid) -> Result<Option<SubscriptionRecord>, StoreError>;
    async fn account(&self, user: Uuid) -> Result<Option<BillingAccount>, StoreError>;
    async fn insert_refund(&self, refund: &RefundRecord) -> Result<(), StoreError>;
    /// Records Stripe's answer to a refund, and the order's refunded total with it.
    async fn refund_answered(
        &self,
        id: Uuid,
        stripe_refund_id: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError>;
    async fn refunds_of(&self, order: Uuid) -> Result<Vec<RefundRecord>, StoreError>;
    async fn tallies(&self) -> Result<PaymentTallies, StoreError>;
    /// Unearned payments (see [`Applied::unearned`]) not refunded yet, oldest first.
    async fn unearned_open(&self, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Records an unearned payment's refund; returns the account that paid it.
    async fn unearned_refunded(
        &self,
        intent: &str,
        stripe_refund_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError>;
    /// The account's unearned payments (refunded, or being refunded), newest first.
    async fn returned_to(&self, user: Uuid, limit: u32) -> Result<Vec<Returned>, StoreError>;
}

/// A payment that bought nothing, given back (see [`Applied::unearned`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returned {
    pub payment_intent: String,
    pub order_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: Currency,
    pub created_at: DateTime<Utc>,
    /// `None` while the refund has not reached Stripe (the sweep retries it).
    pub refunded_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ReturnedRow {
    payment_intent: String,
    order_id: Option<Id>,
    amount_minor: i64,
    currency: String,
    created_at: DateTime<Utc>,
    refunded_at: Option<DateTime<Utc>>,
}

impl TryFrom<ReturnedRow> for Returned {
    type Error = StoreError;

    fn try_from(row: ReturnedRow) -> Result<Self, StoreError> {
        Ok(Self {
            payment_intent: row.payment_intent,
            order_id: row.order_id.map(Into::into),
            amount_minor: row.amount_minor,
            currency: parse_named(&row.currency)?,
            created_at: row.created_at,
            refunded_at: row.refunded_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Id,
    user_id: Option<Id>,
    package_type: String,
    amount_minor: i64,
    refunded_minor: i64,
    currency: String,
    status: String,
    stripe_payment_intent_id: Option<String>,
    stripe_subscription_id: Option<String>,
    stripe_invoice_id: Option<String>,
    game_id: Option<Id>,
    failure: Option<String>,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl TryFrom<OrderRow> for OrderRecord {
    type Error = StoreError;

    fn try_from(row: OrderRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id.into(),
            user_id: row.user_id.map(Into::into),
            package: parse_named(&row.package_type)?,
            amount_minor: row.amount_minor,
            refunded_minor: row.refunded_minor,
            currency: parse_named(&row.currency)?,
            status: parse_named(&row.status)?,
            payment_intent: row.stripe_payment_intent_id,
            subscription: row.stripe_subscription_id,
            invoice: row.stripe_invoice_id,
            game_id: row.game_id.map(Into::into),
            failure: row.failure,
            created_at: row.created_at,
            completed_at: row.completed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: String,
    user_id: Option<Id>,
    status: String,
    currency: String,
    current_period_end: Option<DateTime<Utc>>,
    status_at: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<SubscriptionRow> for SubscriptionRecord {
    type Error = StoreError;

    fn try_from(row: SubscriptionRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            user_id: row.user_id.map(Into::into),
            status: row.status,
            currency: parse_named(&row.currency)?,
            current_period_end: row.current_period_end,
            status_at: row.status_at,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: Id,
    order_id: Id,
    amount_minor: i64,
    reason: Option<String>,
    requested_by: Option<Id>,
    stripe_refund_id: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
}

impl From<RefundRow> for RefundRecord {
    fn from(row: RefundRow) -> Self {
        Self {
            id: row.id.into(),
            order_id: row.order_id.into(),
            amount_minor: row.amount_minor,
            reason: row.reason,
            requested_by: row.requested_by.map(Into::into),
            stripe_refund_id: row.stripe_refund_id,
            status: row.status,
            created_at: row.created_at,
        }
    }
}

/// An order's columns, as every read selects them.
macro_rules! order_select {
    ($where:literal) => {
        concat!(
            "SELECT id, user_id, package_type, amount_minor, refunded_minor, currency, status, ",
            "stripe_payment_intent_id, stripe_subscription_id, stripe_invoice_id, game_id, ",
            "failure, created_at, completed_at FROM orders WHERE ",
            $where
        )
    };
}

/// Statements other capabilities run inside their own transactions.
pub(crate) mod shared {
    /// Spends one of a subscriber's credits on a new game ($1 the account): no row when none
    /// is left or the subscription lapsed.
    pub const SPEND_CREDIT: &str = "UPDATE users SET credits_remaining = credits_remaining - 1 \
        WHERE id = $1 AND credits_remaining > 0 AND subscription_tier = 'subscription' \
        RETURNING CAST(credits_remaining AS BIGINT)";
    /// A game being deleted ($1) stops its order waiting for a payment ($2 now).
    pub const CANCEL_GAME_ORDER: &str = "UPDATE orders SET status = 'canceled', updated_at = $2 \
        WHERE game_id = $1 AND status = 'pending'";
}

mod sql {
    pub const INSERT_ORDER: &str = "INSERT INTO orders (id, user_id, package_type, amount_minor, \
        refunded_minor, currency, status, stripe_payment_intent_id, stripe_subscription_id, \
        stripe_invoice_id, game_id, failure, created_at, completed_at, updated_at) VALUES ($1, \
        $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13)";
    pub const SWAP_INTENT: &str = "UPDATE orders SET stripe_payment_intent_id = $3, failure = \
        NULL, updated_at = $4 WHERE id = $1 AND status = 'pending' AND \
        (stripe_payment_intent_id = $2 OR (stripe_payment_intent_id IS NULL AND $2 IS NULL))";
    pub const BY_ID: &str = order_select!("id = $1");
    pub const BY_INTENT: &str = order_select!("stripe_payment_intent_id = $1");
    pub const FOR_GAME: &str = order_select!("game_id = $1 AND status <> 'canceled'");
    pub const OF_USER: &str =
        order_select!("user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
    pub const RECENT: &str =
        order_select!("status <> 'canceled' ORDER BY created_at DESC, id DESC LIMIT $1");
    pub const BY_REFERENCE: &str = order_select!(
        "stripe_payment_intent_id = $1 OR stripe_invoice_id = $1 ORDER BY created_at DESC LIMIT 10"
    );
    pub const PENDING_BEFORE: &str = order_select!(
        "status = 'pending' AND stripe_payment_intent_id IS NOT NULL AND created_at < $1 \
         ORDER BY created_at LIMIT $2"
    );
    pub const FAILED_PAID: &str = order_select!(
        "status = 'paid' AND game_id IN (SELECT id FROM games WHERE status = 'failed') \
         AND id NOT IN (SELECT order_id FROM refunds) ORDER BY created_at LIMIT $1"
    );
    pub const RECORD_EVENT: &str = "INSERT INTO stripe_events (id, event_type, created, \
        outcome, received_at) VALUES ($1, $2, $3, '', $4) ON CONFLICT (id) DO NOTHING";
    pub const EVENT_OUTCOME: &str = "UPDATE stripe_events SET outcome = $2 WHERE id = $1";
    pub const OUTCOME_OF: &str = "SELECT outcome FROM stripe_events WHERE id = $1";
    /// Pays a pending order, found by the succeeding intent or by the order id every attempt
    /// carries; the intent that paid becomes the order's (refunds go to it).
    pub const PAY: &str = "UPDATE orders SET status = 'paid', stripe_payment_intent_id = $1, \
        failure = NULL, completed_at = $3, updated_at = $3 WHERE status = 'pending' AND \
        (stripe_payment_intent_id = $1 OR id = $2)";
    pub const PAY_ID: &str = "SELECT id FROM orders WHERE stripe_payment_intent_id = $1 OR \
        id = $2 ORDER BY CASE WHEN stripe_payment_intent_id = $1 THEN 0 ELSE 1 END LIMIT 1";
    pub const FAIL: &str = "UPDATE orders SET failure = $2, updated_at = $3 \
        WHERE stripe_payment_intent_id = $1 AND status = 'pending'";
    pub const CANCEL: &str = "UPDATE orders SET status = 'canceled', updated_at = $2 \
        WHERE stripe_payment_intent_id = $1 AND status = 'pending'";
    /// Raises the refunded total; a total at or above the amount refunds the order. Totals
    /// only grow, so events arriving out of order settle on the largest.
    pub const REFUND: &str = "UPDATE orders SET refunded_minor = $2, status = CASE WHEN $2 >= \
        amount_minor THEN 'refunded' ELSE 'partially_refunded' END, completed_at = \
        COALESCE(completed_at, $3), updated_at = $3 WHERE stripe_payment_intent_id = $1 AND \
        refunded_minor < $2 AND status IN ('pending', 'paid', 'partially_refunded')";
    /// A game bought (or upgraded) by a paid order takes its package and stops expiring.
    pub const GAME_PACKAGE: &str = "UPDATE games SET package_type = $2, expires_at = NULL \
        WHERE id = $1 AND package_type <> $2";
    /// A game waiting for its payment starts being made.
    pub const RELEASE_GAME: &str = "UPDATE games SET status = 'generating' \
        WHERE id = $1 AND status = 'awaiting_payment'";
    pub const INSERT_INVOICE_ORDER: &str = "INSERT INTO orders (id, user_id, package_type, \
        amount_minor, refunded_minor, currency, status, stripe_subscription_id, \
        stripe_invoice_id, created_at, completed_at, updated_at) VALUES ($1, $2, \
        'subscription', $3, 0, $4, 'paid', $5, $6, $7, $7, $7) \
        ON CONFLICT (stripe_invoice_id) DO NOTHING";
    pub const ADD_CREDITS: &str = "UPDATE users SET credits_remaining = credits_remaining + $2, \
        updated_at = $3 WHERE id = $1";
    pub const USER_OF_CUSTOMER: &str =
        "SELECT user_id FROM billing_customers WHERE stripe_customer_id = $1";
    pub const CUSTOMER_OF: &str =
        "SELECT stripe_customer_id FROM billing_customers WHERE user_id = $1";
    pub const KEEP_CUSTOMER: &str = "INSERT INTO billing_customers (user_id, stripe_customer_id, \
        created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING";
    pub const INSERT_SUBSCRIPTION: &str = "INSERT INTO subscriptions (id, user_id, status, \
        currency, current_period_end, status_at, created_at, updated_at) VALUES ($1, $2, $3, \
        $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING";
    /// A newer status replaces an older one; `canceled` is final.
    pub const SUBSCRIPTION_STATUS: &str = "UPDATE subscriptions SET status = $2, status_at = $3, \
        current_period_end = COALESCE($4, current_period_end), updated_at = $5 \
        WHERE id = $1 AND status_at <= $3 AND status <> 'canceled'";
    pub const SUBSCRIPTION_BY_ID: &str = "SELECT id, user_id, status, currency, \
        current_period_end, status_at, created_at FROM subscriptions WHERE id = $1";
    pub const SUBSCRIPTION_OF: &str = "SELECT id, user_id, status, currency, \
        current_period_end, status_at, created_at FROM subscriptions WHERE user_id = $1 \
        ORDER BY created_at DESC LIMIT 1";
    pub const NEWEST_SUBSCRIPTION: &str = "SELECT id FROM subscriptions WHERE user_id = $1 \
        ORDER BY created_at DESC, status_at DESC LIMIT 1";
    /// The account's tier follows its newest subscription's status.
    pub const SET_TIER: &str = "UPDATE users SET subscription_tier = $2, subscription_status = \
        $3, updated_at = $4 WHERE id = $1";
    pub const ACCOUNT: &str = "SELECT subscription_tier, subscription_status, \
        CAST(credits_remaining AS BIGINT) FROM users WHERE id = $1";
    pub const INSERT_REFUND: &str = "INSERT INTO refunds (id, order_id, amount_minor, reason, \
        requested_by, status, created_at) VALUES ($1, $2, $3, $4, $5, 'requested', $6)";
    pub const REFUND_ANSWERED: &str = "UPDATE refunds SET stripe_refund_id = $2, status = $3 \
        WHERE id = $1";
    pub const REFUND_BY_ID: &str = "SELECT id, order_id, amount_minor, reason, requested_by, \
        stripe_refund_id, status, created_at FROM refunds WHERE id = $1";
    pub const REFUNDS_OF: &str = "SELECT id, order_id, amount_minor, reason, requested_by, \
        stripe_refund_id, status, created_at FROM refunds WHERE order_id = $1 \
        ORDER BY created_at";
    pub const TALLIES: &str = "SELECT \
        (SELECT COUNT(*) FROM orders WHERE stripe_payment_intent_id IS NOT NULL \
            OR stripe_invoice_id IS NOT NULL), \
        (SELECT COUNT(*) FROM orders WHERE status IN ('paid', 'partially_refunded', 'refunded')), \
        (SELECT COUNT(*) FROM refunds WHERE status = 'succeeded') + \
        (SELECT COUNT(*) FROM unearned_payments WHERE refunded_at IS NOT NULL)";
    pub const RECORD_UNEARNED: &str = "INSERT INTO unearned_payments (payment_intent, order_id, \
        created_at) VALUES ($1, $2, $3) ON CONFLICT (payment_intent) DO NOTHING";
    pub const UNEARNED_OPEN: &str = "SELECT payment_intent FROM unearned_payments \
        WHERE refunded_at IS NULL ORDER BY created_at LIMIT $1";
    pub const UNEARNED_REFUNDED: &str = "UPDATE unearned_payments SET stripe_refund_id = $2, \
        refunded_at = $3 WHERE payment_intent = $1";
    pub const UNEARNED_OWNER: &str = "SELECT o.user_id FROM unearned_payments u \
        JOIN orders o ON o.id = u.order_id WHERE u.payment_intent = $1";
    /// An attempt carries its order's amount: what the unearned payment took.
    pub const RETURNED_TO: &str = "SELECT u.payment_intent, u.order_id, o.amount_minor, \
        o.currency, u.created_at, u.refunded_at FROM unearned_payments u \
        JOIN orders o ON o.id = u.order_id WHERE o.user_id = $1 \
        ORDER BY u.created_at DESC, u.payment_intent LIMIT $2";
    /// What the order's succeeded refunds add up to.
    pub const REFUNDED_TOTAL: &str = "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) \
        FROM refunds WHERE order_id = $1 AND status = 'succeeded'";
}

/// Whether a subscription in `status` gives its account the subscriber's tier.
pub fn status_grants_tier(status: &str) -> bool {
    matches!(status, "active" | "trialing")
}

/// Inside an `apply` transaction: the account whose order has this payment intent, if any.
macro_rules! owner_of_intent {
    ($tx:ident, $intent:expr) => {{
        let row: Option<OrderRow> = sqlx::query_as(sql::BY_INTENT)
            .bind($intent)
            .fetch_optional(&mut *$tx)
            .await?;
        row.map(OrderRecord::try_from)
            .transpose()?
            .and_then(|o| o.user_id)
    }};
}

/// Inside an `apply` transaction: a paid order's game takes its package (a free game kept for
/// good stops expiring), and a game waiting for this payment is queued to be made. Evaluates
/// to the game queued, if any.
macro_rules! settle_game {
    ($tx:ident, $order:expr, $now:expr) => {{
        let order: &OrderRecord = $order;
        let mut released = None;
        if let (true, Some(game)) = (order.status.is_paid(), order.game_id) {
            sqlx::query(sql::GAME_PACKAGE)
                .bind(Id(game))
                .bind(order.package.as_str())
                .execute(&mut *$tx)
                .await?;
            let waiting = sqlx::query(sql::RELEASE_GAME)
                .bind(Id(game))
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            if waiting == 1 {
                sqlx::query(crate::games::store::sql::QUEUE_JOB)
                    .bind(Id(game))
                    .bind(PipelineStage::RemoveBackground.as_str())
                    .bind($now.timestamp_millis())
                    .execute(&mut *$tx)
                    .await?;
                released = Some(game);
            }
        }
        released
    }};
}

/// Inside an `apply` transaction: a subscription's status as of event time `$at`, unless a
/// newer one (or `canceled`, which is final) is recorded; the account's tier follows its newest
/// subscription. Evaluates to whether the status was taken.
macro_rules! subscription_status {
    ($tx:ident, $sub:expr, $user:expr, $status:expr, $period_end:expr, $at:expr, $currency:expr, $now:expr) => {{
        let status: &str = $status;
        let updated = sqlx::query(sql::SUBSCRIPTION_STATUS)
            .bind($sub)
            .bind(status)
            .bind($at)
            .bind($period_end)
            .bind($now)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        let taken = updated == 1
            || sqlx::query(sql::INSERT_SUBSCRIPTION)
                .bind($sub)
                .bind($user)
                .bind(status)
                .bind($currency.as_str())
                .bind($period_end)
                .bind($at)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                == 1;
        if taken {
            let newest: Option<String> = sqlx::query_scalar(sql::NEWEST_SUBSCRIPTION)
                .bind($user)
                .fetch_optional(&mut *$tx)
                .await?;
            if newest.as_deref() == Some(AsRef::<str>::as_ref($sub)) {
                let tier = if status_grants_tier(status) {
                    "subscription"
                } else {
                    "free"
                };
                sqlx::query(sql::SET_TIER)
                    .bind($user)
                    .bind(tier)
                    .bind(status)
                    .bind($now)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        taken
    }};
}

#[async_trait::async_trait]
impl BillingStore for Db {
    async fn insert_order(&self, order: &OrderRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT_ORDER)
                .bind(Id(order.id))
                .bind(order.user_id.map(Id))
                .bind(order.package.as_str())
                .bind(order.amount_minor)
                .bind(order.refunded_minor)
                .bind(order.currency.as_str())
                .bind(order.status.as_str())
                .bind(&order.payment_intent)
                .bind(&order.subscription)
                .bind(&order.invoice)
                .bind(order.game_id.map(Id))
                .bind(&order.failure)
                .bind(order.created_at)
                .bind(order.completed_at)
                .execute(pool)
                .await
                .map_err(|e| map_unique(e, "game_id"))?;
        });
        Ok(())
    }

    async fn swap_intent(
        &self,
        order: Uuid,
        old: Option<&str>,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = each_engine!(self, pool => sqlx::query(sql::SWAP_INTENT)
            .bind(Id(order))
            .bind(old)
            .bind(new)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    async fn order(&self, id: Uuid) -> Result<Option<OrderRecord>, StoreError> {
        let row: Option<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::BY_ID)
            .bind(Id(id))
            .fetch_optional(pool)
            .await?);
        row.map(OrderRecord::try_from).transpose()
    }

    async fn order_for_game(&self, game: Uuid) -> Result<Option<OrderRecord>, StoreError> {
        let row: Option<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::FOR_GAME)
            .bind(Id(game))
            .fetch_optional(pool)
            .await?);
        row.map(OrderRecord::try_from).transpose()
    }

    async fn recent_orders(&self, limit: u32) -> Result<Vec<OrderRecord>, StoreError> {
        let rows: Vec<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::RECENT)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(OrderRecord::try_from).collect()
    }

    async fn orders_by_reference(&self, reference: &str) -> Result<Vec<OrderRecord>, StoreError> {
        let rows: Vec<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::BY_REFERENCE)
            .bind(reference)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(OrderRecord::try_from).collect()
    }

    async fn orders_of(&self, user: Uuid, limit: u32) -> Result<Vec<OrderRecord>, StoreError> {
        let rows: Vec<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::OF_USER)
            .bind(Id(user))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(OrderRecord::try_from).collect()
    }

    async fn pending_before(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let rows: Vec<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::PENDING_BEFORE)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(OrderRecord::try_from).collect()
    }

    async fn failed_paid_orders(&self, limit: u32) -> Result<Vec<OrderRecord>, StoreError> {
        let rows: Vec<OrderRow> = each_engine!(self, pool => sqlx::query_as(sql::FAILED_PAID)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(OrderRecord::try_from).collect()
    }

    async fn apply(
        &self,
        event: Option<EventKey<'_>>,
        effect: &Effect,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        Ok(each_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(event) = event {
                let recorded = sqlx::query(sql::RECORD_EVENT)
                    .bind(event.id)
                    .bind(event.kind)
                    .bind(event.created)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if recorded == 0 {
                    // Seen before (or being applied by another node, which holds the row):
                    // whatever it did is done.
                    return Ok(Applied::default());
                }
            }
            let mut applied = Applied { fresh: true, ..Applied::default() };
            match effect {
                Effect::IntentSucceeded { intent, order } => {
                    let paid = sqlx::query(sql::PAY)
                        .bind(intent)
                        .bind(order.map(Id))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    let id: Option<Id> = sqlx::query_scalar(sql::PAY_ID)
                        .bind(intent)
                        .bind(order.map(Id))
                        .fetch_optional(&mut *tx)
                        .await?;
                    applied.outcome = match (id, paid) {
                        (None, _) => "no order has this payment intent".into(),
                        (Some(_), 0) => "the order was past pending".into(),
                        (Some(_), _) => "order paid".into(),
                    };
                    if let Some(id) = id {
                        let row: Option<OrderRow> = sqlx::query_as(sql::BY_ID)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if let Some(order) = row.map(OrderRecord::try_from).transpose()? {
                            applied.order = Some(order.id);
                            applied.account = order.user_id;
                            // Paying made this intent the order's; another intent, or a
                            // canceled order, means the money bought nothing.
                            let earned = order.payment_intent.as_deref() == Some(intent.as_str())
                                && order.status != OrderStatus::Canceled;
                            if earned {
                                applied.released = settle_game!(tx, &order, now);
                            } else {
                                let recorded = sqlx::query(sql::RECORD_UNEARNED)
                                    .bind(intent)
                                    .bind(Id(order.id))
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?
                                    .rows_affected();
                                applied.outcome = "a payment the order was not waiting for: refunding it".into();
                                if recorded == 1 {
                                    applied.unearned = Some(intent.clone());
                                }
                            }
                        }
                    }
                }
                Effect::IntentFailed { intent, message } => {
                    let n = sqlx::query(sql::FAIL)
                        .bind(intent)
                        .bind(message)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    applied.outcome = if n == 1 { "attempt failed" } else { "no pending order" }.into();
                    applied.account = owner_of_intent!(tx, intent);
                }
                Effect::IntentCanceled { intent } => {
                    let n = sqlx::query(sql::CANCEL)
                        .bind(intent)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    applied.outcome = if n == 1 { "order canceled" } else { "no pending order" }.into();
                    applied.account = owner_of_intent!(tx, intent);
                }
                Effect::Refunded { intent, total } => {
                    let n = sqlx::query(sql::REFUND)
                        .bind(intent)
                        .bind(*total)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    applied.outcome = if n == 1 { "refund recorded" } else { "refund known" }.into();
                    let row: Option<OrderRow> = sqlx::query_as(sql::BY_INTENT)
                        .bind(intent)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(order) = row.map(OrderRecord::try_from).transpose()? {
                        applied.order = Some(order.id);
                        applied.account = order.user_id;
                        // A refund proves the payment: a game still waiting for it is made.
                        applied.released = settle_game!(tx, &order, now);
                    }
                }
                Effect::InvoicePaid { invoice, subscription, customer, amount, currency, credits, at } => {
                    let user: Option<Id> = sqlx::query_scalar(sql::USER_OF_CUSTOMER)
                        .bind(customer)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match user {
                        None => applied.outcome = "no account has this customer".into(),
                        Some(user) => {
                            applied.account = Some(user.0);
                            let order = Uuid::new_v4();
                            let inserted = sqlx::query(sql::INSERT_INVOICE_ORDER)
                                .bind(Id(order))
                                .bind(user)
                                .bind(*amount)
                                .bind(currency.as_str())
                                .bind(subscription)
                                .bind(invoice)
                                .bind(now)
                                .execute(&mut *tx)
                                .await?
                                .rows_affected();
                            if inserted == 1 {
                                sqlx::query(sql::ADD_CREDITS)
                                    .bind(user)
                                    .bind(i64::from(*credits))
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                                applied.order = Some(order);
                                applied.outcome = format!("{credits} credits added");
                            } else {
                                applied.outcome = "invoice credited before".into();
                            }
                            // A paid invoice means the subscription is active as of then.
                            subscription_status!(tx, subscription, user, "active", None::<DateTime<Utc>>, *at, *currency, now);
                        }
                    }
                }
                Effect::SubscriptionChanged { id, customer, status, current_period_end, at } => {
                    let user: Option<Id> = sqlx::query_scalar(sql::USER_OF_CUSTOMER)
                        .bind(customer)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match user {
                        None => applied.outcome = "no account has this customer".into(),
                        Some(user) => {
                            applied.account = Some(user.0);
                            let existing: Option<SubscriptionRow> = sqlx::query_as(sql::SUBSCRIPTION_BY_ID)
                                .bind(id)
                                .fetch_optional(&mut *tx)
                                .await?;
                            let currency = match existing {
                                Some(row) => parse_named(&row.currency)?,
                                None => Currency::Usd,
                            };
                            let changed = subscription_status!(tx, id, user, status.as_str(), *current_period_end, *at, currency, now);
                            applied.outcome = if changed {
                                format!("subscription {status}")
                            } else {
                                "an older or final status: kept the newer".into()
                            };
                        }
                    }
                }
                Effect::Nothing => applied.outcome = "recorded".into(),
            }
            if let Some(event) = event {
                sqlx::query(sql::EVENT_OUTCOME)
                    .bind(event.id)
                    .bind(&applied.outcome)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            applied
        }))
    }

    async fn event_outcome(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            each_engine!(self, pool => sqlx::query_scalar(sql::OUTCOME_OF)
            .bind(id)
            .fetch_optional(pool)
            .await?),
        )
    }

    async fn customer_of(&self, user: Uuid) -> Result<Option<String>, StoreError> {
        Ok(
            each_engine!(self, pool => sqlx::query_scalar(sql::CUSTOMER_OF)
            .bind(Id(user))
            .fetch_optional(pool)
            .await?),
        )
    }

    async fn keep_customer(
        &self,
        user: Uuid,
        customer: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::KEEP_CUSTOMER)
                .bind(Id(user))
                .bind(customer)
                .bind(now)
                .execute(pool)
                .await?;
        });
        self.customer_of(user)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the customer just kept is gone".into()))
    }

    async fn insert_subscription(&self, sub: &SubscriptionRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT_SUBSCRIPTION)
                .bind(&sub.id)
                .bind(sub.user_id.map(Id))
                .bind(&sub.status)
                .bind(sub.currency.as_str())
                .bind(sub.current_period_end)
                .bind(sub.status_at)
                .bind(sub.created_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn subscription_of(&self, user: Uuid) -> Result<Option<SubscriptionRecord>, StoreError> {
        let row: Option<SubscriptionRow> = each_engine!(self, pool => sqlx::query_as(sql::SUBSCRIPTION_OF)
            .bind(Id(user))
            .fetch_optional(pool)
            .await?);
        row.map(SubscriptionRecord::try_from).transpose()
    }

    async fn account(&self, user: Uuid) -> Result<Option<BillingAccount>, StoreError> {
        let row: Option<(String, String, i64)> = each_engine!(self, pool => sqlx::query_as(sql::ACCOUNT)
            .bind(Id(user))
            .fetch_optional(pool)
            .await?);
        row.map(|(tier, status, credits)| {
            Ok(BillingAccount {
                tier,
                status,
                credits: crate::infra::db::to_u32(credits, "credits_remaining")?,
            })
        })
        .transpose()
    }

    async fn insert_refund(&self, refund: &RefundRecord) -> Result<(), StoreError> {
        each_engine!(self, pool => {
            sqlx::query(sql::INSERT_REFUND)
                .bind(Id(refund.id))
                .bind(Id(refund.order_id))
                .bind(refund.amount_minor)
                .bind(&refund.reason)
                .bind(refund.requested_by.map(Id))
                .bind(refund.created_at)
                .execute(pool)
                .await
                .map_err(|e| map_unique(e, "order_id"))?;
        });
        Ok(())
    }

    async fn refund_answered(
        &self,
        id: Uuid,
        stripe_refund_id: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        let refund: Option<RefundRow> = each_engine!(self, pool => {
            sqlx::query(sql::REFUND_ANSWERED)
                .bind(Id(id))
                .bind(stripe_refund_id)
                .bind(status)
                .execute(pool)
                .await?;
            sqlx::query_as(sql::REFUND_BY_ID)
                .bind(Id(id))
                .fetch_optional(pool)
                .await?
        });
        let Some(refund) = refund else {
            return Ok(Applied::default());
        };
        let order = refund.order_id;
        let total: i64 = each_engine!(self, pool => sqlx::query_scalar(sql::REFUNDED_TOTAL)
            .bind(order)
            .fetch_one(pool)
            .await?);
        let Some(intent) = self
            .order(order.into())
            .await?
            .and_then(|o| o.payment_intent)
        else {
            return Ok(Applied::default());
        };
        // The same rule a `charge.refunded` event follows: the largest total wins.
        self.apply(None, &Effect::Refunded { intent, total }, now)
            .await
    }

    async fn refunds_of(&self, order: Uuid) -> Result<Vec<RefundRecord>, StoreError> {
        let rows: Vec<RefundRow> = each_engine!(self, pool => sqlx::query_as(sql::REFUNDS_OF)
            .bind(Id(order))
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(RefundRecord::from).collect())
    }

    async fn tallies(&self) -> Result<PaymentTallies, StoreError> {
        let (attempted, successful, refunds): (i64, i64, i64) =
            each_engine!(self, pool => sqlx::query_as(sql::TALLIES).fetch_one(pool).await?);
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(PaymentTallies {
            attempted: count(attempted),
            successful: count(successful),
            refunds: count(refunds),
        })
    }

    async fn unearned_open(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        Ok(
            each_engine!(self, pool => sqlx::query_scalar(sql::UNEARNED_OPEN)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?),
        )
    }

    async fn unearned_refunded(
        &self,
        intent: &str,
        stripe_refund_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let owner: Option<Option<Id>> = each_engine!(self, pool => {
            sqlx::query(sql::UNEARNED_REFUNDED)
                .bind(intent)
                .bind(stripe_refund_id)
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query_scalar(sql::UNEARNED_OWNER)
                .bind(intent)
                .fetch_optional(pool)
                .await?
        });
        Ok(owner.flatten().map(Into::into))
    }

    async fn returned_to(&self, user: Uuid, limit: u32) -> Result<Vec<Returned>, StoreError> {
        let rows: Vec<ReturnedRow> = each_engine!(self, pool => sqlx::query_as(sql::RETURNED_TO)
            .bind(Id(user))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Returned::try_from).collect()
    }
}
