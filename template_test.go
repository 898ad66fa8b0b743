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

// TestEarlyTemplateReports: reports that came before the template was
// stored are applied in order, whatever their times; reports about
// another template are not; the template keeps the later time.
func TestEarlyTemplateReports(t *testing.T) {
	t.Parallel()
	stored := time.Date(2026, 12, 1, 10, 0, 2, 0, time.UTC)
	created := openwaba.Template{ID: "77", Name: "promo", Language: "de", Category: "MARKETING", Status: "PENDING", UpdatedAt: stored}
	tests := []struct {
		name    string
		reports []openwaba.TemplateReport
		status  string
		quality string
		at      time.Time
	}{
		{"none", nil, "PENDING", "", stored},
		{"approved a second before it was stored", []openwaba.TemplateReport{
			{Field: openwaba.FieldTemplateStatus, ID: "77", Event: "APPROVED", At: stored.Add(-time.Second)},
		}, "APPROVED", "", stored},
		{"in order", []openwaba.TemplateReport{
			{Field: openwaba.FieldTemplateStatus, ID: "77", Event: "APPROVED", At: stored.Add(-time.Second)},
			{Field: openwaba.FieldTemplateQuality, ID: "77", Quality: "GREEN", At: stored.Add(time.Second)},
			{Field: openwaba.FieldTemplateStatus, ID: "77", Event: "PAUSED", At: stored.Add(2 * time.Second)},
		}, "PAUSED", "GREEN", stored.Add(2 * time.Second)},
		{"another template's", []openwaba.TemplateReport{
			{Field: openwaba.FieldTemplateStatus, ID: "78", Event: "REJECTED", At: stored},
		}, "PENDING", "", stored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := openwaba.EarlyTemplateReports(created, tc.reports)
			if got.Status != tc.status || got.Quality != tc.quality || !got.UpdatedAt.Equal(tc.at) {
				t.Errorf("status %s quality %q at %v; want %s %q %v", got.Status, got.Quality, got.UpdatedAt, tc.status, tc.quality, tc.at)
			}
		})
	}
}
