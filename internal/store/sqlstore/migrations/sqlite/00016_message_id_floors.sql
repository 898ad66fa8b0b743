-- Message ids, outbound and inbound, must never be given twice: the API
-- answers with them, cancels by them, and webhook receivers know them. A
-- plain INTEGER PRIMARY KEY reuses the largest id once that row is
-- deleted, and erasing a user (EraseUser) deletes rows, the newest ones
-- too. Moving these tables to AUTOINCREMENT would mean rebuilding them
-- under the foreign keys of everything that hangs on a message; instead
-- id_floors keeps the largest id each table has ever held, raised by a
-- trigger on every delete, and the store draws new ids above both it and
-- the table's largest id (sqliteLastID). PostgreSQL's identity columns
-- never reuse a value.

-- +goose Up
CREATE TABLE id_floors (
    name TEXT    PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;
INSERT INTO id_floors (name, last) SELECT 'messages', coalesce(max(id), 0) FROM messages;
INSERT INTO id_floors (name, last) SELECT 'inbound_messages', coalesce(max(id), 0) FROM inbound_messages;

-- +goose StatementBegin
CREATE TRIGGER messages_id_floor AFTER DELETE ON messages BEGIN
    UPDATE id_floors SET last = max(last, OLD.id) WHERE name = 'messages';
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER inbound_messages_id_floor AFTER DELETE ON inbound_messages BEGIN
    UPDATE id_floors SET last = max(last, OLD.id) WHERE name = 'inbound_messages';
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER inbound_messages_id_floor;
DROP TRIGGER messages_id_floor;
DROP TABLE id_floors;
