package meta_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

func textMessage(s string) openwaba.Message {
	return openwaba.Message{Recipient: user, Content: openwaba.Content{Type: openwaba.TypeText, Text: s}}
}

func mustUpstreamError(t *testing.T, err error) *openwaba.UpstreamError {
	t.Helper()
	ue, ok := openwaba.AsUpstreamError(err)
	if !ok {
		t.Fatalf("err = %v (%T), want an *openwaba.UpstreamError", err, err)
	}
	return ue
}

// want is the classification a test expects.
type want struct {
	code, status                           int
	retryable, perRecipient, senderBlocked bool
}

func (w want) check(t *testing.T, ue *openwaba.UpstreamError) {
	t.Helper()
	got := want{ue.Code, ue.HTTPStatus, ue.Retryable, ue.PerRecipient, ue.SenderBlocked}
	if got != w {
		t.Errorf("classified %+v, want %+v (%v)", got, w, ue)
	}
	if strings.HasPrefix(ue.Title, "(#") {
		t.Errorf("Title %q keeps Meta's code prefix", ue.Title)
	}
}

func TestSandboxErrorsAreClassified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		send    func() error
		want    want
		details string
	}{
		{"invalid token blocks the sender", func() error {
			_, err := newClient(e.graph.URL, "stolen").Send(context.Background(), sender, textMessage("hi"))
			return err
		}, want{code: 190, status: 401, senderBlocked: true}, ""},
		{"length limit is permanent", func() error {
			_, err := e.client.Send(context.Background(), sender, textMessage(strings.Repeat("x", 4097)))
			return err
		}, want{code: 131009, status: 400}, "text.body"},
		{"unknown template is permanent", func() error {
			m := openwaba.Message{Recipient: user, Content: openwaba.Content{Type: openwaba.TypeTemplate,
				Template: &openwaba.TemplateSend{Name: "nope", Language: "en"}}}
			_, err := e.client.Send(context.Background(), sender, m)
			return err
		}, want{code: 132001, status: 404}, "nope"},
		{"parameter count mismatch is permanent", func() error {
			m := openwaba.Message{Recipient: user, Content: openwaba.Content{Type: openwaba.TypeTemplate,
				Template: &openwaba.TemplateSend{Name: "order_confirmation", Language: "en"}}}
			_, err := e.client.Send(context.Background(), sender, m)
			return err
		}, want{code: 132000, status: 400}, "body"},
		{"unknown phone number id", func() error {
			s := sender
			s.PhoneNumberID = "999"
			_, err := e.client.Send(context.Background(), s, textMessage("hi"))
			return err
		}, want{code: 100, status: 400}, ""},
		{"invalid token on templates", func() error {
			_, err := newClient(e.graph.URL, "stolen").Templates(context.Background(), wabaID)
			return err
		}, want{code: 190, status: 401, senderBlocked: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ue := mustUpstreamError(t, tt.send())
			tt.want.check(t, ue)
			if !strings.Contains(ue.Details, tt.details) {
				t.Errorf("Details %q lack %q", ue.Details, tt.details)
			}
		})
	}
}

func TestInjectedErrorsAreClassifiedByCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code int
		want want
	}{
		{130429, want{code: 130429, status: 400, retryable: true}},
		{131056, want{code: 131056, status: 400, retryable: true, perRecipient: true}},
		{131000, want{code: 131000, status: 500, retryable: true}},
		{131016, want{code: 131016, status: 500, retryable: true}},
		{131057, want{code: 131057, status: 500, retryable: true}},
		{2, want{code: 2, status: 503, retryable: true}},
		{133004, want{code: 133004, status: 503, retryable: true}},
		{4, want{code: 4, status: 400, retryable: true}},
		{80007, want{code: 80007, status: 400, retryable: true}},
		{1, want{code: 1, status: 400, retryable: true}},
		{0, want{code: 0, status: 401, senderBlocked: true}},
		{190, want{code: 190, status: 401, senderBlocked: true}},
		{131047, want{code: 131047, status: 400}},
		{131026, want{code: 131026, status: 400}},
		{131048, want{code: 131048, status: 400}},
		{368, want{code: 368, status: 403}},
		{3, want{code: 3, status: 500}}, // a 500 that is permanent: the code decides
		{133010, want{code: 133010, status: 400}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sb.InjectError(tt.code, 1)
			_, err := e.client.Send(context.Background(), sender, textMessage("hi"))
			ue := mustUpstreamError(t, err)
			tt.want.check(t, ue)
			if ue.Title == "" {
				t.Error("no Title")
			}
			// The injection is used up: the next attempt goes through.
			if _, err := e.client.Send(context.Background(), sender, textMessage("again")); err != nil {
				t.Errorf("second attempt: %v", err)
			}
		})
	}
}

func TestTransportAndForeignErrors(t *testing.T) {
	t.Parallel()
	metaBody := `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,
		"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"Az8"}}`
	closed := rawServer(t, func(http.ResponseWriter, *http.Request) {})
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		name       string
		graphURL   func(t *testing.T) string
		timeout    time.Duration
		want       want
		retryAfter time.Duration
		title      string
		isErr      error
	}{
		{"proxy 502 page with Retry-After", func(t *testing.T) string {
			return rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "7")
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				w.Write([]byte("<html><body>Bad Gateway</body></html>"))
			}).URL
		}, 0, want{status: 502, retryable: true}, 7 * time.Second, "HTTP 502", nil},
		{"429 without body, Retry-After as date", func(t *testing.T) string {
			return rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusTooManyRequests)
			}).URL
		}, 0, want{status: 429, retryable: true}, 0, "HTTP 429", nil},
		{"404 page is permanent", func(t *testing.T) string {
			return rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				http.NotFound(w, nil)
			}).URL
		}, 0, want{status: 404}, 0, "HTTP 404", nil},
		{"Meta error with Retry-After", func(t *testing.T) string {
			return rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(metaBody))
			}).URL
		}, 0, want{code: 130429, status: 400, retryable: true}, 3 * time.Second, "Rate limit hit", nil},
		{"success without wamid is not retried", func(t *testing.T) string {
			return rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(`{"messaging_product":"whatsapp","messages":[]}`))
			}).URL
		}, 0, want{status: 200}, 0, "unexpected response", nil},
		{"garbage success is not retried", func(t *testing.T) string {
			return rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(`<html>`))
			}).URL
		}, 0, want{status: 200}, 0, "unexpected response", nil},
		{"connection refused", func(*testing.T) string { return closedURL }, 0,
			want{retryable: true}, 0, "network error", nil},
		{"timeout", func(t *testing.T) string {
			return rawServer(t, func(_ http.ResponseWriter, r *http.Request) {
				// The server notices the client hanging up only once the
				// body is read.
				io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}).URL
		}, 50 * time.Millisecond, want{retryable: true}, 0, "timeout", context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := newClient(tt.graphURL(t), token).Send(ctx, sender, textMessage("hi"))
			ue := mustUpstreamError(t, err)
			tt.want.check(t, ue)
			if tt.retryAfter > 0 && ue.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", ue.RetryAfter, tt.retryAfter)
			}
			if tt.name == "429 without body, Retry-After as date" && (ue.RetryAfter < 50*time.Second || ue.RetryAfter > time.Minute) {
				t.Errorf("RetryAfter = %v, want about a minute", ue.RetryAfter)
			}
			if !strings.Contains(ue.Title, tt.title) {
				t.Errorf("Title %q lacks %q", ue.Title, tt.title)
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.isErr)
			}
		})
	}
}

func TestSenderWithoutPhoneNumberID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := sender
	s.PhoneNumberID = ""
	_, err := e.client.Send(context.Background(), s, textMessage("hi"))
	ue := mustUpstreamError(t, err)
	if !ue.SenderBlocked || ue.Retryable {
		t.Errorf("got %+v, want a blocked sender", ue)
	}
	if n := len(e.sb.Sent()); n != 0 {
		t.Errorf("%d requests reached the Graph API", n)
	}
}

func TestUnencodableContentIsPermanent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []openwaba.Content{
		{Type: "hologram"},
		{Type: openwaba.TypeImage},
		{Type: openwaba.TypeInteractive, Interactive: &openwaba.Interactive{Type: "carousel", Body: "x"}},
	}
	for _, c := range tests {
		_, err := e.client.Send(context.Background(), sender, openwaba.Message{Recipient: user, Content: c})
		ue := mustUpstreamError(t, err)
		if ue.Retryable || ue.SenderBlocked {
			t.Errorf("%s: %+v, want permanent", c.Type, ue)
		}
	}
	if n := len(e.sb.Sent()); n != 0 {
		t.Errorf("%d requests reached the Graph API", n)
	}
}
