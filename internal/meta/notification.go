package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
)

// ErrNotWhatsApp is returned by ParseWebhook for a notification of another
// Graph object (a Page, Instagram) sent to our endpoint.
var ErrNotWhatsApp = errors.New("not a whatsapp_business_account notification")

// Notification is one webhook delivery from Meta: a batch of changes,
// possibly for several numbers.
type Notification struct {
	Changes []Change
	// Health holds the phone_number_quality_update and account_update
	// changes that concern the health of numbers.
	Health []openwaba.HealthReport
	// Templates holds the message_template_status_update,
	// template_category_update and message_template_quality_update
	// changes.
	Templates []openwaba.TemplateReport
}

// HasMessages reports whether the notification carries inbound messages.
func (n Notification) HasMessages() bool {
	for _, c := range n.Changes {
		if len(c.Messages) > 0 {
			return true
		}
	}
	return false
}

// Empty reports whether the notification carries nothing to act on.
func (n Notification) Empty() bool {
	if len(n.Health)+len(n.Templates) > 0 {
		return false
	}
	for _, c := range n.Changes {
		if len(c.Statuses)+len(c.Messages)+len(c.Errors)+len(c.UserIDChanges)+len(c.Preferences) > 0 {
			return false
		}
	}
	return true
}

// Change is what happened on one business phone number. Inbound messages
// have no Sender yet: the caller maps PhoneNumberID to its sender.
type Change struct {
	WABAID             string
	PhoneNumberID      string
	DisplayPhoneNumber string
	Statuses           []openwaba.StatusUpdate
	Messages           []openwaba.InboundMessage
	Errors             []WebhookError
	// UserIDChanges are user_id_update webhooks (and system messages of
	// type user_changed_user_id): a user's BSUID changed.
	UserIDChanges []openwaba.UserIDChange
	// Preferences are user_preferences webhooks: a user stopped or
	// resumed marketing messages (openwaba.ConsentOfPreference).
	Preferences []UserPreference
}

// UserPreference is one entry of a user_preferences webhook.
type UserPreference struct {
	User     openwaba.User // wa_id, and the BSUID when Meta sends one
	Category string        // marketing_messages
	Value    string        // stop or resume
	Detail   string
	At       time.Time
}

// WebhookError is an error Meta reports in a webhook, not tied to a
// message status (value.errors[]).
type WebhookError struct {
	Code    int
	Title   string
	Message string
	Details string
	Href    string
}

// Inbound wire shapes of the webhook envelope.
type (
	wireNotification struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string      `json:"id"`
			Time    unixSeconds `json:"time"`
			Changes []struct {
				Field string          `json:"field"`
				Value json.RawMessage `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}

	wireValue struct {
		Metadata struct {
			DisplayPhoneNumber string `json:"display_phone_number"`
			PhoneNumberID      string `json:"phone_number_id"`
		} `json:"metadata"`
		Contacts     []wireContact      `json:"contacts"`
		Messages     []json.RawMessage  `json:"messages"`
		Statuses     []wireStatus       `json:"statuses"`
		Errors       []wireError        `json:"errors"`
		UserIDUpdate []wireUserIDUpdate `json:"user_id_update"`
		Preferences  []struct {
			WaID      string      `json:"wa_id"`
			UserID    string      `json:"user_id"`
			Detail    string      `json:"detail"`
			Category  string      `json:"category"`
			Value     string      `json:"value"`
			Timestamp unixSeconds `json:"timestamp"`
		} `json:"user_preferences"`
	}

	// wireContact names a user: by wa_id when Meta shares the number, by
	// user_id (BSUID) always since 2026, by parent_user_id when parent
	// BSUIDs are on; the profile has the username of users who set one.
	wireContact struct {
		Profile *struct {
			Name     string `json:"name"`
			Username string `json:"username"`
		} `json:"profile"`
		WaID         string `json:"wa_id"`
		UserID       string `json:"user_id"`
		ParentUserID string `json:"parent_user_id"`
	}

	wireStatus struct {
		ID                    string       `json:"id"`
		Status                string       `json:"status"`
		Timestamp             unixSeconds  `json:"timestamp"`
		RecipientID           string       `json:"recipient_id"`
		RecipientUserID       string       `json:"recipient_user_id"`
		RecipientParentUserID string       `json:"recipient_parent_user_id"`
		CallbackData          string       `json:"biz_opaque_callback_data"`
		Pricing               *wirePricing `json:"pricing"`
		Errors                []wireError  `json:"errors"`
	}

	// wirePricing is the pricing object of sent and delivered reports
	// (per-message pricing since 2025-07-01).
	wirePricing struct {
		Billable     *bool  `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Type         string `json:"type"`
		Category     string `json:"category"`
	}

	// wireUserIDUpdate is one entry of a user_id_update webhook: the
	// BSUID (and parent BSUID) before and after.
	wireUserIDUpdate struct {
		WaID         string      `json:"wa_id"`
		UserID       idChange    `json:"user_id"`
		ParentUserID idChange    `json:"parent_user_id"`
		Timestamp    unixSeconds `json:"timestamp"`
	}

	wireError struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
		Href string `json:"href"`
	}

	// wireInbound holds the fields of an inbound message we lift out; the
	// whole object is kept raw in the Payload.
	wireInbound struct {
		From             string      `json:"from"`
		FromUserID       string      `json:"from_user_id"`
		FromParentUserID string      `json:"from_parent_user_id"`
		ID               string      `json:"id"`
		Timestamp        unixSeconds `json:"timestamp"`
		Type             string      `json:"type"`
		Text             *struct {
			Body string `json:"body"`
		} `json:"text"`
		Image    *captioned `json:"image"`
		Video    *captioned `json:"video"`
		Document *captioned `json:"document"`
		Audio    *captioned `json:"audio"`
		Sticker  *captioned `json:"sticker"`
		Button   *struct {
			Text string `json:"text"`
		} `json:"button"`
		Interactive *struct {
			Type        string `json:"type"`
			ButtonReply *struct {
				Title string `json:"title"`
			} `json:"button_reply"`
			ListReply *struct {
				Title string `json:"title"`
			} `json:"list_reply"`
			NFMReply *struct {
				Body string `json:"body"`
			} `json:"nfm_reply"`
		} `json:"interactive"`
		Reaction *struct {
			Emoji string `json:"emoji"`
		} `json:"reaction"`
		Order *struct {
			Text string `json:"text"`
		} `json:"order"`
		System *struct {
			Body   string `json:"body"`
			Type   string `json:"type"`
			UserID string `json:"user_id"`
		} `json:"system"`
	}

	// captioned is a media object of an inbound message.
	captioned struct {
		Caption  string `json:"caption"`
		ID       string `json:"id"`
		MIMEType string `json:"mime_type"`
		SHA256   string `json:"sha256"`
		Filename string `json:"filename"`
		Voice    bool   `json:"voice"`
		Animated bool   `json:"animated"`
	}
)

// unixSeconds reads Meta's timestamps: a string of Unix seconds, or (in
// some payloads) a number. One it cannot read stays the zero time rather
// than failing the batch: the caller falls back to the time of receipt,
// while a refused batch would be redelivered by Meta for days. So does one
// after the year 9999: its milliseconds overflow int64 in the store, and
// RFC 3339 (the customer's webhooks, the API) cannot write it.
type unixSeconds struct{ time.Time }

// maxUnixSeconds is 9999-12-31T23:59:59Z.
const maxUnixSeconds = 253402300799

func (u *unixSeconds) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(string(bytes.Trim(b, `"`)), 10, 64)
	if err == nil && n > 0 && n <= maxUnixSeconds {
		u.Time = time.Unix(n, 0).UTC()
	}
	return nil
}

// ParseWebhook parses a webhook body of a WhatsApp Business Account. It
// keeps the changes of field "messages" (statuses, inbound messages and
// errors), "user_id_update" (a user's BSUID changed), "user_preferences"
// (a user stopped or resumed marketing messages), the health of
// numbers (phone_number_quality_update, account_update) and the changes of
// templates (message_template_status_update, template_category_update,
// message_template_quality_update); other fields the app may be
// subscribed to are skipped.
func ParseWebhook(body []byte) (Notification, error) {
	var w wireNotification
	if err := json.Unmarshal(body, &w); err != nil {
		return Notification{}, fmt.Errorf("meta: parse webhook: %w", err)
	}
	if w.Object != "whatsapp_business_account" {
		return Notification{}, fmt.Errorf("meta: parse webhook: object %q: %w", w.Object, ErrNotWhatsApp)
	}
	var n Notification
	for _, e := range w.Entry {
		for _, ch := range e.Changes {
			var err error
			switch ch.Field {
			case "messages", "user_id_update", "user_preferences":
				var c Change
				if c, err = parseChange(e.ID, ch.Value); err == nil {
					n.Changes = append(n.Changes, c)
				}
			case openwaba.FieldPhoneNumberQuality, openwaba.FieldAccountUpdate:
				var r openwaba.HealthReport
				var ok bool
				if r, ok, err = parseHealth(ch.Field, e.ID, e.Time.Time, ch.Value); ok {
					n.Health = append(n.Health, r)
				}
			case openwaba.FieldTemplateStatus, openwaba.FieldTemplateCategory, openwaba.FieldTemplateQuality:
				var r openwaba.TemplateReport
				var ok bool
				if r, ok, err = parseTemplate(ch.Field, e.ID, e.Time.Time, ch.Value); ok {
					n.Templates = append(n.Templates, r)
				}
			}
			if err != nil {
				return Notification{}, fmt.Errorf("meta: parse webhook: entry %s, field %s: %w", e.ID, ch.Field, err)
			}
		}
	}
	return n, nil
}

func parseChange(wabaID string, raw json.RawMessage) (Change, error) {
	var v wireValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return Change{}, err
	}
	c := Change{
		WABAID:             wabaID,
		PhoneNumberID:      v.Metadata.PhoneNumberID,
		DisplayPhoneNumber: v.Metadata.DisplayPhoneNumber,
	}
	for _, s := range v.Statuses {
		if u, ok := s.domain(); ok {
			u.User = s.recipient(v.Contacts)
			c.Statuses = append(c.Statuses, u)
		}
	}
	for _, rm := range v.Messages {
		m, err := inbound(rm)
		if err != nil {
			return Change{}, err
		}
		if ct, ok := contactOf(v.Contacts, m.User); ok {
			m.User = ct.user(m.User)
			if ct.Profile != nil {
				m.ProfileName = ct.Profile.Name
			}
		}
		m.From = m.User.Key()
		c.Messages = append(c.Messages, m)
		if ch, ok := changedUserID(rm, m); ok {
			c.UserIDChanges = append(c.UserIDChanges, ch)
		}
	}
	for _, u := range v.UserIDUpdate {
		if u.UserID.Current == "" {
			continue // nothing to apply
		}
		c.UserIDChanges = append(c.UserIDChanges, openwaba.UserIDChange{
			WaID: u.WaID, Previous: u.UserID.Previous, Current: u.UserID.Current,
			PreviousParent: u.ParentUserID.Previous, Parent: u.ParentUserID.Current, At: u.Timestamp.Time,
		})
	}
	for _, p := range v.Preferences {
		u := openwaba.User{WaID: p.WaID, UserID: p.UserID}
		if u.Zero() {
			continue // nobody to apply it to
		}
		c.Preferences = append(c.Preferences, UserPreference{User: u, Category: p.Category, Value: p.Value, Detail: p.Detail, At: p.Timestamp.Time})
	}
	for _, e := range v.Errors {
		c.Errors = append(c.Errors, WebhookError{Code: e.Code, Title: e.Title, Message: e.Message, Details: e.ErrorData.Details, Href: e.Href})
	}
	return c, nil
}

// domain maps a status report. Each of WhatsApp's statuses is one of
// ours: sent, delivered, read, played (a voice message was listened to),
// failed, and held_for_quality_assessment and paused (template pacing).
// Statuses we do not know are skipped rather than failing the whole batch,
// which Meta would then redeliver for days.
func (s wireStatus) domain() (openwaba.StatusUpdate, bool) {
	var st openwaba.Status
	switch s.Status {
	case "sent":
		st = openwaba.StatusSent
	case "delivered":
		st = openwaba.StatusDelivered
	case "read":
		st = openwaba.StatusRead
	case "played":
		st = openwaba.StatusPlayed
	case "failed":
		st = openwaba.StatusFailed
	case "held_for_quality_assessment":
		st = openwaba.StatusHeld
	case "paused":
		st = openwaba.StatusPaused
	default:
		return openwaba.StatusUpdate{}, false
	}
	u := openwaba.StatusUpdate{
		WAMID:        s.ID,
		Status:       st,
		At:           s.Timestamp.Time,
		Recipient:    s.RecipientID,
		CallbackData: s.CallbackData,
	}
	if len(s.Errors) > 0 {
		e := s.Errors[0]
		u.ErrorCode = e.Code
		u.ErrorText = errorText(e)
	}
	u.Pricing = s.Pricing.domain()
	return u, true
}

// domain maps a pricing object. Some client libraries call billable
// deprecated; when it is missing, type tells: only regular is charged.
func (p *wirePricing) domain() *openwaba.Pricing {
	if p == nil || (p.Type == "" && p.Category == "" && p.Billable == nil) {
		return nil
	}
	out := &openwaba.Pricing{Model: p.PricingModel, Type: p.Type, Category: p.Category}
	if p.Billable != nil {
		out.Billable = *p.Billable
	} else {
		out.Billable = p.Type == openwaba.PricingRegular
	}
	return out
}

// errorText is "title: details", or the message when there is no title.
func errorText(e wireError) string {
	text := e.Title
	if text == "" {
		text = e.Message
	}
	if d := e.ErrorData.Details; d != "" && d != text {
		if text == "" {
			return d
		}
		text += ": " + d
	}
	return text
}

func inbound(raw json.RawMessage) (openwaba.InboundMessage, error) {
	var w wireInbound
	if err := json.Unmarshal(raw, &w); err != nil {
		return openwaba.InboundMessage{}, err
	}
	var payload bytes.Buffer
	if err := json.Compact(&payload, raw); err != nil {
		return openwaba.InboundMessage{}, err
	}
	user := openwaba.User{WaID: w.From, UserID: w.FromUserID, ParentUserID: w.FromParentUserID}
	return openwaba.InboundMessage{
		From:    user.Key(),
		User:    user,
		WAMID:   w.ID,
		Type:    w.Type,
		Text:    w.text(),
		Payload: payload.Bytes(),
		SentAt:  w.Timestamp.Time,
		Media:   w.media(),
	}, nil
}

// media is the file an inbound message carries, when it is of a media
// type and names a media id to download it with (a message without id
// is kept and reported without file).
func (w wireInbound) media() *openwaba.MediaRef {
	var c *captioned
	switch w.Type {
	case "image":
		c = w.Image
	case "video":
		c = w.Video
	case "audio":
		c = w.Audio
	case "document":
		c = w.Document
	case "sticker":
		c = w.Sticker
	}
	if c == nil || c.ID == "" {
		return nil
	}
	return &openwaba.MediaRef{Type: w.Type, ID: c.ID, MIMEType: c.MIMEType, SHA256: c.SHA256,
		Filename: c.Filename, Caption: c.Caption, Voice: c.Voice, Animated: c.Animated}
}

// text is the human-readable text of an inbound message, if it has one.
func (w wireInbound) text() string {
	switch {
	case w.Text != nil:
		return w.Text.Body
	case w.Image != nil:
		return w.Image.Caption
	case w.Video != nil:
		return w.Video.Caption
	case w.Document != nil:
		return w.Document.Caption
	case w.Button != nil:
		return w.Button.Text
	case w.Interactive != nil:
		switch i := w.Interactive; {
		case i.ButtonReply != nil:
			return i.ButtonReply.Title
		case i.ListReply != nil:
			return i.ListReply.Title
		case i.NFMReply != nil:
			return i.NFMReply.Body
		}
	case w.Reaction != nil:
		return w.Reaction.Emoji
	case w.Order != nil:
		return w.Order.Text
	case w.System != nil:
		return w.System.Body
	}
	return ""
}

// contactOf finds the contact of the user a message or status names: by
// BSUID, else parent BSUID, else number. A notification with one contact
// and one message has it for that message even if Meta left the ids out
// of the message (system messages have no contact at all).
func contactOf(cs []wireContact, u openwaba.User) (wireContact, bool) {
	for _, match := range []func(wireContact) bool{
		func(c wireContact) bool { return u.UserID != "" && c.UserID == u.UserID },
		func(c wireContact) bool { return u.ParentUserID != "" && c.ParentUserID == u.ParentUserID },
		func(c wireContact) bool { return u.WaID != "" && c.WaID == u.WaID },
	} {
		for _, c := range cs {
			if match(c) {
				return c, true
			}
		}
	}
	if len(cs) == 1 && u.Zero() {
		return cs[0], true
	}
	return wireContact{}, false
}

// user completes u with what the contact says: its ids where u has none,
// and the username.
func (c wireContact) user(u openwaba.User) openwaba.User {
	if u.WaID == "" {
		u.WaID = c.WaID
	}
	if u.UserID == "" {
		u.UserID = c.UserID
	}
	if u.ParentUserID == "" {
		u.ParentUserID = c.ParentUserID
	}
	if c.Profile != nil && c.Profile.Username != "" {
		u.Username = c.Profile.Username
	}
	return u
}

// recipient is who a status report names: recipient_id (the number, when
// Meta shares it), recipient_user_id, recipient_parent_user_id, completed
// from the notification's contacts (delivered and read reports carry the
// username there; failed ones have no contacts).
func (s wireStatus) recipient(cs []wireContact) openwaba.User {
	u := openwaba.User{WaID: s.RecipientID, UserID: s.RecipientUserID, ParentUserID: s.RecipientParentUserID}
	if openwaba.IsBSUID(u.WaID) {
		// Sent to a BSUID, Meta may echo it as the recipient.
		if u.UserID == "" {
			u.UserID = u.WaID
		}
		u.WaID = ""
	}
	if u.Zero() {
		return u
	}
	if c, ok := contactOf(cs, u); ok {
		u = c.user(u)
	}
	return u
}

// changedUserID reads a system message of type user_changed_user_id: the
// user who wrote (from_user_id) is known by system.user_id from now on.
func changedUserID(raw json.RawMessage, m openwaba.InboundMessage) (openwaba.UserIDChange, bool) {
	var w wireInbound
	if json.Unmarshal(raw, &w) != nil || w.System == nil || w.System.Type != "user_changed_user_id" {
		return openwaba.UserIDChange{}, false
	}
	if !openwaba.IsBSUID(w.System.UserID) || w.System.UserID == m.User.UserID {
		return openwaba.UserIDChange{}, false
	}
	return openwaba.UserIDChange{WaID: m.User.WaID, Previous: m.User.UserID, Current: w.System.UserID, At: m.SentAt}, true
}

// idChange reads {"previous": …, "current": …}, or a bare string (the
// current id).
type idChange struct{ Previous, Current string }

func (c *idChange) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		c.Current = s
		return nil
	}
	var o struct {
		Previous string `json:"previous"`
		Current  string `json:"current"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	c.Previous, c.Current = o.Previous, o.Current
	return nil
}
