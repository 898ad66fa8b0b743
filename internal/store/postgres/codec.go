package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openwaba/openwaba"
)

// Times are stored as BIGINT unix milliseconds in UTC, as the SQLite store
// does: both return the same instants, to the millisecond. 0 stands for the
// zero time.Time.

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// optMS and fromOptMS map an optional time to a nullable column.
func optMS(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := ms(*t)
	return &v
}

func fromOptMS(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMS(*v)
	return &t
}

// nullString stores "" as NULL, for columns where blanks must not collide
// in a UNIQUE index.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func joinScopes(ss []openwaba.Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

func splitScopes(s string) []openwaba.Scope {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	ss := make([]openwaba.Scope, len(parts))
	for i, p := range parts {
		ss[i] = openwaba.Scope(p)
	}
	return ss
}

// SQLSTATEs the store maps to openwaba's sentinels.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool { return pgCode(err) == uniqueViolation }

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool { return pgCode(err) == foreignKeyViolation }

// notFound turns pgx.ErrNoRows into openwaba.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return openwaba.ErrNotFound
	}
	return err
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryer is what reads need from the pool and a transaction alike.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
