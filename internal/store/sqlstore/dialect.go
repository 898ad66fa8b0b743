package sqlstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything in which the two engines differ, by name. The
// statements of the store are written once, in SQLite's and PostgreSQL's
// common SQL with "?" placeholders, and splice in these fragments where the
// engines spell a thing differently.
type dialect struct {
	name string
	// goose is the migration dialect; migrations is the folder of the
	// engine's schema files under migrations/.
	goose      goose.Dialect
	migrations string

	// numbered rewrites "?" and "?N" placeholders to "$N" (PostgreSQL);
	// SQLite takes them as written.
	numbered bool
	// prepare keeps statements prepared per connection. SQLite's driver
	// parses every statement anew otherwise (a third of the accept path's
	// CPU); pgx caches prepared statements by itself.
	prepare bool
	// replan, when set, is the first argument of a statement that finds
	// rows of a queue table or joins a list argument (plannedEachRun): it
	// is planned on every run, for the table as it is then (replan.go).
	replan any

	// greatest is the two-argument maximum. The queue and outbox indexes
	// are on greatest(due_at, lease_until): statements must spell it so.
	greatest string
	// lockRows ends a SELECT whose rows the transaction then updates, and
	// skipLocked one that claims rows concurrent claimers must not share.
	// SQLite has one writer, which needs neither.
	lockRows, skipLocked string
	// inList is the right-hand side of "x IN/= <list argument>", with %s
	// for the placeholder of the argument listArg makes of a slice.
	inList  string
	listArg func(v any) (any, error)
	// jsonRows is a relation of the elements of a JSON array at
	// placeholder p, each a JSON array itself: jsonField(i, type) reads
	// its i-th value (PostgreSQL casts it to type; SQLite's values keep
	// their JSON type), jsonRowIndex its place in the list. A list of rows
	// as one argument is one statement text whatever the rows' number
	// (statusWrite).
	jsonRows  func(p string) string
	jsonField func(i int, typ string) string
	// day formats a unix-millisecond column as the UTC date YYYY-MM-DD.
	day func(col string) string
	// templateName is the template name in a message's content column
	// (JSON of openwaba.Content): SQLite's JSON functions take a text,
	// PostgreSQL's JSON column its operators.
	templateName func(col string) string
	// contentType is the message type in a content column, as text.
	contentType func(col string) string
	// blobContains tests whether a BLOB/bytea column holds the bytes of
	// placeholder p.
	blobContains func(col, p string) string
	// byteOrder collates text in byte order, for ORDER BY.
	byteOrder string
	// xactLock, when set, takes a transaction-scoped lock on (class, key):
	// the engine with concurrent writers serialises on it where no row
	// exists yet to lock.
	xactLock string
	// xactLocks is xactLock of each key of a list argument, in the list's
	// order, in one statement: the aggregate takes its rows in the
	// subquery's order.
	xactLocks string
	// writableCTE: the engine takes INSERT ... RETURNING inside WITH, so an
	// accept (debit, messages, journal entries, queue and ledger rows) is
	// one statement, one round trip. Without (SQLite) a group is a few
	// multi-row INSERTs of messages with ids the writer gives, and one
	// INSERT ... SELECT for each other kind of row (insertRows).
	writableCTE bool
	// nextID is the value of the id column of a new row of a message
	// table (messages, inbound_messages): ids are never given twice, also
	// not those of erased rows. PostgreSQL's identity column draws it;
	// SQLite's rowid would reuse the largest id once deleted, so the id is
	// drawn above the table's floor (sqliteLastID).
	nextID func(table string) string
	// sessionLock and sessionUnlock take and give back a lock held by one
	// connection across transactions (Exclusive, migrations).
	sessionLock, sessionUnlock string

	// classify names a driver error for the store: unique or foreign key
	// violation, or a conflict worth retrying.
	classify func(err error) errClass
}

// errClass is a driver error as the store sees it.
type errClass int

const (
	errOther errClass = iota
	errUnique
	errForeignKey
	errRetry // deadlock or serialization failure: run the transaction again
)

var sqliteDialect = dialect{
	name:       "sqlite",
	goose:      goose.DialectSQLite3,
	migrations: "migrations/sqlite",
	prepare:    true,
	greatest:   "max",
	inList:     "(SELECT value FROM json_each(%s))",
	jsonRows:   func(p string) string { return `json_each(` + p + `)` },
	jsonField:  func(i int, _ string) string { return `json_extract(value, '$[` + strconv.Itoa(i) + `]')` },
	listArg: func(v any) (any, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	day:          func(col string) string { return `strftime('%Y-%m-%d', ` + col + ` / 1000, 'unixepoch')` },
	templateName: func(col string) string { return `json_extract(` + col + `, '$.template.name')` },
	contentType:  func(col string) string { return `coalesce(json_extract(` + col + `, '$.type'), '')` },
	blobContains: func(col, p string) string { return `instr(` + col + `, ` + p + `) > 0` },
	byteOrder:    ` COLLATE BINARY`,
	nextID:       func(table string) string { return `(` + sqliteLastID(table) + `) + 1` },
	classify: func(err error) errClass {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return errOther
		}
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errForeignKey
		}
		return errOther
	},
}

var postgresDialect = dialect{
	name:       "postgres",
	goose:      goose.DialectPostgres,
	migrations: "migrations/postgres",
	numbered:   true,
	replan:     pgx.QueryExecModeCacheDescribe,
	greatest:   "GREATEST",
	// NO KEY: rows referencing the locked one (ledger, journal) may
	// still be inserted by others meanwhile.
	lockRows:   " FOR NO KEY UPDATE",
	skipLocked: " FOR UPDATE SKIP LOCKED",
	inList:     "ANY(%s)",
	jsonRows: func(p string) string {
		return `json_array_elements(CAST(` + p + ` AS json)) WITH ORDINALITY AS r(value, ` + jsonRowIndex + `)`
	},
	jsonField: func(i int, typ string) string { return `CAST(value ->> ` + strconv.Itoa(i) + ` AS ` + typ + `)` },
	listArg:   func(v any) (any, error) { return v, nil },
	day: func(col string) string {
		return `to_char(to_timestamp(` + col + ` / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
	},
	templateName: func(col string) string { return `(` + col + ` -> 'template' ->> 'name')` },
	contentType:  func(col string) string { return `coalesce(` + col + ` ->> 'type', '')` },
	blobContains: func(col, p string) string { return `position(` + p + ` in ` + col + `) > 0` },
	byteOrder:    ` COLLATE "C"`,
	writableCTE:  true,
	nextID:       func(string) string { return `DEFAULT` },
	// A hash collision only makes two keys wait for each other.
	xactLock: `SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))`,
	xactLocks: `SELECT count(pg_advisory_xact_lock(CAST(?1 AS INTEGER), hashtext(l.key)))
		FROM (SELECT k.key FROM unnest(CAST(?2 AS text[])) WITH ORDINALITY AS k(key, n) ORDER BY k.n) AS l`,
	// With the schema in the key: stores in different schemas of one
	// database (the tests) do not wait for each other.
	sessionLock:   `SELECT pg_advisory_lock(hashtextextended('openwaba exclusive ' || ? || ' ' || current_schema(), 0))`,
	sessionUnlock: `SELECT pg_advisory_unlock(hashtextextended('openwaba exclusive ' || ? || ' ' || current_schema(), 0))`,
	classify: func(err error) errClass {
		var e *pgconn.PgError
		if !errors.As(err, &e) {
			return errOther
		}
		switch e.Code {
		case "23505": // unique_violation
			return errUnique
		case "23503": // foreign_key_violation
			return errForeignKey
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return errRetry
		}
		return errOther
	},
}

// jsonRowIndex is the column of dialect.jsonRows with an element's place
// in its list: json_each's key on SQLite, the ordinality on PostgreSQL.
const jsonRowIndex = "key"

// in is "IN <list>" for a column tested against the list argument at
// placeholder p ("?" or "?N").
func (d *dialect) in(p string) string {
	if d.numbered {
		return "= " + fmt.Sprintf(d.inList, p)
	}
	return "IN " + fmt.Sprintf(d.inList, p)
}

// rebind rewrites a statement's placeholders for the engine as SQLite
// numbers them: "?N" is argument N, and "?" is one more than the largest
// number before it. Quoted text is left alone.
func (d *dialect) rebind(query string) string {
	if !d.numbered || strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				k, _ := strconv.Atoi(query[i+1 : j])
				n = max(n, k)
				b.WriteByte('$')
				b.WriteString(query[i+1 : j])
			} else {
				n++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// sqliteLastID reads the largest id SQLite's table has given: that of its
// newest row, or a larger one deleted since (id_floors, raised by a
// trigger on every delete; migration 00016).
func sqliteLastID(table string) string {
	return `SELECT max(last, coalesce((SELECT max(id) FROM ` + table + `), 0)) FROM id_floors WHERE name = '` + table + `'`
}
