-- +goose Up
-- The roster (engineers, schedules and their members, overrides) changes
-- rarely and is read for every call the phone line routes. Every change
-- bumps this one-row version, by triggers, so that a change made with the
-- sqlite3 shell counts too; the phone line keeps the roster it last read in
-- memory and reads it again only when the version has moved
-- (oncall.Rosters).
CREATE TABLE roster_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO roster_version (id, version) VALUES (1, 1);

-- +goose StatementBegin
CREATE TRIGGER engineers_roster_insert AFTER INSERT ON engineers
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER engineers_roster_update AFTER UPDATE ON engineers
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER engineers_roster_delete AFTER DELETE ON engineers
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER schedules_roster_insert AFTER INSERT ON schedules
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER schedules_roster_update AFTER UPDATE ON schedules
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER schedules_roster_delete AFTER DELETE ON schedules
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER schedule_members_roster_insert AFTER INSERT ON schedule_members
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER schedule_members_roster_update AFTER UPDATE ON schedule_members
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER schedule_members_roster_delete AFTER DELETE ON schedule_members
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER overrides_roster_insert AFTER INSERT ON overrides
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER overrides_roster_update AFTER UPDATE ON overrides
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER overrides_roster_delete AFTER DELETE ON overrides
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER engineers_roster_insert;
DROP TRIGGER engineers_roster_update;
DROP TRIGGER engineers_roster_delete;
DROP TRIGGER schedules_roster_insert;
DROP TRIGGER schedules_roster_update;
DROP TRIGGER schedules_roster_delete;
DROP TRIGGER schedule_members_roster_insert;
DROP TRIGGER schedule_members_roster_update;
DROP TRIGGER schedule_members_roster_delete;
DROP TRIGGER overrides_roster_insert;
DROP TRIGGER overrides_roster_update;
DROP TRIGGER overrides_roster_delete;
DROP TABLE roster_version;
