package openwaba

import (
	"errors"
	"testing"
)

func TestConsentOfInbound(t *testing.T) {
	t.Parallel()
	out, in := DefaultOptOutKeywords, DefaultOptInKeywords
	tests := []struct {
		name, typ, text string
		want            ConsentChange
	}{
		{"STOP", "text", "STOP", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "STOP"}},
		{"small letters, punctuation, spaces", "text", "  stop!! ", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "STOP"}},
		{"emoji around", "text", "🛑 Abmelden 🛑", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "ABMELDEN"}},
		{"German STOPP", "text", "Stopp.", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "STOPP"}},
		{"UNSUBSCRIBE", "text", "unsubscribe", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "UNSUBSCRIBE"}},
		{"inside a sentence", "text", "please stop the delivery", ConsentChange{}},
		{"START", "text", "Start", ConsentChange{OptIn: true, Reason: ConsentKeyword, Note: "START"}},
		{"Stop promotions button", "button", "Stop promotions", ConsentChange{OptOut: true, Reason: ConsentStopPromotions, Note: "Stop promotions"}},
		{"Stop promotions typed is no keyword", "text", "Stop promotions", ConsentChange{}},
		{"STOP quick reply", "button", "STOP", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "STOP"}},
		{"interactive reply", "interactive", "Stop", ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: "STOP"}},
		{"image caption", "image", "STOP", ConsentChange{}},
		{"empty", "text", " !? ", ConsentChange{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ConsentOfInbound(InboundMessage{Type: tc.typ, Text: tc.text}, out, in)
			if got != tc.want {
				t.Errorf("ConsentOfInbound(%s %q) = %+v, want %+v", tc.typ, tc.text, got, tc.want)
			}
		})
	}
}

func TestConsentRules(t *testing.T) {
	t.Parallel()
	if got := ConsentOfStatus(StatusUpdate{Status: StatusFailed, ErrorCode: 131050, ErrorText: "x"}); !got.OptOut || got.Reason != ConsentMetaError {
		t.Errorf("131050: %+v", got)
	}
	if got := ConsentOfStatus(StatusUpdate{Status: StatusFailed, ErrorCode: 131049}); got.Changes() {
		t.Errorf("131049 (a cap, not a choice) changed consent: %+v", got)
	}
	for _, tc := range []struct {
		category, value string
		out, in         bool
	}{{"marketing_messages", "stop", true, false}, {"marketing_messages", "resume", false, true}, {"other", "stop", false, false}, {"marketing_messages", "later", false, false}} {
		if got := ConsentOfPreference(tc.category, tc.value, "d"); got.OptOut != tc.out || got.OptIn != tc.in {
			t.Errorf("ConsentOfPreference(%s, %s) = %+v", tc.category, tc.value, got)
		}
	}
	for _, tc := range []struct {
		c          PriceCategory
		suppressed bool
		want       error
	}{
		{CategoryMarketing, true, ErrOptedOut},
		{CategoryMarketing, false, nil},
		{CategoryUtility, true, nil},
		{CategoryAuthentication, true, nil},
		{CategoryService, true, nil},
	} {
		if err := CheckConsent(tc.c, tc.suppressed); !errors.Is(err, tc.want) {
			t.Errorf("CheckConsent(%s, %v) = %v, want %v", tc.c, tc.suppressed, err, tc.want)
		}
	}
	if got := Keywords(" halt, ,Genug ", DefaultOptOutKeywords); len(got) != 2 || got[0] != "HALT" || got[1] != "GENUG" {
		t.Errorf("Keywords = %v", got)
	}
	if got := Keywords("", DefaultOptInKeywords); len(got) != 1 || got[0] != "START" {
		t.Errorf("Keywords of nothing = %v, want the defaults", got)
	}
}

// TestJournalScopeImplied: a key with analytics reads the journal (keys
// made before the journal scope existed), a key with journal alone too,
// and no other key.
func TestJournalScopeImplied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scopes []Scope
		want   bool
	}{
		{[]Scope{ScopeWABA, ScopeAnalytics, ScopeHooks}, true},
		{[]Scope{ScopeJournal}, true},
		{[]Scope{ScopeWABA, ScopeHooks, ScopeAdmin}, false},
	} {
		if got := (APIKey{Scopes: tc.scopes}).HasScope(ScopeJournal); got != tc.want {
			t.Errorf("%v has journal: %v, want %v", tc.scopes, got, tc.want)
		}
		if (APIKey{Scopes: []Scope{ScopeJournal}}).HasScope(ScopeAnalytics) {
			t.Error("journal implies analytics")
		}
	}
}
