-- Media both ways (docs/media.md). Files live in the database on both
-- engines, in chunks of openwaba.MediaChunkSize, so every node serves
-- every file and no request holds a whole file in memory. An inbound
-- message with media queues a download in media_downloads (in the
-- transaction that stores it); its wa_mo goes to the outbox only once the
-- file is stored or the download was given up.

-- +goose Up
CREATE TABLE media_files (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mime_type  TEXT    NOT NULL,
    filename   TEXT    NOT NULL DEFAULT '',
    size       BIGINT  NOT NULL DEFAULT 0,
    sha256     BYTEA,
    complete   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX media_files_expiry ON media_files (expires_at);

-- Chunks are written once and read many times: no room for updates, and
-- PostgreSQL keeps them out of line (TOAST) without compressing them
-- (media is compressed already).
CREATE TABLE media_chunks (
    file_id BIGINT  NOT NULL REFERENCES media_files (id) ON DELETE CASCADE,
    n       INTEGER NOT NULL,
    data    BYTEA   NOT NULL,
    PRIMARY KEY (file_id, n)
);
ALTER TABLE media_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE media_downloads (
    inbound_id  BIGINT  PRIMARY KEY REFERENCES inbound_messages (id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL,
    sender      TEXT    NOT NULL,
    due_at      BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL
);
CREATE INDEX media_downloads_due ON media_downloads ((GREATEST(due_at, lease_until)));

-- WhatsApp's media ids of the files uploaded from a sender, by the file's
-- hash: one upload serves every message with the same file until it
-- expires (30 days).
CREATE TABLE media_uploads (
    sender     TEXT   NOT NULL,
    sha256     BYTEA  NOT NULL,
    meta_id    TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (sender, sha256)
);

-- Secrets the gateway makes once and every node shares (media_url keys).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

ALTER TABLE inbound_messages ADD COLUMN media TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN media_file_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inbound_messages ADD COLUMN media_error TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN media_retention BIGINT NOT NULL DEFAULT 0;

ALTER TABLE accounts ADD COLUMN media_mode TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN media_mode;
ALTER TABLE accounts DROP COLUMN media_retention;
ALTER TABLE inbound_messages DROP COLUMN media_error;
ALTER TABLE inbound_messages DROP COLUMN media_file_id;
ALTER TABLE inbound_messages DROP COLUMN media;
DROP TABLE server_secrets;
DROP TABLE media_uploads;
DROP TABLE media_downloads;
DROP TABLE media_chunks;
DROP TABLE media_files;
