package metaspec_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The adapter's webhook fixtures, written from Meta's documentation,
// carry inbound messages that conform to the yaml's inbound schemas.
func TestWebhookFixturesConform(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	files, err := filepath.Glob("../meta/testdata/webhooks/*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("webhook fixtures: %d files, %v", len(files), err)
	}
	checked := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Entry []struct {
				Changes []struct {
					Value struct {
						Messages []json.RawMessage `json:"messages"`
					} `json:"value"`
				} `json:"changes"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range env.Entry {
			for _, c := range e.Changes {
				for _, m := range c.Value.Messages {
					checked++
					if err := spec.ValidateInbound(m); err != nil {
						t.Errorf("%s: %v", filepath.Base(f), err)
					}
				}
			}
		}
	}
	if checked < 15 {
		t.Errorf("checked only %d messages", checked)
	}
}

// A user with a username writes without their number: from_user_id
// (errata.go).
func TestUsernameInboundConforms(t *testing.T) {
	t.Parallel()
	msg := `{"from_user_id":"US.13491208655302741918","from_parent_user_id":"US.ENT.11815799212886844830","id":"wamid.X","timestamp":"1749416390","type":"text","text":{"body":"hi"}}`
	if err := loadSpec(t).ValidateInbound([]byte(msg)); err != nil {
		t.Error(err)
	}
}

func TestNonConformingInbound(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	const base = `"from":"491701234567","id":"wamid.X","timestamp":"1749416390"`
	tests := []struct{ name, msg, want string }{
		{"no timestamp", `{"from":"491701234567","id":"wamid.X","type":"text","text":{"body":"x"}}`, "timestamp"},
		{"image without id", `{` + base + `,"type":"image","image":{"mime_type":"image/jpeg","sha256":"x"}}`, "id"},
		{"button without context", `{` + base + `,"type":"button","button":{"payload":"p","text":"t"}}`, "context"},
		{"list reply without id", `{` + base + `,"type":"interactive","context":{"from":"1","id":"wamid.Y"},"interactive":{"type":"list_reply","list_reply":{"title":"t","description":"d"}}}`, "id"},
		{"unknown type", `{` + base + `,"type":"hologram"}`, "hologram"},
		{"neither from nor from_user_id", `{"id":"wamid.X","timestamp":"1749416390","type":"text","text":{"body":"x"}}`, "from"},
		{"from_user_id that is not a BSUID", `{"from_user_id":"491701234567","id":"wamid.X","timestamp":"1749416390","type":"text","text":{"body":"x"}}`, "from_user_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := spec.ValidateInbound([]byte(tt.msg))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateInbound = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
