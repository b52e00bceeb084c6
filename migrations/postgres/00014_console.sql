-- +goose Up
-- Console users, their one-time set-password links, their sessions, and the
-- counters that throttle failed sign-ins. Passwords are argon2id strings
-- (as PINs); links and session cookies are 32 random bytes of which only
-- the SHA-256 is kept, like API tokens. An engineer user belongs to its
-- engineer and goes with them, as an engineer token does.
CREATE TABLE console_users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE CHECK (email <> '' AND length(email) <= 254 AND email = lower(email)),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'engineer', 'viewer')),
    engineer_id     BIGINT REFERENCES engineers(id) ON DELETE CASCADE,
    password_hash   TEXT CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    password_set_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT NOT NULL CHECK (created_by <> ''),
    disabled_at     TIMESTAMPTZ,
    last_sign_in_at TIMESTAMPTZ,
    CHECK ((role = 'engineer') = (engineer_id IS NOT NULL))
);
CREATE INDEX console_users_engineer ON console_users (engineer_id) WHERE engineer_id IS NOT NULL;

CREATE TABLE console_links (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES console_users(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
    used_at    TIMESTAMPTZ
);
CREATE INDEX console_links_user ON console_links (user_id);

CREATE TABLE console_sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES console_users(id) ON DELETE CASCADE,
    hash         TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
    address      TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Failed sign-ins per e-mail (whether or not it is a user's: the
-- throttle must not tell) and per address, in fixed windows.
CREATE TABLE console_sign_in_failures (
    key          TEXT PRIMARY KEY CHECK (key <> ''),
    failures     INTEGER NOT NULL CHECK (failures > 0),
    window_start TIMESTAMPTZ NOT NULL
);

-- The console's dashboard lists the calls in progress: those not ended.
CREATE INDEX calls_in_progress ON calls (created_at) WHERE ended_at IS NULL;

-- +goose Down
DROP INDEX calls_in_progress;
DROP TABLE console_sign_in_failures;
DROP TABLE console_sessions;
DROP TABLE console_links;
DROP TABLE console_users;
