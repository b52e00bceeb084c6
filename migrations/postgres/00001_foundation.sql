-- +goose Up
CREATE TABLE accounts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE CHECK (number ~ '^[0-9]{6,}$'),
    name        TEXT NOT NULL CHECK (name <> ''),
    plan        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE contacts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    support_id  TEXT NOT NULL UNIQUE CHECK (support_id ~ '^[0-9]{8}$'),
    name        TEXT NOT NULL CHECK (name <> ''),
    phone       TEXT NOT NULL,
    email       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    removed_at  TIMESTAMPTZ
);
CREATE INDEX contacts_account ON contacts (account_id) WHERE removed_at IS NULL;
CREATE INDEX contacts_phone ON contacts (phone) WHERE removed_at IS NULL;

CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    account_id  BIGINT REFERENCES accounts(id),
    contact_id  BIGINT REFERENCES contacts(id),
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
