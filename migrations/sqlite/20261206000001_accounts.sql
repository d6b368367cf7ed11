-- Accounts (issue 19). No row of `users` was ever written before this, so the seed's table
-- is rebuilt rather than migrated: personal data is sealed (AES-256-GCM, `infra::pii`) and
-- found by a blind index, never stored as plain text. SQLite cannot drop a UNIQUE column, so
-- the table is made anew; the foreign keys that name `users` resolve to the new one.
--
-- What a person made is owned through `visitor_id` (the owner key): an anonymous visitor's id,
-- or the account's id once they sign up or log in (their visitor's rows move to it then).
CREATE TABLE users_new (
    id TEXT PRIMARY KEY NOT NULL,
    -- HMAC-SHA256 of the lower-cased address under the current PII key, hex.
    email_index TEXT UNIQUE NOT NULL,
    -- The address, sealed for `users.email`.
    email_sealed TEXT NOT NULL,
    -- The display name, sealed for `users.name`.
    name_sealed TEXT,
    avatar_url TEXT,
    -- argon2id in PHC form; null for an account that only signs in through a provider.
    password_hash TEXT,
    role TEXT NOT NULL DEFAULT 'user',
    email_verified_at TEXT,
    -- Sessions carry the generation they were made in; "log out everywhere" and a password
    -- change increase it, which ends every older session.
    session_generation INTEGER NOT NULL DEFAULT 0,
    subscription_tier TEXT NOT NULL DEFAULT 'free',
    subscription_status TEXT NOT NULL DEFAULT 'inactive',
    credits_remaining INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- An account's sign-ins through Google or Facebook: the provider's subject id, never its
-- email (which may change there).
CREATE TABLE user_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX idx_user_identities_user_id ON user_identities(user_id);

-- Refresh tokens for scripts and apps, kept as SHA-256 hashes. Each refresh uses one up and
-- issues the next of its family; a used one presented again means it was stolen, and the
-- whole family is revoked.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens(family_id);
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens(user_id);

-- "My games", newest first.
CREATE INDEX idx_games_visitor_created ON games(visitor_id, created_at);
