package receive

import (
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

func TestMapReengagement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       openwaba.StatusUpdate
		wantCode int
		wantText string // substring
	}{
		{"131047 failed", openwaba.StatusUpdate{Status: openwaba.StatusFailed, ErrorCode: 131047, ErrorText: "Re-engagement message"},
			openwaba.CodeNotInWindow, "WhatsApp #131047: Re-engagement message"},
		{"131047 without text", openwaba.StatusUpdate{Status: openwaba.StatusFailed, ErrorCode: 131047},
			openwaba.CodeNotInWindow, openwaba.TextNotInWindow + " (WhatsApp #131047)"},
		{"other failure kept", openwaba.StatusUpdate{Status: openwaba.StatusFailed, ErrorCode: 131026, ErrorText: "Message undeliverable"},
			131026, "Message undeliverable"},
		{"not failed", openwaba.StatusUpdate{Status: openwaba.StatusDelivered}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mapReengagement(tt.in)
			if got.ErrorCode != tt.wantCode || !strings.Contains(got.ErrorText, tt.wantText) || got.Status != tt.in.Status {
				t.Errorf("got %d %q, want %d containing %q", got.ErrorCode, got.ErrorText, tt.wantCode, tt.wantText)
			}
		})
	}
}
