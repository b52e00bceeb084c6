-- +goose Up
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE CHECK (length(number) >= 6 AND number NOT GLOB '*[^0-9]*'),
    name        TEXT NOT NULL CHECK (name <> ''),
    plan        TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    support_id  TEXT NOT NULL UNIQUE CHECK (length(support_id) = 8 AND support_id NOT GLOB '*[^0-9]*'),
    name        TEXT NOT NULL CHECK (name <> ''),
    phone       TEXT NOT NULL,
    email       TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    removed_at  DATETIME
);
CREATE INDEX contacts_account ON contacts (account_id) WHERE removed_at IS NULL;
CREATE INDEX contacts_phone ON contacts (phone) WHERE removed_at IS NULL;

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          DATETIME NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    account_id  INTEGER REFERENCES accounts(id),
    contact_id  INTEGER REFERENCES contacts(id),
    subject     TEXT NOT NULL DEFAULT '',
    caller      TEXT NOT NULL DEFAULT '',
    result      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_contact ON audit_events (contact_id, at);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE contacts;
DROP TABLE accounts;
