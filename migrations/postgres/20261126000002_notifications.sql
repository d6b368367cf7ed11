-- "Your game is ready" messages (issue 5). A row is written with its game, waits until the
-- game is made (the same transaction that marks it ready makes the row pending), then a
-- worker claims it (FOR UPDATE SKIP LOCKED, with a lease), sends it and marks it sent: an
-- outbox, so a message is neither lost with a crash nor sent for a game that failed.
CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    game_id UUID NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    -- email
    channel VARCHAR(16) NOT NULL,
    -- The address.
    target TEXT NOT NULL,
    -- waiting | pending | sending | sent | failed
    state VARCHAR(16) NOT NULL DEFAULT 'waiting',
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Milliseconds since the epoch, as in `jobs`.
    run_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

CREATE INDEX idx_notifications_claim ON notifications(state, run_at);
CREATE INDEX idx_notifications_game_id ON notifications(game_id);
