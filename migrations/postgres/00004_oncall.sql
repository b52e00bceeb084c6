-- +goose Up
-- Engineers take live calls and SMS. Removing one is a hard delete, refused
-- while they are in a schedule or cover an override that has not ended.
CREATE TABLE engineers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle      TEXT NOT NULL UNIQUE CHECK (handle ~ '^[a-z][a-z0-9._-]{0,39}$'),
    name        TEXT NOT NULL CHECK (name <> ''),
    phone       TEXT NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    sms         BOOLEAN NOT NULL DEFAULT TRUE,
    email       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);

-- A schedule is a rotation. The handoff is a wall-clock time in the
-- schedule's zone (YYYY-MM-DDTHH:MM), not an instant, so that a weekly
-- Monday 09:00 handoff stays at 09:00 across DST.
CREATE TABLE schedules (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
    timezone       TEXT NOT NULL CHECK (timezone <> ''),
    shift_minutes  INTEGER NOT NULL CHECK (shift_minutes > 0),
    handoff        TEXT NOT NULL CHECK (length(handoff) = 16),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

-- Members in rotation order; an engineer may appear more than once.
CREATE TABLE schedule_members (
    schedule_id  BIGINT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL CHECK (position >= 0),
    engineer_id  BIGINT NOT NULL REFERENCES engineers(id),
    PRIMARY KEY (schedule_id, position)
);
CREATE INDEX schedule_members_engineer ON schedule_members (engineer_id);

-- An override puts an engineer on call over [starts_at, ends_at); where
-- overrides overlap, the most recently created wins.
CREATE TABLE overrides (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id  BIGINT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    engineer_id  BIGINT NOT NULL REFERENCES engineers(id),
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
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
