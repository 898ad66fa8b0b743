-- Pricing as Meta charges since 2025-07-01 (openwaba.Charge): a message is
-- charged its price at accept (price: the list price, or nothing when a
-- free rule applies), then settled from the pricing object of WhatsApp's
-- status reports. charge is what is debited for it now; every change of
-- it is a ledger row (settlement, refund).

-- +goose Up
ALTER TABLE messages ADD COLUMN list_price INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN charge INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN billable INTEGER; -- NULL until a report said
ALTER TABLE messages ADD COLUMN pricing_model TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pricing_type TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pricing_category TEXT NOT NULL DEFAULT '';
UPDATE messages SET list_price = price,
    charge = CASE WHEN refunded THEN 0 ELSE price END,
    settled = refunded;

-- The rules that make messages free (openwaba.FreeRule), from a date on.
CREATE TABLE free_rules (
    category       TEXT    NOT NULL,
    window_state   TEXT    NOT NULL, -- open, closed or any
    free           INTEGER NOT NULL,
    effective_from INTEGER NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (category, window_state, effective_from)
) STRICT, WITHOUT ROWID;
-- Meta's since 2025-07-01 (openwaba.DefaultFreeRules).
INSERT INTO free_rules (category, window_state, free, effective_from, note, updated_at) VALUES
    ('service', 'any', 1, 1751328000000, 'Meta: service (non-template) messages are free since 2025-07-01', 1751328000000),
    ('utility', 'open', 1, 1751328000000, 'Meta: utility templates inside an open customer service window are free since 2025-07-01', 1751328000000);

-- +goose Down
DROP TABLE free_rules;
ALTER TABLE messages DROP COLUMN pricing_category;
ALTER TABLE messages DROP COLUMN pricing_type;
ALTER TABLE messages DROP COLUMN pricing_model;
ALTER TABLE messages DROP COLUMN billable;
ALTER TABLE messages DROP COLUMN settled;
ALTER TABLE messages DROP COLUMN charge;
ALTER TABLE messages DROP COLUMN list_price;
