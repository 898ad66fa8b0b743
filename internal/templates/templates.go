// Package templates checks the parameters of a template send against the
// registered template and renders the text the recipient will see.
package templates

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/openwaba/openwaba"
)

// Error is a mismatch between a send and its template. Field names the
// request field (components.body, components.header, ...).
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Values are the placeholder values a send supplies, per component.
type Values struct {
	Header  []openwaba.TemplateParam
	Body    []openwaba.TemplateParam
	Buttons []ButtonValue
}

// ButtonValue supplies the parameters of one dynamic button. Index is -1
// when the request did not say which button: the values then go to the
// template's dynamic buttons in order.
type ButtonValue struct {
	SubType    string
	Index      int
	Parameters []openwaba.TemplateParam
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// Placeholders returns the distinct placeholder names of text in order of
// first appearance: ["1","2"] or ["first_name"].
func Placeholders(text string) []string {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// Prepare checks v against t and returns the send with typed parameters and
// the rendered text.
func Prepare(t openwaba.Template, v Values) (*openwaba.TemplateSend, error) {
	id := fmt.Sprintf("%s (%s)", t.Name, t.Language)
	if !t.Sendable() {
		return nil, errorf("template", "%s", t.NotSendable())
	}
	named := strings.EqualFold(t.ParameterFormat, "NAMED")
	send := &openwaba.TemplateSend{Name: t.Name, Language: t.Language, Named: named}

	if err := prepareHeader(t, id, v.Header, named, send); err != nil {
		return nil, err
	}
	body, _ := t.Component("BODY")
	params, rendered, err := fill("components.body", id, body.Text, v.Body, named)
	if err != nil {
		return nil, err
	}
	send.Body, send.Rendered.Body = params, rendered
	if footer, ok := t.Component("FOOTER"); ok {
		send.Rendered.Footer = footer.Text
	}
	if err := prepareButtons(t, id, v.Buttons, send); err != nil {
		return nil, err
	}
	return send, nil
}

func prepareHeader(t openwaba.Template, id string, values []openwaba.TemplateParam, named bool, send *openwaba.TemplateSend) error {
	header, ok := t.Component("HEADER")
	if !ok {
		if len(values) > 0 {
			return errorf("components.header", "template %s has no header, got %d values", id, len(values))
		}
		return nil
	}
	format := strings.ToUpper(header.Format)
	if format == "" {
		format = "TEXT"
	}
	send.HeaderFormat = format
	switch format {
	case "TEXT":
		params, rendered, err := fill("components.header", id, header.Text, values, named)
		if err != nil {
			return err
		}
		send.Header, send.Rendered.Header = params, rendered
	case "IMAGE", "VIDEO", "DOCUMENT":
		kind := strings.ToLower(format)
		if len(values) != 1 {
			return errorf("components.header", "template %s has a %s header that needs 1 URL, got %d values", id, kind, len(values))
		}
		if f := values[0].FileID; f != 0 {
			// A stored file: the API checks it is the account's and fits
			// WhatsApp's limits (the account is not known here).
			send.Header = []openwaba.TemplateParam{{Type: kind, FileID: f}}
			send.Rendered.Header = "media_id:" + strconv.FormatInt(f, 10)
			break
		}
		link := values[0].Text
		if !isHTTPURL(link) {
			return errorf("components.header", "the %s header of template %s needs an http(s) URL or a media_id, got %q", kind, id, link)
		}
		send.Header = []openwaba.TemplateParam{{Type: kind, Text: link}}
		send.Rendered.Header = link
	case "LOCATION":
		if len(values) != 1 || values[0].Location == nil {
			return errorf("components.header", "template %s has a location header that needs 1 location with latitude and longitude, got %d values", id, countLocations(values))
		}
		l := *values[0].Location
		if l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 {
			return errorf("components.header", "the location header of template %s needs latitude -90..90 and longitude -180..180, got %v, %v", id, l.Latitude, l.Longitude)
		}
		send.Header = []openwaba.TemplateParam{{Type: "location", Location: &l}}
		send.Rendered.Header = renderLocation(l)
	default:
		if len(values) > 0 {
			return errorf("components.header", "template %s has a %s header, which takes no values here", id, strings.ToLower(format))
		}
	}
	return nil
}

// fill checks that values supply exactly the placeholders of text and
// returns the typed parameters (in placeholder order) and the rendered text.
func fill(field, id, text string, values []openwaba.TemplateParam, named bool) ([]openwaba.TemplateParam, string, error) {
	names := Placeholders(text)
	if len(values) != len(names) {
		return nil, "", errorf(field, "template %s has %d placeholders, got %d values", id, len(names), len(values))
	}
	byName := make(map[string]string, len(names))
	params := make([]openwaba.TemplateParam, len(names))
	for i, name := range names {
		v := values[i]
		if named && v.Name != "" {
			j := slices.IndexFunc(values, func(p openwaba.TemplateParam) bool { return p.Name == name })
			if j < 0 {
				return nil, "", errorf(field, "template %s needs a value for {{%s}}", id, name)
			}
			v = values[j]
		}
		if v.Text == "" {
			return nil, "", errorf(field, "value %d (for {{%s}}) of template %s must not be empty", i+1, name, id)
		}
		byName[name] = v.Text
		p := openwaba.TemplateParam{Type: "text", Text: v.Text}
		if named {
			p.Name = name
		}
		params[i] = p
	}
	rendered := placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		return byName[name]
	})
	return params, rendered, nil
}

// dynamicParams is how many parameters a registered button takes.
func dynamicParams(b openwaba.TemplateButtonDef) int {
	switch strings.ToUpper(b.Type) {
	case "URL":
		return len(Placeholders(b.URL))
	case "COPY_CODE":
		return 1
	}
	return 0
}

func prepareButtons(t openwaba.Template, id string, values []ButtonValue, send *openwaba.TemplateSend) error {
	comp, _ := t.Component("BUTTONS")
	defs := comp.Buttons
	given := make(map[int]ButtonValue, len(values))
	nextDynamic := 0
	for i, v := range values {
		field := fmt.Sprintf("components.buttons[%d]", i)
		idx := v.Index
		if idx < 0 {
			for nextDynamic < len(defs) && dynamicParams(defs[nextDynamic]) == 0 {
				nextDynamic++
			}
			idx = nextDynamic
			nextDynamic++
		}
		if idx >= len(defs) {
			return errorf(field, "template %s has %d buttons that take parameters, got %d", id, countDynamic(defs), len(values))
		}
		if _, dup := given[idx]; dup {
			return errorf(field, "button %d of template %s is given twice", idx, id)
		}
		def := defs[idx]
		want := strings.ToLower(def.Type)
		if v.SubType != "" && !strings.EqualFold(v.SubType, want) {
			return errorf(field, "button %d of template %s is of sub_type %s, got %s", idx, id, want, v.SubType)
		}
		if n := dynamicParams(def); n > 0 && len(v.Parameters) != n {
			return errorf(field, "button %d (%s) of template %s needs %d parameters, got %d", idx, want, id, n, len(v.Parameters))
		}
		given[idx] = v
	}
	for idx, def := range defs {
		v, ok := given[idx]
		if !ok && dynamicParams(def) > 0 {
			return errorf("components.buttons", "button %d (%s) of template %s needs %d parameters, got none", idx, strings.ToLower(def.Type), id, dynamicParams(def))
		}
		rb := openwaba.RenderedButton{Type: strings.ToLower(def.Type), Text: def.Text, Phone: def.PhoneNumber}
		if strings.EqualFold(def.Type, "URL") {
			rb.URL = def.URL
		}
		if ok {
			params := make([]openwaba.TemplateParam, len(v.Parameters))
			for i, p := range v.Parameters {
				typ := p.Type
				if typ == "" {
					typ = "text"
					if strings.EqualFold(def.Type, "QUICK_REPLY") {
						typ = "payload"
					}
				}
				params[i] = openwaba.TemplateParam{Type: typ, Text: p.Text, Payload: p.Payload}
				if typ == "payload" && params[i].Payload == "" {
					params[i].Payload, params[i].Text = p.Text, ""
				}
				if typ == "text" && p.Text == "" {
					return errorf(fmt.Sprintf("components.buttons[%d].parameters[%d].text", idx, i), "must not be empty")
				}
			}
			if rb.URL != "" && len(params) > 0 {
				rb.URL = placeholderRE.ReplaceAllLiteralString(rb.URL, params[0].Text)
			}
			send.Buttons = append(send.Buttons, openwaba.TemplateButton{SubType: strings.ToLower(def.Type), Index: idx, Parameters: params})
		}
		send.Rendered.Buttons = append(send.Rendered.Buttons, rb)
	}
	return nil
}

func countDynamic(defs []openwaba.TemplateButtonDef) int {
	n := 0
	for _, d := range defs {
		if dynamicParams(d) > 0 {
			n++
		}
	}
	return n
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// ParseIndex reads a button index given as "0" or 0.
func ParseIndex(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= 9
}

func countLocations(values []openwaba.TemplateParam) int {
	n := 0
	for _, v := range values {
		if v.Location != nil {
			n++
		}
	}
	return n
}

// renderLocation shows a location header as the user's app labels it:
// name and address when given, else the coordinates.
func renderLocation(l openwaba.Location) string {
	var parts []string
	for _, s := range []string{l.Name, l.Address} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%g, %g", l.Latitude, l.Longitude)
	}
	return strings.Join(parts, ", ")
}
