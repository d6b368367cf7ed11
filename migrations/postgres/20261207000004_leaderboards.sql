-- Verified leaderboards (issue 22). A time is kept only after the server replayed its run
-- through the game's simulation; `run` keeps the proof, so a time can be checked again.
-- A board belongs to one version of a game's levels: `module` is the content-addressed
-- module the run was replayed against, and new levels start a new board.
CREATE TABLE leaderboard_entries (
    id UUID PRIMARY KEY,
    game_id UUID NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    -- One entry per name and board: the name lower-cased (domain::PlayerName::key).
    name_key TEXT NOT NULL,
    -- The account that set it, if any: its entries go with it.
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    steps INTEGER NOT NULL CHECK (steps > 0),
    score INTEGER NOT NULL CHECK (score >= 0),
    run TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (game_id, module, name_key)
);
CREATE INDEX idx_leaderboard_board ON leaderboard_entries (game_id, module, steps, created_at);
CREATE INDEX idx_leaderboard_user ON leaderboard_entries (user_id) WHERE user_id IS NOT NULL;

-- The name a signed-in player last played under, offered again on any device.
CREATE TABLE player_names (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
