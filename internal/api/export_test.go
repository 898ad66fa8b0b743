package api_test

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
	_ "modernc.org/sqlite"
)

// TestExport: both formats, both ways, by time, in the range asked.
func TestExport(t *testing.T) {
	t.Parallel()
	f, _ := historyFixture(t)
	r := f.do("GET", "/api/waba/export?format=csv&from=2026-01-02%2003:04:00", "", "X-Api-Key", "key-a")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v %s", r.status, r.header, r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range rows {
		got = append(got, row[0]+" "+row[4]+" "+row[7])
	}
	want := []string{
		"direction user text",
		"in 4917612345678 Hello",
		"in 4917699999999 ",
		"out 4917612345678 Answer Hello",
		"in 4917612345678 Thanks",
		"out DE.1350000000000000001 Answer Thanks",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("csv rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	r = f.do("GET", "/api/waba/export?format=ndjson&from=2026-01-02%2003:06:00", "", "X-Api-Key", "key-a")
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("ndjson: %d %v %s", r.status, r.header, r.body)
	}
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 2 {
		t.Fatalf("ndjson lines %q, want 2", lines)
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil || last["direction"] != "out" || last["status"] != "queued" || last["user"] != "DE.1350000000000000001" {
		t.Errorf("last line %s (%v)", lines[1], err)
	}
	for _, tc := range []struct{ path, field string }{
		{"/api/waba/export?format=xml", "format"},
		{"/api/waba/export?from=2026-02-01&to=2026-01-01", "to"},
		{"/api/waba/export?from=soon", "from"},
	} {
		if r := f.do("GET", tc.path, "", "X-Api-Key", "key-a"); r.status != 400 || !strings.Contains(r.body, tc.field) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.path, r.status, r.body, tc.field)
		}
	}
}

// TestExportMillionRowsFlatMemory exports a million messages through the
// API over real HTTP and SQLite while sampling the heap: it must stay
// within a bound far below what the rows take (about 150 MB as CSV), since
// they are streamed from the database cursor. The rows are written with
// one SQL statement. The bound is generous (64 MiB over the heap before),
// not a measurement. It takes about a minute; it is skipped with -short
// and under the race detector (which makes it several times slower and
// has nothing to find in one request): run it as
// go test -run TestExportMillionRowsFlatMemory ./internal/api.
func TestExportMillionRowsFlatMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("exports a million rows: run without -short and -race")
	}
	const n = 1_000_000
	path := filepath.Join(t.TempDir(), "openwaba.db")
	ctx := t.Context()
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := &fixture{t: t, store: s, clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	a := f.account("a", 0)
	f.key(a, "key-a", nil, "waba")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`
		WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < %d)
		INSERT INTO messages (account_id, sender, recipient, content, text, category, created_at, scheduled_at, expires_at,
			status, status_rank, status_at)
		SELECT %d, '4915112345678', '49176' || (10000000 + n), '{"type":"text","text":"hello"}', 'hello number ' || n,
			'service', 1767322800000 + n, 1767322800000 + n, 1767495600000 + n, 'delivered', 7, 1767322800000 + n FROM c`, n, a)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, Pricer: pricing.Default(), Now: f.clock.Now}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/waba/export?format=csv", nil)
	req.Header.Set("X-Api-Key", "key-a")
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapAlloc, m.HeapAlloc
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	lines := 0
	for sc.Scan() {
		if lines++; lines%100_000 == 0 {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != n+1 {
		t.Fatalf("%d lines, want %d rows and the header", lines, n+1)
	}
	const bound = 64 << 20
	t.Logf("heap before %d MiB, peak while exporting %d MiB", base>>20, peak>>20)
	if peak > base+bound {
		t.Errorf("heap grew to %d MiB from %d MiB while exporting: the rows are held, not streamed", peak>>20, base>>20)
	}
}
