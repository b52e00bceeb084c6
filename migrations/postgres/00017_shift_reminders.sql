-- +goose Up
-- Shift reminders (notify.Reminders): one row per shift an engineer was told
-- about, the shift as it was when they were told (schedule, engineer,
-- bounds, and the schedule's zone to word a correction even after the
-- schedule is gone). The partial unique index makes the database the judge
-- of "exactly once" across replicas: a second reminder of the same shift is
-- refused (ON CONFLICT DO NOTHING) while the first stands. A shift that
-- changed after its reminder gets its row corrected (corrected_at, and what
-- the engineer was told: 'no_longer', 'changed', or nothing: 'carried',
-- 'unsent'); the same shift may then be reminded again if it comes back.
CREATE TABLE shift_reminders (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule     TEXT NOT NULL CHECK (schedule <> ''),
    timezone     TEXT NOT NULL CHECK (timezone <> ''),
    engineer     TEXT NOT NULL CHECK (engineer <> ''),
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL CHECK (ends_at > starts_at),
    -- What the engineer was told: 'reminder', 'changed' (a correction that
    -- gave this shift's new times), or nothing: 'carried' (the same
    -- coverage, split differently).
    kind         TEXT NOT NULL CHECK (kind IN ('reminder', 'changed', 'carried')),
    created_at   TIMESTAMPTZ NOT NULL,
    corrected_at TIMESTAMPTZ,
    correction   TEXT NOT NULL DEFAULT '' CHECK (correction IN ('', 'no_longer', 'changed', 'carried', 'unsent')),
    CHECK ((corrected_at IS NULL) = (correction = ''))
);
CREATE UNIQUE INDEX shift_reminders_once ON shift_reminders (schedule, engineer, starts_at, ends_at) WHERE corrected_at IS NULL;
-- What each pass reads: the reminders standing for shifts not yet ended.
CREATE INDEX shift_reminders_standing ON shift_reminders (ends_at) WHERE corrected_at IS NULL;

-- +goose Down
DROP TABLE shift_reminders;
