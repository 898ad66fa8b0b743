package openwaba_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

func TestTemplateApply(t *testing.T) {
	t.Parallel()
	approved := openwaba.Template{Name: "promo", Language: "en", Status: "APPROVED", Category: "UTILITY", Quality: "GREEN"}
	status := func(event, reason string) openwaba.TemplateReport {
		return openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, Event: event, Reason: reason}
	}
	tests := []struct {
		name     string
		before   openwaba.Template
		report   openwaba.TemplateReport
		status   string
		category string
		quality  string
		sendable bool
	}{
		{"paused", approved, status("PAUSED", "paused for 3 hours"), "PAUSED", "UTILITY", "GREEN", false},
		{"disabled", approved, status("DISABLED", ""), "DISABLED", "UTILITY", "GREEN", false},
		{"rejected", approved, status("REJECTED", "INVALID_FORMAT"), "REJECTED", "UTILITY", "GREEN", false},
		{"flagged is still sendable", approved, status("FLAGGED", ""), "FLAGGED", "UTILITY", "GREEN", true},
		{"reinstated is approved", openwaba.Template{Status: "DISABLED"}, status("REINSTATED", ""), "APPROVED", "", "", true},
		{"unpaused is approved", openwaba.Template{Status: "PAUSED"}, status("APPROVED", ""), "APPROVED", "", "", true},
		{"locked says nothing of the status", approved, status("LOCKED", ""), "APPROVED", "UTILITY", "GREEN", true},
		{"a status event may name the category", approved,
			openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, Event: "APPROVED", Category: "MARKETING"}, "APPROVED", "MARKETING", "GREEN", true},
		{"re-categorised", approved,
			openwaba.TemplateReport{Field: openwaba.FieldTemplateCategory, Category: "MARKETING", PreviousCategory: "UTILITY"}, "APPROVED", "MARKETING", "GREEN", true},
		{"announced re-categorisation changes nothing yet", approved,
			openwaba.TemplateReport{Field: openwaba.FieldTemplateCategory, Category: "UTILITY", CorrectCategory: "MARKETING"}, "APPROVED", "UTILITY", "GREEN", true},
		{"quality", approved,
			openwaba.TemplateReport{Field: openwaba.FieldTemplateQuality, Quality: "RED", PreviousQuality: "GREEN"}, "APPROVED", "UTILITY", "RED", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.before.Apply(tt.report)
			if got.Status != tt.status || got.Category != tt.category || got.Quality != tt.quality || got.Sendable() != tt.sendable {
				t.Errorf("got %s %s %s sendable %v, want %s %s %s %v", got.Status, got.Category, got.Quality, got.Sendable(),
					tt.status, tt.category, tt.quality, tt.sendable)
			}
			if tt.report.Field == openwaba.FieldTemplateStatus && tt.report.Event != "LOCKED" && got.Reason != tt.report.Reason {
				t.Errorf("reason %q, want %q", got.Reason, tt.report.Reason)
			}
		})
	}
}

func TestNotSendable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    openwaba.Template
		want []string
	}{
		{openwaba.Template{Name: "promo", Language: "de", Status: "PAUSED", Reason: "paused for 3 hours"}, []string{"promo (de) is PAUSED", "paused for 3 hours"}},
		{openwaba.Template{Name: "promo", Language: "de", Status: "REJECTED", Reason: "NONE"}, []string{"promo (de) is REJECTED", "rejected it"}},
		{openwaba.Template{Name: "promo", Language: "de", Status: "DISABLED"}, []string{"promo (de) is DISABLED"}},
	}
	for _, tt := range tests {
		got := tt.t.NotSendable()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("NotSendable() = %q, want it to contain %q", got, w)
			}
		}
		if strings.Contains(got, "NONE") {
			t.Errorf("NotSendable() = %q shows Meta's NONE", got)
		}
	}
}

func TestTemplateGate(t *testing.T) {
	t.Parallel()
	const recheck = time.Hour
	tests := []struct {
		status string
		hold   bool
		code   int
	}{
		{"APPROVED", false, 0},
		{"FLAGGED", false, 0},
		{"PAUSED", true, 0},
		{"DISABLED", false, openwaba.MetaCodeTemplateDisabled},
		{"REJECTED", false, openwaba.MetaCodeTemplateMissing},
		{"PENDING_DELETION", false, openwaba.MetaCodeTemplateMissing},
	}
	for _, tt := range tests {
		g := openwaba.Template{Name: "promo", Language: "de", Status: tt.status}.Gate(now, recheck)
		if g.Hold.IsZero() == tt.hold || g.Code != tt.code || g.Fail != (tt.code != 0) {
			t.Errorf("%s: Gate = %+v, want hold %v code %d", tt.status, g, tt.hold, tt.code)
		}
		if tt.hold && !g.Hold.Equal(now.Add(recheck)) {
			t.Errorf("%s: held until %v, want %v", tt.status, g.Hold, now.Add(recheck))
		}
	}
}
