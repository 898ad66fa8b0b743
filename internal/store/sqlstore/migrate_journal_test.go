package sqlstore

import (
	"database/sql"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// TestMigrationGrantsJournal: migration 00013 gives seven's journal scope
// to the keys that could read analytics (the default key's scopes), once,
// and to no other key.
func TestMigrationGrantsJournal(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, eng := range []struct {
		name string
		d    *dialect
		raw  func(t *testing.T) (string, func() (*Store, error))
	}{
		{"sqlite", &sqliteDialect, func(t *testing.T) (string, func() (*Store, error)) {
			path := filepath.Join(t.TempDir(), "old.db")
			return sqliteDSN(path, sqlitePragmas), func() (*Store, error) { return OpenSQLite(t.Context(), path, Options{Logger: quiet}) }
		}},
		{"postgres", &postgresDialect, func(t *testing.T) (string, func() (*Store, error)) {
			url := pgtest.Schema(t, pgtest.Database(t))
			return url, func() (*Store, error) { return OpenPostgres(t.Context(), url, Options{Logger: quiet}) }
		}},
	} {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dsn, open := eng.raw(t)
			var x *db
			if eng.name == "sqlite" {
				pool, err := sql.Open("sqlite", dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer pool.Close()
				x = newDB(pool, eng.d)
			} else {
				cfg, err := pgxpool.ParseConfig(dsn)
				if err != nil {
					t.Fatal(err)
				}
				pool := stdlib.OpenDB(*cfg.ConnConfig)
				defer pool.Close()
				x = newDB(pool, eng.d)
			}
			fsys, err := fs.Sub(migrations, eng.d.migrations)
			if err != nil {
				t.Fatal(err)
			}
			p, err := goose.NewProvider(eng.d.goose, x.sql, fsys, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 11); err != nil {
				t.Fatal(err)
			}
			var account int64
			if err := x.row(ctx, `INSERT INTO accounts (name, currency, balance, created_at) VALUES ('old', 'EUR', 0, 0) RETURNING id`).Scan(&account); err != nil {
				t.Fatal(err)
			}
			for i, scopes := range []string{"waba,analytics,hooks", "analytics", "waba", "admin,analytics,journal"} {
				if _, err := x.exec(ctx, `INSERT INTO api_keys (account_id, hash, scopes, created_at) VALUES (?, ?, ?, 0)`,
					account, []byte{byte(i)}, scopes); err != nil {
					t.Fatal(err)
				}
			}
			x.sql.Close()
			s, err := open()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			keys, err := s.APIKeys(ctx, account)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]openwaba.Scope
			for _, k := range keys {
				got = append(got, k.Scopes)
			}
			want := [][]openwaba.Scope{{"waba", "analytics", "hooks", "journal"}, {"analytics", "journal"}, {"waba"}, {"admin", "analytics", "journal"}}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("scopes after the upgrade %v, want %v", got, want)
			}
		})
	}
}
