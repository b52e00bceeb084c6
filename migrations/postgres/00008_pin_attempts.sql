-- +goose Up
-- Attempts in flight are reservations, not failures. One row per
-- verification between its reservation and its outcome (the argon2id hash
-- runs in between). A reservation counts against the contact's and the
-- calling number's room only while started_at is within the reservation TTL
-- (two minutes), so one left by a process that died, or whose outcome could
-- not be recorded, simply expires and never becomes a failure. contact_id is
-- set when the attempt is checked against the contact's credential,
-- entry_key when it counts against an unmatched entry (pin_entries); an
-- attempt counted against the calling number only (an expired PIN) has
-- neither. From this version on, pin_credentials.failures counts settled
-- failures only, and its last_attempt_at is the time of the last counted
-- failure.
CREATE TABLE pin_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    caller      TEXT NOT NULL CHECK (caller <> ''),
    contact_id  BIGINT REFERENCES contacts(id),
    entry_key   TEXT CHECK (entry_key ~ '^[a-p]{32}$'),
    CHECK (contact_id IS NULL OR entry_key IS NULL)
);
CREATE INDEX pin_attempts_caller ON pin_attempts (caller, started_at);
CREATE INDEX pin_attempts_contact ON pin_attempts (contact_id, started_at) WHERE contact_id IS NOT NULL;
CREATE INDEX pin_attempts_entry ON pin_attempts (entry_key, started_at) WHERE entry_key IS NOT NULL;
CREATE INDEX pin_attempts_started ON pin_attempts (started_at);

-- Lockout counters of what callers keyed as a support ID that is not a
-- contact with a current PIN (unknown, removed, malformed, or a contact
-- whose PIN is revoked or was never issued), so that such an entry locks
-- exactly as a real support ID does. entry_key is a keyed hash (HMAC-SHA256
-- under the server secret, 128 bits spelled with the letters a to p), never
-- the digits: the entry may be a PIN keyed at the wrong prompt, and the
-- CHECK refuses anything with a digit in it. The columns mean what they mean
-- in pin_credentials; last_attempt_at is the last counted failure (NULL
-- while the first attempt is in flight). Rows are pruned once unlocked and
-- idle for the longer of max_lockout and an hour.
CREATE TABLE pin_entries (
    entry_key        TEXT PRIMARY KEY CHECK (entry_key ~ '^[a-p]{32}$'),
    failures         INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lockouts         INTEGER NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    locked_until     TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ
);

-- +goose Down
DROP TABLE pin_entries;
DROP TABLE pin_attempts;
