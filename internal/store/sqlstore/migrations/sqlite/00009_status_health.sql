-- WhatsApp as it is in 2026.
--
-- Every status is kept as its own: held_for_quality_assessment and paused
-- (template pacing) rank between queued and sent, played (a voice message
-- was listened to) after read. The stored ranks are openwaba.Status.Rank()
-- (TestMigrationRanks checks this file against it).
--
-- Senders keep what Meta last reported about their health
-- (phone_number_quality_update, account_update): quality rating,
-- messaging limit, restrictions (JSON: [{"type", "expires"}], expires in
-- Unix milliseconds, 0 for none) and the account's ban state.
--
-- Templates keep their quality score (message_template_quality_update)
-- and the reason Meta gave with their last status change.

-- +goose Up
UPDATE messages SET status_rank = CASE status
    WHEN 'accepted' THEN 0
    WHEN 'scheduled' THEN 1
    WHEN 'queued' THEN 2
    WHEN 'held_for_quality_assessment' THEN 3
    WHEN 'paused' THEN 4
    WHEN 'sent' THEN 5
    WHEN 'failed' THEN 6
    WHEN 'delivered' THEN 7
    WHEN 'read' THEN 8
    WHEN 'played' THEN 9
    WHEN 'expired' THEN 20
    WHEN 'deleted' THEN 20
    ELSE status_rank END;

ALTER TABLE senders ADD COLUMN quality TEXT NOT NULL DEFAULT '';
ALTER TABLE senders ADD COLUMN messaging_limit TEXT NOT NULL DEFAULT '';
ALTER TABLE senders ADD COLUMN restrictions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE senders ADD COLUMN ban_state TEXT NOT NULL DEFAULT '';
ALTER TABLE senders ADD COLUMN health_event TEXT NOT NULL DEFAULT '';
ALTER TABLE senders ADD COLUMN health_at INTEGER NOT NULL DEFAULT 0;

ALTER TABLE templates ADD COLUMN quality TEXT NOT NULL DEFAULT '';
ALTER TABLE templates ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE templates DROP COLUMN reason;
ALTER TABLE templates DROP COLUMN quality;

ALTER TABLE senders DROP COLUMN health_at;
ALTER TABLE senders DROP COLUMN health_event;
ALTER TABLE senders DROP COLUMN ban_state;
ALTER TABLE senders DROP COLUMN restrictions;
ALTER TABLE senders DROP COLUMN messaging_limit;
ALTER TABLE senders DROP COLUMN quality;

-- The statuses 00009 added are folded into the old ones: played into read;
-- held (WhatsApp has it) into sent; paused (not delivered, refunded) into
-- failed.
UPDATE messages SET status = 'read' WHERE status = 'played';
UPDATE messages SET status = 'sent' WHERE status = 'held_for_quality_assessment';
UPDATE messages SET status = 'failed' WHERE status = 'paused';
UPDATE messages SET status_rank = CASE status
    WHEN 'accepted' THEN 0
    WHEN 'scheduled' THEN 1
    WHEN 'queued' THEN 2
    WHEN 'sent' THEN 3
    WHEN 'failed' THEN 4
    WHEN 'delivered' THEN 5
    WHEN 'read' THEN 6
    WHEN 'expired' THEN 9
    WHEN 'deleted' THEN 9
    ELSE status_rank END;
