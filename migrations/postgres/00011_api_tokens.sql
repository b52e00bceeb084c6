-- +goose Up
-- API tokens for the admin HTTP API. The token text (slt_ and 32 random
-- bytes) is shown once by `token create`; only its SHA-256 is kept. A fast
-- hash is right here, unlike for PINs: 256 random bits cannot be guessed,
-- so there is nothing for a slow hash to slow down. Every token expires.
-- An engineer token belongs to its engineer and goes with them when they
-- are removed (the audit log keeps its creation).
CREATE TABLE api_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL CHECK (name ~ '^[a-z0-9._-]{1,40}$'),
    role          TEXT NOT NULL CHECK (role IN ('admin', 'engineer', 'viewer')),
    engineer_id   BIGINT REFERENCES engineers(id) ON DELETE CASCADE,
    hash          TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL CHECK (created_by <> ''),
    expires_at    TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    CHECK ((role = 'engineer') = (engineer_id IS NOT NULL))
);
-- A name is unique among tokens not revoked: revoking frees it.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_engineer ON api_tokens (engineer_id) WHERE engineer_id IS NOT NULL;

-- +goose Down
DROP TABLE api_tokens;
