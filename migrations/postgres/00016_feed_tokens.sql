-- +goose Up
-- Calendar feeds: the secret of each feed's URL (/ical/slf_....ics) that a
-- calendar application subscribes to. The token (slf_ and 32 random bytes)
-- is shown once by `feed create`; only its SHA-256 is kept, as for API
-- tokens: 256 random bits cannot be guessed, so a fast indexed lookup and a
-- constant-time compare are right. A feed shows one schedule's shifts or
-- one engineer's across every schedule, and goes with its schedule or
-- engineer when they are removed. Revoking keeps the row (the list of what
-- was handed out, and a revoked URL answers 404 like an unknown one).
CREATE TABLE feed_tokens (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             TEXT NOT NULL CHECK (name ~ '^[a-z][a-z0-9._-]{0,39}$'),
    schedule_id      BIGINT REFERENCES schedules(id) ON DELETE CASCADE,
    engineer_id      BIGINT REFERENCES engineers(id) ON DELETE CASCADE,
    hash             TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at       TIMESTAMPTZ NOT NULL,
    created_by       TEXT NOT NULL CHECK (created_by <> ''),
    last_fetched_at  TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ,
    CHECK ((schedule_id IS NULL) <> (engineer_id IS NULL))
);
-- A name is unique among feeds not revoked: revoking frees it.
CREATE UNIQUE INDEX feed_tokens_live_name ON feed_tokens (name) WHERE revoked_at IS NULL;
CREATE INDEX feed_tokens_schedule ON feed_tokens (schedule_id) WHERE schedule_id IS NOT NULL;
CREATE INDEX feed_tokens_engineer ON feed_tokens (engineer_id) WHERE engineer_id IS NOT NULL;

-- +goose Down
DROP TABLE feed_tokens;
