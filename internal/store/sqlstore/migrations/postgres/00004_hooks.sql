-- Webhooks to customers: their subscriptions, and the outbox of events on
-- their way. The outbox is written in the transaction of the change it
-- reports; delivered rows are deleted, so the table holds only work that
-- is pending or dead (given up, kept for replay).

-- +goose Up
CREATE TABLE hooks (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_url     TEXT   NOT NULL,
    event_type     TEXT   NOT NULL,
    request_method TEXT   NOT NULL,
    event_filter   TEXT   NOT NULL DEFAULT '',
    headers        TEXT   NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);
CREATE INDEX hooks_account ON hooks (account_id, id);

-- Like dispatch_queue, rows come and go quickly (a lease update, then a
-- delete): room for HOT updates, and vacuumed early.
CREATE TABLE webhook_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hook_id     BIGINT  NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    -- Deliveries of one hook with the same order key go out one after the
    -- other, oldest first: "m<id>" for a message's events, "c<sender>:<user>"
    -- for a conversation's inbound messages.
    order_key   TEXT    NOT NULL,
    message_id  BIGINT  NOT NULL DEFAULT 0,
    inbound_id  BIGINT  NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT '',
    status_at   BIGINT  NOT NULL DEFAULT 0,
    error_code  INTEGER NOT NULL DEFAULT 0,
    error_text  TEXT    NOT NULL DEFAULT '',
    data        BYTEA,
    created_at  BIGINT  NOT NULL,
    due_at      BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL DEFAULT 'pending'
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01);
CREATE INDEX webhook_outbox_claimable ON webhook_outbox ((GREATEST(due_at, lease_until)), id) WHERE state = 'pending';
CREATE INDEX webhook_outbox_order ON webhook_outbox (hook_id, order_key, id) WHERE state = 'pending';
CREATE INDEX webhook_outbox_dead ON webhook_outbox (hook_id, id) WHERE state = 'dead';

-- +goose Down
DROP TABLE webhook_outbox;
DROP TABLE hooks;
