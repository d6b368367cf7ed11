-- Accounts (issue 19). No row of `users` was ever written before this, so the seed's plain
-- columns are replaced: personal data is sealed (AES-256-GCM, `infra::pii`) and found by a
-- blind index, never stored as plain text.
--
-- What a person made is owned through `visitor_id` (the owner key): an anonymous visitor's id,
-- or the account's id once they sign up or log in (their visitor's rows move to it then).
DROP INDEX IF EXISTS idx_users_provider;
ALTER TABLE users
    DROP COLUMN email,
    DROP COLUMN name,
    DROP COLUMN provider,
    DROP COLUMN provider_id,
    -- HMAC-SHA256 of the lower-cased address under the current PII key, hex.
    ADD COLUMN email_index TEXT NOT NULL UNIQUE,
    -- The address, sealed for `users.email`.
    ADD COLUMN email_sealed TEXT NOT NULL,
    -- The display name, sealed for `users.name`.
    ADD COLUMN name_sealed TEXT,
    -- argon2id in PHC form; null for an account that only signs in through a provider.
    ADD COLUMN password_hash TEXT,
    ADD COLUMN role VARCHAR(20) NOT NULL DEFAULT 'user',
    ADD COLUMN email_verified_at TIMESTAMPTZ,
    -- Sessions carry the generation they were made in; "log out everywhere" and a password
    -- change increase it, which ends every older session.
    ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ALTER COLUMN id DROP DEFAULT;
ALTER TABLE users ALTER COLUMN subscription_tier SET NOT NULL;
ALTER TABLE users ALTER COLUMN subscription_status SET NOT NULL;
ALTER TABLE users ALTER COLUMN credits_remaining SET NOT NULL;
ALTER TABLE users ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE users ALTER COLUMN updated_at DROP DEFAULT;

-- An account's sign-ins through Google or Facebook: the provider's subject id, never its
-- email (which may change there).
CREATE TABLE user_identities (
    provider VARCHAR(20) NOT NULL,
    subject TEXT NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX idx_user_identities_user_id ON user_identities(user_id);

-- Refresh tokens for scripts and apps, kept as SHA-256 hashes. Each refresh uses one up and
-- issues the next of its family; a used one presented again means it was stolen, and the
-- whole family is revoked.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens(family_id);
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens(user_id);

-- "My games", newest first.
CREATE INDEX idx_games_visitor_created ON games(visitor_id, created_at);
