package sqlstore

import (
	"context"
	"database/sql"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

var rankCase = regexp.MustCompile(`WHEN '([a-z_]+)' THEN ([0-9]+)`)

// TestMigrationRanks checks that migration 00009 stores every status at
// the rank openwaba.Status.Rank gives it, on both engines: the ranks are
// compared in SQL, so a rank the migration wrote differently would let an
// old message move backwards.
func TestMigrationRanks(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			b, err := fs.ReadFile(migrations, "migrations/"+engine+"/00009_status_health.sql")
			if err != nil {
				t.Fatal(err)
			}
			up, _, _ := strings.Cut(string(b), "-- +goose Down")
			got := map[openwaba.Status]int{}
			for _, m := range rankCase.FindAllStringSubmatch(up, -1) {
				n, _ := strconv.Atoi(m[2])
				got[openwaba.Status(m[1])] = n
			}
			for _, st := range openwaba.Statuses() {
				if r, ok := got[st]; !ok || r != st.Rank() {
					t.Errorf("00009 ranks %s as %d (present %v), Rank() = %d", st, r, ok, st.Rank())
				}
			}
			if len(got) != len(openwaba.Statuses()) {
				t.Errorf("00009 ranks %d statuses, there are %d", len(got), len(openwaba.Statuses()))
			}
		})
	}
}

// TestMigrationRewritesRanks upgrades a database of schema 00008 that
// holds a message at every status of that time, with the ranks of that
// time, and checks that each has its status's rank afterwards.
func TestMigrationRewritesRanks(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	old := map[openwaba.Status]int{"accepted": 0, "scheduled": 1, "queued": 2, "sent": 3, "failed": 4, "delivered": 5, "read": 6, "expired": 9, "deleted": 9}
	tests := []struct {
		name    string
		d       *dialect
		rawOpen func(t *testing.T) (*sql.DB, func(ctx context.Context) (*Store, error))
	}{
		{"sqlite", &sqliteDialect, func(t *testing.T) (*sql.DB, func(ctx context.Context) (*Store, error)) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite", sqliteDSN(path, sqlitePragmas))
			if err != nil {
				t.Fatal(err)
			}
			return db, func(ctx context.Context) (*Store, error) { return OpenSQLite(ctx, path, Options{Logger: quiet}) }
		}},
		{"postgres", &postgresDialect, func(t *testing.T) (*sql.DB, func(ctx context.Context) (*Store, error)) {
			url := pgtest.Schema(t, pgtest.Database(t))
			cfg, err := pgxpool.ParseConfig(url)
			if err != nil {
				t.Fatal(err)
			}
			return stdlib.OpenDB(*cfg.ConnConfig), func(ctx context.Context) (*Store, error) { return OpenPostgres(ctx, url, Options{Logger: quiet}) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db, open := tt.rawOpen(t)
			defer db.Close()
			fsys, err := fs.Sub(migrations, tt.d.migrations)
			if err != nil {
				t.Fatal(err)
			}
			p, err := goose.NewProvider(tt.d.goose, db, fsys, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 8); err != nil {
				t.Fatal(err)
			}
			x := newDB(db, tt.d)
			var account int64
			if err := x.row(ctx, `INSERT INTO accounts (name, currency, balance, created_at) VALUES ('old', 'EUR', 0, 0) RETURNING id`).Scan(&account); err != nil {
				t.Fatal(err)
			}
			for st, rank := range old {
				if _, err := x.exec(ctx, `INSERT INTO messages (account_id, sender, recipient, content, created_at, scheduled_at, expires_at, status, status_rank, status_at)
					VALUES (?, '4915112345678', '4917612345678', '{}', 0, 0, 0, ?, ?, 0)`, account, st, rank); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rows, err := all(ctx, s.read, func(sc scanner) ([2]string, error) {
				var st string
				var rank int
				err := sc.Scan(&st, &rank)
				return [2]string{st, strconv.Itoa(rank)}, err
			}, `SELECT status, status_rank FROM messages`)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(old) {
				t.Fatalf("%d messages after the upgrade, want %d", len(rows), len(old))
			}
			for _, r := range rows {
				if want := strconv.Itoa(openwaba.Status(r[0]).Rank()); r[1] != want {
					t.Errorf("%s: rank %s after the upgrade, want %s", r[0], r[1], want)
				}
			}
		})
	}
}
