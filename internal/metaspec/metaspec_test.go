package metaspec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openwaba/openwaba/internal/metaspec"
)

// specOnce compiles the spec once for the package's tests.
var specOnce = sync.OnceValues(metaspec.Load)

func loadSpec(t *testing.T) *metaspec.Spec {
	t.Helper()
	s, err := specOnce()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The adapter's golden request bodies (one per message type, read
// receipts, typing indicator, reactions) all conform.
func TestGoldenRequestsConform(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	files, err := filepath.Glob("../meta/testdata/send/*.json")
	if err != nil || len(files) < 15 {
		t.Fatalf("golden requests: %d files, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := spec.ValidateMessage(body); err != nil {
				t.Error(err)
			}
		})
	}
}

// The validator refuses what Meta's schemas refuse: it is not a rubber
// stamp.
func TestNonConformingRequests(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	const env = `"messaging_product":"whatsapp","recipient_type":"individual","to":"491701234567"`
	tests := []struct {
		name, body, want string
	}{
		{"no recipient", `{"messaging_product":"whatsapp","recipient_type":"individual","type":"text","text":{"body":"x"}}`, "to"},
		{"unknown text field", `{` + env + `,"type":"text","text":{"body":"x","bold":true}}`, "bold"},
		{"text missing", `{` + env + `,"type":"text"}`, "text"},
		{"media without id or link", `{` + env + `,"type":"image","image":{"caption":"x"}}`, "/image"},
		{"sticker with caption", `{` + env + `,"type":"sticker","sticker":{"link":"https://e.com/s.webp","caption":"x"}}`, "/sticker"},
		{"location as object field", `{` + env + `,"type":"location","location":{"lat":1}}`, "lat"},
		{"contact phone type unknown", `{` + env + `,"type":"contacts","contacts":[{"name":{"formatted_name":"A"},"phones":[{"phone":"+49","type":"PAGER"}]}]}`, "type"},
		{"template parameter without its value", `{` + env + `,"type":"template","template":{"name":"t","language":{"code":"en","policy":"deterministic"},"components":[{"type":"body","parameters":[{"type":"text"}]}]}}`, "text"},
		{"template button without index", `{` + env + `,"type":"template","template":{"name":"t","language":{"code":"en","policy":"deterministic"},"components":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"x"}]}]}}`, "index"},
		{"template component of unknown type", `{` + env + `,"type":"template","template":{"name":"t","language":{"code":"en","policy":"deterministic"},"components":[{"type":"footer"}]}}`, "type"},
		{"interactive without action", `{` + env + `,"type":"interactive","interactive":{"type":"button","body":{"text":"x"}}}`, "action"},
		{"template without language", `{` + env + `,"type":"template","template":{"name":"hello_world"}}`, "language"},
		{"payload of another type", `{` + env + `,"type":"text","text":{"body":"x"},"image":{"link":"https://e.com/a.jpg"}}`, "image"},
		{"unknown type", `{` + env + `,"type":"hologram"}`, "hologram"},
		{"callback data too long", `{` + env + `,"type":"text","text":{"body":"x"},"biz_opaque_callback_data":"` + strings.Repeat("x", 513) + `"}`, "biz_opaque_callback_data"},
		{"read without message_id", `{"messaging_product":"whatsapp","status":"read"}`, "message_id"},
		{"typing indicator of another kind", `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.x","typing_indicator":{"type":"voice"}}`, "typing_indicator"},
		{"not an object", `[1]`, "object"},
		{"recipient that is not a BSUID", `{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"491701234567","type":"text","text":{"body":"x"}}`, "recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := spec.ValidateMessage([]byte(tt.body))
			if err == nil {
				t.Fatalf("%s conforms, want an error naming %q", tt.body, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
	// A BSUID or parent BSUID instead of to (errata.go).
	for _, r := range []string{"US.13491208655302741918", "US.ENT.11815799212886844830"} {
		body := `{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"` + r + `","type":"text","text":{"body":"x"}}`
		if err := spec.ValidateMessage([]byte(body)); err != nil {
			t.Errorf("a send to %s does not conform: %v", r, err)
		}
	}
	if err := spec.ValidateMessage([]byte(`{` + env + `,"type":"text"}`)); !errors.Is(err, metaspec.ErrNonConforming) {
		t.Errorf("schema violation %v is not ErrNonConforming", err)
	}
}
