package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/client"
)

// hookAll registers a JSON hook for every event with recv.
func (g *testGateway) hookAll(t *testing.T, recv *hookReceiver) {
	t.Helper()
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"all","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
}

// sandboxDo posts to one of the sandbox's Meta injections and wants 200.
func (g *testGateway) sandboxDo(t *testing.T, path, body string) {
	t.Helper()
	if r := g.do("POST", "/api/sandbox/"+path, body); r.Status != 200 {
		t.Fatalf("POST /api/sandbox/%s: %d %s", path, r.Status, r.Body)
	}
}

// event returns the data of the first webhook of event type ev whose
// field key is value, once it arrived.
func (r *hookReceiver) event(t *testing.T, ev, key, value string) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, ev+" webhook with "+key+"="+value, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, env := range r.got {
			data, _ := env["data"].(map[string]any)
			if env["webhook_event"] == ev && data[key] == value {
				found = data
				return true
			}
		}
		return false
	})
	return found
}

// sender is the test sender as GET /api/waba/senders shows it.
func (g *testGateway) sender(t *testing.T) client.Sender {
	t.Helper()
	ss, err := g.client().Senders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Number == testSender {
			return s
		}
	}
	t.Fatalf("no %s in %+v", testSender, ss)
	return client.Sender{}
}

// TestNumberHealthEndToEnd: the sandbox plays Meta flagging the number
// (phone_number_quality_update FLAGGED) and restricting its account; the
// gateway stores it, shows it in GET /api/waba/senders and the admin
// listing, tells the customer's webhook (number_quality), and holds
// marketing templates while utility templates go out.
func TestNumberHealthEndToEnd(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	g.hookAll(t, recv)
	if s := g.sender(t); s.Quality != "" || s.Marketing != "send" {
		t.Fatalf("a number Meta said nothing about: %+v", s)
	}

	g.sandboxDo(t, "number_quality", `{"number":"`+testSender+`","event":"FLAGGED","messaging_limit":"TIER_2K"}`)
	if s := g.sender(t); s.Quality != "RED" || s.MessagingLimit != "TIER_2K" || s.HealthEvent != "FLAGGED" || s.Marketing != "held" {
		t.Fatalf("after FLAGGED: %+v", s)
	}
	ev := recv.event(t, "number_quality", "event", "FLAGGED")
	if ev["sender"] != testSender || ev["quality"] != "RED" || ev["messaging_limit"] != "TIER_2K" || ev["marketing"] != "held" {
		t.Errorf("number_quality webhook %v", ev)
	}

	// A marketing template waits, queued, saying why; a utility one goes.
	marketing := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE}))
	utility := sentID(t, g.sendMsg(client.SendRequest{Message: client.Template{Name: "order_confirmation", Language: "de",
		Components: &client.Components{Body: client.Values("Max", "ORD-1"), Buttons: []client.TemplateButton{client.URLButton("ORD-1")}}}}))
	g.waitStatus(utility, "read")
	c := g.client()
	waitFor(t, "the marketing template to be held", func() bool {
		m, err := c.Status(context.Background(), marketing)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(m.ErrorText, "quality rating is RED")
	})
	if m, _ := c.Status(context.Background(), marketing); m.Status != "queued" || m.WAMID != "" {
		t.Errorf("held marketing template: %s %q", m.Status, m.WAMID)
	}

	// The account is restricted: the admin listing shows it too.
	expires := time.Now().Add(48 * time.Hour).Unix()
	g.sandboxDo(t, "account_update", `{"number":"`+testSender+`","event":"ACCOUNT_RESTRICTION","restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":`+strconv.FormatInt(expires, 10)+`}`)
	ev = recv.event(t, "number_quality", "event", "ACCOUNT_RESTRICTION")
	rs, _ := ev["restrictions"].([]any)
	if len(rs) != 1 || rs[0].(map[string]any)["type"] != "RESTRICTED_BIZ_INITIATED_MESSAGING" || ev["quality"] != "RED" {
		t.Errorf("restriction webhook %v", ev)
	}
	admin := g.adminKey(t)
	r := g.do("GET", "/api/admin/accounts/1/senders", "", "X-Api-Key", admin)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"type":"RESTRICTED_BIZ_INITIATED_MESSAGING"`) || !strings.Contains(string(r.Body), `"quality":"RED"`) {
		t.Errorf("admin senders: %d %s", r.Status, r.Body)
	}
	if s := g.sender(t); len(s.Restrictions) != 1 || s.Restrictions[0].Expires == nil || s.Restrictions[0].Expires.Unix() != expires {
		t.Errorf("restrictions %+v, want one until %d", s.Restrictions, expires)
	}

	// The sandbox's injections are for the caller's own numbers.
	for _, bad := range []struct{ path, body, want string }{
		{"number_quality", `{"number":"4915199999999","event":"FLAGGED"}`, "Invalid WhatsApp sender number"},
		{"number_quality", `{"number":"` + testSender + `","event":"PURPLE"}`, "event: must be one of"},
		{"account_update", `{"number":"` + testSender + `","event":"ACCOUNT_RESTRICTION"}`, "restriction_type: is required"},
		{"account_update", `{"number":"` + testSender + `","event":"DISABLED_UPDATE"}`, "ban_state: is required"},
	} {
		if r := g.do("POST", "/api/sandbox/"+bad.path, bad.body); r.Status != 400 || !strings.Contains(string(r.Body), bad.want) {
			t.Errorf("%s %s: %d %s, want 400 %q", bad.path, bad.body, r.Status, r.Body, bad.want)
		}
	}
}

// TestTemplatePausedByMeta: the sandbox pauses a template and sends
// Meta's message_template_status_update; from the moment the webhook was
// taken, sends with the template are refused at accept with a 400 naming
// the template and its status, and the customer hears of it
// (template_status). Reinstated, it is accepted again.
func TestTemplatePausedByMeta(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	g.hookAll(t, recv)
	g.sandboxDo(t, "template", `{"template":"hello_world","language":"de","status":"PAUSED"}`)

	var body string
	waitFor(t, "sends of the paused template to be refused", func() bool {
		r := g.do("POST", "/api/waba/messages", helloWorld)
		body = string(r.Body)
		return r.Status == 400
	})
	for _, want := range []string{"template: hello_world (de) is PAUSED", "paused for 3 hours"} {
		if !strings.Contains(body, want) {
			t.Errorf("refusal %s lacks %q", body, want)
		}
	}
	ev := recv.event(t, "template_status", "status", "PAUSED")
	if ev["template"] != "hello_world" || ev["language"] != "de" || ev["previous_status"] != "APPROVED" || ev["sendable"] != false ||
		ev["field"] != "message_template_status_update" {
		t.Errorf("template_status webhook %v", ev)
	}
	ts, err := g.client().Templates(context.Background(), client.TemplateFilter{Name: "hello_world", Language: "de"})
	if err != nil || len(ts) != 1 || ts[0].Status != "PAUSED" || ts[0].Sendable {
		t.Errorf("templates %+v, %v", ts, err)
	}
	// Other languages of the template are other templates.
	if r := g.do("POST", "/api/waba/messages", strings.Replace(helloWorld, `"de"`, `"en"`, 1)); r.Status != 200 {
		t.Errorf("hello_world (en): %d %s", r.Status, r.Body)
	}

	g.sandboxDo(t, "template", `{"template":"hello_world","language":"de","status":"REINSTATED"}`)
	waitFor(t, "the reinstated template to be accepted", func() bool {
		return g.do("POST", "/api/waba/messages", helloWorld).Status == 200
	})
	recv.event(t, "template_status", "event", "REINSTATED")
}

// TestTemplateRecategorisedAndRated: a template Meta re-categorises is
// priced by its new category from then on; a quality update shows in the
// template listing; both reach the customer's webhook.
func TestTemplateRecategorisedAndRated(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	g.hookAll(t, recv)
	send := func() float64 {
		resp := g.sendMsg(client.SendRequest{Message: client.Template{Name: "order_confirmation", Language: "de",
			Components: &client.Components{Body: client.Values("Max", "ORD-1"), Buttons: []client.TemplateButton{client.URLButton("ORD-1")}}}})
		return resp.TotalPrice
	}
	if p := send(); p != 0.0456 {
		t.Fatalf("utility price %v", p)
	}
	g.sandboxDo(t, "template", `{"template":"order_confirmation","language":"de","category":"MARKETING","quality":"RED"}`)
	if p := send(); p != 0.0735 {
		t.Errorf("price after re-categorisation %v, want marketing's 0.0735", p)
	}
	ev := recv.event(t, "template_status", "field", "template_category_update")
	if ev["category"] != "MARKETING" || ev["previous_category"] != "UTILITY" || ev["sendable"] != true {
		t.Errorf("category webhook %v", ev)
	}
	ev = recv.event(t, "template_status", "field", "message_template_quality_update")
	if ev["quality"] != "RED" || ev["previous_quality"] != "UNKNOWN" {
		t.Errorf("quality webhook %v", ev)
	}
	ts, err := g.client().Templates(context.Background(), client.TemplateFilter{Name: "order_confirmation", Language: "de"})
	if err != nil || len(ts) != 1 || ts[0].Category != "MARKETING" || ts[0].Quality != "RED" {
		t.Errorf("templates %+v, %v", ts, err)
	}
	if r := g.do("POST", "/api/sandbox/template", `{"template":"no_such","language":"de","status":"PAUSED"}`); r.Status != 400 || !strings.Contains(string(r.Body), "template:") {
		t.Errorf("unknown template: %d %s", r.Status, r.Body)
	}
}

// TestTemplateLifecycleThroughTheAPI: a template created through the API
// is checked against Meta's rules, submitted to the sandbox's management
// API, stored PENDING (and refused until approved), approved by the
// sandbox's review and its webhook; one the review rejects ends REJECTED;
// an edit goes back to review; a delete removes it at Meta and here.
func TestTemplateLifecycleThroughTheAPI(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	g.hookAll(t, recv)
	const draft = `{"name":"%s","language":"de","category":"UTILITY","components":[
		{"type":"BODY","text":"Hallo {{1}}, Ihr Termin ist am {{2}}.","example":{"body_text":[["Max","1. Dezember"]]}},
		{"type":"FOOTER","text":"ACME"},
		{"type":"BUTTONS","buttons":[{"type":"URL","text":"Termin","url":"https://example.com/t/{{1}}","example":["https://example.com/t/1"]}]}]}`
	create := func(name string) map[string]any {
		t.Helper()
		r := g.do("POST", "/api/waba/templates", strings.Replace(draft, "%s", name, 1))
		if r.Status != 200 {
			t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
		}
		return r.JSON(t)["template"].(map[string]any)
	}
	status := func(name string) string {
		ts, err := g.client().Templates(context.Background(), client.TemplateFilter{Name: name, Language: "de"})
		if err != nil || len(ts) != 1 {
			t.Fatalf("templates %s: %+v, %v", name, ts, err)
		}
		return ts[0].Status
	}
	sendWith := func(name string) response {
		return g.do("POST", "/api/waba/messages", `{"from":"`+testSender+`","to":"`+testUser+`","type":"template","template":"`+name+`","language":"de",
			"components":{"body":["Max","1. Dezember"],"buttons":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"42"}]}]}}`)
	}

	created := create("appointment_notice")
	if created["status"] != "PENDING" || created["id"] == "" {
		t.Fatalf("created %v", created)
	}
	// Approved by the sandbox's review, reported by webhook. Until then a
	// send is refused; Meta's review is quick in the sandbox, so the
	// refusal is not asserted, only what follows it.
	waitFor(t, "the review's approval", func() bool { return status("appointment_notice") == "APPROVED" })
	if ev := recv.event(t, "template_status", "template", "appointment_notice"); ev["status"] != "APPROVED" || ev["previous_status"] != "PENDING" {
		t.Errorf("template_status webhook %v", ev)
	}
	if r := sendWith("appointment_notice"); r.Status != 200 {
		t.Fatalf("send with the approved template: %d %s", r.Status, r.Body)
	}

	create("reject_me")
	waitFor(t, "the review's rejection", func() bool { return status("reject_me") == "REJECTED" })
	if r := sendWith("reject_me"); r.Status != 400 || !strings.Contains(string(r.Body), "reject_me (de) is REJECTED") {
		t.Errorf("send with the rejected template: %d %s", r.Status, r.Body)
	}

	// Meta's rules are checked before anything is submitted.
	for _, bad := range []struct{ body, want string }{
		{strings.Replace(draft, "%s", "Bad Name", 1), "name: may only have lowercase"},
		{strings.Replace(strings.Replace(draft, "%s", "ends_with_placeholder", 1), "am {{2}}.", "am {{2}}", 1), "components[0].text: must not start or end with a placeholder"},
		{strings.Replace(draft, "%s", "appointment_notice", 1), "name: template appointment_notice (de) exists"},
	} {
		if r := g.do("POST", "/api/waba/templates", bad.body); r.Status != 400 || !strings.Contains(string(r.Body), bad.want) {
			t.Errorf("create: %d %s, want 400 %q", r.Status, r.Body, bad.want)
		}
	}
	for _, tpl := range g.sandbox.Templates() {
		if tpl.Name == "ends_with_placeholder" {
			t.Error("a draft breaking Meta's rules was submitted")
		}
	}

	// Edited: back to review, approved again.
	id := created["id"].(string)
	edit := `{"components":[{"type":"BODY","text":"Hallo {{1}}, Ihr Termin am {{2}} steht.","example":{"body_text":[["Max","1. Dezember"]]}},
		{"type":"BUTTONS","buttons":[{"type":"URL","text":"Termin","url":"https://example.com/t/{{1}}","example":["https://example.com/t/1"]}]}]}`
	r := g.do("PUT", "/api/waba/templates/"+id, edit)
	if r.Status != 200 || r.JSON(t)["template"].(map[string]any)["status"] != "PENDING" {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	waitFor(t, "the edit's approval", func() bool { return status("appointment_notice") == "APPROVED" })
	if r := g.do("PUT", "/api/waba/templates/999", edit); r.Status != 404 {
		t.Errorf("edit of an unknown id: %d %s", r.Status, r.Body)
	}

	// Deleted at Meta and here.
	if r := g.do("DELETE", "/api/waba/templates?name=appointment_notice&language=de", ""); r.Status != 200 || !strings.Contains(string(r.Body), `"deleted":1`) {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := sendWith("appointment_notice"); r.Status != 400 || !strings.Contains(string(r.Body), "not a registered template") {
		t.Errorf("send with the deleted template: %d %s", r.Status, r.Body)
	}
	for _, tpl := range g.sandbox.Templates() {
		if tpl.Name == "appointment_notice" {
			t.Error("the sandbox still has the deleted template")
		}
	}
	if r := g.do("DELETE", "/api/waba/templates?name=appointment_notice", ""); r.Status != 404 {
		t.Errorf("second delete: %d %s", r.Status, r.Body)
	}
}
