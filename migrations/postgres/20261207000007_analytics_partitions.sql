-- Games' audiences (issue 22): `analytics_events` becomes a table partitioned by month
-- (the design document's §7.2), so months past keeping are dropped whole by the analytics
-- upkeep rather than deleted row by row. Partitions are `analytics_events_yYYYYmMM`; the
-- default partition holds anything outside them (nothing while the upkeep runs, which makes
-- the next months ahead of time). Rows keep their ids: the sequence moves to the new table.
ALTER TABLE analytics_events RENAME TO analytics_events_unpartitioned;
ALTER SEQUENCE analytics_events_id_seq OWNED BY NONE;

CREATE TABLE analytics_events (
    id BIGINT NOT NULL DEFAULT nextval('analytics_events_id_seq'),
    user_id UUID,
    session_id UUID,
    game_id UUID,
    event_type VARCHAR(100) NOT NULL,
    event_data JSONB,
    user_agent TEXT,
    ip_address INET,
    referrer TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;

-- A partition for every month from the oldest row's to two months from now.
DO $$
DECLARE
    month DATE;
BEGIN
    FOR month IN
        SELECT generate_series(
            date_trunc('month', COALESCE(
                (SELECT min(created_at) FROM analytics_events_unpartitioned), now()
            ) AT TIME ZONE 'UTC'),
            date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months',
            interval '1 month'
        )::date
    LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF analytics_events FOR VALUES FROM (%L) TO (%L)',
            'analytics_events_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM'),
            month::timestamp AT TIME ZONE 'UTC',
            (month + interval '1 month')::timestamp AT TIME ZONE 'UTC'
        );
    END LOOP;
END
$$;

INSERT INTO analytics_events SELECT * FROM analytics_events_unpartitioned;
ALTER SEQUENCE analytics_events_id_seq OWNED BY analytics_events.id;
DROP TABLE analytics_events_unpartitioned;
ALTER TABLE analytics_events RENAME CONSTRAINT analytics_events_pkey1 TO analytics_events_pkey;

CREATE INDEX idx_analytics_events_user_id ON analytics_events (user_id);
CREATE INDEX idx_analytics_events_event_type ON analytics_events (event_type);
CREATE INDEX idx_analytics_events_created_at ON analytics_events (created_at);
CREATE INDEX idx_analytics_plays ON analytics_events (created_at, game_id) WHERE event_type = 'play';
-- A game's days, for its owner's chart.
CREATE INDEX idx_analytics_events_game_time ON analytics_events (game_id, created_at);
