package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/openwaba/openwaba"
)

// db runs the store's statements on a pool or, through in, on one
// transaction of it. Every statement passes here, which is what makes the
// engines behave alike: placeholders are rebound for the engine, text
// arguments are stored as openwaba.StoredText says, and where the dialect
// asks for it statements are prepared once per connection and kept.
type db struct {
	sql   *sql.DB
	d     *dialect
	tx    *sql.Tx   // set on the copies in makes
	stmts *sync.Map // query as written → *stmt; shared with those copies
	// hooks are the hooks of each account as this write read them
	// (enqueueAny), so that a write reporting many events reads them once.
	// A copy serves one write; no write both changes hooks and enqueues.
	hooks map[int64][]openwaba.Hook
	// outbox, when set, collects the outbox rows of this write's
	// enqueues for one insert (deferOutbox, flushOutbox).
	outbox *[]any
	// held are the transaction locks this write took (Store.lock): taking
	// one again is no statement. A copy serves one transaction, whose end
	// gives them back.
	held map[lockKey]bool
}

// lockKey is a transaction lock: its class and key.
type lockKey struct {
	class int32
	key   string
}

// stmt is a statement as the engine takes it.
type stmt struct {
	text     string
	prepared *sql.Stmt // when the dialect prepares
	replan   bool      // planned on every run (plannedEachRun)
}

func newDB(pool *sql.DB, d *dialect) *db { return &db{sql: pool, d: d, stmts: new(sync.Map)} }

// in is c running in transaction tx of c's pool.
func (c *db) in(tx *sql.Tx) *db { return &db{sql: c.sql, d: c.d, tx: tx, stmts: c.stmts} }

// closeStmts closes the prepared statements; the pool closes after.
func (c *db) closeStmts() {
	c.stmts.Range(func(_, v any) bool {
		if p := v.(*stmt).prepared; p != nil {
			p.Close()
		}
		return true
	})
}

// stmt returns query as the engine takes it, prepared where the dialect
// prepares. The statements the store writes are a fixed set (lists are one
// argument, never spliced), so the cache stays small.
func (c *db) stmt(ctx context.Context, query string) (*stmt, error) {
	if v, ok := c.stmts.Load(query); ok {
		return v.(*stmt), nil
	}
	st := &stmt{text: c.d.rebind(query), replan: c.d.replan != nil && plannedEachRun(query)}
	if c.d.prepare {
		// On the pool, not on c.tx: a statement prepared in a transaction
		// ends with it. (SQLite's writing pool has a second connection for
		// this, so preparing never waits for the batch that holds the first.)
		p, err := c.sql.PrepareContext(context.WithoutCancel(ctx), st.text)
		if err != nil {
			return nil, err
		}
		st.prepared = p
	}
	if v, loaded := c.stmts.LoadOrStore(query, st); loaded {
		if st.prepared != nil {
			st.prepared.Close()
		}
		return v.(*stmt), nil
	}
	return st, nil
}

// conn is what runs a statement: the pool, a transaction, or a prepared
// statement (which ignores the query text it is given).
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// preparedConn runs one prepared statement.
type preparedConn struct{ *sql.Stmt }

func (p preparedConn) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return p.Stmt.ExecContext(ctx, args...)
}

func (p preparedConn) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return p.Stmt.QueryContext(ctx, args...)
}

// target is where query runs on c (its transaction, if any), with the
// statement's text for the engine and the arguments as stored.
func (c *db) target(ctx context.Context, query string, args []any) (conn, string, []any, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, "", nil, err
	}
	args = storedArgs(args)
	if st.replan {
		args = append([]any{c.d.replan}, args...)
	}
	switch {
	case st.prepared != nil && c.tx != nil:
		return preparedConn{c.tx.StmtContext(ctx, st.prepared)}, st.text, args, nil
	case st.prepared != nil:
		return preparedConn{st.prepared}, st.text, args, nil
	case c.tx != nil:
		return c.tx, st.text, args, nil
	}
	return c.sql, st.text, args, nil
}

func (c *db) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	cn, text, args, err := c.target(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return cn.ExecContext(ctx, text, args...)
}

func (c *db) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	cn, text, args, err := c.target(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return cn.QueryContext(ctx, text, args...)
}

// row runs a query for at most one row, like *sql.DB.QueryRowContext.
func (c *db) row(ctx context.Context, query string, args ...any) row {
	rows, err := c.query(ctx, query, args...)
	return row{rows: rows, err: err}
}

// row is *sql.Row for statements that may fail before they run (while
// being prepared): Scan reports that error, or sql.ErrNoRows.
type row struct {
	rows *sql.Rows
	err  error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// scanner is a row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// all scans every row of query with scan.
func all[T any](ctx context.Context, c *db, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}

// scanValue scans a row of one column.
func scanValue[T any](sc scanner) (T, error) {
	var v T
	err := sc.Scan(&v)
	return v, err
}

// idSet runs query, whose one argument is the list of ids (dialect.in)
// and whose rows are ids, and returns the ids it gave.
func idSet(ctx context.Context, c *db, query string, ids []int64) (map[int64]bool, error) {
	list, err := c.d.listArg(ids)
	if err != nil {
		return nil, err
	}
	found, err := all(ctx, c, scanValue[int64], query, list)
	set := make(map[int64]bool, len(found))
	for _, id := range found {
		set[id] = true
	}
	return set, err
}

// affected returns how many rows an Exec changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// affectedOne turns an Exec that changed no row into ErrNotFound.
func affectedOne(res sql.Result, err error) error {
	n, err := affected(res, err)
	if err == nil && n == 0 {
		return openwaba.ErrNotFound
	}
	return err
}

// storedArgs applies openwaba.StoredText to the text arguments, copying
// args only when one has a U+0000.
func storedArgs(args []any) []any {
	var out []any
	for i, a := range args {
		var v any
		switch a := a.(type) {
		case string:
			if strings.IndexByte(a, 0) < 0 {
				continue
			}
			v = openwaba.StoredText(a)
		case sql.NullString:
			if strings.IndexByte(a.String, 0) < 0 {
				continue
			}
			v = sql.NullString{String: openwaba.StoredText(a.String), Valid: a.Valid}
		default:
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

// storedJSON is openwaba.StoredText for a JSON text: the escape \u0000
// in a string becomes \ufffd. An escaped backslash before "u0000" is two
// characters of text, not an escape, and stays.
func storedJSON(b []byte) string {
	if !bytes.Contains(b, []byte(`\u0000`)) {
		return string(b)
	}
	var out strings.Builder
	out.Grow(len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out.WriteByte(b[i])
			continue
		}
		if bytes.HasPrefix(b[i+1:], []byte("u0000")) {
			out.WriteString(`\ufffd`)
			i += 5
			continue
		}
		out.Write(b[i : i+2]) // any other escape, \\ included
		i++
	}
	return out.String()
}
