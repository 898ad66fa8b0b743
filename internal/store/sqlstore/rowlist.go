package sqlstore

import (
	"encoding/json"
	"strconv"

	"github.com/openwaba/openwaba"
)

// rowList builds the list argument of dialect.jsonRows, a JSON array of
// rows that are arrays of numbers, texts and booleans, by appending: the
// status path writes one per group, and encoding/json's reflection over
// [][]any was a visible share of it (docs/performance.md, "Status reports
// written together"). Call row before each row's values.
type rowList struct {
	b   []byte
	sep bool // the row has a value: the next needs a comma
}

// row starts a row.
func (l *rowList) row() {
	if len(l.b) == 0 {
		l.b = append(l.b, "[["...)
	} else {
		l.b = append(l.b, "],["...)
	}
	l.sep = false
}

func (l *rowList) value() {
	if l.sep {
		l.b = append(l.b, ',')
	}
	l.sep = true
}

func (l *rowList) int(v int64) {
	l.value()
	l.b = strconv.AppendInt(l.b, v, 10)
}

func (l *rowList) bool(v bool) {
	l.value()
	l.b = strconv.AppendBool(l.b, v)
}

// text appends s as the store keeps it (openwaba.StoredText).
func (l *rowList) text(s string) {
	l.value()
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			// Escapes, and bytes that are not UTF-8, made valid as
			// encoding/json makes them (U+FFFD).
			b, _ := json.Marshal(openwaba.StoredText(s))
			l.b = append(l.b, b...)
			return
		}
	}
	l.b = append(l.b, '"')
	l.b = append(l.b, s...)
	l.b = append(l.b, '"')
}

// String is the list as JSON.
func (l *rowList) String() string {
	if len(l.b) == 0 {
		return "[]"
	}
	return string(l.b) + "]]"
}
