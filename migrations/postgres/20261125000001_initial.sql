-- The seed's schema (PetPixel design doc §2.2.1), plus what the product needs before accounts
-- exist: `visitor_id` (the anonymous session that owns a row), `games.image_id`,
-- `games.failure_reason` and `pet_images` size/type columns. Timestamps are TIMESTAMPTZ.

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) UNIQUE NOT NULL,
    name VARCHAR(255),
    avatar_url TEXT,
    provider VARCHAR(50),
    provider_id VARCHAR(255),
    subscription_tier VARCHAR(50) DEFAULT 'free',
    subscription_status VARCHAR(50) DEFAULT 'inactive',
    credits_remaining INTEGER DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE orders (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id),
    package_type VARCHAR(50) NOT NULL,
    amount DECIMAL(10, 2) NOT NULL,
    currency VARCHAR(3) DEFAULT 'USD',
    status VARCHAR(50) DEFAULT 'pending',
    stripe_payment_intent_id VARCHAR(255),
    stripe_subscription_id VARCHAR(255),
    metadata JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMPTZ
);

CREATE TABLE pet_images (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id),
    visitor_id VARCHAR(64),
    game_id UUID,
    original_url TEXT NOT NULL,
    processed_url TEXT,
    background_removed_url TEXT,
    sprite_sheet_url TEXT,
    pet_name VARCHAR(255),
    processing_status VARCHAR(50) NOT NULL DEFAULT 'pending',
    content_type VARCHAR(50) NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    metadata JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE games (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id),
    visitor_id VARCHAR(64),
    order_id UUID REFERENCES orders(id),
    image_id UUID REFERENCES pet_images(id),
    short_code VARCHAR(12) UNIQUE NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    pet_name VARCHAR(255) NOT NULL,
    theme VARCHAR(50) NOT NULL,
    difficulty VARCHAR(50) NOT NULL,
    level_count INTEGER NOT NULL,
    package_type VARCHAR(50) NOT NULL,
    game_url TEXT NOT NULL,
    download_url TEXT,
    thumbnail_url TEXT,
    config JSONB NOT NULL,
    assets JSONB,
    stats JSONB NOT NULL DEFAULT '{}',
    status VARCHAR(50) NOT NULL DEFAULT 'generating',
    failure_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ
);

ALTER TABLE pet_images ADD CONSTRAINT pet_images_game_id_fkey FOREIGN KEY (game_id) REFERENCES games(id);

CREATE TABLE analytics_events (
    id BIGSERIAL PRIMARY KEY,
    user_id UUID,
    session_id UUID,
    game_id UUID,
    event_type VARCHAR(100) NOT NULL,
    event_data JSONB,
    user_agent TEXT,
    ip_address INET,
    referrer TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE moderation_queue (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    content_type VARCHAR(50),
    content_id UUID,
    user_id UUID REFERENCES users(id),
    status VARCHAR(50) DEFAULT 'pending',
    flagged_reason TEXT,
    reviewed_by UUID REFERENCES users(id),
    reviewed_at TIMESTAMPTZ,
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
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
