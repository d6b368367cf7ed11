-- Packages and payments (issue 21). No row of `orders` was ever written before this, so the
-- seed's table is made anew (SQLite cannot change a foreign key in place).
--
-- Amounts are integers in the currency's minor units, as Stripe counts them (¥800 is 800,
-- $4.99 is 499): the seed's DECIMAL amount cannot say which, and JPY has no minor unit.
-- Only Stripe's ids are kept: no card data ever reaches this database.
CREATE TABLE orders_new (
    id TEXT PRIMARY KEY NOT NULL,
    -- Receipts outlive an erased account (bookkeeping), no longer linked to anyone.
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    package_type TEXT NOT NULL,
    amount_minor INTEGER NOT NULL DEFAULT 0,
    -- What Stripe has refunded of it so far (the largest total it reported: totals only grow).
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'usd',
    status TEXT NOT NULL DEFAULT 'pending',
    stripe_payment_intent_id TEXT,
    stripe_subscription_id TEXT,
    -- The subscription invoice a renewal's order records (its credits are granted with it,
    -- so an invoice credits a month once).
    stripe_invoice_id TEXT,
    -- The game a one-off package was bought for.
    game_id TEXT REFERENCES games(id) ON DELETE SET NULL,
    -- Why the last attempt to pay failed, as Stripe said it (a declined card).
    failure TEXT,
    metadata TEXT,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    updated_at TEXT
);
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX idx_orders_user_id ON orders(user_id);
CREATE INDEX idx_orders_status ON orders(status);
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
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    -- Stripe's `created`, seconds since the epoch: orders the events of one object.
    created INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- An account's Stripe customer, made the first time it pays.
CREATE TABLE billing_customers (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stripe_customer_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- Subscriptions by Stripe's id. `status_at` is the `created` of the event the status came
-- from: an older event arriving late does not undo a newer one.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    current_period_end TEXT,
    status_at INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX idx_subscriptions_user_id ON subscriptions(user_id);

-- Refunds asked of Stripe: by an admin (`requested_by`) or automatically for a paid game that
-- failed for good (null). The row is written before Stripe is asked, and its id is the
-- idempotency key, so a retried request cannot refund twice.
CREATE TABLE refunds (
    id TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders(id),
    amount_minor INTEGER NOT NULL,
    reason TEXT,
    requested_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    stripe_refund_id TEXT UNIQUE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_refunds_order_id ON refunds(order_id);
-- One automatic refund per order, however many nodes find its game failed at once.
CREATE UNIQUE INDEX idx_refunds_automatic ON refunds(order_id) WHERE requested_by IS NULL;
