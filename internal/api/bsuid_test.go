package api

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// to takes business-scoped user IDs beside numbers, kept as given; what
// looks like one and is not is refused naming the rule.
func TestValidateBSUIDRecipients(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, to string
		want     []string // recipients; nil: refused
		rule     string
	}{
		{"BSUID", "US.13491208655302741918", []string{"US.13491208655302741918"}, ""},
		{"parent BSUID", "US.ENT.11815799212886844830", []string{"US.ENT.11815799212886844830"}, ""},
		{"mixed with numbers", "+49 176 12345678, BR.1502576394655843 ", []string{"4917612345678", "BR.1502576394655843"}, ""},
		{"lower-case country", "us.13491208655302741918", nil, "two-letter country code in capitals"},
		{"not alphanumeric", "US.1349-1208", nil, "1 to 128 letters and digits"},
		{"too long", "US." + strings.Repeat("1", 129), nil, "1 to 128 letters and digits"},
		{"empty id", "US.", nil, "business-scoped user ID"},
		{"neither", "hello", nil, "or a business-scoped user ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var req sendRequest
			if err := json.Unmarshal([]byte(`{"from":"4915112345678","to":"`+tt.to+`","text":"hi"}`), &req); err != nil {
				t.Fatal(err)
			}
			p, err := req.validate(testNow, time.UTC)
			if tt.want != nil {
				if err != nil || !slices.Equal(p.recipients, tt.want) {
					t.Fatalf("recipients %v, %v; want %v", p, err, tt.want)
				}
				return
			}
			var fe *fieldError
			if !errors.As(err, &fe) || fe.Field != "to" || !strings.Contains(fe.Msg, tt.rule) {
				t.Fatalf("validate = %v, want a to error containing %q", err, tt.rule)
			}
		})
	}
}
