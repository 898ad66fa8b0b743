package sqlstore

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueuePlansUseIndex checks that SQLite finds due messages through an
// index, so that a million messages scheduled for later cost the claim
// nothing: no full scan of dispatch_queue, no sort of it. The due backlog
// of the metrics (QueueStats) reads only the due range too.
func TestQueuePlansUseIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// Some rows and fresh statistics, so the planner decides as it would
	// on a real database.
	t0 := planT0
	acceptForPlans(t, s, 500, func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) })
	if err := s.write(ctx, func(ctx context.Context, tx *db) error { _, err := tx.exec(ctx, "ANALYZE"); return err }); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		query string
		args  []any
		index string
		// grouped: the query sorts what it found (only the due rows) to
		// group it, so a temporary B-tree is no full sort.
		grouped bool
	}{
		{"ClaimDue", s.claimQuery(false), []any{ms(t0.Add(time.Hour)), ms(t0), 256}, "dispatch_queue_claimable", false},
		{"ClaimDueFor", s.claimQuery(true), []any{ms(t0.Add(time.Hour)), ms(t0), 256, `["4915100000001"]`}, "dispatch_queue_claimable", false},
		{"NextDue", s.nextDueQuery(), nil, "dispatch_queue_claimable", false},
		{"QueueStats", dueBacklogQuery, []any{ms(t0)}, "dispatch_queue_due", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := explain(t, s, tc.query, tc.args...)
			if !strings.Contains(plan, "INDEX "+tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, plan)
			}
			// A bare "SCAN dispatch_queue" reads the whole table; NextDue's
			// "SCAN ... USING COVERING INDEX" with LIMIT 1 reads one entry.
			for _, bad := range []string{"\nSCAN dispatch_queue\n", "TEMP B-TREE"} {
				if tc.grouped && bad == "TEMP B-TREE" {
					continue
				}
				if strings.Contains("\n"+plan+"\n", bad) {
					t.Errorf("plan has %q:\n%s", strings.TrimSpace(bad), plan)
				}
			}
		})
	}
}

// explain returns the query plan, one detail per line.
func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.read.sql.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
