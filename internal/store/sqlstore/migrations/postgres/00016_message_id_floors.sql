-- Message ids must never be given twice (see the SQLite migration of the
-- same number, which keeps the largest id each table has held). Identity
-- columns never reuse a value, so PostgreSQL needs no change; the file
-- keeps the numbering alike on both engines.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
