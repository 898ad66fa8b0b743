-- Webhook event ids must never be given twice (see the SQLite migration of
-- the same number, which moves its outbox to AUTOINCREMENT). An identity
-- column never reuses a value, so PostgreSQL needs no change; the file
-- keeps the numbering alike on both engines.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
