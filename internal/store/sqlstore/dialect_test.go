package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`a = ?1 AND b = ?2 OR c = ?1`, `a = $1 AND b = $2 OR c = $1`},
		// As SQLite numbers them: a bare ? follows the largest number so far.
		{`a = ?2 AND b = ? AND c = ?1`, `a = $2 AND b = $3 AND c = $1`},
		{`a = '?' AND b = ?`, `a = '?' AND b = $1`},
		{`a = 'it''s ?' AND b = ?10`, `a = 'it''s ?' AND b = $10`},
	}
	for _, tc := range tests {
		if got := postgresDialect.rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := sqliteDialect.rebind(tc.in); got != tc.in {
			t.Errorf("SQLite rebind(%q) = %q, want it unchanged", tc.in, got)
		}
	}
}

func TestStoredJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a":"b"}`, `{"a":"b"}`},
		{`{"a":"x\u0000y"}`, `{"a":"x\ufffdy"}`},
		{`{"a":"\u0000\u0000"}`, `{"a":"\ufffd\ufffd"}`},
		// A backslash of the text followed by "u0000" is no escape.
		{`{"a":"\\u0000"}`, `{"a":"\\u0000"}`},
		{`{"a":"\\\u0000"}`, `{"a":"\\\ufffd"}`},
		{`{"a":"\u00001"}`, `{"a":"\ufffd1"}`},
	}
	for _, tc := range tests {
		if got := storedJSON([]byte(tc.in)); got != tc.want {
			t.Errorf("storedJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
