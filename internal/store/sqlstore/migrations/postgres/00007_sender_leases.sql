-- Several gateway nodes share the pacing of senders: each sender is paced
-- by one node at a time, the one holding its lease. The queue row carries
-- the sender, so that a node claims only the messages of its senders
-- without a join.

-- +goose Up
ALTER TABLE dispatch_queue ADD COLUMN sender TEXT NOT NULL DEFAULT '';
UPDATE dispatch_queue q SET sender = m.sender FROM messages m WHERE m.id = q.message_id;

CREATE TABLE sender_leases (
    number TEXT   PRIMARY KEY,
    owner  TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
CREATE INDEX sender_leases_owner ON sender_leases (owner);

-- +goose Down
DROP TABLE sender_leases;
ALTER TABLE dispatch_queue DROP COLUMN sender;
