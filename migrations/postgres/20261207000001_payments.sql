-- Packages and payments (issue 21). No row of `orders` was ever written before this.
--
-- Amounts are integers in the currency's minor units, as Stripe counts them (¥800 is 800,
-- $4.99 is 499): the seed's DECIMAL amount cannot say which, and JPY has no minor unit.
-- Only Stripe's ids are kept: no card data ever reaches this database.
ALTER TABLE orders
    DROP COLUMN amount,
    ADD COLUMN amount_minor BIGINT NOT NULL DEFAULT 0,
    -- What Stripe has refunded of it so far (the largest total it reported: totals only grow).
    ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0,
    -- The game a one-off package was bought for.
    ADD COLUMN game_id UUID REFERENCES games(id) ON DELETE SET NULL,
    -- The subscription invoice a renewal's order records (its credits are granted with it,
    -- so an invoice credits a month once).
    ADD COLUMN stripe_invoice_id TEXT,
    -- Why the last attempt to pay failed, as Stripe said it (a declined card).
    ADD COLUMN failure TEXT,
    ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;
ALTER TABLE orders ALTER COLUMN id DROP DEFAULT;
ALTER TABLE orders ALTER COLUMN created_at DROP DEFAULT;
-- Receipts outlive an erased account (bookkeeping), no longer linked to anyone.
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX idx_orders_payment_intent ON orders(stripe_payment_intent_id);
CREATE UNIQUE INDEX idx_orders_invoice ON orders(stripe_invoice_id);
-- One order pays for a game (a canceled one leaves room for the next).
CREATE UNIQUE INDEX idx_orders_game ON orders(game_id) WHERE status <> 'canceled';
CREATE INDEX idx_orders_user_created ON orders(user_id, created_at);

-- Until now `package_type` was always 'free' as a placeholder, while every game was made with
-- everything: those games keep what they had (what premium allows).
UPDATE games SET package_type = 'premium';
-- Times the game was made again with new levels (a package limits them).
ALTER TABLE games ADD COLUMN remakes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX idx_games_expires_at ON games(expires_at);

-- Every webhook event received, by Stripe's id: a redelivery finds its row and changes
-- nothing. `outcome` says what it did (or that it was only recorded).
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    -- Stripe's `created`, seconds since the epoch: orders the events of one object.
    created BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);

-- An account's Stripe customer, made the first time it pays.
CREATE TABLE billing_customers (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    stripe_customer_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

-- Subscriptions by Stripe's id. `status_at` is the `created` of the event the status came
-- from: an older event arriving late does not undo a newer one.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    current_period_end TIMESTAMPTZ,
    status_at BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_subscriptions_user_id ON subscriptions(user_id);

-- Refunds asked of Stripe: by an admin (`requested_by`) or automatically for a paid game that
-- failed for good (null). The row is written before Stripe is asked, and its id is the
-- idempotency key, so a retried request cannot refund twice.
CREATE TABLE refunds (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders(id),
    amount_minor BIGINT NOT NULL,
    reason TEXT,
    requested_by UUID REFERENCES users(id) ON DELETE SET NULL,
    stripe_refund_id TEXT UNIQUE,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_refunds_order_id ON refunds(order_id);
-- One automatic refund per order, however many nodes find its game failed at once.
CREATE UNIQUE INDEX idx_refunds_automatic ON refunds(order_id) WHERE requested_by IS NULL;
