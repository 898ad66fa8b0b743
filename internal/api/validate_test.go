package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of the tests, also where the host has no zoneinfo

	"github.com/openwaba/openwaba"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// base is a valid text request that each case modifies.
func base(extra string) string {
	return `{"from":"4915112345678","to":"4917612345678"` + extra + `}`
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, body, field, rule string
	}{
		{"missing from", `{"to":"4917612345678","text":"hi"}`, "from", "is required"},
		{"bad from", `{"from":"abc","to":"4917612345678","text":"hi"}`, "from", "international format"},
		{"missing to", `{"from":"4915112345678","text":"hi"}`, "to", "is required"},
		{"bad to among several", base(`,"text":"hi"`)[:0] + `{"from":"4915112345678","to":"4917612345678,12","text":"hi"}`, "to", "international format"},
		{"unknown type", base(`,"type":"fax"`), "type", "must be one of"},
		{"empty text", base(`,"text":"  "`), "text", "is required"},
		{"text too long", base(`,"text":"` + long(4097) + `"`), "text", "at most 4096"},
		{"media without url", base(`,"type":"image"`), "url", "is required"},
		{"media ftp url", base(`,"type":"image","url":"ftp://x/y.jpg"`), "url", "http(s) URL"},
		{"caption too long", base(`,"type":"image","url":"https://x/y.jpg","caption":"` + long(1025) + `"`), "caption", "at most 1024"},
		{"caption on audio", base(`,"type":"audio","url":"https://x/y.mp3","caption":"hi"`), "caption", "not supported for audio"},
		{"filename on image", base(`,"type":"image","url":"https://x/y.jpg","filename":"a.jpg"`), "filename", "only supported for document"},
		{"location missing lat", base(`,"type":"location","longitude":2`), "latitude", "is required"},
		{"location lat range", base(`,"type":"location","latitude":91,"longitude":2`), "latitude", "between -90 and 90"},
		{"location lat not number", base(`,"type":"location","latitude":"north","longitude":2`), "latitude", "must be a number"},
		// strconv.ParseFloat reads all of these; NaN passed every range
		// check and ended in a 500 when the message was encoded.
		{"location lat NaN", base(`,"type":"location","latitude":"NaN","longitude":2`), "latitude", "must be a number"},
		{"location lat nan", base(`,"type":"location","latitude":"nan","longitude":2`), "latitude", "must be a number"},
		{"location lon Inf", base(`,"type":"location","latitude":1,"longitude":"Inf"`), "longitude", "must be a number"},
		{"location lon -Infinity", base(`,"type":"location","latitude":1,"longitude":"-Infinity"`), "longitude", "must be a number"},
		{"location lat 1e400", base(`,"type":"location","latitude":1e400,"longitude":2`), "latitude", "must be a number"},
		{"location lat hex float", base(`,"type":"location","latitude":"0x1p4","longitude":2`), "latitude", "must be a number"},
		{"location lat digit separator", base(`,"type":"location","latitude":"1_0","longitude":2`), "latitude", "must be a number"},
		{"location lon range", base(`,"type":"location","latitude":1,"longitude":-180.5`), "longitude", "between -180 and 180"},
		{"template location NaN", base(`,"type":"template","template":"t","language":"de","components":{"header":[{"type":"location","location":{"latitude":"NaN","longitude":13.4}}]}`),
			"components.header[0].location.latitude", "must be a number"},
		{"template location Inf", base(`,"type":"template","template":"t","language":"de","components":{"header":[{"type":"location","location":{"latitude":52.5,"longitude":"+Inf"}}]}`),
			"components.header[0].location.longitude", "must be a number"},
		{"template location range", base(`,"type":"template","template":"t","language":"de","components":{"header":[{"type":"location","location":{"latitude":91,"longitude":13.4}}]}`),
			"components.header[0].location.latitude", "between -90 and 90"},
		{"contacts empty", base(`,"type":"contacts"`), "contacts", "is required"},
		{"contact without name", base(`,"type":"contacts","contacts":[{"phones":[{"phone":"+49"}]}]`), "contacts[0].name.first_name", "is required"},
		{"contact without phone", base(`,"type":"contacts","contacts":[{"name":{"first_name":"J"}}]`), "contacts[0].phones", "at least one phone"},
		{"contact phone type", base(`,"type":"contacts","contacts":[{"name":{"first_name":"J"},"phones":[{"phone":"+49","type":"fax"}]}]`), "contacts[0].phones[0].type", "must be one of"},
		{"interactive type", base(`,"type":"interactive","interactive_type":"carousel","body":"b"`), "interactive_type", "button or list"},
		{"interactive no body", base(`,"type":"interactive","interactive_type":"button"`), "body", "is required"},
		{"one button", base(`,"type":"interactive","interactive_type":"button","body":"b","buttons":[{"id":"a","title":"A"}]`), "buttons", "2 to 3"},
		{"four buttons", base(`,"type":"interactive","interactive_type":"button","body":"b","buttons":[{"id":"a","title":"A"},{"id":"b","title":"B"},{"id":"c","title":"C"},{"id":"d","title":"D"}]`), "buttons", "2 to 3"},
		{"button title too long", base(`,"type":"interactive","interactive_type":"button","body":"b","buttons":[{"id":"a","title":"` + long(21) + `"},{"id":"b","title":"B"}]`), "buttons[0].title", "at most 20"},
		{"duplicate button id", base(`,"type":"interactive","interactive_type":"button","body":"b","buttons":[{"id":"a","title":"A"},{"id":"a","title":"B"}]`), "buttons[1].id", "unique"},
		{"header too long", base(`,"type":"interactive","interactive_type":"button","body":"b","header":"` + long(61) + `","buttons":[{"id":"a","title":"A"},{"id":"b","title":"B"}]`), "header", "at most 60"},
		{"footer too long", base(`,"type":"interactive","interactive_type":"button","body":"b","footer":"` + long(61) + `","buttons":[{"id":"a","title":"A"},{"id":"b","title":"B"}]`), "footer", "at most 60"},
		{"list without button_text", base(`,"type":"interactive","interactive_type":"list","body":"b","sections":[{"rows":[{"id":"1","title":"t"}]}]`), "button_text", "is required"},
		{"list no sections", base(`,"type":"interactive","interactive_type":"list","body":"b","button_text":"Go"`), "sections", "1 to 10"},
		{"list row title", base(`,"type":"interactive","interactive_type":"list","body":"b","button_text":"Go","sections":[{"rows":[{"id":"1","title":"` + long(25) + `"}]}]`), "sections[0].rows[0].title", "at most 24"},
		{"list section titles", base(`,"type":"interactive","interactive_type":"list","body":"b","button_text":"Go","sections":[{"rows":[{"id":"1","title":"t"}]},{"title":"x","rows":[{"id":"2","title":"t"}]}]`), "sections[0].title", "more than one section"},
		{"list eleven rows", base(`,"type":"interactive","interactive_type":"list","body":"b","button_text":"Go","sections":[{"title":"a","rows":[` + rows(6, "a") + `]},{"title":"b","rows":[` + rows(5, "b") + `]}]`), "sections", "at most 10 rows"},
		{"template without name", base(`,"type":"template","language":"de"`), "template", "is required"},
		{"template without language", base(`,"type":"template","template":"hello_world"`), "language", "is required"},
		{"label chars", base(`,"text":"hi","label":"a b"`), "label", "may contain only"},
		{"label length", base(`,"text":"hi","label":"` + long(101) + `"`), "label", "at most 100"},
		{"foreign_id length", base(`,"text":"hi","foreign_id":"` + long(65) + `"`), "foreign_id", "at most 64"},
		{"foreign_id chars", base(`,"text":"hi","foreign_id":"a/b"`), "foreign_id", "may contain only"},
		{"ttl zero", base(`,"text":"hi","ttl":0`), "ttl", "between 1 and 43200"},
		{"ttl too long", base(`,"text":"hi","ttl":43201`), "ttl", "between 1 and 43200"},
		{"ttl not a number", base(`,"text":"hi","ttl":"soon"`), "ttl", "integer number of minutes"},
		{"delay format", base(`,"text":"hi","delay":"tomorrow"`), "delay", "YYYY-MM-DD hh:mm:ss"},
		{"delay too far", base(`,"text":"hi","delay":"2028-01-01 00:00:00"`), "delay", "at most one year"},
		{"debug not bool", base(`,"text":"hi","debug":"maybe"`), "debug", "must be a boolean"},
		{"tracking not bool", base(`,"text":"hi","performance_tracking":"maybe"`), "performance_tracking", "must be a boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var req sendRequest
			if err := json.Unmarshal([]byte(tc.body), &req); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			_, err := req.validate(testNow, time.UTC)
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("validate = %v, want a field error", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Msg, tc.rule) {
				t.Fatalf("got %q, want field %q with rule containing %q", fe.Error(), tc.field, tc.rule)
			}
		})
	}
}

func rows(n int, prefix string) string {
	var parts []string
	for i := range n {
		parts = append(parts, `{"id":"`+prefix+string(rune('0'+i))+`","title":"t"}`)
	}
	return strings.Join(parts, ",")
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		check      func(t *testing.T, p *sendPlan)
	}{
		{"type omitted is text", base(`,"text":"hi"`), func(t *testing.T, p *sendPlan) {
			if p.content.Type != openwaba.TypeText || p.content.Text != "hi" {
				t.Errorf("content = %+v", p.content)
			}
		}},
		{"several recipients", `{"from":"+49 151 12345678","to":"4917612345678, +4917612345679","text":"hi"}`, func(t *testing.T, p *sendPlan) {
			if p.from != "4915112345678" || len(p.recipients) != 2 || p.recipients[1] != "4917612345679" {
				t.Errorf("from %q recipients %v", p.from, p.recipients)
			}
		}},
		{"booleans as strings", base(`,"text":"hi","debug":"1","performance_tracking":1`), func(t *testing.T, p *sendPlan) {
			if !p.debug || !p.tracking {
				t.Errorf("debug %v tracking %v", p.debug, p.tracking)
			}
		}},
		{"ttl as string", base(`,"text":"hi","ttl":"60"`), func(t *testing.T, p *sendPlan) {
			if p.ttl != time.Hour {
				t.Errorf("ttl %v", p.ttl)
			}
		}},
		{"default ttl", base(`,"text":"hi"`), func(t *testing.T, p *sendPlan) {
			if p.ttl != 48*time.Hour {
				t.Errorf("ttl %v", p.ttl)
			}
		}},
		{"delay date", base(`,"text":"hi","delay":"2026-11-26 08:30:00"`), func(t *testing.T, p *sendPlan) {
			if want := time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC); !p.scheduledAt.Equal(want) {
				t.Errorf("scheduled %v", p.scheduledAt)
			}
		}},
		{"delay unix", base(`,"text":"hi","delay":1796000000`), func(t *testing.T, p *sendPlan) {
			if !p.scheduledAt.Equal(time.Unix(1796000000, 0)) {
				t.Errorf("scheduled %v", p.scheduledAt)
			}
		}},
		{"delay in the past sends now", base(`,"text":"hi","delay":"2020-01-01 00:00:00"`), func(t *testing.T, p *sendPlan) {
			if !p.scheduledAt.IsZero() {
				t.Errorf("scheduled %v", p.scheduledAt)
			}
		}},
		{"document filename from url", base(`,"type":"document","url":"https://x/a/invoice.pdf"`), func(t *testing.T, p *sendPlan) {
			if p.content.Media.Filename != "invoice.pdf" {
				t.Errorf("filename %q", p.content.Media.Filename)
			}
		}},
		{"contact formatted name", base(`,"type":"contacts","contacts":[{"name":{"first_name":"John","last_name":"Doe"},"phones":[{"phone":"+491234567890","type":"CELL"}]}]`), func(t *testing.T, p *sendPlan) {
			c := p.content.Contacts[0]
			if c.Name.Formatted != "John Doe" || c.Phones[0].Type != "cell" {
				t.Errorf("contact %+v", c)
			}
		}},
		{"template body values as objects", base(`,"type":"template","template":"t","language":"de","components":{"body":[{"type":"text","text":"Max"},"ORD"],"buttons":[{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"x"}]}]}`), func(t *testing.T, p *sendPlan) {
			v := p.template.values
			if len(v.Body) != 2 || v.Body[0].Text != "Max" || v.Body[1].Text != "ORD" || v.Buttons[0].Index != 0 {
				t.Errorf("values %+v", v)
			}
		}},
		{"location coordinates as decimal strings", base(`,"type":"location","latitude":"+52.52","longitude":"-.5"`), func(t *testing.T, p *sendPlan) {
			if l := p.content.Location; l.Latitude != 52.52 || l.Longitude != -0.5 {
				t.Errorf("location %+v", l)
			}
		}},
		{"location coordinates with exponent", base(`,"type":"location","latitude":5.252e1,"longitude":"1E1"`), func(t *testing.T, p *sendPlan) {
			if l := p.content.Location; l.Latitude != 52.52 || l.Longitude != 10 {
				t.Errorf("location %+v", l)
			}
		}},
		{"template type inferred", base(`,"template":"hello_world","language":"de"`), func(t *testing.T, p *sendPlan) {
			if p.content.Type != openwaba.TypeTemplate {
				t.Errorf("type %q", p.content.Type)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var req sendRequest
			if err := json.Unmarshal([]byte(tc.body), &req); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			p, err := req.validate(testNow, time.UTC)
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			tc.check(t, p)
		})
	}
}

func TestEncoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Hallo Welt!": "gsm", "Grüße {x} €": "gsm", "Hi 👍": "ucs2", "Привет": "ucs2"} {
		if got := encoding(in); got != want {
			t.Errorf("encoding(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDelayTimeZone: a delay date without an offset is read in the
// account's time zone; an offset, Z or a Unix timestamp is absolute.
func TestDelayTimeZone(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		t.Helper()
		at, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tests := []struct {
		name  string
		delay string
		loc   *time.Location
		want  time.Time // zero: send now
		rule  string    // non-empty: the request is refused with this
	}{
		{"date in UTC", `"2026-11-26 08:30:00"`, time.UTC, utc("2026-11-26 08:30:00"), ""},
		{"date in Berlin", `"2026-11-26 08:30:00"`, berlin, utc("2026-11-26 07:30:00"), ""},
		{"date in Berlin, summer time", `"2027-07-01 08:30:00"`, berlin, utc("2027-07-01 06:30:00"), ""},
		{"date in New York", `"2026-11-26 08:30:00"`, newYork, utc("2026-11-26 13:30:00"), ""},
		{"explicit offset wins", `"2026-11-26 08:30:00+02:00"`, berlin, utc("2026-11-26 06:30:00"), ""},
		{"RFC 3339 with Z", `"2026-11-26T08:30:00Z"`, berlin, utc("2026-11-26 08:30:00"), ""},
		{"Unix timestamp ignores the zone", `1796000000`, newYork, time.Unix(1796000000, 0), ""},
		{"past in the zone sends now", `"2026-11-25 12:30:00"`, berlin, time.Time{}, ""},
		{"future only in the zone", `"2026-11-25 11:30:00"`, newYork, utc("2026-11-25 16:30:00"), ""},
		{"exactly one year ahead", `"2027-11-25 12:00:00"`, time.UTC, utc("2027-11-25 12:00:00"), ""},
		{"one year ahead in Berlin", `"2027-11-25 12:30:00"`, berlin, utc("2027-11-25 11:30:00"), ""},
		{"over one year ahead", `"2027-11-25 12:00:01"`, time.UTC, time.Time{}, "at most one year ahead"},
		{"over one year ahead in New York", `"2027-11-25 07:00:01"`, newYork, time.Time{}, "at most one year ahead"},
		{"no such date", `"2026-02-30 08:00:00"`, berlin, time.Time{}, "YYYY-MM-DD hh:mm:ss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var req sendRequest
			if err := json.Unmarshal([]byte(base(`,"text":"hi","delay":`+tc.delay)), &req); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			p, err := req.validate(testNow, tc.loc)
			if tc.rule != "" {
				var fe *fieldError
				if !errors.As(err, &fe) || fe.Field != "delay" || !strings.Contains(fe.Msg, tc.rule) {
					t.Fatalf("validate = %v, want a delay error saying %q", err, tc.rule)
				}
				return
			}
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if !p.scheduledAt.Equal(tc.want) {
				t.Errorf("scheduled at %v, want %v", p.scheduledAt.UTC(), tc.want)
			}
		})
	}
}
