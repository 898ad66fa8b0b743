package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/client"
)

// TestGoClientReadsWebhooks: the Go SDK's WebhookVerifier verifies and
// decodes what the deliverer sends, in each request method.
func TestGoClientReadsWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var (
		mu     sync.Mutex
		events = map[string]*client.Event{}
	)
	handler := client.WebhookVerifier{Secret: secret}.Handler(func(r *http.Request, ev *client.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events[r.URL.Path] = ev
		return nil
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e.hook(srv.URL+"/json", openwaba.HookWAStatus, "JSON", "")
	e.hook(srv.URL+"/post", openwaba.HookDLR, "POST", "")
	e.hook(srv.URL+"/get?tenant=7", openwaba.HookWAMO, "GET", "")
	m := e.message("wamid.c", openwaba.StatusFailed)
	if _, err := e.store.RecordInbound(t.Context(), openwaba.InboundMessage{
		AccountID: e.account.ID, Sender: ourNumber, From: user, WAMID: "wamid.in", Type: "text", Text: "Hallo!",
		Payload: []byte(`{"from":"4917612345678","id":"wamid.in","type":"text","text":{"body":"Hallo!"}}`),
		SentAt:  time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	}); err != nil {
		t.Fatal(err)
	}
	e.d.Notify()
	got := waitFor(t, "three verified webhooks", func() (map[string]*client.Event, bool) {
		mu.Lock()
		defer mu.Unlock()
		return events, len(events) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	st, err := got["/json"].Status()
	if err != nil || got["/json"].Type != client.EventStatus || st.Status != "failed" || st.WAStatus != "failed" || st.MsgID == "" ||
		st.ForeignID != m.ForeignID || st.Label != m.Label || st.ErrorCode != 131026 || st.ErrorText != "Message undeliverable" || st.Price != 0.05 || st.WAMID != "wamid.c" {
		t.Errorf("JSON wa_status: %+v %v", st, err)
	}
	dlr, err := got["/post"].Status()
	if err != nil || got["/post"].Type != client.EventDLR || dlr.Status != "NOTDELIVERED" || dlr.WAStatus != "failed" || dlr.ErrorCode != 131026 || dlr.Price != 0.05 || dlr.Recipient != user {
		t.Errorf("POST dlr: %+v %v", dlr, err)
	}
	// Failed before delivery: refunded, so settled at 0, whatever the encoding.
	if st.SettledPrice == nil || *st.SettledPrice != 0 || dlr.SettledPrice == nil || *dlr.SettledPrice != 0 || st.Billable != nil || dlr.Billable != nil {
		t.Errorf("settlement: JSON %v/%v, POST %v/%v; want settled 0, billable unknown", st.SettledPrice, st.Billable, dlr.SettledPrice, dlr.Billable)
	}
	in, err := got["/get"].Inbound()
	if err != nil || got["/get"].Type != client.EventInbound || in.WAMID != "wamid.in" || in.Sender != user || in.Recipient != ourNumber ||
		in.Text != "Hallo!" || in.Time != "2026-11-25 09:00:00" || len(in.Content) == 0 {
		t.Errorf("GET wa_mo: %+v %v", in, err)
	}
}
