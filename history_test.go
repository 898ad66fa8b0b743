package openwaba

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestMergeConversation(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := func(id int64, min int) InboundMessage {
		return InboundMessage{ID: id, SentAt: t0.Add(time.Duration(min) * time.Minute)}
	}
	out := func(id int64, min int) Message {
		return Message{ID: id, CreatedAt: t0.Add(time.Duration(min) * time.Minute)}
	}
	name := func(es []ConversationEntry) []string {
		var s []string
		for _, e := range es {
			if e.Inbound != nil {
				s = append(s, "i"+string(rune('0'+e.Inbound.ID)))
			} else {
				s = append(s, "o"+string(rune('0'+e.Outbound.ID)))
			}
		}
		return s
	}
	tests := []struct {
		name     string
		in       []InboundMessage // newest first
		out      []Message
		limit    int
		want     []string // oldest first
		wantMore bool
	}{
		{"empty", nil, nil, 5, nil, false},
		{"interleaved", []InboundMessage{in(2, 3), in(1, 1)}, []Message{out(2, 2), out(1, 0)}, 5, []string{"o1", "i1", "o2", "i2"}, false},
		{"newest only", []InboundMessage{in(2, 3), in(1, 1)}, []Message{out(2, 2), out(1, 0)}, 2, []string{"o2", "i2"}, true},
		{"same time: outbound first", []InboundMessage{in(1, 1)}, []Message{out(1, 1)}, 5, []string{"o1", "i1"}, false},
		{"same time, limit 1 keeps the later: inbound", []InboundMessage{in(1, 1)}, []Message{out(1, 1)}, 1, []string{"i1"}, true},
		{"inbound only", []InboundMessage{in(3, 3), in(2, 2), in(1, 1)}, nil, 2, []string{"i2", "i3"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, more := MergeConversation(tc.in, tc.out, tc.limit)
			if !slices.Equal(name(got), tc.want) || more != tc.wantMore {
				t.Errorf("MergeConversation = %v, %v; want %v, %v", name(got), more, tc.want, tc.wantMore)
			}
		})
	}
}

func TestConversationCursorLess(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	order := []ConversationCursor{
		{At: t0, ID: 1},
		{At: t0, ID: 2},
		{At: t0, Inbound: true, ID: 1},
		{At: t0.Add(time.Millisecond), Inbound: true, ID: 0},
	}
	for i, a := range order {
		for j, b := range order {
			if got := a.Less(b); got != (i < j) {
				t.Errorf("%+v.Less(%+v) = %v, want %v", a, b, got, i < j)
			}
		}
	}
}

func TestRepliesTo(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, payload, want string }{
		{"reply", `{"context":{"from":"4915112345678","id":"wamid.Q"},"type":"text","text":{"body":"yes"}}`, "wamid.Q"},
		{"reaction", `{"type":"reaction","reaction":{"message_id":"wamid.R","emoji":"👍"}}`, "wamid.R"},
		{"button reply to a template", `{"context":{"id":"wamid.T"},"type":"button","button":{"text":"Stop promotions"}}`, "wamid.T"},
		{"plain", `{"type":"text","text":{"body":"hi"}}`, ""},
		{"not JSON", `{"context":`, ""},
		{"context not an object", `{"context":"wamid.X"}`, ""},
		{"empty", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := (InboundMessage{Payload: []byte(tc.payload)}).RepliesTo(); got != tc.want {
				t.Errorf("RepliesTo = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzRepliesTo: Meta's payload is outside bytes; reading it never panics
// and what it finds is in it.
func FuzzRepliesTo(f *testing.F) {
	f.Add([]byte(`{"context":{"id":"wamid.Q"}}`))
	f.Add([]byte(`{"reaction":{"message_id":"wamid.R"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		got := InboundMessage{Payload: payload}.RepliesTo()
		if got != "" && !json.Valid(payload) {
			t.Errorf("found %q in invalid JSON", got)
		}
	})
}
