package receive

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// userPreferences is Meta's user_preferences webhook as its reference
// shows it (docs/consent.md), for value.
func userPreferences(value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
		"user_preferences":[{"wa_id":"16505551234","detail":"User requested to ` + value + ` marketing messages",
		"category":"marketing_messages","value":"` + value + `","timestamp":1731705721}]},"field":"user_preferences"}]}]}`
}

// TestUserPreferences: Meta's user_preferences webhook puts the user on
// the suppression list (stop) and takes them off (resume), on a real store.
func TestUserPreferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a, err := s.CreateAccount(ctx, openwaba.Account{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutSender(ctx, openwaba.Sender{Number: "15550783881", AccountID: a.ID, PhoneNumberID: "106540352242922", WABAID: "102290129340398"}); err != nil {
		t.Fatal(err)
	}
	sink := &Sink{Store: s, Now: func() time.Time { return time.Unix(1731705722, 0) }}
	for _, tc := range []struct {
		value      string
		suppressed bool
	}{{"stop", true}, {"stop", true}, {"resume", false}} {
		n, err := meta.ParseWebhook([]byte(userPreferences(tc.value)))
		if err != nil || n.Empty() {
			t.Fatalf("ParseWebhook(%s) = %+v, %v", tc.value, n, err)
		}
		if err := sink.HandleNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		e, ok, err := s.Suppressed(ctx, a.ID, "15550783881", "16505551234")
		if err != nil || ok != tc.suppressed {
			t.Fatalf("after %s: suppressed %v, %v; want %v", tc.value, ok, err, tc.suppressed)
		}
		if ok && (e.Reason != openwaba.ConsentPreferences || !strings.Contains(e.Note, "stop marketing") || !e.CreatedAt.Equal(time.Unix(1731705721, 0))) {
			t.Errorf("entry %+v, want reason user_preferences with Meta's detail and time", e)
		}
	}
}
