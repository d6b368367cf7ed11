-- Keys the server makes for itself once and every node must share: the VAPID key that signs
-- Web Push messages (issue 5). The first node to start writes it; the rest read it. A key set
-- in the configuration takes precedence and is never written here.
--
-- Web Push also adds a `notifications.channel` value, 'push', whose `target` is the browser's
-- subscription as JSON (endpoint and keys).
CREATE TABLE server_keys (
    name VARCHAR(64) PRIMARY KEY,
    value TEXT NOT NULL,
    -- Milliseconds since the epoch.
    created_at BIGINT NOT NULL
);

-- A device or address is told once per game, however often it asks.
CREATE UNIQUE INDEX idx_notifications_once ON notifications(game_id, channel, target);
