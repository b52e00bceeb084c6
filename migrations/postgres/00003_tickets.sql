-- +goose Up
-- Ticket numbers are spoken to callers: sequential, at least six digits.
-- A sequence may skip a number when an opening transaction rolls back.
CREATE SEQUENCE ticket_number_seq START WITH 100001 MINVALUE 100001;

CREATE TABLE tickets (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number        BIGINT NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq') CHECK (number >= 100001),
    account_id    BIGINT NOT NULL REFERENCES accounts(id),
    contact_id    BIGINT REFERENCES contacts(id),
    plan          TEXT NOT NULL,
    priority      INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 8),
    opened_at     TIMESTAMPTZ NOT NULL,
    -- The promise as it was made: target as written, calendar name, and the
    -- instants computed from them. A later policy edit does not move them.
    target        TEXT NOT NULL,
    clock         TEXT NOT NULL,
    response_due  TIMESTAMPTZ NOT NULL,
    warn_at       TIMESTAMPTZ NOT NULL CHECK (warn_at <= response_due),
    responded_at  TIMESTAMPTZ,
    responder     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_at   TIMESTAMPTZ,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number;
CREATE INDEX tickets_account ON tickets (account_id, opened_at);
-- What the breach watcher scans: open tickets still waiting for a response.
CREATE INDEX tickets_awaiting ON tickets (warn_at, id) WHERE status = 'open' AND responded_at IS NULL;

CREATE TABLE ticket_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL CHECK (kind <> ''),
    at          TIMESTAMPTZ NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
-- At most one warning and one breach per ticket, whoever records them: two
-- watchers that race both try, and the database lets one win.
CREATE UNIQUE INDEX ticket_events_once ON ticket_events (ticket_id, kind) WHERE kind IN ('warning', 'breach');

-- +goose Down
DROP TABLE ticket_events;
DROP TABLE tickets;
