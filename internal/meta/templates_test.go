package meta_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// countingTransport counts the requests a real client makes.
type countingTransport struct {
	n    atomic.Int32
	urls chan string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	select {
	case c.urls <- r.URL.String():
	default:
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestTemplatesFollowsPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		extra     int
		wantPages int32
	}{
		{"built-ins fit one page", 0, 1},
		{"exactly one full page", 90, 1},
		{"two pages", 91, 2},
		{"three pages", 250, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for i := range tt.extra {
				e.sb.AddTemplate(openwaba.Template{
					Name: fmt.Sprintf("promo_%03d", i), Language: "en_US", Status: "APPROVED", Category: "MARKETING",
					Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Promo {{1}}", Example: map[string]any{"body_text": []any{[]any{"X"}}}}},
				})
			}
			tr := &countingTransport{urls: make(chan string, 10)}
			c := meta.NewClient(meta.Config{GraphURL: e.graph.URL, AccessToken: token, HTTPClient: &http.Client{Transport: tr}})
			got, err := c.Templates(context.Background(), wabaID)
			if err != nil {
				t.Fatal(err)
			}
			if n := tr.n.Load(); n != tt.wantPages {
				t.Errorf("%d requests, want %d", n, tt.wantPages)
			}
			first := <-tr.urls
			for _, q := range []string{"/v23.0/" + wabaID + "/message_templates?", "limit=100", "fields=id%2Cname%2Clanguage%2Cstatus%2Ccategory%2Cparameter_format%2Ccomponents"} {
				if !strings.Contains(first, q) {
					t.Errorf("first request %s lacks %s", first, q)
				}
			}
			if want := e.sb.Templates(); !reflect.DeepEqual(got, want) {
				t.Errorf("got %d templates, want %d; first got %+v, want %+v", len(got), len(want), got[0], want[0])
			}
		})
	}
}

func TestTemplatesMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got, err := e.client.Templates(context.Background(), wabaID)
	if err != nil {
		t.Fatal(err)
	}
	var tpl openwaba.Template
	for _, g := range got {
		if g.Name == "appointment_reminder" && g.Language == "de" {
			tpl = g
		}
	}
	if tpl.ID == "" || tpl.Category != "UTILITY" || tpl.Status != "APPROVED" || tpl.ParameterFormat != "POSITIONAL" {
		t.Fatalf("appointment_reminder/de = %+v", tpl)
	}
	if tpl.PriceCategory() != openwaba.CategoryUtility {
		t.Errorf("PriceCategory = %s", tpl.PriceCategory())
	}
	h, _ := tpl.Component("HEADER")
	b, _ := tpl.Component("BODY")
	f, _ := tpl.Component("FOOTER")
	bs, _ := tpl.Component("BUTTONS")
	if h.Format != "TEXT" || h.Text != "{{1}}" || !reflect.DeepEqual(h.Example["header_text"], []any{"Appointment confirmation"}) {
		t.Errorf("header = %+v", h)
	}
	if !strings.Contains(b.Text, "ist bestätigt") || f.Text != "Antworten Sie STOP, um abzusagen." {
		t.Errorf("body %q footer %q", b.Text, f.Text)
	}
	if len(bs.Buttons) != 1 || bs.Buttons[0].Type != "URL" || bs.Buttons[0].URL != "https://example.com/appointments/{{1}}" {
		t.Errorf("buttons = %+v", bs.Buttons)
	}
}

func TestTemplatesErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	elsewhere := rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
		t.Error("the access token was sent to another host")
	})
	redirecting := rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"data":[],"paging":{"next":%q}}`, elsewhere.URL+"/v23.0/1/message_templates?after=x")
	})
	tests := []struct {
		name   string
		client *meta.Client
		waba   string
		want   string
	}{
		{"unknown waba", e.client, "999", "(#100)"},
		{"paging.next to another host", newClient(redirecting.URL, token), wabaID, "not the Graph host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.client.Templates(context.Background(), tt.waba)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
