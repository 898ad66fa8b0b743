package batch_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/openwaba/openwaba/internal/store/batch"
)

// TestSQLSavepoints checks the database/sql adapter against a real engine:
// concurrent ops share transactions, and a failing op leaves no trace while
// its neighbours commit.
func TestSQLSavepoints(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "b.db")+"?_txlock=immediate&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	b := batch.New[*sql.Tx](batch.SQL{DB: db}, batch.Options{})
	errOdd := errors.New("odd")

	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			err := b.Do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, i); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd // after writing: the savepoint must undo it
				}
				return nil
			})
			if want := map[bool]error{true: errOdd, false: nil}[i%2 == 1]; !errors.Is(err, want) {
				t.Errorf("op %d: got %v, want %v", i, err, want)
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	rows, err := db.Query(`SELECT v FROM t ORDER BY v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	var want []int
	for i := 0; i < 100; i += 2 {
		want = append(want, i)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want the even numbers below 100", got)
	}
}
