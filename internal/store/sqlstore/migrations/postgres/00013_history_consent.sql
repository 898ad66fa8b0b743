-- History, consent and erasure (issue 18).
--
-- Listing what users wrote (newest first per account), a user's messages
-- both ways (by recipient or by the ids status reports named), and the
-- per-account suppression list of users who opted out of marketing.

-- +goose Up
CREATE INDEX inbound_messages_account ON inbound_messages (account_id, id);
CREATE INDEX inbound_messages_user_id ON inbound_messages (account_id, user_id) WHERE user_id != '';
CREATE INDEX messages_recipient ON messages (account_id, recipient, id);
CREATE INDEX messages_user_id ON messages (account_id, user_id, id) WHERE user_id != '';
CREATE INDEX messages_user_wa_id ON messages (account_id, user_wa_id, id) WHERE user_wa_id != '';

-- Users who opted out of marketing messages, one row per id of the user
-- (number, BSUID, parent BSUID) known when they opted out, so that a
-- marketing template to any of them is refused at accept.
CREATE TABLE suppressions (
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_key   TEXT    NOT NULL, -- a phone number, BSUID or parent BSUID
    reason     TEXT    NOT NULL DEFAULT '', -- keyword, stop_promotions, meta_131050, api
    note       TEXT    NOT NULL DEFAULT '', -- what triggered it: the keyword, the error text
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (account_id, user_key)
);

-- The account's opt-out and opt-in keywords, comma lists; '' is the
-- defaults (openwaba.DefaultOptOutKeywords, DefaultOptInKeywords).
ALTER TABLE accounts ADD COLUMN opt_out_keywords TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN opt_in_keywords TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN opt_in_keywords;
ALTER TABLE accounts DROP COLUMN opt_out_keywords;
DROP TABLE suppressions;
DROP INDEX messages_user_wa_id;
DROP INDEX messages_user_id;
DROP INDEX messages_recipient;
DROP INDEX inbound_messages_user_id;
DROP INDEX inbound_messages_account;
