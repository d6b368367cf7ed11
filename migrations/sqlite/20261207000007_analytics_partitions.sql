-- Games' audiences (issue 22): a game's days, for its owner's chart. (PostgreSQL partitions
-- the table by month here; on SQLite the analytics upkeep deletes the old rows.)
DROP INDEX idx_analytics_events_game_id;
CREATE INDEX idx_analytics_events_game_time ON analytics_events (game_id, created_at);
