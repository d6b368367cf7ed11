-- A payment Stripe took for an order that was not waiting for it: the order was paid already
-- by another attempt, or canceled with its game. Recorded in the transaction that learns of
-- it, then refunded in full; a row without `refunded_at` is retried by the payments sweep.
CREATE TABLE unearned_payments (
    payment_intent TEXT PRIMARY KEY NOT NULL,
    order_id TEXT REFERENCES orders(id) ON DELETE SET NULL,
    stripe_refund_id TEXT,
    created_at TEXT NOT NULL,
    refunded_at TEXT
);
CREATE INDEX idx_unearned_payments_open ON unearned_payments(created_at) WHERE refunded_at IS NULL;
