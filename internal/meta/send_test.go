package meta_test

import (
	"context"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

// namedTemplate is registered in the sandbox for the named-parameter case.
var namedTemplate = openwaba.Template{
	Name: "named_greeting", Language: "en", Status: "APPROVED", Category: "UTILITY", ParameterFormat: "NAMED",
	Components: []openwaba.TemplateComponent{
		{Type: "HEADER", Format: "TEXT", Text: "Hello {{first_name}}"},
		{Type: "BODY", Text: "Hi {{first_name}}, your code is {{code}}."},
		{Type: "BUTTONS", Buttons: []openwaba.TemplateButtonDef{{Type: "COPY_CODE", Text: "Copy code"}}},
	},
}

func TestSendEveryContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sb.AddTemplate(namedTemplate)
	text := func(s string) openwaba.TemplateParam { return openwaba.TemplateParam{Type: "text", Text: s} }
	tests := []struct {
		golden    string
		content   openwaba.Content
		foreignID string
	}{
		{"text.json", openwaba.Content{Type: openwaba.TypeText, Text: "Hallo <Welt> & https://example.com", PreviewURL: true}, ""},
		{"text_foreign_id.json", openwaba.Content{Type: openwaba.TypeText, Text: "Your order shipped."}, "order-4711"},
		{"image.json", openwaba.Content{Type: openwaba.TypeImage, Media: &openwaba.Media{URL: "https://example.com/a.jpg", Caption: "Look"}}, ""},
		{"video.json", openwaba.Content{Type: openwaba.TypeVideo, Media: &openwaba.Media{URL: "https://example.com/a.mp4", Caption: "Watch"}}, ""},
		// Caption and filename are dropped where Meta refuses them.
		{"audio.json", openwaba.Content{Type: openwaba.TypeAudio, Media: &openwaba.Media{URL: "https://example.com/a.ogg", Caption: "ignored", Filename: "a.ogg"}}, ""},
		{"document.json", openwaba.Content{Type: openwaba.TypeDocument, Media: &openwaba.Media{URL: "https://example.com/invoice.pdf", Caption: "Invoice", Filename: "invoice.pdf"}}, ""},
		{"sticker.json", openwaba.Content{Type: openwaba.TypeSticker, Media: &openwaba.Media{URL: "https://example.com/s.webp", Caption: "ignored"}}, ""},
		{"location.json", openwaba.Content{Type: openwaba.TypeLocation, Location: &openwaba.Location{Latitude: 52.520008, Longitude: 13.404954, Name: "Fernsehturm", Address: "Panoramastraße 1A, Berlin"}}, ""},
		{"location_zero.json", openwaba.Content{Type: openwaba.TypeLocation, Location: &openwaba.Location{Latitude: 0, Longitude: 0}}, ""},
		{"contacts.json", openwaba.Content{Type: openwaba.TypeContacts, Contacts: []openwaba.Contact{
			{Name: openwaba.ContactName{Formatted: "Anna Schmidt", First: "Anna", Last: "Schmidt"},
				Phones: []openwaba.ContactPhone{{Phone: "+49 170 1234567", Type: "cell"}, {Phone: "+49 30 123456", Type: "work"}}},
			{Name: openwaba.ContactName{Formatted: "Support"}, Phones: []openwaba.ContactPhone{{Phone: "+49 800 000000"}}},
		}}, ""},
		{"interactive_button.json", openwaba.Content{Type: openwaba.TypeInteractive, Interactive: &openwaba.Interactive{
			Type: "button", Header: "Termin", Body: "Passt Ihnen Dienstag?", Footer: "ACME",
			Buttons: []openwaba.Button{{ID: "yes", Title: "Ja"}, {ID: "no", Title: "Nein"}},
		}}, ""},
		{"interactive_button_minimal.json", openwaba.Content{Type: openwaba.TypeInteractive, Interactive: &openwaba.Interactive{
			Type: "button", Body: "Confirm?", Buttons: []openwaba.Button{{ID: "ok", Title: "OK"}},
		}}, ""},
		{"interactive_list.json", openwaba.Content{Type: openwaba.TypeInteractive, Interactive: &openwaba.Interactive{
			Type: "list", Header: "Versand", Body: "Wie sollen wir liefern?", Footer: "ACME", ButtonText: "Auswählen",
			Sections: []openwaba.Section{
				{Title: "Schnell", Rows: []openwaba.Row{{ID: "exp", Title: "Express", Description: "1 Tag"}}},
				{Title: "Günstig", Rows: []openwaba.Row{{ID: "std", Title: "Standard"}, {ID: "pick", Title: "Abholung", Description: "im Laden"}}},
			},
		}}, ""},
		{"template_hello_world.json", openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
			Name: "hello_world", Language: "de",
		}}, ""},
		{"template_order_confirmation.json", openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
			Name: "order_confirmation", Language: "en",
			Body:    []openwaba.TemplateParam{text("Anna"), text("ORD-12345")},
			Buttons: []openwaba.TemplateButton{{SubType: "url", Index: 0, Parameters: []openwaba.TemplateParam{text("ORD-12345")}}},
		}}, "shop-1"},
		{"template_appointment_reminder.json", openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
			Name: "appointment_reminder", Language: "de", HeaderFormat: "TEXT",
			Header:  []openwaba.TemplateParam{text("Terminbestätigung")},
			Body:    []openwaba.TemplateParam{text("Anna"), text("12.05.2026"), text("10:00"), text("Dr. Weber")},
			Buttons: []openwaba.TemplateButton{{SubType: "url", Index: 0, Parameters: []openwaba.TemplateParam{text("APT-1001")}}},
		}}, ""},
		{"template_product_available.json", openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
			Name: "product_available", Language: "en", HeaderFormat: "IMAGE",
			Header:  []openwaba.TemplateParam{{Type: "image", Text: "https://example.com/product.jpg"}},
			Body:    []openwaba.TemplateParam{text("Model X")},
			Buttons: []openwaba.TemplateButton{{SubType: "quick_reply", Index: 0, Parameters: []openwaba.TemplateParam{{Type: "payload", Payload: "BUY-MODEL-X"}}}},
		}}, ""},
		{"template_named.json", openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
			Name: "named_greeting", Language: "en", HeaderFormat: "TEXT", Named: true,
			Header:  []openwaba.TemplateParam{{Type: "text", Text: "Anna", Name: "first_name"}},
			Body:    []openwaba.TemplateParam{{Type: "text", Text: "Anna", Name: "first_name"}, {Type: "text", Text: "4711", Name: "code"}},
			Buttons: []openwaba.TemplateButton{{SubType: "copy_code", Index: 0, Parameters: []openwaba.TemplateParam{text("SAVE20")}}},
		}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			// Sequential: each case reads the sandbox's last request.
			m := openwaba.Message{ID: 1, Recipient: user, Content: tt.content, ForeignID: tt.foreignID}
			sub, err := e.client.Send(context.Background(), sender, m)
			wamid := sub.WAMID
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := e.sb.Sent()
			last := sent[len(sent)-1]
			if !strings.HasPrefix(wamid, "wamid.") || wamid != last.WAMID {
				t.Errorf("wamid %q, the sandbox gave %q", wamid, last.WAMID)
			}
			if err := loadSpec(t).ValidateMessage(last.Body); err != nil {
				t.Errorf("request does not conform to Meta's OpenAPI: %v", err)
			}
			assertGolden(t, "send/"+tt.golden, last.Body)
		})
	}
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wamid := e.openWindow(t)
	tests := []struct {
		name   string
		wamid  string
		typing bool
		golden string
		code   int
	}{
		{"read", wamid, false, "mark_read.json", 0},
		{"read with typing", wamid, true, "mark_read_typing.json", 0},
		{"unknown message", "wamid.unknown", false, "", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.client.MarkRead(context.Background(), sender, tt.wamid, tt.typing)
			if tt.code != 0 {
				ue, ok := openwaba.AsUpstreamError(err)
				if !ok || ue.Code != tt.code || ue.Retryable {
					t.Fatalf("err = %v, want permanent code %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := loadSpec(t).ValidateMessage(e.lastBody(t)); err != nil {
				t.Errorf("request does not conform to Meta's OpenAPI: %v", err)
			}
			body := strings.ReplaceAll(string(e.lastBody(t)), wamid, "wamid.INBOUND")
			assertGolden(t, "send/"+tt.golden, []byte(body))
		})
	}
}

func TestReact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wamid := e.openWindow(t)
	tests := []struct{ name, emoji, golden string }{
		{"react", "👍", "reaction.json"},
		{"remove", "", "reaction_remove.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.client.React(context.Background(), sender, user, wamid, tt.emoji); err != nil {
				t.Fatal(err)
			}
			body := e.lastBody(t)
			if err := loadSpec(t).ValidateMessage(body); err != nil {
				t.Errorf("request does not conform to Meta's OpenAPI: %v", err)
			}
			assertGolden(t, "send/"+tt.golden, []byte(strings.ReplaceAll(string(body), wamid, "wamid.INBOUND")))
		})
	}
}

// A user known only by their BSUID is sent to as recipient, not to.
func TestSendToBSUID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct{ recipient, golden string }{
		{"US.13491208655302741918", "text_bsuid.json"},
		{"US.ENT.11815799212886844830", "text_parent_bsuid.json"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			m := openwaba.Message{ID: 1, Recipient: tt.recipient, Content: openwaba.Content{Type: openwaba.TypeText, Text: "Hi"}}
			if _, err := e.client.Send(context.Background(), sender, m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			body := e.lastBody(t)
			if err := loadSpec(t).ValidateMessage(body); err != nil {
				t.Errorf("request does not conform to Meta's OpenAPI (with errata): %v", err)
			}
			assertGolden(t, "send/"+tt.golden, body)
		})
	}
	// Reactions name the chat the same way. Only the body matters here:
	// the sandbox keeps the requests it refuses too.
	_ = e.client.React(context.Background(), sender, "US.13491208655302741918", "wamid.X", "👍")
	if body := string(e.lastBody(t)); !strings.Contains(body, `"recipient":"US.13491208655302741918"`) || strings.Contains(body, `"to"`) {
		t.Errorf("reaction to a BSUID: %s", body)
	}
}
