package meta_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

func readWebhook(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseOne parses a sample with one change on the test number.
func parseOne(t *testing.T, name string) meta.Change {
	t.Helper()
	n, err := meta.ParseWebhook(readWebhook(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Changes) != 1 {
		t.Fatalf("%d changes, want 1", len(n.Changes))
	}
	c := n.Changes[0]
	if c.PhoneNumberID != phoneID || c.DisplayPhoneNumber != display || c.WABAID != wabaID {
		t.Errorf("change ids = %q %q %q", c.PhoneNumberID, c.DisplayPhoneNumber, c.WABAID)
	}
	return c
}

func TestParseInboundMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, wamid, typ, text, profile string
		ts                              int64
	}{
		{"text.json", "wamid.TEXT", "text", "Grüße, gibt es das in Blau? https://x.io", "Jürgen", 1749416383},
		{"text_no_profile.json", "wamid.NOPROFILE", "text", "hi", "", 1749416383},
		{"text_reply.json", "wamid.REPLY", "text", "Yes, please", "Jürgen", 1749416384},
		{"image.json", "wamid.IMAGE", "image", "Mein Fahrrad", "Jürgen", 1749416385},
		{"video.json", "wamid.VIDEO", "video", "", "Jürgen", 1749416386},
		{"audio.json", "wamid.AUDIO", "audio", "", "Jürgen", 1749416387},
		{"document.json", "wamid.DOCUMENT", "document", "Rechnung März", "Jürgen", 1749416388},
		{"sticker.json", "wamid.STICKER", "sticker", "", "Jürgen", 1749416389},
		{"location.json", "wamid.LOCATION", "location", "", "Jürgen", 1749416390},
		{"contacts.json", "wamid.CONTACTS", "contacts", "", "Jürgen", 1749416391},
		{"reaction.json", "wamid.REACTION", "reaction", "👍", "Jürgen", 1749416392},
		{"reaction_removed.json", "wamid.UNREACT", "reaction", "", "Jürgen", 1749416393},
		{"button.json", "wamid.BUTTON", "button", "Jetzt kaufen", "Jürgen", 1749416394},
		{"interactive_button_reply.json", "wamid.BUTTONREPLY", "interactive", "Ja", "Jürgen", 1749416395},
		{"interactive_list_reply.json", "wamid.LISTREPLY", "interactive", "Express", "Jürgen", 1749416396},
		{"order.json", "wamid.ORDER", "order", "Bitte bis Freitag", "Jürgen", 1749416397},
		{"system.json", "wamid.SYSTEM", "system", "User A changed from 491701234567 to 491709999999", "", 1749416398},
		{"unsupported.json", "wamid.UNSUPPORTED", "unsupported", "", "Jürgen", 1749416399},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c := parseOne(t, tt.file)
			if len(c.Messages) != 1 || len(c.Statuses) != 0 {
				t.Fatalf("%d messages, %d statuses", len(c.Messages), len(c.Statuses))
			}
			m := c.Messages[0]
			want := openwaba.InboundMessage{
				From: user, WAMID: tt.wamid, Type: tt.typ, Text: tt.text, ProfileName: tt.profile,
				SentAt: time.Unix(tt.ts, 0).UTC(), Payload: m.Payload,
			}
			if m.Sender != "" || m.AccountID != 0 {
				t.Errorf("Sender %q / AccountID %d set; the caller maps those", m.Sender, m.AccountID)
			}
			if !equalInbound(m, want) {
				t.Errorf("got  %+v\nwant %+v", withoutPayload(m), withoutPayload(want))
			}
			// Payload is the message object itself, compact, still as Meta
			// wrote it (escapes included).
			var obj map[string]any
			if err := json.Unmarshal(m.Payload, &obj); err != nil {
				t.Fatalf("Payload is not JSON: %s", m.Payload)
			}
			if obj["id"] != tt.wamid || obj["type"] != tt.typ || obj[tt.typ] == nil && tt.typ != "unsupported" {
				t.Errorf("Payload = %s", m.Payload)
			}
			if bytes.Contains(m.Payload, []byte("\n")) || bytes.Contains(m.Payload, []byte(`", "`)) {
				t.Errorf("Payload not compact: %s", m.Payload)
			}
		})
	}
}

func withoutPayload(m openwaba.InboundMessage) openwaba.InboundMessage {
	m.Payload = nil
	return m
}

func equalInbound(a, b openwaba.InboundMessage) bool {
	if b.User.Zero() {
		b.User = openwaba.UserOf(b.From)
	}
	return a.From == b.From && a.User == b.User && a.WAMID == b.WAMID && a.Type == b.Type && a.Text == b.Text &&
		a.ProfileName == b.ProfileName && a.SentAt.Equal(b.SentAt)
}

var (
	marketingPricing = &openwaba.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
	sentPricing      = &openwaba.Pricing{Model: "PMP", Type: "free_customer_service", Category: "service"}
)

// The pricing object of status reports; without billable (which some
// libraries call deprecated) its type tells.
func TestParsePricing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pricing string
		want    *openwaba.Pricing
	}{
		{`{"billable":false,"pricing_model":"PMP","category":"utility","type":"free_customer_service"}`, &openwaba.Pricing{Model: "PMP", Type: "free_customer_service", Category: "utility"}},
		{`{"billable":true,"pricing_model":"PMP","category":"authentication_international","type":"regular"}`, &openwaba.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "authentication_international"}},
		{`{"pricing_model":"PMP","category":"marketing","type":"regular"}`, &openwaba.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}},
		{`{"pricing_model":"PMP","category":"utility","type":"free_entry_point"}`, &openwaba.Pricing{Model: "PMP", Type: "free_entry_point", Category: "utility"}},
		{`{}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.pricing, func(t *testing.T) {
			t.Parallel()
			body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},` +
				`"statuses":[{"id":"wamid.P","status":"sent","timestamp":"1698266945","recipient_id":"491701234567","pricing":` + tt.pricing + `}]}}]}]}`
			n, err := meta.ParseWebhook([]byte(body))
			if err != nil || len(n.Changes) != 1 || len(n.Changes[0].Statuses) != 1 {
				t.Fatalf("ParseWebhook = %+v, %v", n, err)
			}
			if got := n.Changes[0].Statuses[0].Pricing; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pricing %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []openwaba.StatusUpdate
	}{
		{"status_sent.json", []openwaba.StatusUpdate{{WAMID: "wamid.OUT1", Status: openwaba.StatusSent, At: time.Unix(1698266945, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}, CallbackData: "order-4711", Pricing: sentPricing}}},
		{"status_delivered.json", []openwaba.StatusUpdate{{WAMID: "wamid.OUT1", Status: openwaba.StatusDelivered, At: time.Unix(1698266946, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}, Pricing: marketingPricing}}},
		{"status_read.json", []openwaba.StatusUpdate{{WAMID: "wamid.OUT1", Status: openwaba.StatusRead, At: time.Unix(1698266947, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}}}},
		{"status_played.json", []openwaba.StatusUpdate{{WAMID: "wamid.VOICE", Status: openwaba.StatusPlayed, At: time.Unix(1698266948, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}}}},
		{"status_held.json", []openwaba.StatusUpdate{{WAMID: "wamid.PROMO", Status: openwaba.StatusHeld, At: time.Unix(1698266952, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}, CallbackData: "promo-1"}}},
		{"status_paused.json", []openwaba.StatusUpdate{{WAMID: "wamid.PROMO", Status: openwaba.StatusPaused, At: time.Unix(1698266953, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user},
			ErrorCode: 132015, ErrorText: "Template is Paused: The template was paused because of low quality."}}},
		{"status_failed.json", []openwaba.StatusUpdate{{WAMID: "wamid.OUT2", Status: openwaba.StatusFailed, At: time.Unix(1698266949, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}, CallbackData: "x-9",
			ErrorCode: 131047, ErrorText: "Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}},
		// An unknown status is skipped; a numeric timestamp is read.
		{"status_unknown.json", []openwaba.StatusUpdate{{WAMID: "wamid.OUT3", Status: openwaba.StatusDelivered, At: time.Unix(1698266951, 0).UTC(), Recipient: user, User: openwaba.User{WaID: user}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c := parseOne(t, tt.file)
			if len(c.Messages) != 0 {
				t.Errorf("%d messages", len(c.Messages))
			}
			if len(c.Statuses) != len(tt.want) {
				t.Fatalf("statuses = %+v, want %+v", c.Statuses, tt.want)
			}
			for i := range tt.want {
				g, w := c.Statuses[i], tt.want[i]
				if !g.At.Equal(w.At) {
					t.Errorf("At = %v, want %v", g.At, w.At)
				}
				g.At, w.At = time.Time{}, time.Time{}
				if !reflect.DeepEqual(g.Pricing, w.Pricing) {
					t.Errorf("pricing %+v, want %+v", g.Pricing, w.Pricing)
				}
				g.Pricing, w.Pricing = nil, nil
				if g != w {
					t.Errorf("got  %+v\nwant %+v", g, w)
				}
			}
		})
	}
}

func TestParseBatchesErrorsAndOtherFields(t *testing.T) {
	t.Parallel()
	t.Run("batch", func(t *testing.T) {
		t.Parallel()
		n, err := meta.ParseWebhook(readWebhook(t, "batch.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Changes) != 2 {
			t.Fatalf("%d changes, want 2 (the template update is skipped)", len(n.Changes))
		}
		a, b := n.Changes[0], n.Changes[1]
		if len(a.Messages) != 2 || a.Messages[0].ProfileName != "Ben" || a.Messages[1].ProfileName != "Anna" {
			t.Errorf("profiles not matched by wa_id: %+v", a.Messages)
		}
		if b.WABAID != "999000999000999" || b.PhoneNumberID != "222333444555666" || len(b.Statuses) != 1 || b.Statuses[0].WAMID != "wamid.OTHER" {
			t.Errorf("second change = %+v", b)
		}
		if n.Empty() {
			t.Error("Empty() on a batch with messages")
		}
	})
	t.Run("value errors", func(t *testing.T) {
		t.Parallel()
		c := parseOne(t, "errors.json")
		want := meta.WebhookError{Code: 131008, Title: "Required parameter is missing", Message: "Required parameter is missing",
			Details: "A required parameter is missing.", Href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}
		if len(c.Errors) != 1 || c.Errors[0] != want {
			t.Errorf("errors = %+v", c.Errors)
		}
	})
	t.Run("not whatsapp", func(t *testing.T) {
		t.Parallel()
		if _, err := meta.ParseWebhook(readWebhook(t, "not_whatsapp.json")); !errors.Is(err, meta.ErrNotWhatsApp) {
			t.Errorf("err = %v, want ErrNotWhatsApp", err)
		}
	})
	t.Run("not json", func(t *testing.T) {
		t.Parallel()
		if _, err := meta.ParseWebhook([]byte(`{"object":`)); err == nil {
			t.Error("no error for broken JSON")
		}
	})
}

// TestTimestampBounds: a timestamp after the year 9999 is unreadable like
// a malformed one (the zero time: the caller uses the time of receipt).
// Found by FuzzParseWebhook: time.Unix(MaxInt64) overflows the store's
// milliseconds and cannot be written as RFC 3339.
func TestTimestampBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ts   string
		want time.Time
	}{
		{`"1749416383"`, time.Unix(1749416383, 0).UTC()},
		{`1749416383`, time.Unix(1749416383, 0).UTC()},
		{`"253402300799"`, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{`"253402300800"`, time.Time{}},
		{`"9223372036854775807"`, time.Time{}},
		{`"-1"`, time.Time{}},
		{`"0"`, time.Time{}},
		{`"soon"`, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.ts, func(t *testing.T) {
			t.Parallel()
			body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{` +
				`"statuses":[{"id":"w","status":"sent","timestamp":` + tc.ts + `}],` +
				`"messages":[{"from":"49","id":"m","type":"text","timestamp":` + tc.ts + `}]}}]}]}`
			n, err := meta.ParseWebhook([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			c := n.Changes[0]
			if !c.Statuses[0].At.Equal(tc.want) || !c.Messages[0].SentAt.Equal(tc.want) {
				t.Fatalf("status at %v, message sent at %v; want %v", c.Statuses[0].At, c.Messages[0].SentAt, tc.want)
			}
		})
	}
}

// Since 2026 Meta names users by business-scoped user IDs: always in
// contacts[].user_id and from_user_id, and for users with a username
// without their number.
func TestParseUsers(t *testing.T) {
	t.Parallel()
	const bsuid, parent = "US.13491208655302741918", "US.ENT.11815799212886844830"
	tests := []struct {
		file     string
		from     string
		user     openwaba.User
		profile  string
		statuses []openwaba.User
		changes  []openwaba.UserIDChange
	}{
		{file: "text_username.json", from: bsuid, profile: "Sheena",
			user: openwaba.User{UserID: bsuid, ParentUserID: parent, Username: "sheena.n"}},
		{file: "text_bsuid_and_phone.json", from: user, profile: "Jürgen",
			user: openwaba.User{WaID: user, UserID: "DE.1502576394655843"}},
		{file: "status_bsuid.json", statuses: []openwaba.User{{UserID: bsuid, Username: "sheena.n"}}},
		{file: "user_id_update.json", changes: []openwaba.UserIDChange{{
			WaID: user, Previous: "DE.1502576394655843", Current: "DE.9902576394655843", At: time.Unix(1749416500, 0).UTC()}}},
		{file: "system_user_id.json", from: "DE.1502576394655843", user: openwaba.User{UserID: "DE.1502576394655843"},
			changes: []openwaba.UserIDChange{{Previous: "DE.1502576394655843", Current: "DE.9902576394655843", At: time.Unix(1749416501, 0).UTC()}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c := parseOne(t, tt.file)
			if tt.from != "" {
				if len(c.Messages) != 1 {
					t.Fatalf("%d messages, want 1", len(c.Messages))
				}
				m := c.Messages[0]
				if m.From != tt.from || m.User != tt.user || m.ProfileName != tt.profile {
					t.Errorf("from %q, user %+v, profile %q; want %q, %+v, %q", m.From, m.User, m.ProfileName, tt.from, tt.user, tt.profile)
				}
			}
			var got []openwaba.User
			for _, s := range c.Statuses {
				got = append(got, s.User)
			}
			if len(got) != len(tt.statuses) || (len(got) > 0 && got[0] != tt.statuses[0]) {
				t.Errorf("status recipients %+v, want %+v", got, tt.statuses)
			}
			if len(c.UserIDChanges) != len(tt.changes) || (len(tt.changes) > 0 && c.UserIDChanges[0] != tt.changes[0]) {
				t.Errorf("user id changes %+v, want %+v", c.UserIDChanges, tt.changes)
			}
		})
	}
}

func TestParseHealthAndTemplates(t *testing.T) {
	t.Parallel()
	at := time.Unix(1764061200, 0).UTC()
	health := func(r openwaba.HealthReport) openwaba.HealthReport {
		r.WABAID, r.At = wabaID, at
		return r
	}
	template := func(r openwaba.TemplateReport) openwaba.TemplateReport {
		r.WABAID, r.At = wabaID, at
		return r
	}
	tests := []struct {
		file      string
		health    []openwaba.HealthReport
		templates []openwaba.TemplateReport
	}{
		{"quality_flagged.json", []openwaba.HealthReport{health(openwaba.HealthReport{
			Field: "phone_number_quality_update", Number: "15550783881", Event: "FLAGGED", MessagingLimit: "TIER_2K"})}, nil},
		{"quality_downgrade_old_payload.json", []openwaba.HealthReport{health(openwaba.HealthReport{
			Field: "phone_number_quality_update", Number: "15550783881", Event: "DOWNGRADE", MessagingLimit: "TIER_2K"})}, nil},
		{"account_restriction.json", []openwaba.HealthReport{health(openwaba.HealthReport{
			Field: "account_update", Number: "15550783881", Event: "ACCOUNT_RESTRICTION", Restrictions: []openwaba.Restriction{
				{Type: "RESTRICTED_BIZ_INITIATED_MESSAGING", Expires: time.Unix(1764666000, 0).UTC()},
				{Type: "RESTRICTED_ADD_PHONE_NUMBER_ACTION", Expires: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)},
			}})}, nil},
		{"account_disabled.json", []openwaba.HealthReport{health(openwaba.HealthReport{
			Field: "account_update", Event: "DISABLED_UPDATE", BanState: "DISABLE"})}, nil},
		{"template_paused.json", nil, []openwaba.TemplateReport{template(openwaba.TemplateReport{
			Field: "message_template_status_update", ID: "1689556908129832", Name: "hello_world", Language: "en", Event: "PAUSED", Category: "MARKETING",
			Reason: "Your WhatsApp message template has been paused for 3 hours until Nov 25 at 12:00 PM UTC because it had issues."})}},
		{"template_status_only.json", nil, []openwaba.TemplateReport{{
			Field: "message_template_status_update", WABAID: wabaID, ID: "1000000000000002", Name: "hello_world", Language: "en", Event: "REJECTED",
			Reason: "INVALID_FORMAT", At: time.Unix(1749416403, 0).UTC()}}},
		{"template_category_done.json", nil, []openwaba.TemplateReport{template(openwaba.TemplateReport{
			Field: "template_category_update", ID: "278077987957091", Name: "order_confirmation", Language: "en", Category: "MARKETING", PreviousCategory: "UTILITY"})}},
		{"template_category_announced.json", nil, []openwaba.TemplateReport{template(openwaba.TemplateReport{
			Field: "template_category_update", ID: "278077987957091", Name: "order_confirmation", Language: "en", Category: "UTILITY",
			CorrectCategory: "MARKETING", CategoryAt: time.Unix(1764147600, 0).UTC()})}},
		{"template_quality.json", nil, []openwaba.TemplateReport{template(openwaba.TemplateReport{
			Field: "message_template_quality_update", ID: "806312974732579", Name: "hello_world", Language: "de", Quality: "RED", PreviousQuality: "GREEN"})}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			n, err := meta.ParseWebhook(readWebhook(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if n.Empty() || len(n.Changes) != 0 {
				t.Errorf("Empty() = %v, %d changes", n.Empty(), len(n.Changes))
			}
			if !reflect.DeepEqual(n.Health, tt.health) {
				t.Errorf("health\n got %+v\nwant %+v", n.Health, tt.health)
			}
			if !reflect.DeepEqual(n.Templates, tt.templates) {
				t.Errorf("templates\n got %+v\nwant %+v", n.Templates, tt.templates)
			}
		})
	}
}
