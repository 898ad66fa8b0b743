// Package openapitest checks HTTP responses against openwaba's OpenAPI
// document (internal/api/openapi.json). Only tests import it.
package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/openwaba/openwaba/internal/api"
)

const docURL = "https://openwaba.invalid/openapi.json"

// Document is a parsed OpenAPI document with its response schemas compiled.
type Document struct {
	paths    map[string]map[string]operation // path template → method → operation
	schemas  map[string]*jsonschema.Schema   // JSON pointer → schema
	webhooks map[string]*jsonschema.Schema   // event → JSON body schema
}

type operation struct {
	Responses map[string]struct {
		Content map[string]struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// Load parses openwaba's embedded document and compiles every response
// schema.
func Load() (*Document, error) { return Parse(api.OpenAPIDocument()) }

// Parse parses an OpenAPI 3.1 document and compiles its response schemas.
func Parse(raw []byte) (*Document, error) {
	var doc struct {
		OpenAPI  string                          `json:"openapi"`
		Paths    map[string]map[string]operation `json:"paths"`
		Webhooks map[string]map[string]struct {
			RequestBody struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
		} `json:"webhooks"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		return nil, fmt.Errorf("openapi.json: version %q, want 3.1.x", doc.OpenAPI)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, parsed); err != nil {
		return nil, err
	}
	d := &Document{paths: doc.Paths, schemas: map[string]*jsonschema.Schema{}, webhooks: map[string]*jsonschema.Schema{}}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			for status, r := range op.Responses {
				for ct := range r.Content {
					ptr := pointer("paths", path, method, "responses", status, "content", ct, "schema")
					sch, err := c.Compile(docURL + "#" + ptr)
					if err != nil {
						return nil, fmt.Errorf("%s %s %s %s: %w", method, path, status, ct, err)
					}
					d.schemas[ptr] = sch
				}
			}
		}
	}
	// Every schema compiles, also those only requests use.
	for name := range doc.Components.Schemas {
		if _, err := c.Compile(docURL + "#" + pointer("components", "schemas", name)); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	for event, ops := range doc.Webhooks {
		if _, ok := ops["post"].RequestBody.Content["application/json"]; !ok {
			continue
		}
		ptr := pointer("webhooks", event, "post", "requestBody", "content", "application/json", "schema")
		sch, err := c.Compile(docURL + "#" + ptr)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", event, err)
		}
		d.webhooks[event] = sch
	}
	return d, nil
}

// CheckWebhook reports whether the JSON body of a webhook (as hooks with
// request_method JSON get it) is described by the document's webhooks: the
// schema of its webhook_event.
func (d *Document) CheckWebhook(body []byte) error {
	var env struct {
		Event string `json:"webhook_event"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("webhook body is not a JSON envelope: %.300s", body)
	}
	sch, ok := d.webhooks[env.Event]
	if !ok {
		return fmt.Errorf("webhook %q not in openapi.json", env.Event)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("webhook %s does not match openapi.json: %v\nbody: %.500s", env.Event, err, body)
	}
	return nil
}

func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/")
		b.WriteString(url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")))
	}
	return b.String()
}

// Operations lists the document's operations as "METHOD /path".
func (d *Document) Operations() []string {
	var out []string
	for path, ops := range d.paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// match finds the path template of a concrete path.
func (d *Document) match(path string) (string, bool) {
	if _, ok := d.paths[path]; ok {
		return path, true
	}
	segs := strings.Split(path, "/")
	for tmpl := range d.paths {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		for i := range ts {
			if ts[i] != segs[i] && !(strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}") && segs[i] != "") {
				ok = false
				break
			}
		}
		if ok {
			return tmpl, true
		}
	}
	return "", false
}

// Check reports whether a response is documented: its path, method and
// status are in the document and, for a documented JSON body, the body
// validates against the schema. Paths outside the document (answered 404
// by the catch-all) are accepted when the status is 404.
func (d *Document) Check(method, path string, status int, contentType string, body []byte) error {
	tmpl, ok := d.match(path)
	if !ok {
		if status == 404 {
			return nil
		}
		return fmt.Errorf("%s %s: path not in openapi.json", method, path)
	}
	m := strings.ToLower(method)
	op, ok := d.paths[tmpl][m]
	if !ok {
		return fmt.Errorf("%s %s: method not in openapi.json", method, tmpl)
	}
	code := strconv.Itoa(status)
	r, ok := op.Responses[code]
	if !ok {
		return fmt.Errorf("%s %s: status %d not in openapi.json: %.300s", method, tmpl, status, body)
	}
	if len(r.Content) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	_, listed := r.Content[mt]
	_, wildcard := r.Content["*/*"] // any type: a file served as it was stored
	if !listed && !wildcard {
		return fmt.Errorf("%s %s %d: content type %q not in openapi.json", method, tmpl, status, contentType)
	}
	if mt != "application/json" {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %.300s", method, tmpl, status, body)
	}
	sch := d.schemas[pointer("paths", tmpl, m, "responses", code, "content", mt, "schema")]
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s %s %d: body does not match openapi.json: %v\nbody: %.500s", method, tmpl, status, err, body)
	}
	return nil
}
