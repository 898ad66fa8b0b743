package templates

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

func text(vals ...string) []openwaba.TemplateParam {
	out := make([]openwaba.TemplateParam, len(vals))
	for i, v := range vals {
		out[i] = openwaba.TemplateParam{Type: "text", Text: v}
	}
	return out
}

var (
	orderConfirmation = openwaba.Template{Name: "order_confirmation", Language: "de", Status: "APPROVED", Category: "UTILITY",
		Components: []openwaba.TemplateComponent{
			{Type: "BODY", Text: "Hallo {{1}}, vielen Dank für Ihre Bestellung {{2}}."},
			{Type: "BUTTONS", Buttons: []openwaba.TemplateButtonDef{{Type: "URL", Text: "Bestellung ansehen", URL: "https://example.com/orders/{{1}}"}}},
		}}
	appointment = openwaba.Template{Name: "appointment_reminder", Language: "de", Status: "APPROVED", Category: "UTILITY",
		Components: []openwaba.TemplateComponent{
			{Type: "HEADER", Format: "TEXT", Text: "{{1}}"},
			{Type: "BODY", Text: "Hallo {{1}}, Ihr Termin am {{2}} um {{3}} bei {{4}} ist bestätigt."},
			{Type: "FOOTER", Text: "Antworten Sie STOP, um abzusagen."},
			{Type: "BUTTONS", Buttons: []openwaba.TemplateButtonDef{{Type: "URL", Text: "Termin verwalten", URL: "https://example.com/appointments/{{1}}"}}},
		}}
	product = openwaba.Template{Name: "product_available", Language: "de", Status: "APPROVED", Category: "MARKETING",
		Components: []openwaba.TemplateComponent{
			{Type: "HEADER", Format: "IMAGE"},
			{Type: "BODY", Text: "Gute Nachrichten! {{1}} ist wieder verfügbar."},
			{Type: "BUTTONS", Buttons: []openwaba.TemplateButtonDef{{Type: "QUICK_REPLY", Text: "Jetzt kaufen"}}},
		}}
	named = openwaba.Template{Name: "welcome", Language: "en", Status: "APPROVED", ParameterFormat: "NAMED",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Hi {{first_name}}, your code is {{code}}. Bye {{first_name}}!"}}}
	store = openwaba.Template{Name: "store_visit", Language: "en", Status: "APPROVED", Category: "MARKETING",
		Components: []openwaba.TemplateComponent{{Type: "HEADER", Format: "LOCATION"}, {Type: "BODY", Text: "See you soon, {{1}}!"}}}
	berlin    = &openwaba.Location{Latitude: 52.52, Longitude: 13.405, Name: "Flagship", Address: "Unter den Linden 1, Berlin"}
	urlButton = []ButtonValue{{SubType: "url", Index: -1, Parameters: text("ORD-12345")}}
)

func TestPrepareRenders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tmpl openwaba.Template
		vals Values
		want string // JSON of Rendered
	}{
		{"body and url button", orderConfirmation, Values{Body: text("Max Mustermann", "ORD-12345"), Buttons: urlButton},
			`{"body":"Hallo Max Mustermann, vielen Dank für Ihre Bestellung ORD-12345.","buttons":[{"type":"url","text":"Bestellung ansehen","url":"https://example.com/orders/ORD-12345"}]}`},
		{"header body footer buttons", appointment, Values{Header: text("Appointment confirmation"), Body: text("Max Mustermann", "2026-02-15", "2:00 PM", "Dr. Smith"), Buttons: []ButtonValue{{SubType: "url", Index: -1, Parameters: text("abc123")}}},
			`{"header":"Appointment confirmation","body":"Hallo Max Mustermann, Ihr Termin am 2026-02-15 um 2:00 PM bei Dr. Smith ist bestätigt.","footer":"Antworten Sie STOP, um abzusagen.","buttons":[{"type":"url","text":"Termin verwalten","url":"https://example.com/appointments/abc123"}]}`},
		{"image header", product, Values{Header: text("https://example.com/product.jpg"), Body: text("Premium Widget")},
			`{"header":"https://example.com/product.jpg","body":"Gute Nachrichten! Premium Widget ist wieder verfügbar.","buttons":[{"type":"quick_reply","text":"Jetzt kaufen"}]}`},
		{"named by name, any order", named, Values{Body: []openwaba.TemplateParam{{Text: "X1", Name: "code"}, {Text: "Anna", Name: "first_name"}}},
			`{"body":"Hi Anna, your code is X1. Bye Anna!"}`},
		{"location header", store, Values{Header: []openwaba.TemplateParam{{Type: "location", Location: berlin}}, Body: text("Anna")},
			`{"header":"Flagship, Unter den Linden 1, Berlin","body":"See you soon, Anna!"}`},
		{"location header without name", store, Values{Header: []openwaba.TemplateParam{{Type: "location", Location: &openwaba.Location{Latitude: 1.5, Longitude: -2}}}, Body: text("Anna")},
			`{"header":"1.5, -2","body":"See you soon, Anna!"}`},
		{"named by position", named, Values{Body: text("Anna", "X1")}, `{"body":"Hi Anna, your code is X1. Bye Anna!"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			send, err := Prepare(tc.tmpl, tc.vals)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			got, _ := json.Marshal(send.Rendered)
			if string(got) != tc.want {
				t.Fatalf("rendered\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestPrepareTypedParameters(t *testing.T) {
	t.Parallel()
	send, err := Prepare(product, Values{Header: text("https://example.com/product.jpg"), Body: text("Premium Widget")})
	if err != nil {
		t.Fatal(err)
	}
	if send.HeaderFormat != "IMAGE" || send.Header[0].Type != "image" || send.Header[0].Text != "https://example.com/product.jpg" {
		t.Errorf("header %+v format %s", send.Header, send.HeaderFormat)
	}
	send, err = Prepare(named, Values{Body: text("Anna", "X1")})
	if err != nil {
		t.Fatal(err)
	}
	if !send.Named || send.Body[0].Name != "first_name" || send.Body[1].Name != "code" {
		t.Errorf("named params %+v", send.Body)
	}
	send, err = Prepare(orderConfirmation, Values{Body: text("a", "b"), Buttons: urlButton})
	if err != nil {
		t.Fatal(err)
	}
	if len(send.Buttons) != 1 || send.Buttons[0].SubType != "url" || send.Buttons[0].Index != 0 || send.Buttons[0].Parameters[0].Text != "ORD-12345" {
		t.Errorf("buttons %+v", send.Buttons)
	}
}

func TestPrepareMismatch(t *testing.T) {
	t.Parallel()
	pending := orderConfirmation
	pending.Status = "PENDING"
	tests := []struct {
		name       string
		tmpl       openwaba.Template
		vals       Values
		field, msg string
	}{
		{"not approved", pending, Values{}, "template", "is PENDING"},
		{"too few body values", orderConfirmation, Values{Body: text("Max"), Buttons: urlButton}, "components.body", "has 2 placeholders, got 1"},
		{"too many body values", orderConfirmation, Values{Body: text("a", "b", "c"), Buttons: urlButton}, "components.body", "has 2 placeholders, got 3"},
		{"missing url suffix", orderConfirmation, Values{Body: text("a", "b")}, "components.buttons", "needs 1 parameters, got none"},
		{"url suffix count", orderConfirmation, Values{Body: text("a", "b"), Buttons: []ButtonValue{{SubType: "url", Index: -1}}}, "components.buttons[0]", "needs 1 parameters, got 0"},
		{"wrong sub_type", orderConfirmation, Values{Body: text("a", "b"), Buttons: []ButtonValue{{SubType: "quick_reply", Index: 0, Parameters: text("x")}}}, "components.buttons[0]", "sub_type url"},
		{"header on template without", orderConfirmation, Values{Header: text("x"), Body: text("a", "b"), Buttons: urlButton}, "components.header", "has no header"},
		{"text header count", appointment, Values{Body: text("a", "b", "c", "d"), Buttons: urlButton}, "components.header", "has 1 placeholders, got 0"},
		{"image header without url", product, Values{Body: text("W")}, "components.header", "needs 1 URL, got 0"},
		{"image header not a url", product, Values{Header: text("product.jpg"), Body: text("W")}, "components.header", "http(s) URL"},
		{"empty value", orderConfirmation, Values{Body: text("", "b"), Buttons: urlButton}, "components.body", "must not be empty"},
		{"location header missing", store, Values{Body: text("Anna")}, "components.header", "needs 1 location with latitude and longitude, got 0"},
		{"location header as text", store, Values{Header: text("Berlin"), Body: text("Anna")}, "components.header", "needs 1 location with latitude and longitude, got 0"},
		{"location out of range", store, Values{Header: []openwaba.TemplateParam{{Type: "location", Location: &openwaba.Location{Latitude: 91}}}, Body: text("Anna")}, "components.header", "latitude -90..90"},
		{"named missing", named, Values{Body: []openwaba.TemplateParam{{Text: "X1", Name: "code"}, {Text: "Anna", Name: "last_name"}}}, "components.body", "needs a value for {{first_name}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Prepare(tc.tmpl, tc.vals)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Prepare = %v, want *Error", err)
			}
			if te.Field != tc.field || !strings.Contains(te.Msg, tc.msg) {
				t.Fatalf("got %q, want field %q containing %q", te.Error(), tc.field, tc.msg)
			}
		})
	}
}
