package sqlstore

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// Times are stored as integer unix milliseconds in UTC on both engines:
// sortable, compared in SQL without parsing, and both drivers return the
// same instants. 0 stands for the zero time.Time, NULL for an absent
// optional time.

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
func optMS(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(*t), Valid: true}
}

func fromOptMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// nullString stores "" as NULL, for columns where blanks must not collide
// in a UNIQUE index.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullID stores 0 as NULL, for optional references.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

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

// notFound turns sql.ErrNoRows into openwaba.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return openwaba.ErrNotFound
	}
	return err
}

// sentinel turns the driver's constraint errors into openwaba's: a unique
// violation is ErrConflict, a foreign key one (an unknown account, say)
// ErrNotFound. Other errors stay as they are.
func (s *Store) sentinel(err error) error {
	if err == nil {
		return nil
	}
	switch s.d.classify(err) {
	case errUnique:
		return openwaba.ErrConflict
	case errForeignKey:
		return openwaba.ErrNotFound
	}
	return err
}

// list is a slice as the argument of dialect.in.
func (s *Store) list(v any) (any, error) { return s.d.listArg(v) }
