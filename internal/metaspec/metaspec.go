// Package metaspec checks request bodies of POST /{phone-number-id}/messages
// against Meta's own OpenAPI description of the WhatsApp Cloud API
// (business-messaging-api_v23.0.yaml, MIT licensed, embedded here). The
// sandbox uses it so that whatever the adapter sends is what Meta
// documents, not only what the sandbox's hand-written checks expect.
package metaspec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

//go:embed business-messaging-api_v23.0.yaml
var specYAML []byte

// specURL names the embedded document for the schema compiler's $refs.
const specURL = "https://graph.facebook.com/openapi/business-messaging-api_v23.0.json"

// payloadTypes are the message types with a per-type schema, by the name
// of that schema in components/schemas.
var payloadTypes = map[string]string{
	"text":        "TextMessage",
	"image":       "ImageMessage",
	"video":       "VideoMessage",
	"audio":       "AudioMessage",
	"document":    "DocumentMessage",
	"sticker":     "StickerMessage",
	"location":    "LocationMessage",
	"contacts":    "ContactsMessage",
	"interactive": "InteractiveMessage",
	"template":    "TemplateMessage",
	"reaction":    "ReactionMessage",
}

// envelopeFields are the top-level fields every send may carry besides
// its type's payload. biz_opaque_callback_data is not in the yaml's
// message schemas but Meta documents it for messages and echoes it in
// status webhooks; it is checked here by hand.
var envelopeFields = map[string]bool{
	"messaging_product":        true,
	"recipient_type":           true,
	"to":                       true,
	"recipient":                true, // a BSUID instead of to (errata.go)
	"context":                  true,
	"biz_opaque_callback_data": true,
}

const maxCallbackData = 512

// Spec holds the compiled schemas. It is immutable and safe for
// concurrent use; compile it once (Load takes about 0.1 s, a second under
// the race detector) and share it.
type Spec struct {
	base     *jsonschema.Schema            // BaseMessageProperties
	markRead *jsonschema.Schema            // MarkMessageRequestPayload
	payloads map[string]*jsonschema.Schema // by type: <Type>Message/allOf/1
	inbound  inboundSchemas
}

// Load compiles the schemas of the embedded specification.
func Load() (*Spec, error) {
	doc, err := decodeYAML(specYAML)
	if err != nil {
		return nil, fmt.Errorf("metaspec: %w", err)
	}
	if err := errata(doc); err != nil {
		return nil, fmt.Errorf("metaspec: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1 schemas are 2020-12
	if err := c.AddResource(specURL, doc); err != nil {
		return nil, fmt.Errorf("metaspec: %w", err)
	}
	compile := func(ptr string) (*jsonschema.Schema, error) {
		s, err := c.Compile(specURL + "#/components/schemas/" + ptr)
		if err != nil {
			return nil, fmt.Errorf("metaspec: compile %s: %w", ptr, err)
		}
		return s, nil
	}
	s := &Spec{payloads: make(map[string]*jsonschema.Schema, len(payloadTypes))}
	if s.base, err = compile("BaseMessageProperties"); err != nil {
		return nil, err
	}
	if s.markRead, err = compile("MarkMessageRequestPayload"); err != nil {
		return nil, err
	}
	for typ, name := range payloadTypes {
		// The per-type schemas are allOf[BaseMessageProperties, {payload,
		// additionalProperties:false}]: taken whole they refuse every
		// message, since the second branch forbids the base fields. So
		// the base is checked on its own and the branch on the payload.
		if s.payloads[typ], err = compile(name + "/allOf/1"); err != nil {
			return nil, err
		}
	}
	if s.inbound, err = compileInbound(compile); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeYAML turns the YAML document into the JSON values the schema
// compiler works on (it takes float64/json.Number, not YAML's ints).
func decodeYAML(b []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode yaml: %w", err)
	}
	j, err := json.Marshal(stringKeys(v))
	if err != nil {
		return nil, fmt.Errorf("yaml to json: %w", err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(j))
}

// stringKeys turns the map[any]any YAML gives for mappings with
// non-string keys (response codes such as 200) into JSON objects.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = stringKeys(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = stringKeys(e)
		}
		return v
	}
	return v
}

// ValidateMessage checks one request body of the messages endpoint: a
// send of any type Meta describes, or a mark-as-read (with or without
// typing indicator). The error names every violation.
func (s *Spec) ValidateMessage(body []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return errors.New("the body is not a JSON object")
	}
	if _, ok := obj["status"]; ok {
		return s.validateMarkRead(obj)
	}
	if err := s.base.Validate(obj); err != nil {
		return describe("BaseMessageProperties", err)
	}
	typ, _ := obj["type"].(string)
	schema, ok := s.payloads[typ]
	if !ok {
		return fmt.Errorf("type %q has no message schema in the specification", typ)
	}
	if cb, ok := obj["biz_opaque_callback_data"]; ok {
		str, isString := cb.(string)
		if !isString || len([]rune(str)) > maxCallbackData {
			return fmt.Errorf("biz_opaque_callback_data must be a string of at most %d characters", maxCallbackData)
		}
	}
	payload := make(map[string]any, 2)
	for k, val := range obj {
		if !envelopeFields[k] {
			payload[k] = val
		}
	}
	if err := schema.Validate(payload); err != nil {
		return describe(payloadTypes[typ], err)
	}
	return nil
}

// validateMarkRead checks a read receipt. The yaml's payload schema does
// not list typing_indicator, which its own example sends; its shape is
// checked here by hand.
func (s *Spec) validateMarkRead(obj map[string]any) error {
	if err := s.markRead.Validate(obj); err != nil {
		return describe("MarkMessageRequestPayload", err)
	}
	ti, ok := obj["typing_indicator"]
	if !ok {
		return nil
	}
	m, ok := ti.(map[string]any)
	if !ok || m["type"] != "text" || len(m) != 1 {
		return errors.New(`typing_indicator must be {"type":"text"}`)
	}
	return nil
}

// describe flattens a validation error into one line per violation, in a
// stable order, so that Graph-style error details stay readable.
func describe(schema string, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", schema, err)
	}
	printer := message.NewPrinter(language.English)
	var lines []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			lines = append(lines, loc+": "+e.ErrorKind.LocalizedString(printer))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(lines)
	return fmt.Errorf("does not conform to %s: %s: %w", schema, strings.Join(lines, "; "), ErrNonConforming)
}

// ErrNonConforming marks a body that violates the specification.
var ErrNonConforming = errors.New("request does not conform to Meta's OpenAPI specification")
