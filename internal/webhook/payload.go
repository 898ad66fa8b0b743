package webhook

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/openwaba/openwaba"
)

// TimeLayout is how webhooks write times, as seven does (in UTC).
const TimeLayout = "2006-01-02 15:04:05"

// Envelope is seven's webhook body.
type Envelope struct {
	Event     openwaba.HookEvent `json:"webhook_event"`
	Timestamp string             `json:"webhook_timestamp"`
	Data      json.RawMessage    `json:"data"`
}

// StatusReport is the data of a dlr or wa_status event.
type StatusReport struct {
	MsgID      string  `json:"msg_id"`
	Status     string  `json:"status"`    // seven's report value (dlr), or the WhatsApp status (wa_status)
	WAStatus   string  `json:"wa_status"` // the WhatsApp status
	StatusTime string  `json:"status_time"`
	ForeignID  *string `json:"foreign_id"`
	Label      *string `json:"label"`
	Sender     string  `json:"sender"`
	Recipient  string  `json:"recipient"` // the number or BSUID the message was sent to
	UserID     *string `json:"user_id"`   // the recipient's BSUID, once WhatsApp reported it
	Username   *string `json:"username"`  // the recipient's username, if they have one
	WAMID      *string `json:"wamid"`
	Channel    string  `json:"channel"`
	Price      float64 `json:"price"` // charged at accept
	// Billable, PricingCategory and PricingType are the pricing object of
	// WhatsApp's status reports; SettledPrice what the message costs once
	// they reported it (or it was refunded). All null until then.
	Billable        *bool    `json:"billable"`
	PricingCategory *string  `json:"pricing_category"`
	PricingType     *string  `json:"pricing_type"`
	SettledPrice    *float64 `json:"settled_price"`
	ErrorCode       *int     `json:"error_code"`
	ErrorText       *string  `json:"error_text"`
}

// InboundReport is the data of a wa_mo event.
type InboundReport struct {
	ID          string          `json:"id"`
	WAMID       string          `json:"wamid"`
	Sender      string          `json:"sender"`    // the WhatsApp user who wrote: their number, or their BSUID when WhatsApp withholds it
	Recipient   string          `json:"recipient"` // our number they wrote to
	UserID      *string         `json:"user_id"`   // the user's BSUID
	Username    *string         `json:"username"`  // the user's username, if they have one
	Time        string          `json:"time"`
	Type        string          `json:"type"`
	Text        *string         `json:"text"`
	ProfileName *string         `json:"profile_name"`
	Content     json.RawMessage `json:"content"` // the message object as WhatsApp sent it
	// Media is the file of an image, video, audio, document or sticker
	// (null for other types), and MediaURL where to fetch it without a
	// key, until it expires (null when the download failed: media.error
	// says why).
	Media    *MediaReport `json:"media,omitempty"`
	MediaURL *string      `json:"media_url,omitempty"`
}

// MediaReport is the media object of a wa_mo event.
type MediaReport struct {
	ID       *string `json:"id"` // the file's id at GET /api/waba/media/{id}
	Type     string  `json:"type"`
	MIMEType string  `json:"mime_type"`
	Size     *int64  `json:"size"`
	SHA256   *string `json:"sha256"` // hex
	Filename *string `json:"filename"`
	Caption  *string `json:"caption"`
	Voice    bool    `json:"voice,omitempty"`
	Animated bool    `json:"animated,omitempty"`
	Error    *string `json:"error"`
}

// Inbound is what the wa_mo event (and the API's inbound listing) says of
// an inbound message.
func Inbound(m openwaba.InboundMessage) InboundReport {
	content := json.RawMessage(m.Payload)
	if !json.Valid(content) {
		content = json.RawMessage("null")
	}
	at := m.Time()
	return InboundReport{
		ID: strconv.FormatInt(m.ID, 10), WAMID: m.WAMID, Sender: m.From, Recipient: m.Sender,
		UserID: nullable(m.User.UserID), Username: nullable(m.User.Username),
		Time: at.UTC().Format(TimeLayout), Type: m.Type, Text: nullable(m.Text), ProfileName: nullable(m.ProfileName),
		Content: content,
	}
}

// ClickReport is the data of a tracking event, in seven's fields.
type ClickReport struct {
	FinalURL    string  `json:"final_url"`
	SMSID       string  `json:"sms_id"`
	SMSLabel    *string `json:"sms_label"`
	TotalClicks int     `json:"total_clicks"`
	TotalViews  int     `json:"total_views"`
	TrackingURL string  `json:"tracking_url"`
	Type        string  `json:"type"` // click (a person) or view (a link preview)
	Time        string  `json:"time"`
	UserAgent   string  `json:"user_agent"`
}

// NumberQualityReport is the data of a number_quality event: what Meta
// reported about one of the account's numbers, and what it means for its
// marketing templates.
type NumberQualityReport struct {
	Sender          string              `json:"sender"`
	WABAID          string              `json:"waba_id"`
	Field           string              `json:"field"` // phone_number_quality_update or account_update
	Event           string              `json:"event"` // Meta's: FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE, ACCOUNT_RESTRICTION, ...
	Quality         *string             `json:"quality"`
	PreviousQuality *string             `json:"previous_quality"`
	MessagingLimit  *string             `json:"messaging_limit"`
	Restrictions    []RestrictionReport `json:"restrictions"`
	BanState        *string             `json:"ban_state"`
	Violation       *string             `json:"violation"`
	// Marketing is what the gateway does now with marketing templates from
	// the number: send, held (retried later) or failed.
	Marketing string `json:"marketing"`
	Time      string `json:"time"`
}

// RestrictionReport is a restriction in a number_quality event.
type RestrictionReport struct {
	Type    string  `json:"type"`
	Expires *string `json:"expires"` // UTC, YYYY-MM-DD hh:mm:ss; null: until Meta lifts it
}

// TemplateStatusReport is the data of a template_status event.
type TemplateStatusReport struct {
	Template         string  `json:"template"`
	Language         string  `json:"language"`
	TemplateID       *string `json:"template_id"`
	Field            string  `json:"field"` // message_template_status_update, template_category_update or message_template_quality_update
	Event            *string `json:"event"` // the status event of Meta
	Status           *string `json:"status"`
	PreviousStatus   *string `json:"previous_status"`
	Category         *string `json:"category"`
	PreviousCategory *string `json:"previous_category"`
	// NextCategory and CategoryTime: Meta announced that the template
	// will be re-categorised, and when.
	NextCategory    *string `json:"next_category"`
	CategoryTime    *string `json:"category_time"`
	Quality         *string `json:"quality"`
	PreviousQuality *string `json:"previous_quality"`
	Reason          *string `json:"reason"`
	// Sendable says whether the gateway accepts messages with the
	// template now.
	Sendable bool   `json:"sendable"`
	Time     string `json:"time"`
}

func numberQualityReport(c openwaba.HealthChange) NumberQualityReport {
	r := NumberQualityReport{
		Sender: c.Number, WABAID: c.WABAID, Field: c.Field, Event: c.Event,
		Quality: nullable(c.After.Quality), MessagingLimit: nullable(c.After.MessagingLimit),
		BanState: nullable(c.After.BanState), Violation: nullable(c.Violation), Restrictions: []RestrictionReport{},
		Marketing: c.After.Marketing(c.At), Time: c.At.UTC().Format(TimeLayout),
	}
	if c.Before.Quality != c.After.Quality {
		r.PreviousQuality = nullable(c.Before.Quality)
	}
	for _, x := range c.After.Restrictions {
		rr := RestrictionReport{Type: x.Type}
		if !x.Expires.IsZero() {
			rr.Expires = nullable(x.Expires.UTC().Format(TimeLayout))
		}
		r.Restrictions = append(r.Restrictions, rr)
	}
	return r
}

// ConsentReport is the data of an opt_out or opt_in event: a user went on
// or off the account's suppression list.
type ConsentReport struct {
	Sender      *string  `json:"sender"`       // our number it came through; null when made by the API
	User        string   `json:"user"`         // the user's key: their number, else their BSUID
	PhoneNumber *string  `json:"phone_number"` // when known
	UserID      *string  `json:"user_id"`      // the BSUID, when known
	Reason      string   `json:"reason"`       // keyword, stop_promotions, meta_131050, user_preferences, api
	Note        *string  `json:"note"`         // the keyword, Meta's error text, the API's note
	Time        string   `json:"time"`
	Cancelled   []string `json:"cancelled"` // the queued marketing messages an opt-out cancelled and refunded
}

func consentReport(c openwaba.ConsentEvent) ConsentReport {
	r := ConsentReport{
		Sender: nullable(c.Sender), User: c.User.Key(), PhoneNumber: nullable(c.User.WaID), UserID: nullable(c.User.UserID),
		Reason: c.Reason, Note: nullable(c.Note), Time: c.At.UTC().Format(TimeLayout), Cancelled: []string{},
	}
	for _, id := range c.Cancelled {
		r.Cancelled = append(r.Cancelled, strconv.FormatInt(id, 10))
	}
	return r
}

func templateStatusReport(c openwaba.TemplateChange) TemplateStatusReport {
	a, b, rep := c.After, c.Before, c.Report
	r := TemplateStatusReport{
		Template: a.Name, Language: a.Language, TemplateID: nullable(a.ID), Field: rep.Field, Event: nullable(rep.Event),
		Status: nullable(a.Status), Category: nullable(a.Category), Quality: nullable(a.Quality), Reason: nullable(a.Reason),
		Sendable: openwaba.Template{Status: a.Status}.Sendable(), Time: rep.At.UTC().Format(TimeLayout),
	}
	if c.Known && b.Status != a.Status {
		r.PreviousStatus = nullable(b.Status)
	}
	switch {
	case rep.PreviousCategory != "":
		r.PreviousCategory = nullable(rep.PreviousCategory)
	case c.Known && b.Category != a.Category:
		r.PreviousCategory = nullable(b.Category)
	}
	if rep.CorrectCategory != "" {
		r.NextCategory = nullable(rep.CorrectCategory)
		if !rep.CategoryAt.IsZero() {
			r.CategoryTime = nullable(rep.CategoryAt.UTC().Format(TimeLayout))
		}
	}
	switch {
	case rep.PreviousQuality != "":
		r.PreviousQuality = nullable(rep.PreviousQuality)
	case c.Known && b.Quality != a.Quality:
		r.PreviousQuality = nullable(b.Quality)
	}
	return r
}

// DLRStatus maps a WhatsApp status to seven's status report value. A
// failed message that WhatsApp never took (refused when sent: no wamid) is
// REJECTED; one that WhatsApp took and could not deliver is NOTDELIVERED,
// and so is one WhatsApp paused (template pacing: it took the message,
// then dropped it). A message held for quality assessment is BUFFERED:
// the network keeps it to deliver later, as an SMC buffers an SMS.
func DLRStatus(st openwaba.Status, hadWAMID bool) string {
	switch st {
	case openwaba.StatusSent:
		return "TRANSMITTED"
	case openwaba.StatusHeld:
		return "BUFFERED"
	case openwaba.StatusDelivered, openwaba.StatusRead, openwaba.StatusPlayed:
		return "DELIVERED"
	case openwaba.StatusExpired:
		return "EXPIRED"
	case openwaba.StatusPaused:
		return "NOTDELIVERED"
	case openwaba.StatusFailed:
		if hadWAMID {
			return "NOTDELIVERED"
		}
		return "REJECTED"
	case openwaba.StatusQueued, openwaba.StatusScheduled, openwaba.StatusAccepted:
		return "ACCEPTED"
	}
	return "FAILED"
}

// DLRStatuses are the statuses DLRStatus maps to dlr (with or without a
// wamid): what a filter by seven's status report value selects. An
// unknown value selects none.
func DLRStatuses(dlr string) []openwaba.Status {
	var out []openwaba.Status
	for _, st := range openwaba.Statuses() {
		if DLRStatus(st, true) == dlr || DLRStatus(st, false) == dlr {
			out = append(out, st)
		}
	}
	return out
}

// body renders a delivery's envelope from the facts in the store.
func (d *Deliverer) body(ctx context.Context, del openwaba.Delivery) (Envelope, error) {
	env := Envelope{Event: del.Event, Timestamp: del.CreatedAt.UTC().Format(TimeLayout)}
	var data any
	switch del.Event {
	case openwaba.HookDLR, openwaba.HookWAStatus:
		m, err := d.message(ctx, del)
		if err != nil {
			return env, fmt.Errorf("message %d: %w", del.MessageID, err)
		}
		r := StatusReport{
			MsgID: strconv.FormatInt(m.ID, 10), Status: string(del.Status), WAStatus: string(del.Status),
			StatusTime: del.StatusAt.UTC().Format(TimeLayout), ForeignID: nullable(m.ForeignID), Label: nullable(m.Label),
			Sender: m.Sender, Recipient: m.Recipient, WAMID: nullable(m.WAMID), Channel: "WA", Price: m.Price.Float(),
			UserID: nullable(RecipientUserID(m)), Username: nullable(m.User.Username),
		}
		r.Billable, r.PricingCategory, r.PricingType, r.SettledPrice = Settlement(m)
		if del.Event == openwaba.HookDLR {
			r.Status = DLRStatus(del.Status, m.WAMID != "")
		}
		if del.Status == openwaba.StatusFailed || del.Status == openwaba.StatusExpired || del.Status == openwaba.StatusPaused {
			r.ErrorCode, r.ErrorText = nonZero(del.ErrorCode), nullable(del.ErrorText)
		}
		data = r
	case openwaba.HookWAMO:
		m, err := d.cfg.Store.InboundByID(ctx, del.Hook.AccountID, del.InboundID)
		if err != nil {
			return env, fmt.Errorf("inbound message %d: %w", del.InboundID, err)
		}
		r := Inbound(m)
		if m.Media != nil {
			if r.Media, r.MediaURL, err = d.mediaReport(ctx, m); err != nil {
				return env, err
			}
		}
		data = r
	case openwaba.HookNumberQuality:
		var c openwaba.HealthChange
		if err := json.Unmarshal(del.Data, &c); err != nil {
			return env, fmt.Errorf("number_quality event: %w", err)
		}
		data = numberQualityReport(c)
	case openwaba.HookOptOut, openwaba.HookOptIn:
		var c openwaba.ConsentEvent
		if err := json.Unmarshal(del.Data, &c); err != nil {
			return env, fmt.Errorf("%s event: %w", del.Event, err)
		}
		data = consentReport(c)
	case openwaba.HookTemplateStatus:
		var c openwaba.TemplateChange
		if err := json.Unmarshal(del.Data, &c); err != nil {
			return env, fmt.Errorf("template_status event: %w", err)
		}
		data = templateStatusReport(c)
	case openwaba.HookTracking:
		if del.ClickID == 0 {
			break // an event of EnqueueEvent: its data is given
		}
		c, err := d.cfg.Store.ClickByID(ctx, del.Hook.AccountID, del.ClickID)
		if err != nil {
			return env, fmt.Errorf("click %d: %w", del.ClickID, err)
		}
		typ := "click"
		if c.Bot {
			typ = "view"
		}
		data = ClickReport{
			FinalURL: c.Link.URL, SMSID: strconv.FormatInt(c.Link.MessageID, 10), SMSLabel: nullable(c.Label),
			TotalClicks: c.Link.Clicks, TotalViews: c.Link.Views, TrackingURL: d.cfg.LinkURL(c.Link.Code), Type: typ,
			Time: c.At.UTC().Format(TimeLayout), UserAgent: c.UserAgent,
		}
	}
	if data == nil {
		if !json.Valid(del.Data) {
			return env, fmt.Errorf("%s event without valid data", del.Event)
		}
		env.Data = del.Data
		return env, nil
	}
	raw, err := json.Marshal(data)
	env.Data = raw
	return env, err
}

// message is the message a status delivery reports: as its claim read it
// (openwaba.Delivery.Message: the store sets only the delivery's own
// message of the hook's account), else from the store.
func (d *Deliverer) message(ctx context.Context, del openwaba.Delivery) (openwaba.Message, error) {
	if del.Message != nil {
		return *del.Message, nil
	}
	return d.cfg.Store.Message(ctx, del.Hook.AccountID, del.MessageID)
}

// Settlement is what WhatsApp reported of a message's price (billable,
// category, type: nil until a report did) and what it costs once settled
// (nil until then).
func Settlement(m openwaba.Message) (billable *bool, category, typ *string, settled *float64) {
	if p := m.Pricing; p != nil {
		b := p.Billable
		billable, category, typ = &b, nullable(p.Category), nullable(p.Type)
	}
	if m.Settled {
		f := m.Charge.Float()
		settled = &f
	}
	return billable, category, typ, settled
}

// RecipientUserID is the BSUID of a message's recipient: as WhatsApp's
// status reports gave it, or the BSUID the message was sent to.
func RecipientUserID(m openwaba.Message) string {
	if m.User.UserID != "" {
		return m.User.UserID
	}
	if openwaba.IsBSUID(m.Recipient) && !openwaba.IsParentBSUID(m.Recipient) {
		return m.Recipient
	}
	return ""
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// mediaReport describes the file of an inbound message, and signs its URL
// anew at each attempt. A file deleted since (DELETE, retention) is
// reported with media.error and no URL.
func (d *Deliverer) mediaReport(ctx context.Context, m openwaba.InboundMessage) (*MediaReport, *string, error) {
	ref := m.Media
	r := &MediaReport{Type: ref.Type, MIMEType: ref.MIMEType, Filename: nullable(ref.Filename), Caption: nullable(ref.Caption),
		Voice: ref.Voice, Animated: ref.Animated}
	if m.MediaFileID == 0 {
		errText := m.MediaError
		if errText == "" {
			errText = "not downloaded"
		}
		r.Error = &errText
		return r, nil, nil
	}
	f, err := d.cfg.Store.Media(ctx, m.AccountID, m.MediaFileID)
	if errors.Is(err, openwaba.ErrNotFound) || (err == nil && f.Expired(d.now())) {
		gone := "deleted"
		r.Error = &gone
		return r, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("media file %d: %w", m.MediaFileID, err)
	}
	id, sum := strconv.FormatInt(f.ID, 10), hex.EncodeToString(f.SHA256)
	r.ID, r.MIMEType, r.Size, r.SHA256 = &id, f.MIMEType, &f.Size, &sum
	if d.cfg.MediaURL == nil {
		return r, nil, nil
	}
	u, err := d.cfg.MediaURL(ctx, m.AccountID, f.ID, d.now())
	if err != nil {
		return nil, nil, fmt.Errorf("media URL of file %d: %w", f.ID, err)
	}
	return r, &u, nil
}
