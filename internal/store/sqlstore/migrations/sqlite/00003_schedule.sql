-- Scheduled sending: the time zone in which an account's delay dates
-- without a zone are read (an IANA name such as Europe/Berlin; '' is UTC).

-- +goose Up
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN time_zone;
