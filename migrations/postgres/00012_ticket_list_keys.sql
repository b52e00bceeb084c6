-- +goose Up
-- Keyset pagination of ticket lists (tickets.Service.List): each order is
-- (sort key, id), and an index in that order lets a page start at the
-- previous page's last row and stop after one page, so a page deep in the
-- list costs what the first does.
-- Newest first over all tickets (a backward scan), and per account; the
-- account index of 00003 lacked the id, so ties on opened_at needed a sort.
CREATE INDEX tickets_opened ON tickets (opened_at, id);
DROP INDEX tickets_account;
CREATE INDEX tickets_account ON tickets (account_id, opened_at, id);
-- Soonest due first: over open tickets (the working list, small next to
-- the history), and over all of them.
CREATE INDEX tickets_open_due ON tickets (response_due, id) WHERE status = 'open';
CREATE INDEX tickets_due ON tickets (response_due, id);

-- +goose Down
DROP INDEX tickets_due;
DROP INDEX tickets_open_due;
DROP INDEX tickets_account;
CREATE INDEX tickets_account ON tickets (account_id, opened_at);
DROP INDEX tickets_opened;
