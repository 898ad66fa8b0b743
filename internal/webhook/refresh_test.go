package webhook_test

import (
	"context"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/cached"
	"github.com/openwaba/openwaba/internal/webhook"
)

// With the signing secret served from memory (cached.Reads, as the
// gateway runs it), a change of the account's secret holds for every
// delivery claimed after it: the deliverer refreshes the cache before
// each claim. Here the secret is cleared, and the next webhook goes
// unsigned.
func TestSecretRefreshedBeforeEachClaim(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *webhook.Config) {
		reads := cached.New(c.Store.(openwaba.Store))
		c.Refresh = reads.Refresh
		c.Secret = func(ctx context.Context, accountID int64) (string, error) {
			a, err := reads.Account(ctx, accountID)
			return a.SigningSecret, err
		}
	})
	if err := e.store.SetSigningSecret(t.Context(), e.account.ID, secret); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	e.hook(r.URL, openwaba.HookWAStatus, "JSON", "")
	e.message("wamid.refresh.1", openwaba.StatusSent)
	verify(t, r.waitRequests(t, 1)[0])

	if err := e.store.SetSigningSecret(t.Context(), e.account.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.message("wamid.refresh.2", openwaba.StatusSent)
	if got := r.waitRequests(t, 2)[1]; got.Header.Get("X-Signature") != "" {
		t.Errorf("webhook signed with the secret the account no longer has: %v", got.Header)
	}
}
