-- Durable pipeline jobs (issue 5): one row per game, moving through the stages
-- remove_background -> pixelize -> animate -> assemble_game. Workers claim a row with
-- FOR UPDATE SKIP LOCKED and hold it by a lease; a worker that dies leaves a lease that runs
-- out, and the row is claimed again. Only the holder of the current lease token may record a
-- stage's outcome, so a stage is never applied twice. Times are milliseconds since the epoch,
-- passed in by the caller, so both engines compare plain integers.
CREATE TABLE jobs (
    game_id UUID PRIMARY KEY REFERENCES games(id) ON DELETE CASCADE,
    stage VARCHAR(32) NOT NULL,
    -- queued | running | done | failed
    state VARCHAR(16) NOT NULL DEFAULT 'queued',
    -- Claims of the current stage so far (a retry after a crash counts too).
    attempts INTEGER NOT NULL DEFAULT 0,
    -- A queued job waits until then (retry backoff).
    run_at BIGINT NOT NULL,
    -- When the game was queued from its first stage: generation time is measured from here.
    queued_at BIGINT NOT NULL,
    lease_token VARCHAR(64),
    lease_until BIGINT,
    worker VARCHAR(128),
    last_error TEXT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX idx_jobs_claim ON jobs(state, run_at);

-- Games left generating by the in-memory pipeline that came before are made again.
INSERT INTO jobs (game_id, stage, state, run_at, queued_at, updated_at)
SELECT id, 'remove_background', 'queued', 0, 0, 0 FROM games WHERE status = 'generating';
