-- +goose Up
-- The roster (engineers, schedules and their members, overrides) changes
-- rarely and is read for every call the phone line routes. Every change
-- bumps this one-row version, by triggers, so that a change made with psql
-- counts too; the phone line keeps the roster it last read in memory and
-- reads it again only when the version has moved (oncall.Rosters).
CREATE TABLE roster_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO roster_version (id, version) VALUES (1, 1);

-- +goose StatementBegin
CREATE FUNCTION roster_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER engineers_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON engineers
    FOR EACH STATEMENT EXECUTE FUNCTION roster_changed();
CREATE TRIGGER schedules_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON schedules
    FOR EACH STATEMENT EXECUTE FUNCTION roster_changed();
CREATE TRIGGER schedule_members_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON schedule_members
    FOR EACH STATEMENT EXECUTE FUNCTION roster_changed();
CREATE TRIGGER overrides_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON overrides
    FOR EACH STATEMENT EXECUTE FUNCTION roster_changed();

-- +goose Down
DROP TRIGGER engineers_roster ON engineers;
DROP TRIGGER schedules_roster ON schedules;
DROP TRIGGER schedule_members_roster ON schedule_members;
DROP TRIGGER overrides_roster ON overrides;
DROP FUNCTION roster_changed();
DROP TABLE roster_version;
