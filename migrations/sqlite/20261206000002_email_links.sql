-- One-time links sent by email (issue 19): confirm an account's address, set a new password,
-- confirm an address that asked to be told when a game is ready. Only the SHA-256 of a link's
-- secret is kept. `subject_id` is the account or the notification the link acts on.
CREATE TABLE email_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    -- verify_email | reset_password | confirm_notification
    purpose TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_email_links_subject_id ON email_links(subject_id);

-- A "game ready" email to an address nobody has shown to be theirs waits in the new state
-- `unconfirmed` until its address's owner follows the link we sent it (double opt-in); only
-- then does it become `waiting` like any other.
