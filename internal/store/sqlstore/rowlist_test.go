package sqlstore

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
)

func TestRowList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows func(l *rowList)
		want string
	}{
		{"none", func(*rowList) {}, `[]`},
		{"one row", func(l *rowList) { l.row(); l.int(-7); l.text("sent"); l.bool(true) }, `[[-7,"sent",true]]`},
		{"two rows", func(l *rowList) {
			l.row()
			l.int(1)
			l.row()
			l.bool(false)
			l.text("")
		}, `[[1],[false,""]]`},
		{"an empty row", func(l *rowList) { l.row() }, `[[]]`},
		{"escapes", func(l *rowList) { l.row(); l.text("a\"b\\c\nd") }, `[["a\"b\\c\nd"]]`},
	}
	for _, tc := range tests {
		var l rowList
		tc.rows(&l)
		if got := l.String(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestRowListText: every text comes out as valid JSON that decodes to the
// text as the store keeps it, U+0000 replaced, bytes that are not UTF-8
// as encoding/json replaces them.
func TestRowListText(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", "ünïcödé ✓", "nul \x00 here", "not UTF-8: \xff\xfe", "tab\tand\x7f", `<&>`} {
		checkRowListText(t, s)
	}
}

func FuzzRowListText(f *testing.F) {
	for _, s := range []string{"", "delivered", "a\"b", "\x00", "\xff", "€"} {
		f.Add(s)
	}
	f.Fuzz(checkRowListText)
}

func checkRowListText(t *testing.T, s string) {
	var l rowList
	l.row()
	l.text(s)
	l.int(1)
	var got []json.RawMessage
	var rows [][]json.RawMessage
	if err := json.Unmarshal([]byte(l.String()), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("text %q: %s is not a list of one row: %v", s, l.String(), err)
	}
	got = rows[0]
	var text string
	if len(got) != 2 || json.Unmarshal(got[0], &text) != nil || string(got[1]) != "1" {
		t.Fatalf("text %q: row %s, want the text and 1", s, l.String())
	}
	want := openwaba.StoredText(s)
	if !utf8.ValidString(want) {
		want = strings.ToValidUTF8(want, "\uFFFD")
		// encoding/json replaces each bad byte, ToValidUTF8 each run.
		if strings.ReplaceAll(text, "\uFFFD", "") != strings.ReplaceAll(want, "\uFFFD", "") {
			t.Fatalf("text %q came back %q", s, text)
		}
		return
	}
	if text != want {
		t.Fatalf("text %q came back %q, want %q", s, text, want)
	}
	if slices.Contains([]byte(l.String()), 0) {
		t.Fatalf("text %q: the list holds a NUL byte", s)
	}
}
