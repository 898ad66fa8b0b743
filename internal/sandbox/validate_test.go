package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// msg builds a send body to the test user with the type object obj.
func msg(typ string, obj any) string {
	m := map[string]any{"messaging_product": "whatsapp", "to": testUser, "type": typ}
	if obj != nil {
		m[typ] = obj
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func buttons(n int, title func(i int) string) []any {
	bs := make([]any, n)
	for i := range bs {
		bs[i] = map[string]any{"type": "reply", "reply": map[string]any{"id": fmt.Sprint("id", i), "title": title(i)}}
	}
	return bs
}

func buttonMsg(bs []any) string {
	return msg("interactive", map[string]any{"type": "button", "body": map[string]any{"text": "Pick"}, "action": map[string]any{"buttons": bs}})
}

func listMsg(button string, sections ...any) string {
	return msg("interactive", map[string]any{"type": "list", "body": map[string]any{"text": "Pick"},
		"action": map[string]any{"button": button, "sections": sections}})
}

func rows(n int) []any {
	rs := make([]any, n)
	for i := range rs {
		rs[i] = map[string]any{"id": fmt.Sprint("r", i), "title": fmt.Sprint("Row ", i)}
	}
	return rs
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	long := func(n int) string { return strings.Repeat("ä", n) } // counts characters, not bytes
	tests := []struct {
		name      string
		body      string
		wantCode  int    // 0: accepted
		wantField string // named in the details
	}{
		{"text ok at the limit", msg("text", map[string]any{"body": long(4096)}), 0, ""},
		{"text too long", msg("text", map[string]any{"body": long(4097)}), 131009, "text.body"},
		{"text missing body", msg("text", map[string]any{}), 100, "text.body"},
		{"type defaults to text", `{"messaging_product":"whatsapp","to":"` + testUser + `","text":{"body":"x"}}`, 0, ""},
		{"no messaging_product", `{"to":"` + testUser + `","type":"text","text":{"body":"x"}}`, 100, "messaging_product"},
		{"bad to", `{"messaging_product":"whatsapp","to":"call me","type":"text","text":{"body":"x"}}`, 100, "to"},
		{"no to", `{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}`, 100, "to"},
		{"unknown type", msg("hologram", map[string]any{}), 100, "type"},
		{"not JSON", `{"messaging_product":`, 100, "JSON"},
		{"callback data too long", `{"messaging_product":"whatsapp","to":"` + testUser + `","text":{"body":"x"},"biz_opaque_callback_data":"` + strings.Repeat("x", 513) + `"}`, 131009, "biz_opaque_callback_data"},

		{"image ok", msg("image", map[string]any{"link": "https://x.io/a.jpg", "caption": long(1024)}), 0, ""},
		{"image caption too long", msg("image", map[string]any{"link": "https://x.io/a.jpg", "caption": long(1025)}), 131009, "image.caption"},
		{"image by an unknown id", msg("image", map[string]any{"id": "1234567890"}), 131053, "image.id"},
		{"image id and link", msg("image", map[string]any{"id": "1", "link": "https://x.io/a.jpg"}), 131009, "image"},
		{"image neither", msg("image", map[string]any{}), 100, "image.link"},
		{"image ftp link", msg("image", map[string]any{"link": "ftp://x.io/a.jpg"}), 131009, "image.link"},
		{"image missing object", msg("image", nil), 100, "image"},
		{"audio with caption", msg("audio", map[string]any{"link": "https://x.io/a.ogg", "caption": "no"}), 100, "audio.caption"},
		{"sticker with caption", msg("sticker", map[string]any{"link": "https://x.io/a.webp", "caption": "no"}), 100, "sticker.caption"},
		{"video with filename", msg("video", map[string]any{"link": "https://x.io/a.mp4", "filename": "a.mp4"}), 100, "video.filename"},
		{"document ok", msg("document", map[string]any{"link": "https://x.io/a.pdf", "filename": "a.pdf", "caption": "Invoice"}), 0, ""},

		{"location ok", msg("location", map[string]any{"latitude": 52.52, "longitude": 13.405, "name": "Berlin"}), 0, ""},
		{"location as strings", msg("location", map[string]any{"latitude": "52.52", "longitude": "13.405"}), 0, ""},
		{"location no latitude", msg("location", map[string]any{"longitude": 13.4}), 100, "location.latitude"},
		{"location out of range", msg("location", map[string]any{"latitude": 91, "longitude": 13.4}), 131009, "location.latitude"},

		{"contacts ok", msg("contacts", []any{map[string]any{"name": map[string]any{"formatted_name": "Anna"}, "phones": []any{map[string]any{"phone": "+4930123", "type": "CELL"}}}}), 0, ""},
		{"contacts without formatted_name", msg("contacts", []any{map[string]any{"name": map[string]any{"first_name": "Anna"}}}), 100, "contacts[0].name.formatted_name"},
		{"contacts none", msg("contacts", []any{}), 100, "contacts"},
		{"contacts six", msg("contacts", func() []any {
			cs := make([]any, 6)
			for i := range cs {
				cs[i] = map[string]any{"name": map[string]any{"formatted_name": "A"}}
			}
			return cs
		}()), 131009, "contacts"},
		{"contacts lower-case phone type", msg("contacts", []any{map[string]any{"name": map[string]any{"formatted_name": "Anna"}, "phones": []any{map[string]any{"phone": "+4930123", "type": "cell"}}}}), 131009, "contacts[0].phones[0].type"},

		{"buttons ok", buttonMsg(buttons(3, func(i int) string { return fmt.Sprint("Option ", i) })), 0, ""},
		{"buttons four", buttonMsg(buttons(4, func(i int) string { return fmt.Sprint("Option ", i) })), 131009, "interactive.action.buttons"},
		{"buttons none", buttonMsg([]any{}), 100, "interactive.action.buttons"},
		{"button title 21", buttonMsg(buttons(1, func(int) string { return long(21) })), 131009, "interactive.action.buttons[0].reply.title"},
		{"button titles repeated", buttonMsg(buttons(2, func(int) string { return "Same" })), 131009, "interactive.action.buttons[1].reply.title"},
		{"button id too long", buttonMsg([]any{map[string]any{"type": "reply", "reply": map[string]any{"id": strings.Repeat("i", 257), "title": "Yes"}}}), 131009, "reply.id"},
		{"interactive body too long", msg("interactive", map[string]any{"type": "button", "body": map[string]any{"text": long(1025)}, "action": map[string]any{"buttons": buttons(1, func(int) string { return "Ok" })}}), 131009, "interactive.body.text"},
		{"interactive no body", msg("interactive", map[string]any{"type": "button", "action": map[string]any{"buttons": buttons(1, func(int) string { return "Ok" })}}), 100, "interactive.body.text"},
		{"interactive header too long", msg("interactive", map[string]any{"type": "button", "header": map[string]any{"type": "text", "text": long(61)}, "body": map[string]any{"text": "x"}, "action": map[string]any{"buttons": buttons(1, func(int) string { return "Ok" })}}), 131009, "interactive.header.text"},
		{"interactive footer too long", msg("interactive", map[string]any{"type": "button", "footer": map[string]any{"text": long(61)}, "body": map[string]any{"text": "x"}, "action": map[string]any{"buttons": buttons(1, func(int) string { return "Ok" })}}), 131009, "interactive.footer.text"},

		{"list ok", listMsg("Choose", map[string]any{"title": "All", "rows": rows(10)}), 0, ""},
		{"list eleven rows over two sections", listMsg("Choose", map[string]any{"title": "A", "rows": rows(6)}, map[string]any{"title": "B", "rows": rows(5)}), 131009, "interactive.action.sections"},
		{"list button too long", listMsg(long(21), map[string]any{"rows": rows(1)}), 131009, "interactive.action.button"},
		{"list no button", listMsg("", map[string]any{"rows": rows(1)}), 100, "interactive.action.button"},
		{"list eleven sections", listMsg("Choose", func() []any {
			ss := make([]any, 11)
			for i := range ss {
				ss[i] = map[string]any{"title": fmt.Sprint("S", i), "rows": []any{map[string]any{"id": fmt.Sprint("r", i), "title": "R"}}}
			}
			return ss
		}()...), 131009, "interactive.action.sections"},
		{"list untitled section among two", listMsg("Choose", map[string]any{"title": "A", "rows": rows(1)}, map[string]any{"rows": []any{map[string]any{"id": "z", "title": "Z"}}}), 100, "interactive.action.sections[1].title"},
		{"list section title too long", listMsg("Choose", map[string]any{"title": long(25), "rows": rows(1)}), 131009, "interactive.action.sections[0].title"},
		{"list row title too long", listMsg("Choose", map[string]any{"rows": []any{map[string]any{"id": "a", "title": long(25)}}}), 131009, "rows[0].title"},
		{"list row description too long", listMsg("Choose", map[string]any{"rows": []any{map[string]any{"id": "a", "title": "A", "description": long(73)}}}), 131009, "rows[0].description"},
		{"list row id too long", listMsg("Choose", map[string]any{"rows": []any{map[string]any{"id": strings.Repeat("i", 201), "title": "A"}}}), 131009, "rows[0].id"},
		{"list row ids repeated", listMsg("Choose", map[string]any{"rows": []any{map[string]any{"id": "a", "title": "A"}, map[string]any{"id": "a", "title": "B"}}}), 131009, "rows[1].id"},

		{"reaction ok", msg("reaction", map[string]any{"message_id": "wamid.x", "emoji": "👍"}), 0, ""},
		{"reaction removal", msg("reaction", map[string]any{"message_id": "wamid.x", "emoji": ""}), 0, ""},
		{"reaction without message_id", msg("reaction", map[string]any{"emoji": "👍"}), 100, "reaction.message_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.send(t, tt.body)
			if tt.wantCode == 0 {
				if r.Status != http.StatusOK || r.WAMID == "" {
					t.Fatalf("refused: %d %v", r.Status, r.Body)
				}
				return
			}
			if r.Status != http.StatusBadRequest || r.Code != tt.wantCode {
				t.Fatalf("got HTTP %d code %d, want 400 code %d (%v)", r.Status, r.Code, tt.wantCode, r.Body)
			}
			if !strings.Contains(r.Details, tt.wantField) {
				t.Errorf("details %q do not name %s", r.Details, tt.wantField)
			}
		})
	}
}

func TestAuthAndRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		wantStatus int
		wantCode   int
	}{
		{"bad token", http.MethodPost, "/v23.0/" + testPhoneID + "/messages", "wrong", 401, 190},
		{"no token", http.MethodPost, "/v23.0/" + testPhoneID + "/messages", "", 401, 190},
		{"bad token on templates", http.MethodGet, "/v23.0/" + testWABA + "/message_templates", "wrong", 401, 190},
		{"unknown phone number id", http.MethodPost, "/v23.0/999/messages", testToken, 400, 100},
		{"unknown waba", http.MethodGet, "/v23.0/999/message_templates", testToken, 400, 100},
		{"other version", http.MethodPost, "/v21.0/" + testPhoneID + "/messages", testToken, 200, 0},
		{"no version", http.MethodPost, "/" + testPhoneID + "/messages", testToken, 200, 0},
		{"not a version", http.MethodPost, "/latest/" + testPhoneID + "/messages", testToken, 400, 2500},
		{"unknown edge", http.MethodGet, "/v23.0/" + testPhoneID + "/media", testToken, 400, 2500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, tt.method, tt.path, tt.token, textBody("hi"))
			if r.Status != tt.wantStatus || r.Code != tt.wantCode {
				t.Fatalf("got HTTP %d code %d, want %d code %d: %v", r.Status, r.Code, tt.wantStatus, tt.wantCode, r.Body)
			}
			if r.Status == http.StatusOK {
				want := strings.Split(tt.path, "/")[1]
				if !strings.HasPrefix(want, "v") {
					want = DefaultAPIVersion
				}
				if r.Version != want {
					t.Errorf("facebook-api-version %q, want %q", r.Version, want)
				}
			}
		})
	}
}

func TestInjectError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.sb.InjectError(130429, 2)
	e.sb.InjectError(131000, 1)
	e.sb.InjectError(2, 1)
	want := []struct{ status, code int }{{400, 130429}, {400, 130429}, {500, 131000}, {503, 2}, {200, 0}}
	for i, w := range want {
		r := e.send(t, textBody(fmt.Sprint("try ", i)))
		if r.Status != w.status || r.Code != w.code {
			t.Errorf("request %d: HTTP %d code %d, want %d code %d", i, r.Status, r.Code, w.status, w.code)
		}
	}
	sent := e.sb.Sent()
	if len(sent) != len(want) {
		t.Fatalf("Sent() has %d requests, want %d", len(sent), len(want))
	}
	for i, s := range sent {
		if s.Status != want[i].status || s.PhoneNumberID != testPhoneID || !strings.Contains(string(s.Body), fmt.Sprint("try ", i)) {
			t.Errorf("Sent()[%d] = %+v", i, s)
		}
	}
	if sent[4].WAMID == "" || sent[0].WAMID != "" {
		t.Errorf("WAMID recorded on %q / %q, want only on the accepted one", sent[0].WAMID, sent[4].WAMID)
	}
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	wamid := e.inbound(t, "hi")
	tests := []struct {
		name     string
		body     string
		wantCode int
	}{
		{"read", `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `"}`, 0},
		{"read with typing", `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `","typing_indicator":{"type":"text"}}`, 0},
		{"unknown message", `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.nope"}`, 100},
		{"no message_id", `{"messaging_product":"whatsapp","status":"read"}`, 100},
		{"other status", `{"messaging_product":"whatsapp","status":"delivered","message_id":"` + wamid + `"}`, 131009},
		{"bad typing type", `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `","typing_indicator":{"type":"audio"}}`, 131009},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.send(t, tt.body)
			if tt.wantCode == 0 {
				if r.Status != http.StatusOK || r.Body["success"] != true {
					t.Fatalf("got %d %v, want success", r.Status, r.Body)
				}
				return
			}
			if r.Code != tt.wantCode {
				t.Fatalf("got %d %v, want code %d", r.Status, r.Body, tt.wantCode)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{`{"a":"für"}`, `{"a":"f\u00fcr"}`},
		{`{"a":"😀"}`, `{"a":"\ud83d\ude00"}`},
		{`{"a":"https://x.io/a"}`, `{"a":"https:\/\/x.io\/a"}`},
		{`{"a":"\\/"}`, `{"a":"\\\/"}`},
	}
	for _, tt := range tests {
		got := string(escape([]byte(tt.in)))
		if got != tt.want {
			t.Errorf("escape(%s) = %s, want %s", tt.in, got, tt.want)
		}
		var a, b any
		if json.Unmarshal([]byte(tt.in), &a) != nil || json.Unmarshal([]byte(got), &b) != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("escape(%s) changed the value: %v vs %v", tt.in, a, b)
		}
	}
}
