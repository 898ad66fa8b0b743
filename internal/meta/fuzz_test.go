package meta_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// FuzzParseWebhook parses any body as a Meta webhook notification (what
// the endpoint does once the signature holds; a leaked app secret makes
// the body anyone's). Properties: no panic; a refusal is an error of
// ParseWebhook's (the endpoint answers 400); what is accepted holds only
// known statuses, times that can be stored and written out (years 1970
// to 9999, or zero for "unknown"), and inbound payloads that are compact
// JSON, from which the message parses again to the same fields.
func FuzzParseWebhook(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("samples: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"49","id":"w","timestamp":"9223372036854775807","type":"text","text":{"body":"a\u0000b"}}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"w","status":"sent","timestamp":253402300800}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"type":"location","location":{"latitude":1e400}}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[null,1,"x"]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":null}]}]}`,
		`{"object":"page"}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := meta.ParseWebhook(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "meta: parse webhook") {
				t.Fatalf("error %q is not ParseWebhook's", err)
			}
			return
		}
		for _, c := range n.Changes {
			for _, s := range c.Statuses {
				switch s.Status {
				case openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead, openwaba.StatusFailed,
					openwaba.StatusPlayed, openwaba.StatusHeld, openwaba.StatusPaused:
				default:
					t.Fatalf("status %q accepted", s.Status)
				}
				checkTime(t, "status time", s.At)
			}
			for _, m := range c.Messages {
				checkTime(t, "message time", m.SentAt)
				var compact bytes.Buffer
				if err := json.Compact(&compact, m.Payload); err != nil || !bytes.Equal(compact.Bytes(), m.Payload) {
					t.Fatalf("payload %q is not compact JSON: %v", m.Payload, err)
				}
				again := reparse(t, m.Payload)
				again.ProfileName, again.User.Username = m.ProfileName, m.User.Username // both from contacts[]
				// The contact completes the ids the message itself lacks
				// (contactOf): only those may differ from the payload alone.
				for _, id := range []struct {
					alone *string
					given string
				}{
					{&again.User.WaID, m.User.WaID}, {&again.User.UserID, m.User.UserID},
					{&again.User.ParentUserID, m.User.ParentUserID}, {&again.From, m.From},
				} {
					if *id.alone == "" {
						*id.alone = id.given
					}
				}
				if !reflect.DeepEqual(again, m) {
					t.Fatalf("the payload parses to %+v, the notification gave %+v", again, m)
				}
			}
		}
	})
}

func checkTime(t *testing.T, what string, at time.Time) {
	t.Helper()
	if at.IsZero() {
		return
	}
	if at.Year() < 1970 || at.Year() > 9999 {
		t.Fatalf("%s %v accepted", what, at)
	}
	if _, err := json.Marshal(at); err != nil {
		t.Fatalf("%s %v cannot be written: %v", what, at, err)
	}
}

// reparse parses an inbound message's payload on its own, wrapped in a
// notification.
func reparse(t *testing.T, payload []byte) openwaba.InboundMessage {
	t.Helper()
	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[` + string(payload) + `]}}]}]}`
	n, err := meta.ParseWebhook([]byte(body))
	if err != nil || len(n.Changes) != 1 || len(n.Changes[0].Messages) != 1 {
		t.Fatalf("payload %q alone: %+v, %v", payload, n, err)
	}
	return n.Changes[0].Messages[0]
}
