-- Visitors' sessions (issue 18), on the embedded default and wherever Redis is not configured:
-- a row is written when something is first kept for a visitor (their first upload), so
-- people who only look at pages leave none. `id` is tower-sessions' id, `data` its record as
-- JSON, `expires_at` seconds since the epoch; a periodic sweep deletes expired rows.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX idx_sessions_expires_at ON sessions(expires_at);
