package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestNumbersSource: a number the sandbox was not told about is looked
// up in Config.Numbers, for sends, templates and inbound messages alike;
// one it does not list stays unknown.
func TestNumbersSource(t *testing.T) {
	t.Parallel()
	// The test number, never added: the receiver checks its ids.
	const phoneID, waba, display = testPhoneID, testWABA, testDisplay
	rcv := newReceiver(t)
	var asked atomic.Int32
	sb := New(Config{
		AccessToken: testToken, AppSecret: testSecret, WebhookURL: rcv.srv.URL + "/webhooks/meta",
		Numbers: func(context.Context) ([]Number, error) {
			asked.Add(1)
			return []Number{{PhoneNumberID: phoneID, WABAID: waba, Display: display}}, nil
		},
	})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	e := &env{sb: sb, srv: srv, rcv: rcv}

	tests := []struct {
		name string
		run  func() error
	}{
		{"inbound", func() error {
			_, err := sb.Inbound(context.Background(), testUser, display, "hi")
			return err
		}},
		{"templates", func() error {
			if r := e.do(t, http.MethodGet, "/v23.0/"+waba+"/message_templates", testToken, ""); r.Status != 200 {
				return errors.New(r.Details)
			}
			return nil
		}},
		{"send", func() error {
			if r := e.do(t, http.MethodPost, "/v23.0/"+phoneID+"/messages", testToken, textBody("hi")); r.Status != 200 {
				return errors.New(r.Details)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		if err := tc.run(); err != nil {
			t.Errorf("%s with a number from Config.Numbers: %v", tc.name, err)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("Config.Numbers asked %d times, want once: a found number is kept", n)
	}
	if _, err := sb.Inbound(context.Background(), testUser, "4930123456", "hi"); !errors.Is(err, ErrUnknownNumber) {
		t.Errorf("inbound to a number nobody lists: %v, want ErrUnknownNumber", err)
	}
}
