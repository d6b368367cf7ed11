-- The studio's durable queue (issue 18): a photo's cut-out, a look's sprite and a look's
-- animation are made by workers, never by web nodes. One row per photo and piece of work
-- (`work`: `cutout`, `sprite:{look}` or `animation:{look}`), so any number of requests
-- for the same work queue it once; workers claim rows with a lease as they do games' stages.
-- Times are milliseconds since the epoch, as in `jobs`.
CREATE TABLE studio_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    image_id TEXT NOT NULL REFERENCES pet_images(id) ON DELETE CASCADE,
    work TEXT NOT NULL,
    -- queued | running | done | failed
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    lease_token TEXT,
    lease_until INTEGER,
    worker TEXT,
    last_error TEXT,
    -- What the owner reads when it failed; `rejected`: the photo's fault (final), not ours.
    failure TEXT,
    rejected BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (image_id, work)
);

CREATE INDEX idx_studio_jobs_claim ON studio_jobs(state, run_at);
