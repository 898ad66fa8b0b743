-- Listing an account's messages by foreign_id or label, newest first
-- pages by id; created_at ranges use the id order too (ids grow with time).

-- +goose Up
CREATE INDEX messages_foreign_id ON messages (account_id, foreign_id, id) WHERE foreign_id != '';
CREATE INDEX messages_label ON messages (account_id, label, id) WHERE label != '';

-- +goose Down
DROP INDEX messages_label;
DROP INDEX messages_foreign_id;
