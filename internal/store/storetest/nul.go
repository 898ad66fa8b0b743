package storetest

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// nulTests put U+0000 in every text field the store keeps. Customers,
// users and Meta can all send it (JSON's "\u0000"); PostgreSQL's text
// cannot hold it, SQLite's can. The contract both engines meet: the store
// keeps U+0000 as U+FFFD (the replacement character), in every field and
// every copy of it (journal, outbox), and never fails because of it.
// Byte fields (payloads, webhook data) are kept byte for byte; they hold
// JSON, where U+0000 is the six characters \u0000.
var nulTests = nulCases()

// nul is a text with U+0000 inside and at its end.
const nul = "a\x00b\x00"

// kept is what the store keeps of a text.
func kept(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") }

// field is one text as read back, and what was written to it.
type field struct {
	name    string
	got, in string
}

func nulCases() []test {
	cases := []struct {
		name string
		// run writes texts with nul and returns them as read back.
		run func(t *testing.T, s openwaba.Store) []field
	}{
		{"account", func(t *testing.T, s openwaba.Store) []field {
			a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "acme" + nul, Currency: "EUR" + nul, CreatedAt: t0})
			wantErr(t, "CreateAccount", err, nil)
			wantErr(t, "SetSigningSecret", s.SetSigningSecret(t.Context(), a.ID, "s3cret"+nul), nil)
			_, err = s.Credit(t.Context(), a.ID, 1_000_000, "topup"+nul)
			wantErr(t, "Credit", err, nil)
			got, err := s.Account(t.Context(), a.ID)
			wantErr(t, "Account", err, nil)
			all, err := s.Accounts(t.Context())
			wantErr(t, "Accounts", err, nil)
			ledger, err := s.Ledger(t.Context(), a.ID)
			wantErr(t, "Ledger", err, nil)
			if len(all) != 1 || len(ledger) != 1 {
				t.Fatalf("%d accounts, %d ledger entries; want 1 and 1", len(all), len(ledger))
			}
			return []field{
				{"Account.Name", got.Name, "acme" + nul},
				{"Account.Currency", got.Currency, "EUR" + nul},
				{"Account.SigningSecret", got.SigningSecret, "s3cret" + nul},
				{"Accounts[0].Name", all[0].Name, "acme" + nul},
				{"LedgerEntry.Reason", ledger[0].Reason, "topup" + nul},
			}
		}},
		{"API key", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 0)
			h := sha256.Sum256([]byte("nul"))
			_, err := s.CreateAPIKey(t.Context(), openwaba.APIKey{AccountID: a.ID, Name: "ci" + nul, Hash: h[:], CreatedAt: t0})
			wantErr(t, "CreateAPIKey", err, nil)
			got, err := s.APIKeyByHash(t.Context(), h[:])
			wantErr(t, "APIKeyByHash", err, nil)
			return []field{{"APIKey.Name", got.Name, "ci" + nul}}
		}},
		{"sender", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 0)
			wantErr(t, "PutSender", s.PutSender(t.Context(), openwaba.Sender{
				Number: "49151" + nul, AccountID: a.ID, PhoneNumberID: "111" + nul, WABAID: "w1" + nul, CreatedAt: t0}), nil)
			got, err := s.Senders(t.Context(), a.ID)
			wantErr(t, "Senders", err, nil)
			if len(got) != 1 {
				t.Fatalf("%d senders, want 1", len(got))
			}
			return []field{
				{"Sender.Number", got[0].Number, "49151" + nul},
				{"Sender.PhoneNumberID", got[0].PhoneNumberID, "111" + nul},
				{"Sender.WABAID", got[0].WABAID, "w1" + nul},
			}
		}},
		{"template", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 0)
			tp := template(a.ID, "hello"+nul, "en"+nul, "APPROVED"+nul)
			tp.ID, tp.Category, tp.ParameterFormat = "tpl"+nul, "UTILITY"+nul, "POSITIONAL"+nul
			tp.Components[1].Text = "Hi {{1}}" + nul
			tp.Components[2].Buttons[0].Text = "Track" + nul
			wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{tp}), nil)
			got, err := s.Templates(t.Context(), a.ID)
			wantErr(t, "Templates", err, nil)
			if len(got) != 1 || len(got[0].Components) != 3 || len(got[0].Components[2].Buttons) != 1 {
				t.Fatalf("templates %+v", got)
			}
			g := got[0]
			return []field{
				{"Template.ID", g.ID, "tpl" + nul},
				{"Template.Name", g.Name, "hello" + nul},
				{"Template.Language", g.Language, "en" + nul},
				{"Template.Category", g.Category, "UTILITY" + nul},
				{"Template.Status", g.Status, "APPROVED" + nul},
				{"Template.ParameterFormat", g.ParameterFormat, "POSITIONAL" + nul},
				{"Template.Components[1].Text", g.Components[1].Text, "Hi {{1}}" + nul},
				{"Template.Components[2].Buttons[0].Text", g.Components[2].Buttons[0].Text, "Track" + nul},
			}
		}},
		{"hook", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 0)
			_, err := s.CreateHook(t.Context(), openwaba.Hook{
				AccountID: a.ID, TargetURL: "https://example.com/" + nul, EventType: openwaba.HookAll,
				RequestMethod: "JSON" + nul, EventFilter: "49151" + nul, Headers: "X-Test: 1" + nul, CreatedAt: t0,
			})
			wantErr(t, "CreateHook", err, nil)
			got, err := s.Hooks(t.Context(), a.ID)
			wantErr(t, "Hooks", err, nil)
			if len(got) != 1 {
				t.Fatalf("%d hooks, want 1", len(got))
			}
			return []field{
				{"Hook.TargetURL", got[0].TargetURL, "https://example.com/" + nul},
				{"Hook.RequestMethod", got[0].RequestMethod, "JSON" + nul},
				{"Hook.EventFilter", got[0].EventFilter, "49151" + nul},
				{"Hook.Headers", got[0].Headers, "X-Test: 1" + nul},
			}
		}},
		{"message", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			m := templateMessage(recipient1 + nul)
			m.Text, m.Encoding, m.Label, m.ForeignID = "text"+nul, "gsm"+nul, "label"+nul, "foreign"+nul
			m.ErrorText = "error" + nul
			tpl := *m.Content.Template
			tpl.Name, tpl.Language = "order"+nul, "en"+nul
			tpl.Body = []openwaba.TemplateParam{{Type: "text", Text: "Alice" + nul}}
			tpl.Rendered = openwaba.RenderedTemplate{Body: "Hi Alice" + nul}
			m.Content.Template = &tpl
			m.Links = []openwaba.Link{{Code: "NulLink1", URL: "https://shop.example/" + nul}}
			id := accept(t, s, a.ID, m).Messages[0].ID
			got := message(t, s, a.ID, id)
			if got.Content.Template == nil || len(got.Content.Template.Body) != 1 {
				t.Fatalf("content %+v", got.Content)
			}
			l, err := s.Link(t.Context(), "NulLink1")
			wantErr(t, "Link", err, nil)
			ct := got.Content.Template
			return []field{
				{"Message.Recipient", got.Recipient, recipient1 + nul},
				{"Message.Text", got.Text, "text" + nul},
				{"Message.Encoding", got.Encoding, "gsm" + nul},
				{"Message.Label", got.Label, "label" + nul},
				{"Message.ForeignID", got.ForeignID, "foreign" + nul},
				{"Message.ErrorText", got.ErrorText, "error" + nul},
				{"Message.Content.Template.Name", ct.Name, "order" + nul},
				{"Message.Content.Template.Language", ct.Language, "en" + nul},
				{"Message.Content.Template.Body[0].Text", ct.Body[0].Text, "Alice" + nul},
				{"Message.Content.Template.Rendered.Body", ct.Rendered.Body, "Hi Alice" + nul},
				{"Link.URL", l.URL, "https://shop.example/" + nul},
			}
		}},
		{"text message content", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			m := textMessage(recipient1, price, t0)
			m.Content.Text = "hello" + nul
			got := message(t, s, a.ID, accept(t, s, a.ID, m).Messages[0].ID)
			return []field{{"Message.Content.Text", got.Content.Text, "hello" + nul}}
		}},
		{"inbound message", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 0)
			in := inbound(a.ID, "wamid.nul", recipient1, t0, "hi")
			in.Type, in.Text, in.ProfileName = "text"+nul, "hi"+nul, "Alice"+nul
			in.Payload = []byte(`{"type":"text","text":{"body":"hi\u0000"}}`)
			record(t, s, in)
			got, err := s.InboundByWAMID(t.Context(), a.ID, "wamid.nul")
			wantErr(t, "InboundByWAMID", err, nil)
			return []field{
				{"InboundMessage.Type", got.Type, "text" + nul},
				{"InboundMessage.Text", got.Text, "hi" + nul},
				{"InboundMessage.ProfileName", got.ProfileName, "Alice" + nul},
				// Bytes: kept as they are (kept() leaves them alone).
				{"InboundMessage.Payload", string(got.Payload), string(in.Payload)},
			}
		}},
		{"status report error", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			newHook(t, s, a.ID, openwaba.HookDLR, "")
			m := submitted(t, s, a.ID, "wamid.nul")
			_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.nul", Status: openwaba.StatusFailed,
				At: t0, ErrorCode: 131026, ErrorText: "undeliverable" + nul})
			wantErr(t, "ApplyStatus", err, nil)
			return errorFields(t, s, a.ID, m.ID, "undeliverable"+nul)
		}},
		{"early status report error", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			newHook(t, s, a.ID, openwaba.HookDLR, "")
			m := claimed(t, s, a.ID, textMessage(recipient1, price, t0))
			_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.nul", Status: openwaba.StatusFailed,
				At: t0, ErrorCode: 131026, ErrorText: "undeliverable" + nul})
			wantErr(t, "ApplyStatus before MarkSubmitted", err, nil)
			wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.nul", t0), nil)
			return errorFields(t, s, a.ID, m.ID, "undeliverable"+nul)
		}},
		{"Fail error", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			newHook(t, s, a.ID, openwaba.HookDLR, "")
			m := claimed(t, s, a.ID, textMessage(recipient1, price, t0))
			wantErr(t, "Fail", s.Fail(t.Context(), m.ID, openwaba.StatusFailed, 131026, "undeliverable"+nul, t0), nil)
			return errorFields(t, s, a.ID, m.ID, "undeliverable"+nul)
		}},
		{"Retry error", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			m := claimed(t, s, a.ID, textMessage(recipient1, price, t0))
			wantErr(t, "Retry", s.Retry(t.Context(), m.ID, t0.Add(time.Minute), 130429, "rate limit"+nul), nil)
			return []field{{"Message.ErrorText", message(t, s, a.ID, m.ID).ErrorText, "rate limit" + nul}}
		}},
		{"click", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			accept(t, s, a.ID, trackedMessage(recipient1, "NulClick"))
			c, err := s.RecordClick(t.Context(), "NulClick", t0, "Mozilla"+nul, false)
			wantErr(t, "RecordClick", err, nil)
			got, err := s.ClickByID(t.Context(), a.ID, c.ID)
			wantErr(t, "ClickByID", err, nil)
			return []field{{"Click.UserAgent", got.UserAgent, "Mozilla" + nul}}
		}},
		{"delivery errors", func(t *testing.T, s openwaba.Store) []field {
			a := newAccount(t, s, "a", 1_000_000)
			newHook(t, s, a.ID, openwaba.HookWAMO, "")
			record(t, s, inbound(a.ID, "wamid.nul", recipient1, t0, "hi"))
			ds := claimAll(t, s, t0)
			if len(ds) != 1 {
				t.Fatalf("claimed %d deliveries, want 1", len(ds))
			}
			wantErr(t, "RetryDelivery", s.RetryDelivery(t.Context(), ds[0].ID, t0, "HTTP 503"+nul), nil)
			again := claimAll(t, s, t0)
			if len(again) != 1 {
				t.Fatalf("claimed %d deliveries after the retry, want 1", len(again))
			}
			wantErr(t, "KillDelivery", s.KillDelivery(t.Context(), ds[0].ID, "HTTP 410"+nul), nil)
			dead, err := s.DeadDeliveries(t.Context(), a.ID)
			wantErr(t, "DeadDeliveries", err, nil)
			if len(dead) != 1 {
				t.Fatalf("%d dead deliveries, want 1", len(dead))
			}
			return []field{
				{"Delivery.LastError after RetryDelivery", again[0].LastError, "HTTP 503" + nul},
				{"Delivery.LastError after KillDelivery", dead[0].LastError, "HTTP 410" + nul},
			}
		}},
	}
	var tests []test
	for _, tc := range cases {
		tests = append(tests, test{tc.name, func(t *testing.T, s openwaba.Store) {
			for _, f := range tc.run(t, s) {
				if want := kept(f.in); f.got != want {
					t.Errorf("%s = %q, want %q", f.name, f.got, want)
				}
			}
		}})
	}
	return tests
}

// errorFields returns the error text of message id in each place the
// store keeps it: the message, its journal, and its dlr deliveries.
func errorFields(t *testing.T, s openwaba.Store, accountID, id int64, in string) []field {
	t.Helper()
	fs := []field{{"Message.ErrorText", message(t, s, accountID, id).ErrorText, in}}
	journal, err := s.StatusHistory(t.Context(), accountID, id)
	wantErr(t, "StatusHistory", err, nil)
	for _, e := range journal {
		if e.Status == openwaba.StatusFailed {
			fs = append(fs, field{"StatusEvent.ErrorText", e.ErrorText, in})
		}
	}
	ds := drain(t, s, t0.Add(time.Hour))
	for _, d := range ds {
		fs = append(fs, field{fmt.Sprintf("Delivery.ErrorText (%s %s)", d.Event, d.Status), d.ErrorText, in})
	}
	if len(fs) != 3 {
		t.Errorf("the error is in %d places, want 3 (message, journal, delivery): %v", len(fs), fs)
	}
	return fs
}
