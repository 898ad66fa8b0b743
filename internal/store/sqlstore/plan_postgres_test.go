package sqlstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// TestJournalFactsProbeIndex: PostgreSQL reads what a status group needs
// of the journal (journalFacts) with one probe of the (message_id, status)
// index per message, never by reading the whole journal. Written as a
// plain EXISTS, the planner turned it into a hashed subplan over a
// sequential scan of message_statuses whenever a group named many
// messages and the statistics were missing or stale (autovacuum off, or
// not yet run): one pipeline run read 62 million journal rows. The tables
// here are not analysed, as a new database's are not.
func TestJournalFactsProbeIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := OpenPostgres(ctx, pgtest.Schema(t, pgtest.Database(t)), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	acceptForPlans(t, s, 1000, func(int) time.Time { return planT0 })
	var wamids []string
	for i := range 200 {
		wamids = append(wamids, fmt.Sprintf("wamid.%d", i+1))
	}
	var plan []string
	err = s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := tx.exec(ctx, `UPDATE messages SET wamid = 'wamid.' || id`); err != nil {
			return err
		}
		arg, err := tx.d.listArg(wamids)
		if err != nil {
			return err
		}
		plan, err = all(ctx, tx, scanValue[string], `EXPLAIN `+reportedAllSQL(tx.d), arg)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan on message_statuses") || !strings.Contains(text, "message_statuses_message_id_status_key") {
		t.Errorf("the status group's read does not probe the journal's index per message:\n%s", text)
	}
}

// TestClaimDeliveriesProbeOrder: the webhook claim's order check (an
// earlier pending delivery of the same hook and order key) is one probe of
// the order index per candidate in the plan PostgreSQL keeps for a
// statement first run on an empty outbox, as every new database's is.
// Pulled up into an anti-join, that plan walked the whole order index per
// candidate: a 45,000-delivery backlog made one claim take over 30 s.
func TestClaimDeliveriesProbeOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := OpenPostgres(ctx, pgtest.Schema(t, pgtest.Database(t)), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var plan []string
	err = s.write(ctx, func(ctx context.Context, tx *db) error {
		// The plan pgx's prepared statement keeps after its fifth run: a
		// generic one, made while the table is empty.
		for _, q := range []string{
			`SET LOCAL plan_cache_mode = force_generic_plan`,
			`PREPARE claim_plan (bigint, bigint, integer) AS ` + claimDeliveriesSQL(tx.d),
		} {
			if _, err := tx.exec(ctx, q); err != nil {
				return err
			}
		}
		plan, err = all(ctx, tx, scanValue[string], `EXPLAIN EXECUTE claim_plan (2, 1, 64)`)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DEALLOCATE claim_plan`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Anti Join") || !strings.Contains(text, "Index Cond: ((hook_id = d.hook_id)") {
		t.Errorf("the webhook claim does not probe the order index per candidate:\n%s", text)
	}
}
