package storetest

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var generationTests = []test{
	{"MovesWithWhatGatewaysCache", testGenerationMoves},
}

// testGenerationMoves: every write of what internal/store/cached keeps in
// memory moves the generation; balances, last-used times and messages do
// not (they would empty the cache on every request).
func testGenerationMoves(t *testing.T, s openwaba.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "acme", 10_000_000)
	sender := openwaba.Sender{Number: "4915100000001", AccountID: a.ID, PhoneNumberID: "pn-gen", WABAID: "waba-gen", CreatedAt: t0}
	var key openwaba.APIKey
	steps := []struct {
		name  string
		moves bool
		do    func() error
	}{
		{"CreateAccount", true, func() error {
			_, err := s.CreateAccount(ctx, openwaba.Account{Name: "bolt", CreatedAt: t0})
			return err
		}},
		{"SetAccountTimeZone", true, func() error { return s.SetAccountTimeZone(ctx, a.ID, "Europe/Berlin") }},
		{"SetSigningSecret", true, func() error { return s.SetSigningSecret(ctx, a.ID, "s3cret") }},
		{"SetMediaMode", true, func() error { return s.SetMediaMode(ctx, a.ID, openwaba.MediaUpload) }},
		{"SetOptKeywords", true, func() error { return s.SetOptKeywords(ctx, a.ID, []string{"HALT"}, nil) }},
		{"SetMediaRetention", true, func() error { return s.SetMediaRetention(ctx, a.ID, 48*time.Hour) }},
		{"CreateAPIKey", true, func() error {
			var err error
			key, err = s.CreateAPIKey(ctx, openwaba.APIKey{AccountID: a.ID, Name: "k", Hash: []byte("generation-key-hash-0123456789ab"), Scopes: []openwaba.Scope{openwaba.ScopeWABA}, CreatedAt: t0})
			return err
		}},
		{"TouchAPIKey", false, func() error { return s.TouchAPIKey(ctx, key.ID, t0.Add(time.Hour)) }},
		{"RevokeAPIKey", true, func() error { _, err := s.RevokeAPIKey(ctx, a.ID, key.ID, t0.Add(2*time.Hour)); return err }},
		{"Credit", false, func() error { _, err := s.Credit(ctx, a.ID, 1_000_000, openwaba.ReasonTopUp); return err }},
		{"PutSender", true, func() error { return s.PutSender(ctx, sender) }},
		{"ApplyHealth", true, func() error {
			_, err := s.ApplyHealth(ctx, openwaba.HealthReport{Field: openwaba.FieldPhoneNumberQuality, WABAID: sender.WABAID, Number: sender.Number, Event: "FLAGGED", At: t0})
			return err
		}},
		{"Accept", false, func() error {
			m := textMessage("4917600000001", 1_000, t0)
			m.Sender = sender.Number
			_, err := s.Accept(ctx, a.ID, []openwaba.Message{m})
			return err
		}},
		{"ReplaceTemplates", true, func() error {
			return s.ReplaceTemplates(ctx, a.ID, []openwaba.Template{{AccountID: a.ID, ID: "t1", Name: "hello", Language: "de", Category: "UTILITY", Status: "APPROVED", UpdatedAt: t0}})
		}},
		{"PutTemplate", true, func() error {
			return s.PutTemplate(ctx, openwaba.Template{AccountID: a.ID, ID: "t2", Name: "bye", Language: "de", Category: "UTILITY", Status: "PENDING", UpdatedAt: t0})
		}},
		{"DeleteTemplates", true, func() error { _, err := s.DeleteTemplates(ctx, a.ID, "bye", ""); return err }},
		{"SetPrice", true, func() error {
			return s.SetPrice(ctx, openwaba.Price{Currency: "EUR", Prefix: "49", Category: openwaba.CategoryMarketing, Amount: 100_000})
		}},
		{"DeletePrice", true, func() error { return s.DeletePrice(ctx, "EUR", "49", openwaba.CategoryMarketing) }},
		{"SetFreeRule", true, func() error {
			return s.SetFreeRule(ctx, openwaba.FreeRule{Category: openwaba.CategoryMarketing, Window: openwaba.WindowOpen, Free: true, EffectiveFrom: t0})
		}},
		{"DeleteFreeRule", true, func() error { return s.DeleteFreeRule(ctx, openwaba.CategoryMarketing, openwaba.WindowOpen, t0) }},
		// The account's first suppression entry moves it (a gateway keeps
		// "suppresses nobody" in memory); entries after that do not.
		{"ApplyConsent, the account's first entry", true, func() error {
			_, err := s.ApplyConsent(ctx, a.ID, "", "4917600000001", openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI}, t0)
			return err
		}},
		{"ApplyConsent, another entry", false, func() error {
			_, err := s.ApplyConsent(ctx, a.ID, "", "4917600000002", openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI}, t0)
			return err
		}},
		{"ApplyConsent, opt-in", false, func() error {
			_, err := s.ApplyConsent(ctx, a.ID, "", "4917600000002", openwaba.ConsentChange{OptIn: true, Reason: openwaba.ConsentAPI}, t0)
			return err
		}},
		{"RemoveSender", true, func() error { return s.RemoveSender(ctx, sender.Number) }},
	}
	was, err := s.Generation(ctx)
	wantErr(t, "Generation", err, nil)
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		now, err := s.Generation(ctx)
		wantErr(t, "Generation", err, nil)
		if moved := now != was; moved != st.moves {
			t.Errorf("%s: generation %d → %d; want it to move: %v", st.name, was, now, st.moves)
		}
		if now < was {
			t.Errorf("%s: generation went back from %d to %d", st.name, was, now)
		}
		was = now
	}
}
