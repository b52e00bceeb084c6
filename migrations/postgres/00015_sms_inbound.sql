-- +goose Up
-- SMS commands from engineers that change a ticket (ACK, RESOLVE, NOTE;
-- ivr/sms.go), keyed by Twilio's MessageSid, so that a webhook Twilio
-- sends again finds the first answer here and changes nothing twice. A row
-- is pending while its command runs, then done with the reply it got. A
-- refused command (no such ticket, not a number) leaves no row; rows older
-- than 24 h are deleted as new commands arrive. The body is not kept: the
-- ticket's history and the audit log hold what a command changed.
CREATE TABLE sms_inbound (
    message_sid  TEXT PRIMARY KEY CHECK (length(message_sid) = 34 AND (message_sid LIKE 'SM%' OR message_sid LIKE 'MM%')),
    engineer     TEXT NOT NULL CHECK (engineer <> ''),
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    reply        TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ,
    CHECK ((state = 'done') = (reply IS NOT NULL AND answered_at IS NOT NULL))
);
CREATE INDEX sms_inbound_received ON sms_inbound (received_at);

-- A bare ACK or RESOLVE applies to the latest ticket SMS sent to the
-- engineer's number (notify.LastTicketTx).
CREATE INDEX outbox_sent_to ON outbox (recipient, sent_at) WHERE status = 'sent';

-- +goose Down
DROP INDEX outbox_sent_to;
DROP TABLE sms_inbound;
