-- +goose Up
-- Ticket numbers are spoken to callers: sequential, at least six digits.
-- AUTOINCREMENT never reuses an id, and number is derived from it, so the
-- Go code inserts without a number on both engines and reads it back.
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    number        INTEGER NOT NULL GENERATED ALWAYS AS (id + 100000) STORED UNIQUE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    contact_id    INTEGER REFERENCES contacts(id),
    plan          TEXT NOT NULL,
    priority      INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 8),
    opened_at     DATETIME NOT NULL,
    -- The promise as it was made: target as written, calendar name, and the
    -- instants computed from them. A later policy edit does not move them.
    target        TEXT NOT NULL,
    clock         TEXT NOT NULL,
    response_due  DATETIME NOT NULL,
    warn_at       DATETIME NOT NULL CHECK (warn_at <= response_due),
    responded_at  DATETIME,
    responder     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_at   DATETIME,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX tickets_account ON tickets (account_id, opened_at);
-- What the breach watcher scans: open tickets still waiting for a response.
CREATE INDEX tickets_awaiting ON tickets (warn_at, id) WHERE status = 'open' AND responded_at IS NULL;

CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL CHECK (kind <> ''),
    at          DATETIME NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
-- At most one warning and one breach per ticket, whoever records them: two
-- watchers that race both try, and the database lets one win.
CREATE UNIQUE INDEX ticket_events_once ON ticket_events (ticket_id, kind) WHERE kind IN ('warning', 'breach');

-- +goose Down
DROP TABLE ticket_events;
DROP TABLE tickets;
