package dispatch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// acceptCategory stores a template message of category, valid for ttl.
func (e *env) acceptCategory(t *testing.T, category openwaba.PriceCategory, ttl time.Duration) openwaba.Message {
	t.Helper()
	now := e.clk.Now()
	m := openwaba.Message{
		Sender: testNumber, Recipient: testUser, Content: helloWorld, Text: "x", Encoding: "gsm",
		Category: category, Price: 10_000, TTL: ttl,
		CreatedAt: now, ScheduledAt: now, ExpiresAt: now.Add(ttl), Status: openwaba.StatusQueued,
	}
	res, err := e.store.Accept(context.Background(), e.account.ID, []openwaba.Message{m})
	if err != nil {
		t.Fatal(err)
	}
	return res.Messages[0]
}

func (e *env) report(t *testing.T, r openwaba.HealthReport) {
	t.Helper()
	r.WABAID, r.At = testWABA, e.clk.Now()
	if r.Field == "" {
		r.Field = openwaba.FieldPhoneNumberQuality
	}
	if r.Number == "" && r.Field == openwaba.FieldPhoneNumberQuality {
		r.Number = testNumber
	}
	if _, err := e.store.ApplyHealth(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// TestHealthHoldsAndFails: the dispatcher applies the number's health to
// every message it takes (openwaba.SenderHealth.Gate): held messages stay
// queued with the reason as their last error, due again at the recheck or
// the restriction's end, and go out once the number recovers; a disabled
// account fails them, refunded; a hold past the message's validity
// expires it.
func TestHealthHoldsAndFails(t *testing.T) {
	t.Parallel()
	const recheck = 10 * time.Minute
	tests := []struct {
		name     string
		report   openwaba.HealthReport
		category openwaba.PriceCategory
		ttl      time.Duration
		// held: due again at t0+held, with the reason; zero: not held.
		held   time.Duration
		reason string
		// then: the report that lifts it (empty: time alone does).
		then   openwaba.HealthReport
		status openwaba.Status // when neither held nor sent
		code   int
	}{
		{name: "red holds marketing", report: openwaba.HealthReport{Event: "FLAGGED"}, category: openwaba.CategoryMarketing, ttl: 24 * time.Hour,
			held: recheck, reason: "quality rating is RED", then: openwaba.HealthReport{Event: "UNFLAGGED"}},
		{name: "red lets utility go", report: openwaba.HealthReport{Event: "FLAGGED"}, category: openwaba.CategoryUtility, ttl: 24 * time.Hour},
		{name: "restricted until it ends", category: openwaba.CategoryUtility, ttl: 24 * time.Hour,
			report: openwaba.HealthReport{Field: openwaba.FieldAccountUpdate, Event: "ACCOUNT_RESTRICTION",
				Restrictions: []openwaba.Restriction{{Type: openwaba.RestrictBusinessInitiated, Expires: t0.Add(4 * time.Minute)}}},
			held: 4 * time.Minute, reason: "RESTRICTED_BIZ_INITIATED_MESSAGING"},
		{name: "a disabled account fails it", category: openwaba.CategoryUtility, ttl: 24 * time.Hour,
			report: openwaba.HealthReport{Field: openwaba.FieldAccountUpdate, Event: "DISABLED_UPDATE", BanState: openwaba.BanDisabled},
			status: openwaba.StatusFailed, code: openwaba.MetaCodeAccountLocked},
		{name: "held past its validity it expires", report: openwaba.HealthReport{Event: "FLAGGED"}, category: openwaba.CategoryMarketing, ttl: 5 * time.Minute,
			status: openwaba.StatusExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{HealthRecheck: recheck})
			e.report(t, tt.report)
			m := e.acceptCategory(t, tt.category, tt.ttl)
			e.dispatchDue(t)
			got := e.message(t, m.ID)
			switch {
			case tt.status != "":
				if got.Status != tt.status || got.ErrorCode != tt.code || !got.Refunded || e.sentCount() != 0 {
					t.Fatalf("message %s code %d refunded %v, %d sends; want %s code %d, refunded, none sent: %s",
						got.Status, got.ErrorCode, got.Refunded, e.sentCount(), tt.status, tt.code, got.ErrorText)
				}
				return
			case tt.held == 0:
				e.waitStatus(t, m.ID, openwaba.StatusRead)
				return
			}
			if got.Status != openwaba.StatusQueued || !strings.Contains(got.ErrorText, tt.reason) || e.sentCount() != 0 {
				t.Fatalf("message %s %q, %d sends; want queued, held for %q, none sent", got.Status, got.ErrorText, e.sentCount(), tt.reason)
			}
			if next := e.nextDue(t); !next.Equal(t0.Add(tt.held)) {
				t.Errorf("due again at %v, want %v", next, t0.Add(tt.held))
			}
			e.clk.set(t0.Add(tt.held - time.Second))
			if n := e.dispatchDue(t); n != 0 {
				t.Errorf("claimed %d before the hold ended", n)
			}
			if tt.then.Event != "" {
				// Still red at the recheck: held again.
				e.clk.set(t0.Add(tt.held))
				e.dispatchDue(t)
				if got := e.message(t, m.ID); got.Status != openwaba.StatusQueued || e.sentCount() != 0 {
					t.Fatalf("at the recheck, still red: %s, %d sends", got.Status, e.sentCount())
				}
				e.report(t, tt.then)
				e.clk.set(t0.Add(2 * tt.held))
			} else {
				e.clk.set(t0.Add(tt.held))
			}
			if n := e.dispatchDue(t); n != 1 {
				t.Fatalf("claimed %d once the hold ended", n)
			}
			e.waitStatus(t, m.ID, openwaba.StatusRead)
		})
	}
}

// TestTemplateStatusAtDispatch: a queued message whose template Meta has
// paused since it was accepted waits (and goes out once the template is
// reinstated); one whose template was disabled or rejected fails with
// Meta's code, refunded, without a request to WhatsApp.
func TestTemplateStatusAtDispatch(t *testing.T) {
	t.Parallel()
	const recheck = 10 * time.Minute
	tests := []struct {
		status string
		code   int // 0: held
	}{
		{"PAUSED", 0},
		{"DISABLED", openwaba.MetaCodeTemplateDisabled},
		{"REJECTED", openwaba.MetaCodeTemplateMissing},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{HealthRecheck: recheck})
			ctx := context.Background()
			tpl := openwaba.Template{ID: "1000000000000001", Name: "hello_world", Language: "en", Category: "MARKETING", Status: "APPROVED",
				ParameterFormat: "POSITIONAL", Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Hello World!"}}}
			if err := e.store.ReplaceTemplates(ctx, e.account.ID, []openwaba.Template{tpl}); err != nil {
				t.Fatal(err)
			}
			m := e.acceptCategory(t, openwaba.CategoryMarketing, 24*time.Hour)
			report := openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, WABAID: testWABA, ID: tpl.ID, Event: tt.status, At: t0}
			if _, err := e.store.ApplyTemplateReport(ctx, report); err != nil {
				t.Fatal(err)
			}
			e.dispatchDue(t)
			got := e.message(t, m.ID)
			if e.sentCount() != 0 {
				t.Fatalf("%d requests to WhatsApp", e.sentCount())
			}
			if tt.code != 0 {
				if got.Status != openwaba.StatusFailed || got.ErrorCode != tt.code || !got.Refunded || !strings.Contains(got.ErrorText, "hello_world (en) is "+tt.status) {
					t.Fatalf("message %s %d %q refunded %v; want failed %d, refunded", got.Status, got.ErrorCode, got.ErrorText, got.Refunded, tt.code)
				}
				return
			}
			if got.Status != openwaba.StatusQueued || !strings.Contains(got.ErrorText, "hello_world (en) is PAUSED") {
				t.Fatalf("message %s %q, want queued, held", got.Status, got.ErrorText)
			}
			if next := e.nextDue(t); !next.Equal(t0.Add(recheck)) {
				t.Errorf("due again at %v, want %v", next, t0.Add(recheck))
			}
			report.Event = "REINSTATED"
			if _, err := e.store.ApplyTemplateReport(ctx, report); err != nil {
				t.Fatal(err)
			}
			e.clk.set(t0.Add(recheck))
			e.dispatchDue(t)
			e.waitStatus(t, m.ID, openwaba.StatusRead)
		})
	}
}
