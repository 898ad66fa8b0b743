package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf16"
	"unicode/utf8"
)

// marshal serialises v the way Meta does: non-ASCII characters as \uXXXX
// escapes and "/" as "\/". Receivers that re-serialise a webhook before
// checking its signature get different bytes, which is exactly the bug
// the fake should expose.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escape(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// escape rewrites JSON text. It is safe on whole documents because
// non-ASCII bytes and "/" can only occur inside strings.
func escape(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for len(b) > 0 {
		c := b[0]
		switch {
		case c == '/':
			out = append(out, '\\', '/')
			b = b[1:]
		case c < utf8.RuneSelf:
			out = append(out, c)
			b = b[1:]
		default:
			r, size := utf8.DecodeRune(b)
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			b = b[size:]
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(body)
}
