package openwaba_test

import (
	"slices"
	"testing"

	"github.com/openwaba/openwaba"
)

// TestStatusOrder pins the forward-only order: each pair is (earlier,
// later), and a report of the earlier never moves a message at the later.
func TestStatusOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		earlier, later openwaba.Status
		why            string
	}{
		{openwaba.StatusQueued, openwaba.StatusHeld, "WhatsApp holds what it took"},
		{openwaba.StatusHeld, openwaba.StatusPaused, "a hold ends in a pause"},
		{openwaba.StatusHeld, openwaba.StatusSent, "or in a send"},
		{openwaba.StatusPaused, openwaba.StatusSent, "a send after a pause is what happened last"},
		{openwaba.StatusSent, openwaba.StatusFailed, "failed after sent: not delivered"},
		{openwaba.StatusFailed, openwaba.StatusDelivered, "a delivery report proves delivery"},
		{openwaba.StatusDelivered, openwaba.StatusRead, ""},
		{openwaba.StatusRead, openwaba.StatusPlayed, "a voice message is played once open"},
		{openwaba.StatusPlayed, openwaba.StatusExpired, "expired and deleted end a message before WhatsApp"},
		{openwaba.StatusScheduled, openwaba.StatusQueued, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.earlier)+"<"+string(tt.later), func(t *testing.T) {
			t.Parallel()
			if !tt.later.Follows(tt.earlier) || tt.earlier.Follows(tt.later) || tt.later.Follows(tt.later) {
				t.Errorf("%s must follow %s and not the other way (%s): ranks %d, %d", tt.later, tt.earlier, tt.why, tt.later.Rank(), tt.earlier.Rank())
			}
		})
	}
}

func TestStatusesAreKnownAndOrdered(t *testing.T) {
	t.Parallel()
	all := openwaba.Statuses()
	if !slices.IsSortedFunc(all, func(a, b openwaba.Status) int { return a.Rank() - b.Rank() }) {
		t.Errorf("Statuses() not in rank order: %v", all)
	}
	for _, s := range all {
		if !s.Valid() {
			t.Errorf("%s is not valid", s)
		}
	}
	if openwaba.Status("played_twice").Valid() {
		t.Error("an unknown status is valid")
	}
}

func TestReportedAs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    openwaba.Status
		want []openwaba.Status
	}{
		{openwaba.StatusSent, []openwaba.Status{"sent", "delivered", "read", "played"}},
		{openwaba.StatusDelivered, []openwaba.Status{"delivered", "read", "played"}},
		{openwaba.StatusRead, []openwaba.Status{"read", "played"}},
		{openwaba.StatusPlayed, []openwaba.Status{"played"}},
		{openwaba.StatusHeld, []openwaba.Status{"held_for_quality_assessment"}},
	}
	for _, tt := range tests {
		if got := openwaba.ReportedAs(tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("ReportedAs(%s) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestRefundsAndWebhooksOfStatuses(t *testing.T) {
	t.Parallel()
	dlr := []openwaba.HookEvent{openwaba.HookDLR, openwaba.HookWAStatus}
	wa := []openwaba.HookEvent{openwaba.HookWAStatus}
	tests := []struct {
		s                 openwaba.Status
		reached           bool // ReachedWhatsApp
		refundIfUnreached bool // RefundOnReport(s, false)
		events            []openwaba.HookEvent
	}{
		{openwaba.StatusQueued, false, false, nil},
		{openwaba.StatusHeld, false, false, dlr},
		{openwaba.StatusPaused, false, true, dlr},
		{openwaba.StatusSent, true, false, dlr},
		{openwaba.StatusFailed, false, true, dlr},
		{openwaba.StatusDelivered, true, false, dlr},
		{openwaba.StatusRead, true, false, wa},
		{openwaba.StatusPlayed, true, false, wa},
		{openwaba.StatusExpired, false, false, dlr},
		{openwaba.StatusDeleted, false, false, wa},
	}
	for _, tt := range tests {
		t.Run(string(tt.s), func(t *testing.T) {
			t.Parallel()
			if got := tt.s.ReachedWhatsApp(); got != tt.reached {
				t.Errorf("ReachedWhatsApp = %v, want %v", got, tt.reached)
			}
			if got := tt.s.Unbilled(); got != tt.refundIfUnreached {
				t.Errorf("Unbilled = %v, want %v (a report that, without a delivery, is refunded)", got, tt.refundIfUnreached)
			}
			if got := tt.s.HookEvents(); !slices.Equal(got, tt.events) {
				t.Errorf("HookEvents = %v, want %v", got, tt.events)
			}
		})
	}
}

func TestSubmissionStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]openwaba.Status{
		"accepted": "", "": "", "held_for_quality_assessment": openwaba.StatusHeld, "paused": openwaba.StatusPaused, "sent": "",
	} {
		if got := openwaba.SubmissionStatus(in); got != want {
			t.Errorf("SubmissionStatus(%q) = %q, want %q", in, got, want)
		}
	}
}
