-- +goose Up
-- One row per phone call, keyed by Twilio's CallSid: the call's state lives
-- here, never in a process. seq advances with every transition; webhook URLs
-- carry it, so a replayed or late webhook has no second effect. No PIN is
-- stored.
CREATE TABLE calls (
    call_sid      TEXT PRIMARY KEY CHECK (length(call_sid) = 34 AND call_sid GLOB 'CA*'),
    from_number   TEXT NOT NULL,
    to_number     TEXT NOT NULL,
    step          TEXT NOT NULL,
    seq           INTEGER NOT NULL DEFAULT 0,
    via_caller_id BOOLEAN NOT NULL DEFAULT 0,
    support_id    TEXT NOT NULL DEFAULT '',
    contact_id    INTEGER REFERENCES contacts(id),
    account_id    INTEGER REFERENCES accounts(id),
    pin_attempts  INTEGER NOT NULL DEFAULT 0,
    misses        INTEGER NOT NULL DEFAULT 0,
    priority      INTEGER,
    ticket_id     INTEGER REFERENCES tickets(id),
    route         TEXT NOT NULL DEFAULT '',
    dial_step     INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    duration      INTEGER,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    ended_at      DATETIME
);
CREATE INDEX calls_created ON calls (created_at);

ALTER TABLE tickets ADD COLUMN call_sid TEXT;
ALTER TABLE tickets ADD COLUMN recording_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN recording_sid TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN recording_duration INTEGER;
ALTER TABLE tickets ADD COLUMN escalated_at DATETIME;
CREATE UNIQUE INDEX tickets_call_sid ON tickets (call_sid);

-- +goose Down
DROP INDEX tickets_call_sid;
ALTER TABLE tickets DROP COLUMN escalated_at;
ALTER TABLE tickets DROP COLUMN recording_duration;
ALTER TABLE tickets DROP COLUMN recording_sid;
ALTER TABLE tickets DROP COLUMN recording_url;
ALTER TABLE tickets DROP COLUMN call_sid;
DROP TABLE calls;
