-- +goose Up
-- Keyset pagination of the audit log (audit.Service.ListPage): newest first
-- by (at, id), since the events of one transaction share an instant. With
-- the id in the index a page starts at the previous page's last row and
-- stops after one page (a backward scan), without sorting the events of an
-- instant; the contact's index gets the id for the same reason, as the
-- tickets' did in 00012.
DROP INDEX audit_events_at;
CREATE INDEX audit_events_at ON audit_events (at, id);
DROP INDEX audit_events_contact;
CREATE INDEX audit_events_contact ON audit_events (contact_id, at, id);

-- +goose Down
DROP INDEX audit_events_contact;
CREATE INDEX audit_events_contact ON audit_events (contact_id, at);
DROP INDEX audit_events_at;
CREATE INDEX audit_events_at ON audit_events (at);
