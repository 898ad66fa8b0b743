package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
	"github.com/openwaba/openwaba/internal/webhook"
)

// The fuzz targets of the API's decoders. Plain go test runs their seeds
// (f.Add and testdata/fuzz/FuzzXxx); go test -fuzz '^FuzzXxx$' explores.

var fuzzNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fuzzContentTypes are the labels a body may arrive with; the fuzzer
// picks one by index.
var fuzzContentTypes = []string{"", "application/json", "application/x-www-form-urlencoded", "text/plain", "application/json; charset=utf-8", "multipart/form-data"}

func fuzzRequest(ct uint8, body []byte) (*http.Request, string) {
	label := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]
	r := httptest.NewRequest("POST", "/api/waba/messages", bytes.NewReader(body))
	if label != "" {
		r.Header.Set("Content-Type", label)
	}
	return r, label
}

// asFieldError fails the test unless err is the API's bad-request error,
// which names a field and a rule: anything else would be answered 500.
func asFieldError(t *testing.T, what string, err error) {
	t.Helper()
	var fe *fieldError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: %T %v is not a field error; it would be a 500", what, err, err)
	}
	if fe.Field == "" || fe.Msg == "" {
		t.Fatalf("%s: field error %+v does not name the field and the rule", what, fe)
	}
}

// FuzzDecodeSend drives POST /api/waba/messages' decoding and validation
// with any body under any Content-Type. Properties: no panic; every
// refusal is a field error (a 400 naming the field); a JSON-looking body
// means the same whatever its label; an accepted request validates to the
// same plan again, and the plan keeps the promises of validation (numbers
// normalised, coordinates finite and in range, no U+0000, encodable).
func FuzzDecodeSend(f *testing.F) {
	seeds := []struct {
		ct   uint8
		body string
	}{
		{0, "7"},
		{2, "0=x"},
		{0, "0=x&1=y"},
		{2, `{"from":"4915112345678","to":"4917612345678","text":"hi"}`},
		{1, `{"from":"4915112345678","to":"4917612345678","text":"a\u0000b"}`},
		{2, "from=4915112345678&to=4917612345678&text=a%00b"},
		{1, `{"from":"4915112345678","to":"4917612345678","type":"location","latitude":"NaN","longitude":1}`},
		{2, "from=4915112345678&to=4917612345678&type=location&latitude=Inf&longitude=1e400"},
		{1, `{"from":"4915112345678","to":"4917612345678","type":"location","latitude":52.52,"longitude":13.405,"name":"x"}`},
		{1, `{"from":"4915112345678","to":"4917612345678","template":"t","language":"de","components":{"header":[{"type":"location","location":{"latitude":"nan","longitude":1}}],"body":["x",{"type":"text","text":"y"}]}}`},
		{1, `{"from":"4915112345678","to":"4917612345678","template":"t","language":"de","components":{"header":[{"type":"location","location":{"latitude":52.5,"longitude":13.4}}],"buttons":[{"sub_type":"url","index":"0","parameters":["x"]}]}}`},
		{2, "from=4915112345678&to=4917612345678&type=contacts&contacts[0][name][first_name]=J&contacts[0][phones][0][phone]=%2B49"},
		{1, `{"from":"4915112345678","to":"4917612345678","type":"interactive","interactive_type":"button","body":"b","buttons":[{"id":"a","title":"A"},{"id":"b","title":"B"}]}`},
		{1, `{"from":"4915112345678","to":"4917612345678","text":"hi","delay":"2026-11-26 08:30:00","ttl":"60","label":"x","foreign_id":"y"}`},
		{5, "--x--"},
		{0, "\xef\xbb\xbf{}"},
		{2, "a" + strings.Repeat("[b]", 20) + "=1"},
		{2, "a[%00append0]=x"},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		r, label := fuzzRequest(ct, body)
		var req sendRequest
		if err := decodeBody(r, &req); err != nil {
			asFieldError(t, "decodeBody", err)
			return
		}
		if looksLikeJSON(body) {
			// Detection by content: labelled JSON, the body decodes to
			// the same request.
			r2, _ := fuzzRequest(1, body)
			var again sendRequest
			if err := decodeBody(r2, &again); err != nil || !reflect.DeepEqual(again, req) {
				t.Fatalf("labelled %q the body decodes to %+v, labelled JSON to %+v, %v", label, req, again, err)
			}
		}
		p, err := req.validate(fuzzNow, time.UTC)
		if err != nil {
			asFieldError(t, "validate", err)
			return
		}
		again, err := req.validate(fuzzNow, time.UTC)
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("validating again: %+v, %v; first %+v", again, err, p)
		}
		checkPlan(t, p)
	})
}

// checkPlan checks, independently of validate, what a valid plan promises.
func checkPlan(t *testing.T, p *sendPlan) {
	t.Helper()
	for _, n := range append([]string{p.from}, p.recipients...) {
		if again, err := phone.Normalize(n); err != nil || again != n {
			t.Fatalf("number %q is not normalised: %q, %v", n, again, err)
		}
	}
	if len(p.recipients) < 1 || len(p.recipients) > maxRecipients {
		t.Fatalf("%d recipients", len(p.recipients))
	}
	if p.ttl < time.Minute || p.ttl > maxTTLMinutes*time.Minute {
		t.Fatalf("ttl %v", p.ttl)
	}
	if !p.scheduledAt.IsZero() && (!p.scheduledAt.After(fuzzNow) || p.scheduledAt.After(fuzzNow.AddDate(1, 0, 0))) {
		t.Fatalf("scheduled at %v", p.scheduledAt)
	}
	if !sevenChars.MatchString(p.label) || !sevenChars.MatchString(p.foreignID) ||
		utf8.RuneCountInString(p.label) > maxLabel || utf8.RuneCountInString(p.foreignID) > maxForeignID {
		t.Fatalf("label %q foreign_id %q", p.label, p.foreignID)
	}
	locations := []*openwaba.Location{p.content.Location}
	if p.template != nil {
		v := p.template.values
		all := append(append([]openwaba.TemplateParam{}, v.Header...), v.Body...)
		for _, b := range v.Buttons {
			all = append(all, b.Parameters...)
		}
		for _, tp := range all {
			locations = append(locations, tp.Location)
		}
	}
	for _, l := range locations {
		if l != nil && !(l.Latitude >= -90 && l.Latitude <= 90 && l.Longitude >= -180 && l.Longitude <= 180) {
			t.Fatalf("location %+v", l)
		}
	}
	// What is stored and sent to WhatsApp must encode: a NaN would fail
	// here, after the message was accepted.
	var values any
	if p.template != nil {
		values = p.template.values
	}
	enc, err := json.Marshal([]any{p.content, values})
	if err != nil {
		t.Fatalf("the plan does not encode: %v", err)
	}
	if bytes.Contains(enc, []byte(`\u0000`)) {
		t.Fatalf("the plan holds U+0000: %s", enc)
	}
}

// FuzzDecodeOther decodes any body into the other requests that carry
// customer text: events, hooks and sandbox messages. Properties: no
// panic; refusals are field errors; no accepted string holds U+0000; a
// hook's headers that ParseHeaders accepts fit its bounds.
func FuzzDecodeOther(f *testing.F) {
	for _, s := range []string{
		`{"event":"reaction","msg_id":"1","emoji":"👍"}`, `{"event":"read","from":"4915112345678","to":"4917612345678"}`,
		`{"emoji":"\u0000"}`, "event=read&from=%00", `{"target_url":"https://x","event_type":"all","headers":"X-A: b\nTransfer-Encoding: chunked"}`,
		"headers=X-A%3A+%1B", `{"headers":5}`, `{"latitude":"NaN","longitude":"Inf"}`, "7", "0=x",
	} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(2), []byte(s))
	}
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		for _, v := range []any{&eventRequest{}, &hookRequest{}, &sandboxInboundRequest{}} {
			r, _ := fuzzRequest(ct, body)
			if err := decodeBody(r, v); err != nil {
				asFieldError(t, "decodeBody", err)
				continue
			}
			// Every accepted string is free of NUL.
			rv := reflect.ValueOf(v).Elem()
			for i := range rv.NumField() {
				if fs, ok := rv.Field(i).Interface().(flexString); ok && strings.ContainsRune(fs.Value, 0) {
					t.Fatalf("%T.%s holds U+0000 after decoding %q", v, rv.Type().Field(i).Name, body)
				}
				if ff, ok := rv.Field(i).Interface().(flexFloat); ok && ff.Set && !ff.Invalid && ff.Value != ff.Value {
					t.Fatalf("%T.%s is NaN after decoding %q", v, rv.Type().Field(i).Name, body)
				}
			}
			if h, ok := v.(*hookRequest); ok {
				if hs, err := webhook.ParseHeaders(h.Headers.Value); err == nil && len(hs) > webhook.MaxHookHeaders {
					t.Fatalf("%d headers accepted", len(hs))
				}
			}
		}
	})
}

// FuzzFormToTree: any form either is refused with an error or becomes an
// object (never a list: that used to panic) that encodes as JSON and
// holds only strings, lists and objects whose keys are free of U+0000.
func FuzzFormToTree(f *testing.F) {
	for _, s := range []string{"7", "0=x", "0=x&1=y", "a[]=x&a[]=y", "a[0]=x&a[x]=y", "a[b=1", "[x]=1", "a=1&a[b]=2", "a[%00append0]=x&a[]=y",
		"m[10]=k&m[2]=c", "contacts[0][name][first_name]=J", "a[+1]=x&a[1]=y", "a[99999999999999999999]=x", "=x", "a[][]=1&a[][]=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		form, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		tree, err := formToTree(form)
		if err != nil {
			return
		}
		if _, err := json.Marshal(tree); err != nil {
			t.Fatalf("tree of %q does not encode: %v", s, err)
		}
		var walk func(v any, depth int)
		walk = func(v any, depth int) {
			if depth > maxFormDepth+1 {
				t.Fatalf("tree of %q nests %d levels", s, depth)
			}
			switch x := v.(type) {
			case string:
			case []any:
				for _, c := range x {
					walk(c, depth+1)
				}
			case map[string]any:
				for k, c := range x {
					if strings.ContainsRune(k, 0) {
						t.Fatalf("tree of %q has the key %q", s, k)
					}
					walk(c, depth+1)
				}
			default:
				t.Fatalf("tree of %q holds a %T", s, v)
			}
		}
		walk(tree, 0)
	})
}

// FuzzParseDelay: the delay field either is refused as a delay field
// error, or reads as a time that says the same when written out again: a
// Unix timestamp is that second, a date parses again to the same instant.
func FuzzParseDelay(f *testing.F) {
	for _, s := range []string{"2026-11-26 08:30:00", "2026-11-26 08:30:00+01:00", "2026-11-26T08:30:00Z", "2026-11-26T08:30:00.999999999-23:59",
		"1796000000", "-1", "0", "9223372036854775807", "2026-02-30 08:00:00", "tomorrow", "2026-11-26 24:00:00", "", " 1 "} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range []*time.Location{time.UTC, berlin} {
			at, err := parseDelay(s, loc)
			if err != nil {
				var fe *fieldError
				if !errors.As(err, &fe) || fe.Field != "delay" {
					t.Fatalf("parseDelay(%q): %v is not a delay field error", s, err)
				}
				continue
			}
			if n, perr := strconv.ParseInt(s, 10, 64); perr == nil {
				if n < 0 || at.Unix() != n {
					t.Fatalf("parseDelay(%q) = %v (Unix %d)", s, at, at.Unix())
				}
				continue
			}
			// RFC 3339 offsets have whole minutes; a zone's local mean
			// time before 1900 (Berlin's +00:53:28) is written in it.
			written := at.Format(time.RFC3339Nano)
			if _, off := at.Zone(); off%60 != 0 {
				written = at.In(loc).Format("2006-01-02 15:04:05.999999999")
			}
			again, err := parseDelay(written, loc)
			if err != nil || !again.Equal(at) {
				t.Fatalf("parseDelay(%q) = %v, written %q, parses to %v, %v", s, at, written, again, err)
			}
			// Through validation: within a year or refused, never a panic.
			req := sendRequest{From: flexString{Set: true, Value: "4915112345678"}, To: flexString{Set: true, Value: "4917612345678"},
				Text: flexString{Set: true, Value: "hi"}, Delay: flexString{Set: true, Value: s}}
			if p, err := req.validate(fuzzNow, loc); err != nil {
				asFieldError(t, "validate", err)
			} else {
				checkPlan(t, p)
			}
		}
	})
}
