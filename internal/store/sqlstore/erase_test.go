package sqlstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// TestEraseLeavesNoTrace: after EraseUser, no row of any table of the
// database holds the user's ids, their texts or their message's wamid,
// on both engines; the ledger keeps every row and amount (the balance is
// still its sum); another user's messages stay.
func TestEraseLeavesNoTrace(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, eng := range []struct {
		name   string
		open   func(t *testing.T) (*Store, error)
		tables string
	}{
		{"sqlite", func(t *testing.T) (*Store, error) {
			return OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "openwaba.db"), Options{Logger: quiet})
		}, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`},
		{"postgres", func(t *testing.T) (*Store, error) {
			return OpenPostgres(t.Context(), pgtest.Schema(t, pgtest.Database(t)), Options{Logger: quiet})
		}, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`},
	} {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			s, err := eng.open(t)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			eraseScenario(t, s, eng.tables)
		})
	}
}

func eraseScenario(t *testing.T, s *Store, tablesQuery string) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const (
		sender = "4915100000001"
		victim = "4917600000099"
		bsuid  = "DE.1359999999999999999"
		other  = "4917600000042"
	)
	secrets := []string{victim, bsuid, "my secret address", "answer to the victim", "wamid.victim"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.CreateAccount(ctx, openwaba.Account{Name: "a", CreatedAt: t0})
	must(err)
	_, err = s.Credit(ctx, a.ID, 10*openwaba.MicrosPerUnit, openwaba.ReasonTopUp)
	must(err)
	must(s.PutSender(ctx, openwaba.Sender{Number: sender, AccountID: a.ID, WABAID: "w1", PhoneNumberID: "p1"}))
	_, err = s.CreateHook(ctx, openwaba.Hook{AccountID: a.ID, TargetURL: "https://hooks.invalid/", EventType: openwaba.HookAll, RequestMethod: "JSON", CreatedAt: t0})
	must(err)
	write := func(from openwaba.User, wamid, text string) {
		t.Helper()
		_, err := s.RecordInbound(ctx, openwaba.InboundMessage{AccountID: a.ID, Sender: sender, User: from, WAMID: wamid, Type: "text", Text: text,
			Payload: []byte(`{"type":"text","text":{"body":"` + text + `"}}`), SentAt: t0, ReceivedAt: t0})
		must(err)
	}
	send := func(to, text string, category openwaba.PriceCategory) openwaba.Message {
		t.Helper()
		m := openwaba.Message{Sender: sender, Recipient: to, Content: openwaba.Content{Type: openwaba.TypeText, Text: text}, Text: text,
			Category: category, Price: 100_000, ListPrice: 100_000, TTL: time.Hour, CreatedAt: t0, ScheduledAt: t0, ExpiresAt: t0.Add(time.Hour),
			Status: openwaba.StatusQueued, StatusAt: t0}
		res, err := s.Accept(ctx, a.ID, []openwaba.Message{m})
		must(err)
		return res.Messages[0]
	}
	write(openwaba.User{WaID: victim, UserID: bsuid}, "wamid.in-victim", "my secret address")
	first := send(victim, "answer to the victim", openwaba.CategoryService)
	claimed, err := s.ClaimDue(ctx, t0, time.Minute, 10)
	must(err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d", len(claimed))
	}
	must(s.MarkSubmitted(ctx, first.ID, "wamid.victim", t0))
	_, err = s.ApplyStatus(ctx, openwaba.StatusUpdate{WAMID: "wamid.victim", Status: openwaba.StatusFailed, At: t0, ErrorCode: 131026,
		User: openwaba.User{WaID: victim, UserID: bsuid}})
	must(err)
	send(bsuid, "answer to the victim", openwaba.CategoryMarketing)
	_, err = s.ApplyConsent(ctx, a.ID, sender, victim, openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI, Note: "my secret address"}, t0)
	must(err)
	must(s.write(ctx, func(ctx context.Context, tx *db) error {
		_, err := tx.exec(ctx, `INSERT INTO idempotency_keys (account_id, key, request_hash, status, body, created_at, expires_at)
			VALUES (?, 'k1', ?, 200, ?, 0, 0)`, a.ID, []byte{1}, []byte(`{"messages":[{"recipient":"`+victim+`"}]}`))
		return err
	}))
	write(openwaba.User{WaID: other}, "wamid.in-other", "hello from someone else")
	kept := send(other, "for someone else", openwaba.CategoryService)
	ledgerBefore, err := s.Ledger(ctx, a.ID)
	must(err)

	// The scenario leaves the user everywhere a user can be.
	before := traces(t, s, tablesQuery, secrets)
	for _, table := range []string{"messages", "inbound_messages", "wa_users", "windows", "suppressions", "idempotency_keys", "webhook_outbox", "early_statuses"} {
		if before[table] == "" && table != "early_statuses" {
			t.Errorf("before the erasure, table %s holds nothing of the user: the test checks nothing there", table)
		}
	}

	e, err := s.EraseUser(ctx, a.ID, bsuid, t0.Add(time.Hour))
	must(err)
	if e.Messages != 2 || e.Inbound != 1 || e.Identities != 1 || e.Suppressed != 2 || e.Windows != 2 || e.Replays != 1 || e.Ledger == 0 || e.Deliveries == 0 {
		t.Errorf("erasure %+v", e)
	}

	if left := traces(t, s, tablesQuery, secrets); len(left) > 0 {
		t.Errorf("after the erasure: %v", left)
	}

	ledger, err := s.Ledger(ctx, a.ID)
	must(err)
	if len(ledger) != len(ledgerBefore) {
		t.Fatalf("ledger has %d rows, had %d", len(ledger), len(ledgerBefore))
	}
	var sum openwaba.Micros
	for i, l := range ledger {
		if l.Amount != ledgerBefore[i].Amount || l.Reason != ledgerBefore[i].Reason {
			t.Errorf("ledger row %d changed: %+v, was %+v", i, l, ledgerBefore[i])
		}
		if l.MessageID != 0 && l.MessageID != kept.ID {
			t.Errorf("ledger row %d still names erased message %d", i, l.MessageID)
		}
		sum += l.Amount
	}
	acct, err := s.Account(ctx, a.ID)
	must(err)
	if acct.Balance != sum {
		t.Errorf("balance %v, ledger sums to %v", acct.Balance, sum)
	}
	if _, err := s.Message(ctx, a.ID, kept.ID); err != nil {
		t.Errorf("another user's message: %v", err)
	}
	if got, err := s.InboundMessages(ctx, a.ID, openwaba.InboundFilter{User: other}); err != nil || len(got) != 1 {
		t.Errorf("another user's inbound messages: %d, %v", len(got), err)
	}
	again, err := s.EraseUser(ctx, a.ID, victim, t0.Add(2*time.Hour))
	must(err)
	if again != (openwaba.Erasure{User: openwaba.User{WaID: victim}}) {
		t.Errorf("erasing again: %+v, want nothing", again)
	}
}

// traces returns, per table of the database, the first row that holds
// one of secrets (every column as text), and which.
func traces(t *testing.T, s *Store, tablesQuery string, secrets []string) map[string]string {
	t.Helper()
	ctx := t.Context()
	found := map[string]string{}
	tables, err := all(ctx, s.read, scanValue[string], tablesQuery)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 20 {
		t.Fatalf("found %d tables: %v", len(tables), tables)
	}
	for _, table := range tables {
		rows, err := s.read.sql.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v|", v)
			}
			for _, secret := range secrets {
				if strings.Contains(b.String(), secret) && found[table] == "" {
					found[table] = secret + " in " + b.String()
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return found
}
