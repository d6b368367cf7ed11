-- The public gallery (issue 22). A game is link-only until its owner publishes it and a
-- moderator approves it; `visibility` says where it stands (domain::Visibility).
ALTER TABLE games ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private';
-- When it entered the gallery (approved), what "newest" sorts by.
ALTER TABLE games ADD COLUMN published_at TEXT;
-- When a moderator featured it; NULL: not featured.
ALTER TABLE games ADD COLUMN featured_at TEXT;
-- Why a moderator rejected or hid it, as its owner reads it.
ALTER TABLE games ADD COLUMN moderation_note TEXT;

-- Full-text search over what people call a game, kept in step with `games` by triggers.
-- unicode61 folds case and (remove_diacritics 2) accents; words match as typed, as prefixes.
CREATE VIRTUAL TABLE games_fts USING fts5(
    title, pet_name, description,
    content = 'games', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO games_fts (games_fts) VALUES ('rebuild');
CREATE TRIGGER games_fts_insert AFTER INSERT ON games BEGIN
    INSERT INTO games_fts (rowid, title, pet_name, description)
    VALUES (new.rowid, new.title, new.pet_name, coalesce(new.description, ''));
END;
CREATE TRIGGER games_fts_delete AFTER DELETE ON games BEGIN
    INSERT INTO games_fts (games_fts, rowid, title, pet_name, description)
    VALUES ('delete', old.rowid, old.title, old.pet_name, coalesce(old.description, ''));
END;
CREATE TRIGGER games_fts_update AFTER UPDATE OF title, pet_name, description ON games BEGIN
    INSERT INTO games_fts (games_fts, rowid, title, pet_name, description)
    VALUES ('delete', old.rowid, old.title, old.pet_name, coalesce(old.description, ''));
    INSERT INTO games_fts (rowid, title, pet_name, description)
    VALUES (new.rowid, new.title, new.pet_name, coalesce(new.description, ''));
END;

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
    id TEXT PRIMARY KEY NOT NULL,
    moderator_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    game_id TEXT REFERENCES games(id) ON DELETE SET NULL,
    item_id TEXT REFERENCES moderation_queue(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_moderation_actions_game ON moderation_actions (game_id, created_at);
