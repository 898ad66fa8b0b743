package api

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The answer of POST /api/waba/messages is written by hand, not by
// encoding/json's reflection: it is the answer of every accepted message
// (a tenth of the accept's JSON work). It is byte for byte what
// json.Encoder with SetEscapeHTML(false) writes (TestSendAnswerJSON),
// trailing newline included.

// appendJSON appends r as JSON.
func (r *sendResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"success":`...)
	b = appendJSONString(b, r.Success)
	b = append(b, `,"total_price":`...)
	b = appendJSONFloat(b, r.TotalPrice)
	b = append(b, `,"balance":`...)
	b = appendJSONFloat(b, r.Balance)
	b = append(b, `,"debug":`...)
	b = appendJSONString(b, r.Debug)
	b = append(b, `,"sms_type":`...)
	b = appendJSONString(b, r.SMSType)
	b = append(b, `,"messages":`...)
	if r.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = r.Messages[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

func (m *messageResult) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONNullable(b, m.ID)
	b = append(b, `,"sender":`...)
	b = appendJSONString(b, m.Sender)
	b = append(b, `,"recipient":`...)
	b = appendJSONString(b, m.Recipient)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, m.Text)
	b = append(b, `,"encoding":`...)
	b = appendJSONString(b, m.Encoding)
	b = append(b, `,"label":`...)
	b = appendJSONNullable(b, m.Label)
	b = append(b, `,"parts":`...)
	b = strconv.AppendInt(b, int64(m.Parts), 10)
	b = append(b, `,"udh":`...)
	b = appendJSONNullable(b, m.UDH)
	b = append(b, `,"is_binary":`...)
	b = strconv.AppendBool(b, m.IsBinary)
	b = append(b, `,"price":`...)
	b = appendJSONFloat(b, m.Price)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, m.Channel)
	b = append(b, `,"success":`...)
	b = strconv.AppendBool(b, m.Success)
	b = append(b, `,"error":`...)
	b = appendJSONNullable(b, m.Error)
	b = append(b, `,"error_text":`...)
	b = appendJSONNullable(b, m.ErrorText)
	return append(b, '}')
}

func appendJSONNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString appends s quoted as encoding/json does without HTML
// escaping: ", \ and control characters escaped, invalid UTF-8 as
// U+FFFD, and U+2028 and U+2029 escaped (JavaScript takes them for line
// ends).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat appends f as encoding/json writes a float64: the
// shortest text that reads back as f, in exponent form only below 1e-6
// or from 1e21, with a two-digit exponent at least (1e-07 becomes
// 1e-7). Money amounts are finite; NaN and infinities, which
// encoding/json refuses, are written as null.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
