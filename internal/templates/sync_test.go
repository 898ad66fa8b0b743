package templates_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
	"github.com/openwaba/openwaba/internal/templates"
)

const token = "sandbox-token"

// syncEnv is a real sandbox Graph API over HTTP, the real Meta adapter and
// a real SQLite store with two accounts: acme, whose WABA the sandbox
// knows, and ghost, whose WABA it does not.
type syncEnv struct {
	sb          *sandbox.Sandbox
	store       *sqlstore.Store
	syncer      *templates.Syncer
	acme, ghost openwaba.Account
}

func newSyncEnv(t *testing.T) *syncEnv {
	t.Helper()
	ctx := t.Context()
	sb := sandbox.New(sandbox.Config{AccessToken: token, AppSecret: "secret"})
	sb.AddNumber("100000000000001", "200000000000001", "4915112345678")
	graph := httptest.NewServer(sb)
	t.Cleanup(graph.Close)
	t.Cleanup(sb.Close)

	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &syncEnv{sb: sb, store: store}
	for _, a := range []struct {
		acct                   *openwaba.Account
		name, number, pn, waba string
	}{
		{&e.acme, "acme", "4915112345678", "100000000000001", "200000000000001"},
		{&e.ghost, "ghost", "4915100000009", "100000000000009", "299999999999999"},
	} {
		if *a.acct, err = store.CreateAccount(ctx, openwaba.Account{Name: a.name, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := store.PutSender(ctx, openwaba.Sender{Number: a.number, AccountID: a.acct.ID, PhoneNumberID: a.pn, WABAID: a.waba}); err != nil {
			t.Fatal(err)
		}
	}
	client := meta.NewClient(meta.Config{GraphURL: graph.URL, APIVersion: "v23.0", AccessToken: token})
	e.syncer = &templates.Syncer{Store: store, Source: client}
	return e
}

func (e *syncEnv) names(t *testing.T, account int64) map[string]bool {
	t.Helper()
	ts, err := e.store.Templates(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, tpl := range ts {
		got[tpl.Name+"/"+tpl.Language] = true
	}
	return got
}

// TestSyncPagesAndKeepsOnFailure: a sync fetches every page of the
// account's WABA; an account whose fetch fails keeps what it had.
func TestSyncPagesAndKeepsOnFailure(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	ctx := t.Context()
	const extra = 230 // three pages of 100 with the built-ins
	for i := range extra {
		e.sb.AddTemplate(openwaba.Template{
			Name: fmt.Sprintf("promo_%03d", i), Language: "en", Status: "APPROVED", Category: "MARKETING",
			Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Promo {{1}}", Example: map[string]any{"body_text": []any{[]any{"X"}}}}},
		})
	}
	kept := openwaba.Template{AccountID: e.ghost.ID, Name: "kept", Language: "en", Status: "APPROVED", Category: "UTILITY",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "still here"}}}
	if err := e.store.ReplaceTemplates(ctx, e.ghost.ID, []openwaba.Template{kept}); err != nil {
		t.Fatal(err)
	}

	counts, err := e.syncer.Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), "299999999999999") {
		t.Errorf("Sync error = %v, want the unknown WABA named", err)
	}
	want := len(e.sb.Templates())
	if counts[e.acme.ID] != want {
		t.Errorf("acme synced %d templates, want %d", counts[e.acme.ID], want)
	}
	if _, ok := counts[e.ghost.ID]; ok {
		t.Errorf("ghost reported as synced: %v", counts)
	}
	acme := e.names(t, e.acme.ID)
	if len(acme) != want || !acme["promo_229/en"] || !acme["hello_world/de"] {
		t.Errorf("acme has %d templates (promo_229/en %v), want %d", len(acme), acme["promo_229/en"], want)
	}
	if ghost := e.names(t, e.ghost.ID); len(ghost) != 1 || !ghost["kept/en"] {
		t.Errorf("ghost's templates = %v, want only kept/en", ghost)
	}
}

// TestSyncReplaces: a template that changed or was added at Meta shows
// after the next sync.
func TestSyncReplaces(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	ctx := t.Context()
	if _, err := e.syncer.Sync(ctx); err == nil {
		t.Fatal("want the ghost account's failure reported")
	}
	e.sb.AddTemplate(openwaba.Template{Name: "late", Language: "de", Status: "PENDING", Category: "UTILITY",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Neu"}}})
	e.syncer.Sync(ctx)
	tpl, err := e.store.Template(ctx, e.acme.ID, "late", "de")
	if err != nil {
		t.Fatalf("the new template was not synced: %v", err)
	}
	if tpl.Status != "PENDING" || tpl.Category != "UTILITY" {
		t.Errorf("late/de = %+v", tpl)
	}
}
