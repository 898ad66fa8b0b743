-- The initial schema. Conventions:
--   * times are INTEGER unix milliseconds in UTC; 0 stands for the zero
--     time.Time, NULL for an absent optional time (*time.Time);
--   * durations are INTEGER milliseconds; money is INTEGER micros;
--   * STRICT tables, so a wrongly typed value fails instead of being coerced.

-- +goose Up
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    currency   TEXT    NOT NULL DEFAULT 'EUR',
    balance    INTEGER NOT NULL DEFAULT 0, -- always sum(ledger.amount)
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    hash         BLOB    NOT NULL UNIQUE, -- SHA-256 of the secret
    scopes       TEXT    NOT NULL DEFAULT '', -- comma list
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
) STRICT;
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE ledger (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount     INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    message_id INTEGER, -- the message a debit or refund is for
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_account ON ledger (account_id, id);

CREATE TABLE senders (
    number          TEXT PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    phone_number_id TEXT UNIQUE, -- NULL when unknown, so that blanks do not collide
    waba_id         TEXT    NOT NULL DEFAULT '',
    mps             INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX senders_account ON senders (account_id, number);

CREATE TABLE templates (
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    language         TEXT    NOT NULL,
    id               TEXT    NOT NULL DEFAULT '',
    category         TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT '',
    parameter_format TEXT    NOT NULL DEFAULT '',
    components       TEXT    NOT NULL DEFAULT '[]', -- JSON
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (account_id, name, language)
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
    id                   INTEGER PRIMARY KEY,
    account_id           INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sender               TEXT    NOT NULL,
    recipient            TEXT    NOT NULL,
    content              TEXT    NOT NULL, -- JSON of openwaba.Content
    text                 TEXT    NOT NULL DEFAULT '',
    encoding             TEXT    NOT NULL DEFAULT '',
    category             TEXT    NOT NULL DEFAULT '',
    price                INTEGER NOT NULL DEFAULT 0,
    label                TEXT    NOT NULL DEFAULT '',
    foreign_id           TEXT    NOT NULL DEFAULT '',
    performance_tracking INTEGER NOT NULL DEFAULT 0,
    ttl                  INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    scheduled_at         INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    status               TEXT    NOT NULL,
    status_rank          INTEGER NOT NULL, -- openwaba.Status.Rank(), compared in SQL
    status_at            INTEGER NOT NULL,
    wamid                TEXT, -- NULL until WhatsApp accepted the message
    error_code           INTEGER NOT NULL DEFAULT 0,
    error_text           TEXT    NOT NULL DEFAULT '',
    attempts             INTEGER NOT NULL DEFAULT 0,
    refunded             INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX messages_account ON messages (account_id, id);
-- Status webhooks find messages by wamid alone; the API adds the account.
CREATE INDEX messages_wamid ON messages (wamid, account_id) WHERE wamid IS NOT NULL;

-- The status journal. One row per (message, status): a report WhatsApp
-- repeats is recorded once, the first time, and distinct statuses are kept
-- in the order they arrived, out-of-order ones included.
CREATE TABLE message_statuses (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    error_code INTEGER NOT NULL DEFAULT 0,
    error_text TEXT    NOT NULL DEFAULT '',
    UNIQUE (message_id, status)
) STRICT;

-- Status reports that arrived before the dispatcher stored the wamid of
-- their message (Meta can be that fast); MarkSubmitted applies them.
CREATE TABLE early_statuses (
    wamid       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    error_code  INTEGER NOT NULL DEFAULT 0,
    error_text  TEXT    NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    PRIMARY KEY (wamid, status)
) STRICT;
CREATE INDEX early_statuses_received ON early_statuses (received_at);

-- The dispatcher's work: only messages that still have to reach WhatsApp.
-- Rows leave when a message is submitted, failed, expired or deleted, so the
-- table stays as small as the backlog.
CREATE TABLE dispatch_queue (
    message_id  INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    due_at      INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0, -- claimed until then
    attempts    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX dispatch_queue_due ON dispatch_queue (due_at, lease_until);
-- When a row becomes claimable: what NextDue asks for.
CREATE INDEX dispatch_queue_claimable ON dispatch_queue (max(due_at, lease_until));

CREATE TABLE inbound_messages (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sender       TEXT    NOT NULL,
    from_number  TEXT    NOT NULL,
    wamid        TEXT UNIQUE, -- dedupes webhook retries; NULL is never a duplicate
    type         TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL DEFAULT '',
    payload      BLOB,
    profile_name TEXT    NOT NULL DEFAULT '',
    sent_at      INTEGER NOT NULL,
    received_at  INTEGER NOT NULL
) STRICT;
-- LastInbound: the newest message of one conversation, by WhatsApp's time.
CREATE INDEX inbound_messages_conversation ON inbound_messages (account_id, sender, from_number, sent_at, id);

-- Customer service windows, keyed by our number and the user's.
CREATE TABLE windows (
    sender          TEXT    NOT NULL,
    user_number     TEXT    NOT NULL,
    last_inbound_at INTEGER NOT NULL,
    PRIMARY KEY (sender, user_number)
) STRICT, WITHOUT ROWID;

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
