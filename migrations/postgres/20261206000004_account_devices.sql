-- The browsers signed in to an account (issue 19): listed on the account page, each can be
-- logged out from another, and they all end with the account. A browser's session names its
-- row; a session whose row is gone is over.
CREATE TABLE account_devices (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The session store's key for this browser's session, sealed (it is what the cookie
    -- carries), so ending the device deletes the session itself too.
    session_sealed TEXT NOT NULL,
    -- What the browser said it is at sign-in, coarsely: "Firefox on Android".
    label VARCHAR(64) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_account_devices_user_id ON account_devices(user_id);
