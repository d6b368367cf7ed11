-- One-time links sent by email (issue 19): confirm an account's address, set a new password,
-- confirm an address that asked to be told when a game is ready. Only the SHA-256 of a link's
-- secret is kept. `subject_id` is the account or the notification the link acts on.
CREATE TABLE email_links (
    token_hash TEXT PRIMARY KEY,
    -- verify_email | reset_password | confirm_notification
    purpose VARCHAR(32) NOT NULL,
    subject_id UUID NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_email_links_subject_id ON email_links(subject_id);

-- A "game ready" email to an address nobody has shown to be theirs waits in the new state
-- `unconfirmed` until its address's owner follows the link we sent it (double opt-in); only
-- then does it become `waiting` like any other.
