package metaspec

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// inboundTypes are the webhook message types with a schema, by the name
// of that schema in components/schemas. The yaml's IncomingMessage oneOf
// points at the outbound schemas, and the inbound ones extend the
// outbound base (to, recipient_type): both are merge slips of Meta's
// generator, so each type is checked as BaseMessageProperties_1 (from,
// id, timestamp) plus the type's own branch.
var inboundTypes = map[string]string{
	"text":        "TextMessage_2",
	"reaction":    "ReactionMessage_1",
	"audio":       "AudioMessage_1",
	"document":    "DocumentMessage_1",
	"image":       "ImageMessage_1",
	"sticker":     "StickerMessage_1",
	"video":       "VideoMessage_1",
	"location":    "LocationMessage_1",
	"contacts":    "ContactSharingMessage",
	"unsupported": "UnsupportedMessage",
	"button":      "ButtonMessage",
	"interactive": "InteractiveMessageReply",
	"order":       "OrderMessage",
	"system":      "SystemMessage",
}

// inboundSchemas holds the compiled inbound schemas of a Spec.
type inboundSchemas struct {
	base  *jsonschema.Schema
	types map[string]*jsonschema.Schema
}

func compileInbound(compile func(string) (*jsonschema.Schema, error)) (inboundSchemas, error) {
	in := inboundSchemas{types: make(map[string]*jsonschema.Schema, len(inboundTypes))}
	var err error
	if in.base, err = compile("BaseMessageProperties_1"); err != nil {
		return in, err
	}
	for typ, name := range inboundTypes {
		if in.types[typ], err = compile(name + "/allOf/1"); err != nil {
			return in, err
		}
	}
	return in, nil
}

// ValidateInbound checks one message object of a webhook
// (entry[].changes[].value.messages[]) against Meta's schema for its type.
func (s *Spec) ValidateInbound(msg []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return errors.New("the message is not a JSON object")
	}
	if err := s.inbound.base.Validate(obj); err != nil {
		return describe("BaseMessageProperties_1", err)
	}
	typ, _ := obj["type"].(string)
	schema, ok := s.inbound.types[typ]
	if !ok {
		return fmt.Errorf("inbound type %q has no schema in the specification", typ)
	}
	if err := schema.Validate(obj); err != nil {
		return describe(inboundTypes[typ], err)
	}
	return nil
}
