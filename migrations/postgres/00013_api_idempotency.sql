-- +goose Up
-- Idempotency keys of the admin API's creating writes (api/idempotency.go).
-- A key belongs to one token: the same key from another token is another
-- request. request_hash is the SHA-256 of the method, path and body, so
-- that a key reused for a different request is refused. A row is pending
-- while its first request runs, then done with the answer's status and
-- body; body is NULL when the answer held a secret (a rotated PIN), which
-- is never stored: such a key is refused, not replayed. Rows older than
-- 24 h are deleted as new keys arrive. Replicas share this table, so a
-- retry that reaches another replica finds the first answer.
CREATE TABLE api_idempotency_keys (
    token_id      BIGINT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    key           TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  TEXT NOT NULL CHECK (length(request_hash) = 64),
    created_at    TIMESTAMPTZ NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    status        INTEGER CHECK (status BETWEEN 200 AND 299),
    content_type  TEXT,
    body          BYTEA,
    PRIMARY KEY (token_id, key),
    CHECK ((state = 'done') = (status IS NOT NULL))
);
CREATE INDEX api_idempotency_keys_created ON api_idempotency_keys (created_at);

-- +goose Down
DROP TABLE api_idempotency_keys;
