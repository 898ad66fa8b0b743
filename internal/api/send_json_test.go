package api

import (
	"bytes"
	"math"
	"testing"
)

// TestSendAnswerJSON: the hand-written answer of POST /api/waba/messages
// is what encoding/json writes for it, for texts that need every kind of
// escape and for amounts in both of its number forms.
func TestSendAnswerJSON(t *testing.T) {
	t.Parallel()
	texts := []string{
		"", "Hello World!", `quote " backslash \ slash /`, "<b>&amp;</b>", "line\nfeed\rtab\tbell\abs\bff\fnul\x00us\x1f del\x7f",
		"ümlaut 😀 日本", "bad \xff utf-8 \xc3", "sep\u2028par\u2029", "\ufffd", "\\u0000",
	}
	amounts := []float64{0, 0.1, 0.0735, 1, 12.5, 1234567.891, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e300, -0.25, -1e-9, math.SmallestNonzeroFloat64, math.MaxFloat64}
	id, label := "77", "lab\"el"
	for i, text := range texts {
		resp := &sendResponse{Success: "100", TotalPrice: amounts[i%len(amounts)], Balance: amounts[(i+3)%len(amounts)], Debug: "false", SMSType: text}
		for j, a := range amounts {
			m := messageResult{Sender: text, Recipient: "4917612345678", Text: text, Encoding: "gsm", Parts: j, Price: a, Channel: "WA", Success: j%2 == 0, IsBinary: j%3 == 0}
			if j%2 == 0 {
				m.ID, m.Label, m.Error, m.ErrorText = &id, &label, &text, &text
			}
			resp.Messages = append(resp.Messages, m)
		}
		checkSendAnswer(t, resp)
	}
	checkSendAnswer(t, &sendResponse{})                            // no messages: null
	checkSendAnswer(t, &sendResponse{Messages: []messageResult{}}) // an empty list
}

func checkSendAnswer(t *testing.T, resp *sendResponse) {
	t.Helper()
	var want bytes.Buffer
	if err := EncodeJSON(&want, resp); err != nil {
		t.Fatal(err)
	}
	if got := resp.appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("answer\n got %s\nwant %s", got, want.Bytes())
	}
}

// FuzzSendAnswerJSON: any text and amount encode as encoding/json does.
func FuzzSendAnswerJSON(f *testing.F) {
	f.Add("Hello\u2028\xff\x01", 0.0735)
	f.Fuzz(func(t *testing.T, text string, amount float64) {
		if math.IsNaN(amount) || math.IsInf(amount, 0) {
			return // encoding/json refuses them; amounts are finite
		}
		id := text
		checkSendAnswer(t, &sendResponse{Success: text, TotalPrice: amount, Messages: []messageResult{{ID: &id, Text: text, Price: amount}}})
	})
}
