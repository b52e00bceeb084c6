-- +goose Up
-- Outgoing SMS, written in the transaction of the event that causes them and
-- delivered by notify.Worker. A row is never deleted by the worker: its
-- status and error are the delivery record `supportline outbox list` shows.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- What caused the message, e.g. ticket:100123:warning.
    event_key        TEXT NOT NULL CHECK (event_key <> ''),
    recipient        TEXT NOT NULL CHECK (recipient LIKE '+%'),
    body             TEXT NOT NULL CHECK (body <> ''),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    -- Claims so far; each claim adds one, so it also fences a worker whose
    -- claim expired and was taken over from recording a stale outcome.
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  DATETIME NOT NULL,
    claimed_until    DATETIME,
    sent_at          DATETIME,
    provider_sid     TEXT NOT NULL DEFAULT '',
    error_code       INTEGER,
    error            TEXT NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    -- Each message exists at most once per (event, recipient).
    UNIQUE (event_key, recipient),
    CHECK ((status = 'sending') = (claimed_until IS NOT NULL)),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
-- What the worker claims: due pending rows, and expired claims.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_claimed ON outbox (claimed_until, id) WHERE status = 'sending';
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';

-- +goose Down
DROP TABLE outbox;
