-- Webhook event ids (webhook_outbox.id, sent as X-Webhook-Id) must never
-- be given twice: receivers drop ids they have seen. A plain INTEGER
-- PRIMARY KEY reuses the largest id once that row is deleted, and
-- delivered rows are deleted; AUTOINCREMENT never hands out an id again,
-- also across restarts and once the table is empty. PostgreSQL's identity
-- columns already behave so. Hook ids likewise: the API hands them out and
-- deletes by them, so a deleted hook's id must not name a new one.

-- +goose Up
CREATE TABLE hooks_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_url     TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    request_method TEXT    NOT NULL,
    event_filter   TEXT    NOT NULL DEFAULT '',
    headers        TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
) STRICT;
INSERT INTO hooks_new SELECT id, account_id, target_url, event_type, request_method, event_filter, headers, created_at FROM hooks;

CREATE TABLE webhook_outbox_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    hook_id     INTEGER NOT NULL REFERENCES hooks_new (id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    order_key   TEXT    NOT NULL,
    message_id  INTEGER NOT NULL DEFAULT 0,
    inbound_id  INTEGER NOT NULL DEFAULT 0,
    click_id    INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT '',
    status_at   INTEGER NOT NULL DEFAULT 0,
    error_code  INTEGER NOT NULL DEFAULT 0,
    error_text  TEXT    NOT NULL DEFAULT '',
    data        BLOB,
    created_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL DEFAULT 'pending'
) STRICT;
INSERT INTO webhook_outbox_new (id, hook_id, event, order_key, message_id, inbound_id, click_id,
    status, status_at, error_code, error_text, data, created_at, due_at, lease_until, attempts,
    last_error, state)
SELECT id, hook_id, event, order_key, message_id, inbound_id, click_id,
    status, status_at, error_code, error_text, data, created_at, due_at, lease_until, attempts,
    last_error, state
FROM webhook_outbox;
DROP TABLE webhook_outbox;
DROP TABLE hooks;
ALTER TABLE hooks_new RENAME TO hooks;
ALTER TABLE webhook_outbox_new RENAME TO webhook_outbox;
CREATE INDEX hooks_account ON hooks (account_id, id);
CREATE INDEX webhook_outbox_claimable ON webhook_outbox (max(due_at, lease_until)) WHERE state = 'pending';
CREATE INDEX webhook_outbox_order ON webhook_outbox (hook_id, order_key, id) WHERE state = 'pending';
CREATE INDEX webhook_outbox_dead ON webhook_outbox (hook_id, id) WHERE state = 'dead';

-- +goose Down
SELECT 1;
