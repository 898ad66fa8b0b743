-- The initial schema, the PostgreSQL twin of the SQLite one
-- (internal/store/sqlite/migrations). Conventions, as there:
--   * times are BIGINT unix milliseconds in UTC; 0 stands for the zero
--     time.Time, NULL for an absent optional time (*time.Time). Both
--     drivers then return exactly the same instants, and queue arithmetic
--     (GREATEST(due_at, lease_until)) needs no casts;
--   * durations are BIGINT milliseconds; money is BIGINT micros.
-- Ids come from identity columns; a rolled-back transaction leaves a gap,
-- which nothing relies on.

-- +goose Up
CREATE TABLE accounts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    currency   TEXT   NOT NULL DEFAULT 'EUR',
    balance    BIGINT NOT NULL DEFAULT 0, -- always sum(ledger.amount)
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL DEFAULT '',
    hash         BYTEA  NOT NULL UNIQUE, -- SHA-256 of the secret
    scopes       TEXT   NOT NULL DEFAULT '', -- comma list
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE ledger (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount     BIGINT NOT NULL,
    reason     TEXT   NOT NULL,
    message_id BIGINT, -- the message a debit or refund is for
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_account ON ledger (account_id, id);

CREATE TABLE senders (
    number          TEXT PRIMARY KEY,
    account_id      BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    phone_number_id TEXT UNIQUE, -- NULL when unknown, so that blanks do not collide
    waba_id         TEXT    NOT NULL DEFAULT '',
    mps             INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX senders_account ON senders (account_id, number);

CREATE TABLE templates (
    account_id       BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             TEXT   NOT NULL,
    language         TEXT   NOT NULL,
    id               TEXT   NOT NULL DEFAULT '',
    category         TEXT   NOT NULL DEFAULT '',
    status           TEXT   NOT NULL DEFAULT '',
    parameter_format TEXT   NOT NULL DEFAULT '',
    components       JSON   NOT NULL DEFAULT '[]', -- JSON kept verbatim; never queried
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (account_id, name, language)
);

CREATE TABLE messages (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id           BIGINT   NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sender               TEXT     NOT NULL,
    recipient            TEXT     NOT NULL,
    content              JSON     NOT NULL, -- openwaba.Content, verbatim
    text                 TEXT     NOT NULL DEFAULT '',
    encoding             TEXT     NOT NULL DEFAULT '',
    category             TEXT     NOT NULL DEFAULT '',
    price                BIGINT   NOT NULL DEFAULT 0,
    label                TEXT     NOT NULL DEFAULT '',
    foreign_id           TEXT     NOT NULL DEFAULT '',
    performance_tracking BOOLEAN  NOT NULL DEFAULT false,
    ttl                  BIGINT   NOT NULL DEFAULT 0,
    created_at           BIGINT   NOT NULL,
    scheduled_at         BIGINT   NOT NULL,
    expires_at           BIGINT   NOT NULL,
    status               TEXT     NOT NULL,
    status_rank          SMALLINT NOT NULL, -- openwaba.Status.Rank(), compared in SQL
    status_at            BIGINT   NOT NULL,
    wamid                TEXT, -- NULL until WhatsApp accepted the message
    error_code           INTEGER  NOT NULL DEFAULT 0,
    error_text           TEXT     NOT NULL DEFAULT '',
    attempts             INTEGER  NOT NULL DEFAULT 0,
    refunded             BOOLEAN  NOT NULL DEFAULT false
);
CREATE INDEX messages_account ON messages (account_id, id);
-- Status webhooks find messages by wamid alone; the API adds the account.
CREATE INDEX messages_wamid ON messages (wamid, account_id) WHERE wamid IS NOT NULL;

-- The status journal. One row per (message, status): a report WhatsApp
-- repeats is recorded once, the first time, and distinct statuses are kept
-- in the order they arrived (by id), out-of-order ones included.
CREATE TABLE message_statuses (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT  NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    error_code INTEGER NOT NULL DEFAULT 0,
    error_text TEXT    NOT NULL DEFAULT '',
    UNIQUE (message_id, status)
);

-- Status reports that arrived before the dispatcher stored the wamid of
-- their message (Meta can be that fast); MarkSubmitted applies them.
CREATE TABLE early_statuses (
    wamid       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    error_code  INTEGER NOT NULL DEFAULT 0,
    error_text  TEXT    NOT NULL DEFAULT '',
    received_at BIGINT  NOT NULL,
    PRIMARY KEY (wamid, status)
);
CREATE INDEX early_statuses_received ON early_statuses (received_at);

-- The dispatcher's work: only messages that still have to reach WhatsApp.
-- Rows leave when a message is submitted, failed, expired or deleted, so the
-- table and its indexes stay as small as the backlog, and autovacuum has
-- little to do. fillfactor leaves room in each page for the lease updates
-- (HOT updates: lease_until is in an index, so only partly).
CREATE TABLE dispatch_queue (
    message_id  BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    due_at      BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL DEFAULT 0, -- claimed until then
    attempts    INTEGER NOT NULL DEFAULT 0
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01);
-- When a row becomes claimable, and in which order: what ClaimDue scans
-- and NextDue asks for.
CREATE INDEX dispatch_queue_claimable ON dispatch_queue ((GREATEST(due_at, lease_until)), message_id);

CREATE TABLE inbound_messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sender       TEXT   NOT NULL,
    from_number  TEXT   NOT NULL,
    wamid        TEXT UNIQUE, -- dedupes webhook retries; NULL is never a duplicate
    type         TEXT   NOT NULL DEFAULT '',
    text         TEXT   NOT NULL DEFAULT '',
    payload      BYTEA,
    profile_name TEXT   NOT NULL DEFAULT '',
    sent_at      BIGINT NOT NULL,
    received_at  BIGINT NOT NULL
);
-- LastInbound: the newest message of one conversation, by WhatsApp's time.
CREATE INDEX inbound_messages_conversation ON inbound_messages (account_id, sender, from_number, sent_at, id);

-- Customer service windows, keyed by our number and the user's.
CREATE TABLE windows (
    sender          TEXT   NOT NULL,
    user_number     TEXT   NOT NULL,
    last_inbound_at BIGINT NOT NULL,
    PRIMARY KEY (sender, user_number)
);

-- +goose Down
DROP TABLE windows;
DROP TABLE inbound_messages;
DROP TABLE dispatch_queue;
DROP TABLE early_statuses;
DROP TABLE message_statuses;
DROP TABLE messages;
DROP TABLE templates;
DROP TABLE senders;
DROP TABLE ledger;
DROP TABLE api_keys;
DROP TABLE accounts;
