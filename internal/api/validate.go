package api

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
	"github.com/openwaba/openwaba/internal/templates"
)

// fieldError is a bad request: Field names the request field, Msg the rule
// it broke. It becomes HTTP 400 {"error_code":400,"error_message":"field: msg"}.
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Msg }

func badField(field, format string, args ...any) *fieldError {
	return &fieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Limits of Meta's Cloud API (shared/spec/meta-cloud-api-notes.md §6) and
// seven's API.
const (
	maxText           = 4096
	maxCaption        = 1024
	maxInteractive    = 1024
	maxHeaderFooter   = 60
	maxButtonTitle    = 20
	maxButtonID       = 256
	maxListButton     = 20
	maxSections       = 10
	maxRows           = 10
	maxRowID          = 200
	maxRowTitle       = 24
	maxRowDescription = 72
	maxSectionTitle   = 24
	maxContacts       = 5
	maxLabel          = 100
	maxForeignID      = 64
	maxRecipients     = 1000
	// MaxTTL is the longest validity accepted: 30 days, the time WhatsApp
	// itself keeps trying to deliver a message before dropping it.
	maxTTLMinutes = 30 * 24 * 60
)

// sevenChars are the characters seven allows in label and foreign_id.
var sevenChars = regexp.MustCompile(`^[a-zA-Z0-9.\-_@]*$`)

// sendPlan is a validated send request, before account lookups.
type sendPlan struct {
	from        string
	recipients  []string
	content     openwaba.Content
	template    *templateRef // set for type template
	label       string
	foreignID   string
	ttl         time.Duration
	scheduledAt time.Time // zero: send now
	tracking    bool
	debug       bool
}

type templateRef struct {
	name, language string
	values         templates.Values
}

// validate checks everything that can be checked without the store. loc
// is the account's time zone, in which a delay date without a zone is read.
func (r *sendRequest) validate(now time.Time, loc *time.Location) (*sendPlan, error) {
	p := &sendPlan{}
	var err error
	if p.from, err = requiredPhone("from", r.From); err != nil {
		return nil, err
	}
	if p.recipients, err = recipients(r.To); err != nil {
		return nil, err
	}
	if err := r.validateOptions(p, now, loc); err != nil {
		return nil, err
	}

	typ := openwaba.MessageType(strings.ToLower(strings.TrimSpace(r.Type.Value)))
	if r.Type.Invalid {
		return nil, badField("type", "must be a string")
	}
	if typ == "" {
		typ = openwaba.TypeText
		if r.Template.Value != "" {
			typ = openwaba.TypeTemplate
		}
	}
	p.content.Type = typ
	switch {
	case typ == openwaba.TypeTemplate:
		err = r.validateTemplate(p)
	case typ == openwaba.TypeText:
		err = r.validateText(p)
	case typ.IsMedia():
		err = r.validateMedia(p)
	case typ == openwaba.TypeLocation:
		err = r.validateLocation(p)
	case typ == openwaba.TypeContacts:
		err = r.validateContacts(p)
	case typ == openwaba.TypeInteractive:
		err = r.validateInteractive(p)
	default:
		err = badField("type", "must be one of template, text, image, video, audio, document, sticker, location, contacts, interactive; got %q", r.Type.Value)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func requiredPhone(field string, v flexString) (string, error) {
	if v.Invalid {
		return "", badField(field, "must be a string")
	}
	if strings.TrimSpace(v.Value) == "" {
		return "", badField(field, "is required")
	}
	n, err := phone.Normalize(v.Value)
	if err != nil {
		return "", badField(field, "%v; got %q", err, v.Value)
	}
	return n, nil
}

func recipients(v flexString) ([]string, error) {
	if v.Invalid {
		return nil, badField("to", "must be a string of comma-separated numbers")
	}
	var out []string
	for _, part := range strings.Split(v.Value, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		n, err := userID("to", part) // a number or a BSUID (bsuid.go)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	switch {
	case len(out) == 0:
		return nil, badField("to", "is required")
	case len(out) > maxRecipients:
		return nil, badField("to", "must name at most %d recipients, got %d", maxRecipients, len(out))
	}
	return out, nil
}

func (r *sendRequest) validateOptions(p *sendPlan, now time.Time, loc *time.Location) error {
	if r.Label.Invalid || r.ForeignID.Invalid || r.Delay.Invalid {
		return badField(firstInvalid(map[string]bool{"label": r.Label.Invalid, "foreign_id": r.ForeignID.Invalid, "delay": r.Delay.Invalid}), "must be a string")
	}
	if err := sevenString("label", r.Label.Value, maxLabel); err != nil {
		return err
	}
	if err := sevenString("foreign_id", r.ForeignID.Value, maxForeignID); err != nil {
		return err
	}
	p.label, p.foreignID = r.Label.Value, r.ForeignID.Value

	p.ttl = openwaba.DefaultTTL
	if r.TTL.Invalid {
		return badField("ttl", "must be an integer number of minutes")
	}
	if r.TTL.Set {
		if r.TTL.Value < 1 || r.TTL.Value > maxTTLMinutes {
			return badField("ttl", "must be between 1 and %d minutes (30 days), got %d", maxTTLMinutes, r.TTL.Value)
		}
		p.ttl = time.Duration(r.TTL.Value) * time.Minute
	}

	if d := strings.TrimSpace(r.Delay.Value); d != "" {
		at, err := parseDelay(d, loc)
		if err != nil {
			return err
		}
		// At most one calendar year ahead: a later date is much more
		// likely a typo than a plan, and it would sit in the queue.
		if limit := now.AddDate(1, 0, 0); at.After(limit) {
			return badField("delay", "must be at most one year ahead (until %s UTC), got %s UTC",
				limit.UTC().Format(time.DateTime), at.UTC().Format(time.DateTime))
		}
		if at.After(now) {
			p.scheduledAt = at
		}
	}
	if r.PerformanceTracking.Invalid {
		return badField("performance_tracking", "must be a boolean (true, false, 1 or 0)")
	}
	if r.Debug.Invalid {
		return badField("debug", "must be a boolean (true, false, 1 or 0)")
	}
	p.tracking, p.debug = r.PerformanceTracking.Value, r.Debug.Value
	return nil
}

func firstInvalid(fields map[string]bool) string {
	for _, f := range []string{"label", "foreign_id", "delay"} {
		if fields[f] {
			return f
		}
	}
	return "body"
}

func sevenString(field, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return badField(field, "must be at most %d characters, got %d", max, utf8.RuneCountInString(v))
	}
	if !sevenChars.MatchString(v) {
		return badField(field, "may contain only a-z, A-Z, 0-9 and . - _ @")
	}
	return nil
}

// delayFormats are the date forms delay may take besides a Unix timestamp:
// seven's "YYYY-MM-DD hh:mm:ss", read in the account's time zone, and the
// same (or RFC 3339) with an explicit offset or Z, read as given.
var delayFormats = []struct {
	layout string
	zoned  bool
}{
	{time.DateTime, false},
	{"2006-01-02 15:04:05Z07:00", true},
	{time.RFC3339, true},
}

// ParseDelay reads a send's delay as the API does: a Unix timestamp, or
// a date (see delayFormats) that without an explicit offset is read in loc,
// the account's time zone (UTC when nil). The CLI checks --delay with it
// and passes the text on unchanged, so that the gateway, which knows the
// account's zone, reads it: the same text means the same time either way.
func ParseDelay(s string, loc *time.Location) (time.Time, error) {
	return parseDelay(s, loc)
}

// parseDelay is ParseDelay; its errors are the delay field's.
func parseDelay(s string, loc *time.Location) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, badField("delay", "must not be negative")
		}
		return time.Unix(n, 0), nil
	}
	zone := "the account's time zone"
	if loc == nil {
		loc = time.UTC
	} else {
		zone += ", " + loc.String()
	}
	for _, f := range delayFormats {
		var t time.Time
		var err error
		if f.zoned {
			t, err = time.Parse(f.layout, s)
		} else {
			t, err = time.ParseInLocation(f.layout, s, loc)
		}
		if err == nil {
			return t, nil
		}
	}
	return time.Time{}, badField("delay", "must be YYYY-MM-DD hh:mm:ss (in %s), the same with an offset such as +01:00, or a Unix timestamp; got %q", zone, s)
}

// delayIsDate reports whether the delay field is a date rather than a
// Unix timestamp: only then does the account's time zone matter.
func (r *sendRequest) delayIsDate() bool {
	d := strings.TrimSpace(r.Delay.Value)
	if d == "" || r.Delay.Invalid {
		return false
	}
	_, err := strconv.ParseInt(d, 10, 64)
	return err != nil
}

func (r *sendRequest) validateText(p *sendPlan) error {
	text := r.Text.Value
	if r.Text.Invalid {
		return badField("text", "must be a string")
	}
	if strings.TrimSpace(text) == "" {
		return badField("text", "is required for a text message")
	}
	if err := maxLen("text", text, maxText); err != nil {
		return err
	}
	p.content.Text = text
	p.content.PreviewURL = strings.Contains(text, "http://") || strings.Contains(text, "https://")
	return nil
}

func (r *sendRequest) validateMedia(p *sendPlan) error {
	typ := p.content.Type
	m := &openwaba.Media{}
	switch id := strings.TrimSpace(r.MediaID.Value); {
	case r.MediaID.Invalid:
		return badField("media_id", "must be a string")
	case id != "" && r.URL.Value != "":
		return badField("media_id", "and url exclude each other: send the file by one of them")
	case id != "":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return badField("media_id", "must be the id POST /api/waba/media answered, got %q", id)
		}
		m.FileID = n // checked against the account's files when the request is sent (Server.mediaFor)
	default:
		if err := httpURL("url", r.URL.Value); err != nil {
			return err
		}
		m.URL = r.URL.Value
	}
	switch typ {
	case openwaba.TypeImage, openwaba.TypeVideo, openwaba.TypeDocument:
		if err := maxLen("caption", r.Caption.Value, maxCaption); err != nil {
			return err
		}
		m.Caption = r.Caption.Value
	default:
		if r.Caption.Value != "" {
			return badField("caption", "is not supported for %s messages", typ)
		}
	}
	if typ == openwaba.TypeDocument {
		m.Filename = r.Filename.Value
		if m.Filename == "" && m.URL != "" {
			u, _ := url.Parse(m.URL)
			m.Filename = u.Path[strings.LastIndex(u.Path, "/")+1:]
		}
		if err := maxLen("filename", m.Filename, 240); err != nil {
			return err
		}
	} else if r.Filename.Value != "" {
		return badField("filename", "is only supported for document messages")
	}
	p.content.Media = m
	return nil
}

func (r *sendRequest) validateLocation(p *sendPlan) error {
	if err := coordinates("", r.Latitude, r.Longitude); err != nil {
		return err
	}
	if err := maxLen("name", r.Name.Value, 1000); err != nil {
		return err
	}
	if err := maxLen("address", r.Address.Value, 1000); err != nil {
		return err
	}
	p.content.Location = &openwaba.Location{Latitude: r.Latitude.Value, Longitude: r.Longitude.Value, Name: r.Name.Value, Address: r.Address.Value}
	return nil
}

// coordinates checks a latitude and longitude: required, within -90..90
// and -180..180. prefix names where they are
// ("components.header[0].location.").
func coordinates(prefix string, lat, lon flexFloat) error {
	if err := coordinate(prefix+"latitude", lat, 90); err != nil {
		return err
	}
	return coordinate(prefix+"longitude", lon, 180)
}

// coordinate checks one: a finite decimal number (flexFloat refuses NaN
// and Inf) between -limit and limit.
func coordinate(field string, v flexFloat, limit float64) error {
	switch {
	case !v.Set:
		return badField(field, "is required and must be a number")
	case v.Invalid:
		return badField(field, "must be a number: a finite decimal such as 52.52 (not NaN, Inf or out of float range)")
	// Written so that a NaN, should one get here, fails too.
	case !(v.Value >= -limit && v.Value <= limit):
		return badField(field, "must be between %v and %v, got %v", -limit, limit, v.Value)
	}
	return nil
}

var phoneTypes = []string{"cell", "main", "iphone", "home", "work"}

func (r *sendRequest) validateContacts(p *sendPlan) error {
	if len(r.Contacts) == 0 {
		return badField("contacts", "is required: at least one contact with a name and a phone")
	}
	if len(r.Contacts) > maxContacts {
		return badField("contacts", "must hold at most %d contacts, got %d", maxContacts, len(r.Contacts))
	}
	for i, c := range r.Contacts {
		field := fmt.Sprintf("contacts[%d]", i)
		name := openwaba.ContactName{First: strings.TrimSpace(c.Name.FirstName.Value), Last: strings.TrimSpace(c.Name.LastName.Value), Formatted: strings.TrimSpace(c.Name.FormattedName.Value)}
		if name.First == "" && name.Formatted == "" {
			return badField(field+".name.first_name", "is required")
		}
		if name.Formatted == "" {
			name.Formatted = strings.TrimSpace(name.First + " " + name.Last)
		}
		if len(c.Phones) == 0 {
			return badField(field+".phones", "is required: at least one phone")
		}
		contact := openwaba.Contact{Name: name}
		for j, ph := range c.Phones {
			pf := fmt.Sprintf("%s.phones[%d]", field, j)
			if strings.TrimSpace(ph.Phone.Value) == "" {
				return badField(pf+".phone", "is required")
			}
			typ := strings.ToLower(strings.TrimSpace(ph.Type.Value))
			if typ != "" && !slices.Contains(phoneTypes, typ) {
				return badField(pf+".type", "must be one of cell, main, iphone, home, work; got %q", ph.Type.Value)
			}
			contact.Phones = append(contact.Phones, openwaba.ContactPhone{Phone: strings.TrimSpace(ph.Phone.Value), Type: typ})
		}
		p.content.Contacts = append(p.content.Contacts, contact)
	}
	return nil
}

func (r *sendRequest) validateInteractive(p *sendPlan) error {
	it := &openwaba.Interactive{
		Type:   strings.ToLower(strings.TrimSpace(r.InteractiveType.Value)),
		Header: r.Header.Value, Body: r.Body.Value, Footer: r.Footer.Value,
	}
	if it.Type != "button" && it.Type != "list" {
		return badField("interactive_type", "must be button or list, got %q", r.InteractiveType.Value)
	}
	if strings.TrimSpace(it.Body) == "" {
		return badField("body", "is required for interactive messages")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"body", it.Body, maxInteractive}, {"header", it.Header, maxHeaderFooter}, {"footer", it.Footer, maxHeaderFooter}} {
		if err := maxLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if it.Type == "button" {
		if err := buttons(r.Buttons, it); err != nil {
			return err
		}
	} else if err := list(r, it); err != nil {
		return err
	}
	p.content.Interactive = it
	return nil
}

func buttons(in []requestButton, it *openwaba.Interactive) error {
	if len(in) < 2 || len(in) > 3 {
		return badField("buttons", "must hold 2 to 3 buttons, got %d", len(in))
	}
	var ids, titles []string
	for i, b := range in {
		field := fmt.Sprintf("buttons[%d]", i)
		id, title := strings.TrimSpace(b.ID.Value), strings.TrimSpace(b.Title.Value)
		switch {
		case id == "":
			return badField(field+".id", "is required")
		case title == "":
			return badField(field+".title", "is required")
		case slices.Contains(ids, id):
			return badField(field+".id", "must be unique, %q is used twice", id)
		case slices.Contains(titles, title):
			return badField(field+".title", "must be unique, %q is used twice", title)
		}
		if err := maxLen(field+".id", id, maxButtonID); err != nil {
			return err
		}
		if err := maxLen(field+".title", title, maxButtonTitle); err != nil {
			return err
		}
		ids, titles = append(ids, id), append(titles, title)
		it.Buttons = append(it.Buttons, openwaba.Button{ID: id, Title: title})
	}
	return nil
}

func list(r *sendRequest, it *openwaba.Interactive) error {
	it.ButtonText = strings.TrimSpace(r.ButtonText.Value)
	if it.ButtonText == "" {
		return badField("button_text", "is required for list messages")
	}
	if err := maxLen("button_text", it.ButtonText, maxListButton); err != nil {
		return err
	}
	if len(r.Sections) == 0 || len(r.Sections) > maxSections {
		return badField("sections", "must hold 1 to %d sections, got %d", maxSections, len(r.Sections))
	}
	var ids []string
	rows := 0
	for i, s := range r.Sections {
		field := fmt.Sprintf("sections[%d]", i)
		title := strings.TrimSpace(s.Title.Value)
		if title == "" && len(r.Sections) > 1 {
			return badField(field+".title", "is required when there is more than one section")
		}
		if err := maxLen(field+".title", title, maxSectionTitle); err != nil {
			return err
		}
		if len(s.Rows) == 0 {
			return badField(field+".rows", "must hold at least one row")
		}
		sec := openwaba.Section{Title: title}
		for j, row := range s.Rows {
			rf := fmt.Sprintf("%s.rows[%d]", field, j)
			id, rt := strings.TrimSpace(row.ID.Value), strings.TrimSpace(row.Title.Value)
			switch {
			case id == "":
				return badField(rf+".id", "is required")
			case rt == "":
				return badField(rf+".title", "is required")
			case slices.Contains(ids, id):
				return badField(rf+".id", "must be unique, %q is used twice", id)
			}
			for _, f := range []struct {
				name, v string
				max     int
			}{{".id", id, maxRowID}, {".title", rt, maxRowTitle}, {".description", row.Description.Value, maxRowDescription}} {
				if err := maxLen(rf+f.name, f.v, f.max); err != nil {
					return err
				}
			}
			ids = append(ids, id)
			sec.Rows = append(sec.Rows, openwaba.Row{ID: id, Title: rt, Description: row.Description.Value})
		}
		rows += len(s.Rows)
		it.Sections = append(it.Sections, sec)
	}
	if rows > maxRows {
		return badField("sections", "must hold at most %d rows in all, got %d", maxRows, rows)
	}
	return nil
}

func (r *sendRequest) validateTemplate(p *sendPlan) error {
	name, lang := strings.TrimSpace(r.Template.Value), strings.TrimSpace(r.Language.Value)
	if name == "" {
		return badField("template", "is required for template messages")
	}
	if lang == "" {
		return badField("language", "is required for template messages")
	}
	ref := &templateRef{name: name, language: lang}
	if c := r.Components; c != nil {
		var err error
		if ref.values.Header, err = params("components.header", c.Header); err != nil {
			return err
		}
		if ref.values.Body, err = params("components.body", c.Body); err != nil {
			return err
		}
		for i, b := range c.Buttons {
			if t := strings.ToLower(b.Type.Value); t != "" && t != "button" {
				return badField(fmt.Sprintf("components.buttons[%d].type", i), "must be button, got %q", b.Type.Value)
			}
			bp, err := params(fmt.Sprintf("components.buttons[%d].parameters", i), b.Parameters)
			if err != nil {
				return err
			}
			bv := templates.ButtonValue{SubType: strings.ToLower(b.SubType.Value), Index: -1, Parameters: bp}
			if b.Index.Value != "" {
				idx, ok := templates.ParseIndex(b.Index.Value)
				if !ok {
					return badField(fmt.Sprintf("components.buttons[%d].index", i), "must be 0 to 9, got %q", b.Index.Value)
				}
				bv.Index = idx
			}
			ref.values.Buttons = append(ref.values.Buttons, bv)
		}
	}
	p.template = ref
	return nil
}

// params converts template values; field names the list, for errors.
func params(field string, in []requestParam) ([]openwaba.TemplateParam, error) {
	out := make([]openwaba.TemplateParam, len(in))
	for i, v := range in {
		loc, err := v.Location.domain(fmt.Sprintf("%s[%d].location.", field, i))
		if err != nil {
			return nil, err
		}
		out[i] = openwaba.TemplateParam{Type: v.Type, Text: v.Text, Payload: v.Payload, Name: v.ParameterName, Location: loc}
		if id := strings.TrimSpace(v.MediaID); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 {
				return nil, badField(fmt.Sprintf("%s[%d].media_id", field, i), "must be the id POST /api/waba/media answered, got %q", id)
			}
			if v.Text != "" {
				return nil, badField(fmt.Sprintf("%s[%d].media_id", field, i), "and a link exclude each other")
			}
			out[i].FileID = n
		}
	}
	return out, nil
}

// domain returns the location, or nil when there is none or latitude or
// longitude is missing: the template check then names what is missing. A
// coordinate that is given but is not a finite number in range is an
// error here (prefix names the field).
func (l *requestLocation) domain(prefix string) (*openwaba.Location, error) {
	if l == nil || !l.Latitude.Set || !l.Longitude.Set {
		return nil, nil
	}
	if err := coordinates(prefix, l.Latitude, l.Longitude); err != nil {
		return nil, err
	}
	return &openwaba.Location{Latitude: l.Latitude.Value, Longitude: l.Longitude.Value, Name: l.Name.Value, Address: l.Address.Value}, nil
}

func maxLen(field, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return badField(field, "must be at most %d characters, got %d", max, n)
	}
	return nil
}

func httpURL(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return badField(field, "is required")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badField(field, "must be an http(s) URL, got %q", v)
	}
	return nil
}
