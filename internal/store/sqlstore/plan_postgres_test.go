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
