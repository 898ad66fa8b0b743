-- What a gateway keeps in memory (API keys, accounts' settings, senders,
-- templates, prices, free rules) is read again once this counter moved:
-- every write of those rows increases it in its own transaction
-- (bumpGeneration), whichever process or node made it. One row.

-- +goose Up
CREATE TABLE generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT  NOT NULL
);
INSERT INTO generation (id, n) VALUES (1, 0);

-- +goose Down
DROP TABLE generation;
