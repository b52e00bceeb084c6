-- +goose Up
-- Engineers take live calls and SMS. Removing one is a hard delete, refused
-- while they are in a schedule or cover an override that has not ended.
CREATE TABLE engineers (
    id          INTEGER PRIMARY KEY,
    handle      TEXT NOT NULL UNIQUE CHECK (handle <> '' AND length(handle) <= 40 AND handle NOT GLOB '*[^a-z0-9._-]*' AND handle GLOB '[a-z]*'),
    name        TEXT NOT NULL CHECK (name <> ''),
    phone       TEXT NOT NULL CHECK (phone GLOB '+[1-9]*' AND substr(phone, 2) NOT GLOB '*[^0-9]*' AND length(phone) BETWEEN 9 AND 16),
    sms         INTEGER NOT NULL DEFAULT 1 CHECK (sms IN (0, 1)),
    email       TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);

-- A schedule is a rotation. The handoff is a wall-clock time in the
-- schedule's zone (YYYY-MM-DDTHH:MM), not an instant, so that a weekly
-- Monday 09:00 handoff stays at 09:00 across DST.
CREATE TABLE schedules (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE CHECK (name <> '' AND length(name) <= 40 AND name NOT GLOB '*[^a-z0-9_-]*' AND name GLOB '[a-z]*'),
    timezone       TEXT NOT NULL CHECK (timezone <> ''),
    shift_minutes  INTEGER NOT NULL CHECK (shift_minutes > 0),
    handoff        TEXT NOT NULL CHECK (length(handoff) = 16),
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);

-- Members in rotation order; an engineer may appear more than once.
CREATE TABLE schedule_members (
    schedule_id  INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL CHECK (position >= 0),
    engineer_id  INTEGER NOT NULL REFERENCES engineers(id),
    PRIMARY KEY (schedule_id, position)
);
CREATE INDEX schedule_members_engineer ON schedule_members (engineer_id);

-- An override puts an engineer on call over [starts_at, ends_at); where
-- overrides overlap, the most recently created wins.
CREATE TABLE overrides (
    id           INTEGER PRIMARY KEY,
    schedule_id  INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    engineer_id  INTEGER NOT NULL REFERENCES engineers(id),
    starts_at    DATETIME NOT NULL,
    ends_at      DATETIME NOT NULL,
    created_at   DATETIME NOT NULL,
    created_by   TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
-- Routing asks for the overrides in force at an instant.
CREATE INDEX overrides_window ON overrides (ends_at, starts_at);
CREATE INDEX overrides_engineer ON overrides (engineer_id);
CREATE INDEX overrides_schedule ON overrides (schedule_id);

-- +goose Down
DROP TABLE overrides;
DROP TABLE schedule_members;
DROP TABLE schedules;
DROP TABLE engineers;
