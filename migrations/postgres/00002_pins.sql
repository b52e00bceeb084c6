-- +goose Up
-- One PIN credential per contact. hash is the argon2id PHC string; no column
-- ever holds a PIN, and the CHECK refuses anything that is not a PHC string,
-- so a bug that tried to store a PIN in clear fails loudly instead.
-- failures counts consecutive failures, including attempts reserved by
-- verifications still hashing; lockouts counts locks since the last reset
-- (the doubling); locked_until stays after a lock ends, which is how the next
-- attempt knows the old run of failures is over.
CREATE TABLE pin_credentials (
    contact_id       BIGINT PRIMARY KEY REFERENCES contacts(id),
    hash             TEXT NOT NULL CHECK (substr(hash, 1, 10) = '$argon2id$'),
    rotated_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ,
    failures         INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lockouts         INTEGER NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    locked_until     TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ
);

-- One row per calling number (or the shared "anonymous" bucket): the row
-- lock that serialises that number's attempts, so that counting its recent
-- failures and adding one is atomic across replicas.
CREATE TABLE pin_callers (
    caller           TEXT PRIMARY KEY CHECK (caller <> ''),
    last_attempt_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX pin_callers_last_attempt ON pin_callers (last_attempt_at);

-- Failed verifications per calling number, for the sliding one-hour window.
-- Rows older than the window are pruned as failures are recorded.
CREATE TABLE pin_failures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    caller      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    contact_id  BIGINT REFERENCES contacts(id)
);
CREATE INDEX pin_failures_caller ON pin_failures (caller, at);
CREATE INDEX pin_failures_at ON pin_failures (at);
CREATE INDEX pin_failures_contact ON pin_failures (contact_id) WHERE contact_id IS NOT NULL;

-- +goose Down
DROP TABLE pin_failures;
DROP TABLE pin_callers;
DROP TABLE pin_credentials;
