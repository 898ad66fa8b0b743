package sqlstore

import "testing"

// TestFindsQueueRows: the statements that find rows of a queue table are
// the ones planned on every run; inserts into one, and statements on
// other tables, keep their prepared plans.
func TestFindsQueueRows(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query string
		want  bool
	}{
		{claimDeliveriesSQL(&postgresDialect), true},
		{`DELETE FROM webhook_outbox WHERE id = ANY($1) RETURNING id`, true},
		{`SELECT d.id FROM webhook_outbox d JOIN hooks h ON h.id = d.hook_id`, true},
		{`SELECT m.id FROM messages m JOIN dispatch_queue q ON q.message_id = m.id`, true},
		{`update dispatch_queue set lease_until = 0`, true},
		{`DELETE FROM early_statuses WHERE wamid = ANY($1) RETURNING wamid`, true},
		{`SELECT response FROM idempotency_keys WHERE account_id = $1 AND key = $2`, true},
		{`INSERT INTO webhook_outbox (hook_id, event) VALUES ($1, $2)`, false},
		{`WITH m AS (INSERT INTO messages (account_id) VALUES ($1) RETURNING id) INSERT INTO dispatch_queue (message_id) SELECT id FROM m`, false},
		{`UPDATE messages SET wamid = $1 WHERE id = $2`, false},
		{`SELECT * FROM webhook_outbox_archive`, false},
	} {
		if got := findsQueueRows(c.query); got != c.want {
			t.Errorf("findsQueueRows(%q) = %v, want %v", c.query, got, c.want)
		}
	}
}

// TestPlannedEachRun: besides the queue statements, those that join a
// list argument's rows (the status group's writes) are planned on every
// run; the journal's insert from a list too, which costs a plan and finds
// no rows by it.
func TestPlannedEachRun(t *testing.T) {
	t.Parallel()
	d := &postgresDialect
	for _, c := range []struct {
		query string
		want  bool
	}{
		{statusMovesSQL(d), true},
		{messageUsersSQL(d), true},
		{messagePricesSQL(d), true},
		{journalRowsSQL(d), true},
		{claimDeliveriesSQL(d), true},
		{`UPDATE messages SET wamid = $1 WHERE id = $2`, false},
		{`SELECT id FROM messages WHERE wamid = ANY($1)`, false},
	} {
		if got := plannedEachRun(c.query); got != c.want {
			t.Errorf("plannedEachRun(%q) = %v, want %v", c.query, got, c.want)
		}
	}
}
