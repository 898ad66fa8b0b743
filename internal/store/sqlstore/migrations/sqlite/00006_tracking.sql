-- Performance tracking: the short links of messages, their clicks, and
-- the outbox's reference to a click for tracking webhooks.

-- +goose Up
CREATE TABLE links (
    code       TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    clicks     INTEGER NOT NULL DEFAULT 0, -- by people
    views      INTEGER NOT NULL DEFAULT 0, -- by link previews and crawlers
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX links_message ON links (message_id);

CREATE TABLE link_clicks (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL REFERENCES links (code) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    user_agent TEXT    NOT NULL DEFAULT '',
    bot        INTEGER NOT NULL DEFAULT 0,
    clicks     INTEGER NOT NULL, -- the link's counts after this click
    views      INTEGER NOT NULL
) STRICT;
CREATE INDEX link_clicks_code ON link_clicks (code, id);

ALTER TABLE webhook_outbox ADD COLUMN click_id INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webhook_outbox DROP COLUMN click_id;
DROP TABLE link_clicks;
DROP TABLE links;
