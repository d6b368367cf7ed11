-- The seed's schema adapted to SQLite: UUIDs as TEXT, JSON as TEXT, timestamps as TEXT
-- (RFC 3339, UTC), DECIMAL as TEXT. Same tables, columns and indexes as postgres/.
-- `users.email` and `games.short_code` keep their UNIQUE constraints (which index them).

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT UNIQUE NOT NULL,
    name TEXT,
    avatar_url TEXT,
    provider TEXT,
    provider_id TEXT,
    subscription_tier TEXT DEFAULT 'free',
    subscription_status TEXT DEFAULT 'inactive',
    credits_remaining INTEGER DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id),
    package_type TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT DEFAULT 'USD',
    status TEXT DEFAULT 'pending',
    stripe_payment_intent_id TEXT,
    stripe_subscription_id TEXT,
    metadata TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    completed_at TEXT
);

CREATE TABLE pet_images (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id),
    visitor_id TEXT,
    game_id TEXT REFERENCES games(id),
    original_url TEXT NOT NULL,
    processed_url TEXT,
    background_removed_url TEXT,
    sprite_sheet_url TEXT,
    pet_name TEXT,
    processing_status TEXT NOT NULL DEFAULT 'pending',
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    metadata TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE games (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id),
    visitor_id TEXT,
    order_id TEXT REFERENCES orders(id),
    image_id TEXT REFERENCES pet_images(id),
    short_code TEXT UNIQUE NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    pet_name TEXT NOT NULL,
    theme TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    level_count INTEGER NOT NULL,
    package_type TEXT NOT NULL,
    game_url TEXT NOT NULL,
    download_url TEXT,
    thumbnail_url TEXT,
    config TEXT NOT NULL,
    assets TEXT,
    stats TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'generating',
    failure_reason TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    completed_at TEXT,
    expires_at TEXT
);

CREATE TABLE analytics_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT,
    session_id TEXT,
    game_id TEXT,
    event_type TEXT NOT NULL,
    event_data TEXT,
    user_agent TEXT,
    ip_address TEXT,
    referrer TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE moderation_queue (
    id TEXT PRIMARY KEY NOT NULL,
    content_type TEXT,
    content_id TEXT,
    user_id TEXT REFERENCES users(id),
    status TEXT DEFAULT 'pending',
    flagged_reason TEXT,
    reviewed_by TEXT REFERENCES users(id),
    reviewed_at TEXT,
    notes TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_users_provider ON users(provider, provider_id);
CREATE INDEX idx_orders_user_id ON orders(user_id);
CREATE INDEX idx_orders_status ON orders(status);
CREATE INDEX idx_games_user_id ON games(user_id);
CREATE INDEX idx_games_visitor_id ON games(visitor_id);
CREATE INDEX idx_games_status ON games(status);
CREATE INDEX idx_pet_images_game_id ON pet_images(game_id);
CREATE INDEX idx_pet_images_visitor_id ON pet_images(visitor_id);
CREATE INDEX idx_analytics_events_user_id ON analytics_events(user_id);
CREATE INDEX idx_analytics_events_game_id ON analytics_events(game_id);
CREATE INDEX idx_analytics_events_created_at ON analytics_events(created_at);
CREATE INDEX idx_moderation_status ON moderation_queue(status);
