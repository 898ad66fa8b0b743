package openwaba_test

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func TestHealthApply(t *testing.T) {
	t.Parallel()
	restricted := []openwaba.Restriction{{Type: openwaba.RestrictBusinessInitiated, Expires: now.Add(time.Hour)}}
	green := openwaba.SenderHealth{Quality: openwaba.QualityGreen, MessagingLimit: "TIER_10K"}
	tests := []struct {
		name   string
		before openwaba.SenderHealth
		report openwaba.HealthReport
		want   openwaba.SenderHealth // Event and UpdatedAt are the report's
	}{
		{"flagged is red", green, openwaba.HealthReport{Event: "FLAGGED"},
			openwaba.SenderHealth{Quality: "RED", MessagingLimit: "TIER_10K"}},
		{"unflagged is no longer red", openwaba.SenderHealth{Quality: "RED"}, openwaba.HealthReport{Event: "UNFLAGGED"},
			openwaba.SenderHealth{Quality: "YELLOW"}},
		{"downgrade lowers the limit", green, openwaba.HealthReport{Event: "DOWNGRADE", MessagingLimit: "TIER_2K"},
			openwaba.SenderHealth{Quality: "GREEN", MessagingLimit: "TIER_2K"}},
		{"a restriction replaces the ones before", openwaba.SenderHealth{Restrictions: []openwaba.Restriction{{Type: openwaba.RestrictAddPhoneNumber}}},
			openwaba.HealthReport{Event: "ACCOUNT_RESTRICTION", Restrictions: restricted}, openwaba.SenderHealth{Restrictions: restricted}},
		{"disabled", green, openwaba.HealthReport{Event: "DISABLED_UPDATE", BanState: "DISABLE"},
			openwaba.SenderHealth{Quality: "GREEN", MessagingLimit: "TIER_10K", BanState: "DISABLE"}},
		{"reinstated", openwaba.SenderHealth{BanState: "DISABLE"}, openwaba.HealthReport{Event: "DISABLED_UPDATE", BanState: "REINSTATE"},
			openwaba.SenderHealth{}},
		{"deleted", green, openwaba.HealthReport{Event: "ACCOUNT_DELETED"},
			openwaba.SenderHealth{Quality: "GREEN", MessagingLimit: "TIER_10K", BanState: openwaba.BanDeleted}},
		{"a violation changes nothing", green, openwaba.HealthReport{Event: "ACCOUNT_VIOLATION", Violation: "SCAM"}, green},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.report.At = now
			got := tt.before.Apply(tt.report)
			if !got.Same(tt.want) || got.Event != tt.report.Event || !got.UpdatedAt.Equal(now) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHealthSame(t *testing.T) {
	t.Parallel()
	a := openwaba.SenderHealth{Quality: "RED", Restrictions: []openwaba.Restriction{{Type: "X", Expires: now}}, Event: "FLAGGED", UpdatedAt: now}
	b := a
	b.Event, b.UpdatedAt = "UNFLAGGED", now.Add(time.Hour)
	if !a.Same(b) {
		t.Error("the event and the time make a difference")
	}
	b.Restrictions = []openwaba.Restriction{{Type: "X", Expires: now.Add(time.Second)}}
	if a.Same(b) {
		t.Error("a restriction's expiry makes no difference")
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	const recheck = 15 * time.Minute
	restriction := func(typ string, expires time.Time) openwaba.SenderHealth {
		return openwaba.SenderHealth{Restrictions: []openwaba.Restriction{{Type: typ, Expires: expires}}}
	}
	red := openwaba.SenderHealth{Quality: openwaba.QualityRed}
	mk, ut, svc := openwaba.CategoryMarketing, openwaba.CategoryUtility, openwaba.CategoryService
	tests := []struct {
		name      string
		h         openwaba.SenderHealth
		category  openwaba.PriceCategory
		template  bool
		hold      time.Time
		fail      bool
		marketing string
	}{
		{"healthy", openwaba.SenderHealth{Quality: "GREEN"}, mk, true, time.Time{}, false, "send"},
		{"never reported", openwaba.SenderHealth{}, mk, true, time.Time{}, false, "send"},
		{"red holds marketing", red, mk, true, now.Add(recheck), false, "held"},
		{"red lets utility go", red, ut, true, time.Time{}, false, "held"},
		{"red lets service go", red, svc, false, time.Time{}, false, "held"},
		{"yellow lets marketing go", openwaba.SenderHealth{Quality: "YELLOW"}, mk, true, time.Time{}, false, "send"},
		{"business-initiated restriction holds templates until it ends", restriction(openwaba.RestrictBusinessInitiated, now.Add(5*time.Minute)), ut, true, now.Add(5 * time.Minute), false, "held"},
		{"a long restriction is rechecked", restriction(openwaba.RestrictBusinessInitiated, now.Add(48*time.Hour)), mk, true, now.Add(recheck), false, "held"},
		{"a restriction without end is rechecked", restriction(openwaba.RestrictBusinessInitiated, time.Time{}), mk, true, now.Add(recheck), false, "held"},
		{"business-initiated restriction lets replies go", restriction(openwaba.RestrictBusinessInitiated, time.Time{}), svc, false, time.Time{}, false, "held"},
		{"an ended restriction holds nothing", restriction(openwaba.RestrictBusinessInitiated, now), mk, true, time.Time{}, false, "send"},
		{"customer-initiated restriction holds replies", restriction(openwaba.RestrictCustomerInitiated, now.Add(time.Hour)), svc, false, now.Add(recheck), false, "send"},
		{"customer-initiated restriction lets templates go", restriction(openwaba.RestrictCustomerInitiated, now.Add(time.Hour)), mk, true, time.Time{}, false, "send"},
		{"adding numbers is not sending", restriction(openwaba.RestrictAddPhoneNumber, time.Time{}), mk, true, time.Time{}, false, "send"},
		{"disabled fails everything", openwaba.SenderHealth{BanState: openwaba.BanDisabled}, svc, false, time.Time{}, true, "failed"},
		{"scheduled for disabling still sends", openwaba.SenderHealth{BanState: openwaba.BanScheduled}, mk, true, time.Time{}, false, "send"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := tt.h.Gate(tt.category, tt.template, now, recheck)
			if !g.Hold.Equal(tt.hold) || g.Fail != tt.fail {
				t.Errorf("Gate = %+v, want hold %v fail %v", g, tt.hold, tt.fail)
			}
			if (g.Hold.IsZero() && !g.Fail) != (g.Text == "") {
				t.Errorf("Gate %+v: a decision without a reason, or a reason without one", g)
			}
			if g.Fail && g.Code != openwaba.MetaCodeAccountLocked {
				t.Errorf("fails with code %d", g.Code)
			}
			if got := tt.h.Marketing(now); got != tt.marketing {
				t.Errorf("Marketing = %s, want %s", got, tt.marketing)
			}
		})
	}
}
