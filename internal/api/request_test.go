package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

const formType = "application/x-www-form-urlencoded"

// TestDecodeBodyRefuses: every body that used to panic (a form whose keys
// are all indexes, any body without a Content-Type that is not JSON), and
// every string holding U+0000, is a field error: a 400 that names the
// field and the rule.
func TestDecodeBodyRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		field, rule             string
	}{
		{"index key without content type", "", "7", "body", "neither JSON"},
		{"index key as form", formType, "0=x", "body", "not only indexes"},
		{"index keys without content type", "", "0=x&1=y", "body", "not only indexes"},
		{"append keys only", formType, "%5B%5D=x", "body", "malformed form key"},
		{"bare word", "", "hello", "body", "neither JSON"},
		{"deep form key", formType, "a" + strings.Repeat("[b]", 40) + "=1", "body", "at most 16 levels"},
		{"multipart", "multipart/form-data; boundary=x", "--x--", "body", "multipart/form-data is not supported"},
		{"JSON array", formType, `[{"from":"1"}]`, "body", "must be an object"},
		{"two JSON values", "application/json", `{}{}`, "body", "not valid JSON (at byte 3)"},
		{"broken JSON labelled a form", formType, `{"from":`, "body", "not valid JSON (at byte 8) (read as JSON because it starts with { or [)"},
		{"empty JSON", "application/json", "  ", "body", "is empty"},
		{"NUL in JSON text", "application/json", `{"text":"a\u0000b"}`, "text", "must not contain U+0000"},
		{"NUL in form text", formType, "from=1&text=a%00b", "text", "must not contain U+0000"},
		{"NUL in query of a form", formType, "from=1", "label", "must not contain U+0000"},
		{"NUL in caption", "", `{"type":"image","caption":"\u0000"}`, "caption", "must not contain U+0000"},
		{"NUL in foreign_id", "application/json", `{"foreign_id":"x\u0000"}`, "foreign_id", "must not contain U+0000"},
		{"NUL in template parameter", "application/json", `{"components":{"body":["ok","a\u0000"]}}`, "components.body[1]", "must not contain U+0000"},
		{"NUL in template parameter object", "application/json", `{"components":{"buttons":[{"parameters":[{"type":"text","text":"\u0000"}]}]}}`,
			"components.buttons[0].parameters[0].text", "must not contain U+0000"},
		{"NUL in form template parameter", formType, "components[body][0]=ok&components[body][1]=%00", "components.body[1]", "must not contain U+0000"},
		{"NUL in contact name", "application/json", `{"contacts":[{"name":{"first_name":"\u0000"}}]}`, "contacts[0].name.first_name", "must not contain U+0000"},
		{"NUL in an unknown field", "application/json", `{"whatever":"\u0000"}`, "whatever", "must not contain U+0000"},
		{"NUL in a JSON key", "application/json", `{"te\u0000xt":"hi"}`, "body", "field name must not contain U+0000"},
		{"NUL in a form key", formType, "te%00xt=hi", "body", "must not contain U+0000"},
		{"NUL posing as the append marker", formType, "a[%00append0]=x", "body", "must not contain U+0000"},
		{"NUL in a top-level string", "application/json", `"\u0000"`, "body", "must not contain U+0000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := "/api/waba/messages"
			if strings.Contains(tc.name, "query") {
				target += "?label=%00"
			}
			r := httptest.NewRequest("POST", target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var req sendRequest
			err := decodeBody(r, &req)
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("decodeBody(%q) = %v, want a field error", tc.body, err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Msg, tc.rule) {
				t.Fatalf("decodeBody(%q) = %q, want field %q with a rule saying %q", tc.body, fe.Error(), tc.field, tc.rule)
			}
		})
	}
}

// TestDecodeBodyDetectsJSON: JSON is JSON whatever the Content-Type says
// (curl -d labels it a form), and forms still are forms.
func TestDecodeBodyDetectsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		from, text              string
	}{
		{"curl -d JSON", formType, `{"from":"4915112345678","text":"hi"}`, "4915112345678", "hi"},
		{"JSON without content type", "", "\n\t {\"from\":\"491\",\"text\":\"a=b\"}", "491", "a=b"},
		{"JSON as text/plain", "text/plain", `{"from":"491","text":"hi"}`, "491", "hi"},
		{"JSON with a byte order mark", "application/json", "\xef\xbb\xbf{\"from\":\"491\",\"text\":\"hi\"}", "491", "hi"},
		{"problem+json", "application/merge-patch+json", `{"from":"491"}`, "491", ""},
		{"escaped backslash before u0000 is no NUL", "application/json", `{"from":"491","text":"a\\u0000"}`, "491", `a\u0000`},
		{"form", formType, "from=491&text=%7Bnot+json%7D", "491", "{not json}"},
		{"form without content type", "", "from=491&text=hi", "491", "hi"},
		{"form as text/plain", "text/plain", "from=491&text=hi", "491", "hi"},
		{"mixed index and name keys stay a form", formType, "from=491&0=x", "491", ""},
		{"empty form", formType, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/api/waba/messages", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var req sendRequest
			if err := decodeBody(r, &req); err != nil {
				t.Fatalf("decodeBody(%q): %v", tc.body, err)
			}
			if req.From.Value != tc.from || req.Text.Value != tc.text {
				t.Fatalf("decodeBody(%q): from %q text %q, want %q %q", tc.body, req.From.Value, req.Text.Value, tc.from, tc.text)
			}
		})
	}
}
