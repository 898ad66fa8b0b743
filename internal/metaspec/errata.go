package metaspec

import "fmt"

// errata corrects the embedded yaml where it contradicts Meta's own
// reference pages and examples, and makes its discriminators checkable.
// Each entry is one documented deviation; everything else is validated
// exactly as Meta wrote it.
func errata(doc any) error {
	schemas, err := lookup(doc, "components", "schemas")
	if err != nil {
		return err
	}
	s := schemas.(map[string]any)
	fixes := []struct {
		why string
		fix func() error
	}{
		{"button index: the pattern ^[2-6, 11-14]$ is garbled; the description (and Meta's examples) say 0-9", func() error {
			for _, path := range [][]string{
				{"TemplateComponent", "properties", "index"},
				{"ButtonComponent", "allOf", "1", "properties", "index"},
			} {
				idx, err := lookup(s, path...)
				if err != nil {
					return err
				}
				idx.(map[string]any)["pattern"] = "^[0-9]$"
			}
			return nil
		}},
		{"button sub_type: Meta's template reference also has copy_code (coupon templates) and flow (used in the yaml's own examples)", func() error {
			for _, path := range [][]string{
				{"TemplateComponent", "properties", "sub_type"},
				{"ButtonComponent", "allOf", "1", "properties", "sub_type"},
			} {
				if err := extendEnum(s, path, "copy_code", "flow"); err != nil {
					return err
				}
			}
			return nil
		}},
		{"button parameters: copy-code buttons take {type: coupon_code, coupon_code}", func() error {
			if err := extendEnum(s, []string{"ButtonParameterObject", "properties", "type"}, "coupon_code"); err != nil {
				return err
			}
			s["ButtonCouponCodeParameter"] = map[string]any{
				"type":       "object",
				"required":   []any{"type", "coupon_code"},
				"properties": map[string]any{"coupon_code": map[string]any{"type": "string", "maxLength": 15}},
			}
			m, err := lookup(s, "ButtonParameterObject", "discriminator", "mapping")
			if err != nil {
				return err
			}
			m.(map[string]any)["coupon_code"] = "#/components/schemas/ButtonCouponCodeParameter"
			return nil
		}},
		{"template parameters: location headers take {type: location, location: {latitude, longitude, name, address}} (Meta's template message reference, 'Location header')", func() error {
			if err := extendEnum(s, []string{"ParameterObject", "properties", "type"}, "location"); err != nil {
				return err
			}
			coordinate := map[string]any{"type": []any{"string", "number"}}
			s["LocationParameter"] = map[string]any{
				"type":     "object",
				"required": []any{"type", "location"},
				"properties": map[string]any{"location": map[string]any{
					"type":     "object",
					"required": []any{"latitude", "longitude"},
					"properties": map[string]any{
						"latitude": coordinate, "longitude": coordinate,
						"name": map[string]any{"type": "string"}, "address": map[string]any{"type": "string"},
					},
				}},
			}
			m, err := lookup(s, "ParameterObject", "discriminator", "mapping")
			if err != nil {
				return err
			}
			m.(map[string]any)["location"] = "#/components/schemas/LocationParameter"
			return nil
		}},
		{"contact phone type: Meta's contacts reference lists CELL, MAIN, IPHONE, HOME and WORK", func() error {
			return extendEnum(s, []string{"PhoneObject", "properties", "type"}, "CELL", "MAIN", "IPHONE")
		}},
		{"template components and parameters: the discriminators have no oneOf, so without this only the base schema would be checked", func() error {
			for _, d := range []struct {
				base []string
				path []string
			}{
				{[]string{"TemplateComponent"}, []string{"TemplateObject", "properties", "components", "items"}},
				{[]string{"ParameterObject"}, []string{"HeaderComponent", "allOf", "1", "properties", "parameters", "items"}},
				{[]string{"ParameterObject"}, []string{"BodyComponent", "allOf", "1", "properties", "parameters", "items"}},
				{[]string{"ButtonParameterObject"}, []string{"ButtonComponent", "allOf", "1", "properties", "parameters", "items"}},
			} {
				if err := dispatch(s, d.base, d.path); err != nil {
					return err
				}
			}
			return nil
		}},
		{"inbound interactive replies: same, for button_reply and list_reply", func() error {
			for _, d := range []struct {
				base []string
				path []string
			}{
				{[]string{"InteractiveMessageReply", "allOf", "1", "properties", "interactive"}, []string{"InteractiveMessageReply", "allOf", "1", "properties", "interactive"}},
			} {
				if err := dispatch(s, d.base, d.path); err != nil {
					return err
				}
			}
			return nil
		}},
		{"removed reaction: Meta's webhook reference sends the reaction without emoji when the user removes it", func() error {
			return setRequired(s, []string{"ReactionMessage_1", "allOf", "1", "properties", "reaction"}, "message_id")
		}},
		{"reply context: referred_product is only there for product inquiries, as the schema's own description says", func() error {
			return setRequired(s, []string{"ContextObject"}, "from", "id")
		}},
		{"sends to business-scoped user IDs (2026): Meta's business-scoped user IDs page adds recipient, a BSUID or parent BSUID, which a send gives instead of to (if both are given, to wins); the v23.0 yaml predates it", func() error {
			base, err := lookup(s, "BaseMessageProperties")
			if err != nil {
				return err
			}
			b := base.(map[string]any)
			props, err := lookup(b, "properties")
			if err != nil {
				return err
			}
			props.(map[string]any)["recipient"] = map[string]any{
				"type":        "string",
				"description": "The user's business-scoped user ID (BSUID) or parent BSUID.",
				"pattern":     `^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$`,
			}
			b["required"] = []any{"messaging_product", "recipient_type", "type"}
			b["anyOf"] = []any{
				map[string]any{"required": []any{"to"}},
				map[string]any{"required": []any{"recipient"}},
			}
			return nil
		}},
		{"inbound messages of users with a username (2026): from (the number) is left out when Meta withholds it; from_user_id (the BSUID) and from_parent_user_id name the user instead", func() error {
			base, err := lookup(s, "BaseMessageProperties_1")
			if err != nil {
				return err
			}
			b := base.(map[string]any)
			props, err := lookup(b, "properties")
			if err != nil {
				return err
			}
			bsuid := map[string]any{"type": "string", "pattern": `^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$`}
			props.(map[string]any)["from_user_id"] = bsuid
			props.(map[string]any)["from_parent_user_id"] = bsuid
			b["required"] = []any{"id", "timestamp"}
			b["anyOf"] = []any{
				map[string]any{"required": []any{"from"}},
				map[string]any{"required": []any{"from_user_id"}},
			}
			return nil
		}},
		{"system messages: Meta's system messages webhook reference adds type user_changed_user_id (the user's BSUID changed)", func() error {
			return extendEnum(s, []string{"SystemMessage", "allOf", "1", "properties", "system", "properties", "type"}, "user_changed_user_id")
		}},
		{"unsupported message errors are webhook errors (ErrorObject_2), not Graph API errors", func() error {
			items, err := lookup(s, "UnsupportedMessage", "allOf", "1", "properties", "errors", "items")
			if err != nil {
				return err
			}
			items.(map[string]any)["$ref"] = "#/components/schemas/ErrorObject_2"
			return nil
		}},
	}
	for _, f := range fixes {
		if err := f.fix(); err != nil {
			return fmt.Errorf("erratum %q: %w", f.why, err)
		}
	}
	return nil
}

// dispatch makes the schema at path check, besides its base, the schema
// the base's discriminator maps the instance's type to. It is applied
// where the base is used, not to the base itself: the mapped schemas
// extend the base, and a base that dispatches to them would recurse.
func dispatch(schemas map[string]any, base, path []string) error {
	mapping, err := lookup(schemas, append(base[:len(base):len(base)], "discriminator", "mapping")...)
	if err != nil {
		return err
	}
	at, err := lookup(schemas, path...)
	if err != nil {
		return err
	}
	var branches []any
	for value, ref := range mapping.(map[string]any) {
		branches = append(branches, map[string]any{
			"if": map[string]any{
				"required":   []any{"type"},
				"properties": map[string]any{"type": map[string]any{"const": value}},
			},
			"then": map[string]any{"$ref": ref},
		})
	}
	at.(map[string]any)["allOf"] = branches
	return nil
}

func setRequired(schemas map[string]any, path []string, names ...string) error {
	at, err := lookup(schemas, path...)
	if err != nil {
		return err
	}
	req := make([]any, len(names))
	for i, n := range names {
		req[i] = n
	}
	at.(map[string]any)["required"] = req
	return nil
}

func extendEnum(schemas map[string]any, path []string, values ...string) error {
	at, err := lookup(schemas, path...)
	if err != nil {
		return err
	}
	m := at.(map[string]any)
	enum, ok := m["enum"].([]any)
	if !ok {
		return fmt.Errorf("%v has no enum", path)
	}
	for _, v := range values {
		enum = append(enum, v)
	}
	m["enum"] = enum
	return nil
}

// lookup walks objects by key and arrays by index, and fails loudly when
// the yaml changed shape: an erratum that silently no longer applies
// would hide a real difference.
func lookup(v any, path ...string) (any, error) {
	for i, p := range path {
		switch n := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = n[p]; !ok {
				return nil, fmt.Errorf("no %q at %v", p, path[:i])
			}
		case []any:
			var idx int
			if _, err := fmt.Sscan(p, &idx); err != nil || idx < 0 || idx >= len(n) {
				return nil, fmt.Errorf("no index %q at %v", p, path[:i])
			}
			v = n[idx]
		default:
			return nil, fmt.Errorf("%v is not a container", path[:i])
		}
	}
	if _, ok := v.(map[string]any); !ok && len(path) > 0 {
		if _, isArr := v.([]any); !isArr {
			return nil, fmt.Errorf("%v is not a container", path)
		}
	}
	return v, nil
}
