package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// sendRequest is the body of POST /api/waba/messages, in every shape seven
// documents: one flat object whose fields depend on type.
type sendRequest struct {
	From flexString `json:"from"`
	To   flexString `json:"to"`
	Type flexString `json:"type"`

	// template
	Template   flexString         `json:"template"`
	Language   flexString         `json:"language"`
	Components *requestComponents `json:"components"`

	// text
	Text flexString `json:"text"`

	// media: url, or media_id (a file of POST /api/waba/media)
	URL      flexString `json:"url"`
	MediaID  flexString `json:"media_id"`
	Caption  flexString `json:"caption"`
	Filename flexString `json:"filename"`

	// location
	Latitude  flexFloat  `json:"latitude"`
	Longitude flexFloat  `json:"longitude"`
	Name      flexString `json:"name"`
	Address   flexString `json:"address"`

	// contacts
	Contacts []requestContact `json:"contacts"`

	// interactive
	InteractiveType flexString       `json:"interactive_type"`
	Body            flexString       `json:"body"`
	Header          flexString       `json:"header"`
	Footer          flexString       `json:"footer"`
	Buttons         []requestButton  `json:"buttons"`
	ButtonText      flexString       `json:"button_text"`
	Sections        []requestSection `json:"sections"`

	// options
	Delay               flexString `json:"delay"`
	TTL                 flexInt    `json:"ttl"`
	Label               flexString `json:"label"`
	ForeignID           flexString `json:"foreign_id"`
	PerformanceTracking flexBool   `json:"performance_tracking"`
	Debug               flexBool   `json:"debug"`
}

type requestComponents struct {
	Header  []requestParam       `json:"header"`
	Body    []requestParam       `json:"body"`
	Buttons []requestButtonParam `json:"buttons"`
}

// requestParam is a template value: a plain string, or an object as Meta
// writes it ({"type":"text","text":"..."}, {"type":"image","image":{"link":...}}).
type requestParam struct {
	Type          string
	Text          string
	Payload       string
	ParameterName string
	Location      *requestLocation
	// MediaID is a media header's file of POST /api/waba/media:
	// {"type":"image","media_id":"3"} or Meta's {"image":{"id":"3"}}.
	MediaID string
}

// requestLocation is the location of a template's location header.
type requestLocation struct {
	Latitude  flexFloat  `json:"latitude"`
	Longitude flexFloat  `json:"longitude"`
	Name      flexString `json:"name"`
	Address   flexString `json:"address"`
}

func (p *requestParam) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err == nil && !s.Invalid {
		p.Type, p.Text = "text", s.Value
		return nil
	}
	var obj struct {
		Type          string           `json:"type"`
		Text          string           `json:"text"`
		Payload       string           `json:"payload"`
		ParameterName string           `json:"parameter_name"`
		Link          string           `json:"link"`
		MediaID       string           `json:"media_id"`
		Image         *mediaRef        `json:"image"`
		Video         *mediaRef        `json:"video"`
		Document      *mediaRef        `json:"document"`
		Location      *requestLocation `json:"location"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return errors.New("must be a string or an object with type and text")
	}
	p.Type, p.Text, p.Payload, p.ParameterName, p.Location = obj.Type, obj.Text, obj.Payload, obj.ParameterName, obj.Location
	p.MediaID = obj.MediaID
	for _, m := range []*mediaRef{obj.Image, obj.Video, obj.Document} {
		if m != nil {
			p.Text = m.Link
			if m.ID != "" {
				p.MediaID = m.ID
			}
		}
	}
	if obj.Link != "" && p.Text == "" {
		p.Text = obj.Link
	}
	if p.Type == "" {
		p.Type = "text"
	}
	return nil
}

// mediaRef is a media header's object as Meta writes it: a link or an id.
type mediaRef struct {
	Link string `json:"link"`
	ID   string `json:"id"`
}

type requestButtonParam struct {
	Type       flexString     `json:"type"`
	SubType    flexString     `json:"sub_type"`
	Index      flexString     `json:"index"`
	Parameters []requestParam `json:"parameters"`
}

type requestContact struct {
	Name struct {
		FormattedName flexString `json:"formatted_name"`
		FirstName     flexString `json:"first_name"`
		LastName      flexString `json:"last_name"`
	} `json:"name"`
	Phones []struct {
		Phone flexString `json:"phone"`
		Type  flexString `json:"type"`
	} `json:"phones"`
}

type requestButton struct {
	ID    flexString `json:"id"`
	Title flexString `json:"title"`
}

type requestSection struct {
	Title flexString `json:"title"`
	Rows  []struct {
		ID          flexString `json:"id"`
		Title       flexString `json:"title"`
		Description flexString `json:"description"`
	} `json:"rows"`
}

// maxBodyBytes bounds request bodies; the largest legal message (a list
// with ten rows of maximum length, or a 4096-character text) is far below.
const maxBodyBytes = 1 << 20

// decodeBody reads a JSON or form-encoded body into v. Form bodies are
// turned into the JSON they stand for first, so both go through the same
// decoder and the same checks: every string a client sends is checked for
// U+0000 (checkText) before any handler sees it.
//
// Which of the two a body is, is decided by its content first: one whose
// first non-space byte is { or [ is JSON whatever its Content-Type says,
// since curl -d '{...}' labels JSON as a form. A form key cannot start
// with either, so no form is misread. A body declared JSON is read as
// JSON; anything else (no Content-Type, a form, text/plain) as a form.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return &fieldError{Field: "body", Msg: "could not be read or is larger than 1 MiB"}
	}
	// A UTF-8 byte order mark, as some Windows tools write, is no content.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	declaredJSON := mt == "application/json" || strings.HasSuffix(mt, "+json")
	switch {
	case declaredJSON, looksLikeJSON(body):
		if err := checkJSONText(body); err != nil {
			var fe *fieldError
			if !declaredJSON && errors.As(err, &fe) && fe.Field == "body" {
				fe.Msg += " (read as JSON because it starts with { or [)"
			}
			return err
		}
	case mt == "multipart/form-data":
		return &fieldError{Field: "body", Msg: "multipart/form-data is not supported; send JSON, or form parameters as application/x-www-form-urlencoded (curl -d, not -F)"}
	default:
		if body, err = formAsJSON(r, body); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return jsonFieldError(err)
	}
	return nil
}

// checkJSONText checks that body is JSON, and that no string in it (key
// or value) holds U+0000, which JSON may spell \u0000.
func checkJSONText(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &fieldError{Field: "body", Msg: "is empty; send JSON or form parameters"}
	}
	// json.Unmarshal checks the syntax first, and names the byte: asked
	// only when json.Valid, which copies nothing, finds an error.
	if !json.Valid(body) {
		return jsonFieldError(json.Unmarshal(body, new(json.RawMessage)))
	}
	// In valid JSON a NUL can only be the escape \u0000 (a raw control
	// byte is a syntax error, invalid UTF-8 decodes to U+FFFD): a body
	// without those six bytes holds none, and is not decoded to a tree to
	// look (that was a third of an accept's JSON work). An escaped
	// backslash before "u0000" looks alike and takes the long way.
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are not looked at; 1e400 must not fail here
	if err := dec.Decode(&tree); err != nil {
		return jsonFieldError(err)
	}
	return checkText(tree, "")
}

// formAsJSON reads a form body (with the query's parameters, as seven's
// PHP gateway does) and returns the JSON it stands for.
func formAsJSON(r *http.Request, body []byte) ([]byte, error) {
	// An empty form is a form without fields: the handler names what
	// is missing.
	if len(bytes.TrimSpace(body)) > 0 && !bytes.ContainsRune(body, '=') {
		// "hello", "7": no name=value pair, and not JSON either.
		return nil, &fieldError{Field: "body", Msg: "is neither JSON (an object starting with {) nor form parameters (name=value&...); it was read as a form"}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &fieldError{Field: "body", Msg: "is not valid form encoding (it was read as a form: it does not start with { and is not declared application/json)"}
	}
	for k, vs := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = vs
		}
	}
	tree, err := formToTree(form)
	if err != nil {
		return nil, &fieldError{Field: "body", Msg: err.Error()}
	}
	if err := checkText(tree, ""); err != nil {
		return nil, err
	}
	out, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("re-encoding form: %w", err)
	}
	return out, nil
}

// looksLikeJSON reports whether the first byte that is not JSON white
// space opens an object or an array.
func looksLikeJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// jsonFieldError turns a decoding error into one that names the field.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &fieldError{Field: field, Msg: "must be " + jsonTypeName(te.Type.Kind().String())}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &fieldError{Field: "body", Msg: fmt.Sprintf("is not valid JSON (at byte %d)", se.Offset)}
	}
	return &fieldError{Field: "body", Msg: err.Error()}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a number"
}
