-- WhatsApp users by phone number and business-scoped user ID (BSUID).
-- Since 2026 Meta names every user by a BSUID, and withholds the number of
-- users with a username. wa_users links the ids of one user as they are
-- seen together (openwaba.LinkUser), within one account and WABA: a BSUID
-- belongs to one business portfolio, and a WABA to one portfolio, so ids
-- are never linked across portfolios. Windows are kept under every id of
-- the user (windows.user_number is a number, a BSUID or a parent BSUID).

-- +goose Up
CREATE TABLE wa_users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    waba_id        TEXT    NOT NULL DEFAULT '',
    wa_id          TEXT, -- the phone number; NULL when not known
    user_id        TEXT, -- the BSUID
    parent_user_id TEXT,
    username       TEXT    NOT NULL DEFAULT '',
    updated_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX wa_users_wa_id ON wa_users (account_id, waba_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX wa_users_user_id ON wa_users (account_id, waba_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX wa_users_parent_user_id ON wa_users (account_id, waba_id, parent_user_id) WHERE parent_user_id IS NOT NULL;

-- Who wrote: from_number is the user's key (their number, else their
-- BSUID: openwaba.User.Key), these are the other ids Meta sent.
ALTER TABLE inbound_messages ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN parent_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN username TEXT NOT NULL DEFAULT '';

-- Who received: what the status reports said of the recipient.
ALTER TABLE messages ADD COLUMN user_wa_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN parent_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN username TEXT NOT NULL DEFAULT '';

-- What a report set aside for a wamid not yet known said besides its
-- status (the recipient's ids; JSON of openwaba.StatusUpdate's details).
ALTER TABLE early_statuses ADD COLUMN details TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE early_statuses DROP COLUMN details;
ALTER TABLE messages DROP COLUMN username;
ALTER TABLE messages DROP COLUMN parent_user_id;
ALTER TABLE messages DROP COLUMN user_id;
ALTER TABLE messages DROP COLUMN user_wa_id;
ALTER TABLE inbound_messages DROP COLUMN username;
ALTER TABLE inbound_messages DROP COLUMN parent_user_id;
ALTER TABLE inbound_messages DROP COLUMN user_id;
DROP TABLE wa_users;
