-- The public gallery (issue 22). A game is link-only until its owner publishes it and a
-- moderator approves it; `visibility` says where it stands (domain::Visibility).
ALTER TABLE games
    ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private',
    -- When it entered the gallery (approved), what "newest" sorts by.
    ADD COLUMN published_at TIMESTAMPTZ,
    -- When a moderator featured it; NULL: not featured.
    ADD COLUMN featured_at TIMESTAMPTZ,
    -- Why a moderator rejected or hid it, as its owner reads it.
    ADD COLUMN moderation_note TEXT,
    -- Full-text search over what people call a game. 'simple': pet names and titles are not
    -- English words to stem; every word is matched as typed, as a prefix.
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(pet_name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'B')
    ) STORED;
CREATE INDEX idx_games_search ON games USING GIN (search) WHERE visibility = 'public';
-- Keyset paging of the gallery, newest and featured first, with its filters.
CREATE INDEX idx_games_gallery_new ON games (published_at DESC, id DESC)
    WHERE visibility = 'public';
CREATE INDEX idx_games_featured ON games (featured_at DESC, id DESC)
    WHERE visibility = 'public' AND featured_at IS NOT NULL;
CREATE INDEX idx_games_gallery_theme ON games (theme, difficulty, published_at DESC, id DESC)
    WHERE visibility = 'public';

-- The queue holds what waits for a moderator: a game its owner published.
CREATE INDEX idx_moderation_pending ON moderation_queue (created_at) WHERE status = 'pending';
CREATE INDEX idx_moderation_content ON moderation_queue (content_id);

-- Everything moderators do, kept: who, when, what, why.
CREATE TABLE moderation_actions (
    id UUID PRIMARY KEY,
    moderator_id UUID REFERENCES users(id) ON DELETE SET NULL,
    game_id UUID REFERENCES games(id) ON DELETE SET NULL,
    item_id UUID REFERENCES moderation_queue(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_moderation_actions_game ON moderation_actions (game_id, created_at);
