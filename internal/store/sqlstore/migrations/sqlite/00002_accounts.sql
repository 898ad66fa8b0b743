-- Accounts, API keys and scopes, balances and prices (issue 4): request
-- signing, the price table, and the durable records that guard against
-- replayed and repeated requests. Same conventions as 00001.

-- +goose Up
-- The secret an account signs its requests with (HMAC-SHA256, as seven
-- does). It is stored as given because the server needs it to compute the
-- HMAC; '' means the account does not sign its requests.
ALTER TABLE accounts ADD COLUMN signing_secret TEXT NOT NULL DEFAULT '';

-- Prices by currency, recipient calling-code prefix and category. The
-- prefix '' is the currency's default row; the longest matching prefix wins.
CREATE TABLE prices (
    currency   TEXT    NOT NULL,
    prefix     TEXT    NOT NULL, -- digits of the calling code (and more), '' for the default
    category   TEXT    NOT NULL,
    amount     INTEGER NOT NULL, -- micros
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (currency, prefix, category)
) STRICT, WITHOUT ROWID;

-- Nonces of signed requests, kept until their timestamp is too old to be
-- accepted anyway.
CREATE TABLE request_nonces (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    nonce      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX request_nonces_expires ON request_nonces (expires_at);

-- Idempotency-Key records: the first request's fingerprint and, once it
-- finished, its response.
CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0, -- HTTP status; 0 while the first request runs
    body         BLOB,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE request_nonces;
DROP TABLE prices;
ALTER TABLE accounts DROP COLUMN signing_secret;
