-- Meta's reports about a template the account does not have yet: one
-- created through the API whose first report (often APPROVED within a
-- second) came before the gateway stored Meta's answer. PutTemplate
-- applies them when the template arrives (openwaba.EarlyTemplateReports).

-- +goose Up
CREATE TABLE early_template_reports (
    seq         INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    template_id TEXT    NOT NULL,
    report      TEXT    NOT NULL, -- openwaba.TemplateReport as JSON
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX early_template_reports_template ON early_template_reports (account_id, template_id, seq);

-- +goose Down
DROP TABLE early_template_reports;
