-- +goose Up
-- One row per phone call, keyed by Twilio's CallSid: the call's state lives
-- here, never in a process, so consecutive webhooks may hit any replica.
-- seq advances with every transition; webhook URLs carry it, so a replayed
-- or late webhook is recognised and has no second effect. No PIN is stored.
CREATE TABLE calls (
    call_sid      TEXT PRIMARY KEY CHECK (call_sid ~ '^CA[0-9a-f]{32}$'),
    from_number   TEXT NOT NULL,
    to_number     TEXT NOT NULL,
    step          TEXT NOT NULL,
    seq           INTEGER NOT NULL DEFAULT 0,
    via_caller_id BOOLEAN NOT NULL DEFAULT FALSE,
    support_id    TEXT NOT NULL DEFAULT '',
    contact_id    BIGINT REFERENCES contacts(id),
    account_id    BIGINT REFERENCES accounts(id),
    pin_attempts  INTEGER NOT NULL DEFAULT 0,
    misses        INTEGER NOT NULL DEFAULT 0,
    priority      INTEGER,
    ticket_id     BIGINT REFERENCES tickets(id),
    route         TEXT NOT NULL DEFAULT '',
    dial_step     INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    duration      INTEGER,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ
);
CREATE INDEX calls_created ON calls (created_at);

ALTER TABLE tickets ADD COLUMN call_sid TEXT;
ALTER TABLE tickets ADD COLUMN recording_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN recording_sid TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN recording_duration INTEGER;
ALTER TABLE tickets ADD COLUMN escalated_at TIMESTAMPTZ;
-- A call opens at most one ticket.
CREATE UNIQUE INDEX tickets_call_sid ON tickets (call_sid);

-- +goose Down
DROP INDEX tickets_call_sid;
ALTER TABLE tickets DROP COLUMN escalated_at;
ALTER TABLE tickets DROP COLUMN recording_duration;
ALTER TABLE tickets DROP COLUMN recording_sid;
ALTER TABLE tickets DROP COLUMN recording_url;
ALTER TABLE tickets DROP COLUMN call_sid;
DROP TABLE calls;
