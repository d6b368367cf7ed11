-- The gallery's most played today and this week (issue 22): each counted play is an
-- `analytics_events` row of type 'play' with its time; this index serves the window's count.
CREATE INDEX idx_analytics_plays ON analytics_events (created_at, game_id) WHERE event_type = 'play';
