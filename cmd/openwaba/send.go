package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba/client"
)

// The API commands (send, status, delete) talk to a running gateway, or to
// seven.io, through the Go client.

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// apiFlags are the flags of every API command.
type apiFlags struct {
	url, key string
	json     bool
	timeout  time.Duration
}

func newAPIFlags(name string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *apiFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &apiFlags{}
	def := getenv("OPENWABA_URL")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	fs.StringVar(&f.url, "url", def, "the gateway's URL (OPENWABA_URL); https://gateway.seven.io/api for seven.io")
	fs.StringVar(&f.key, "api-key", getenv("OPENWABA_API_KEY"), "API key (OPENWABA_API_KEY)")
	fs.BoolVar(&f.json, "json", false, "print the answer as JSON, for scripts")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each request")
	return fs, f
}

func (f *apiFlags) client() (*client.Client, error) {
	if f.key == "" {
		return nil, errors.New("no API key: set OPENWABA_API_KEY or pass --api-key")
	}
	base := strings.TrimRight(f.url, "/")
	if !strings.HasSuffix(base, "/api") {
		base += "/api"
	}
	return client.New(base, f.key, client.WithTimeout(f.timeout)), nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

const sendUsage = `usage: openwaba send --from N --to N[,N...] <one message> [options]

messages (exactly one):
  --text TEXT
  --template NAME --language L [--header V]... [--body V]... [--button-url SUFFIX]...
  --image URL [--caption C]       --video URL [--caption C]
  --audio URL                     --sticker URL
  --document URL [--filename F] [--caption C]
  --location LAT,LON [--name N] [--address A]
  --contact "First Last=+491234567890" (repeatable)
  --button ID=TITLE (2 or 3) --body TEXT [--header H] [--footer F]
  --list BUTTON_TEXT --row "SECTION|ID|TITLE[|DESCRIPTION]"... --body TEXT [--header H] [--footer F]
`

func sendCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, af := newAPIFlags("send", getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sendUsage, "\nflags:\n"); fs.PrintDefaults() }
	var (
		from, to                                       = fs.String("from", "", "your sender number"), fs.String("to", "", "recipients, comma-separated")
		text                                           = fs.String("text", "", "freetext message")
		template, language                             = fs.String("template", "", "template name"), fs.String("language", "", "template language")
		image, video, audio, document, sticker         = fs.String("image", "", "image URL"), fs.String("video", "", "video URL"), fs.String("audio", "", "audio URL"), fs.String("document", "", "document URL"), fs.String("sticker", "", "sticker URL")
		caption, filename                              = fs.String("caption", "", "media caption"), fs.String("filename", "", "document file name")
		location, name, address                        = fs.String("location", "", "LAT,LON"), fs.String("name", "", "location name"), fs.String("address", "", "location address")
		list, footer                                   = fs.String("list", "", "list button text"), fs.String("footer", "", "interactive footer")
		label, foreignID, delay                        = fs.String("label", "", "label for statistics"), fs.String("foreign-id", "", "your id, returned in status reports"), fs.String("delay", "", `send later: "YYYY-MM-DD hh:mm:ss" (UTC) or a Unix time`)
		ttl                                            = fs.Int("ttl", 0, "validity in minutes")
		debug                                          = fs.Bool("debug", false, "validate and price only")
		headers, bodies, buttonURLs, contacts, buttons stringList
		rows                                           stringList
	)
	fs.Var(&headers, "header", "template header value, or interactive header (repeatable)")
	fs.Var(&bodies, "body", "template body value (repeatable), or interactive body")
	fs.Var(&buttonURLs, "button-url", "template URL button suffix (repeatable)")
	fs.Var(&contacts, "contact", `contact card "First Last=+49..." (repeatable)`)
	fs.Var(&buttons, "button", "interactive reply button ID=TITLE (repeatable)")
	fs.Var(&rows, "row", `list row "SECTION|ID|TITLE[|DESCRIPTION]" (repeatable)`)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	first := func(l stringList) string {
		if len(l) == 0 {
			return ""
		}
		return l[0]
	}
	var msgs []client.Message
	if *text != "" {
		msgs = append(msgs, client.Text{Body: *text})
	}
	if *template != "" {
		t := client.Template{Name: *template, Language: *language}
		if len(headers)+len(bodies)+len(buttonURLs) > 0 {
			t.Components = &client.Components{Header: headers, Body: client.Values(bodies...)}
			for _, s := range buttonURLs {
				t.Components.Buttons = append(t.Components.Buttons, client.URLButton(s))
			}
		}
		msgs = append(msgs, t)
	}
	for _, m := range []struct {
		url string
		msg client.Message
	}{
		{*image, client.Image{URL: *image, Caption: *caption}},
		{*video, client.Video{URL: *video, Caption: *caption}},
		{*audio, client.Audio{URL: *audio}},
		{*document, client.Document{URL: *document, Filename: *filename, Caption: *caption}},
		{*sticker, client.Sticker{URL: *sticker}},
	} {
		if m.url != "" {
			msgs = append(msgs, m.msg)
		}
	}
	if *location != "" {
		lat, lon, ok := strings.Cut(*location, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		// ParseFloat reads NaN and Inf, which compare false with both
		// bounds: written this way, the range check refuses them.
		if !ok || err1 != nil || err2 != nil || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180) {
			return fmt.Errorf("--location: want LAT,LON (-90..90,-180..180), got %q", *location)
		}
		msgs = append(msgs, client.Location{Latitude: la, Longitude: lo, Name: *name, Address: *address})
	}
	if len(contacts) > 0 {
		var cs client.Contacts
		for _, s := range contacts {
			n, p, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf(`--contact: want "First Last=+49...", got %q`, s)
			}
			firstName, lastName, _ := strings.Cut(strings.TrimSpace(n), " ")
			cs = append(cs, client.Contact{Name: client.ContactName{FirstName: firstName, LastName: strings.TrimSpace(lastName)}, Phones: []client.ContactPhone{{Phone: strings.TrimSpace(p), Type: "cell"}}})
		}
		msgs = append(msgs, cs)
	}
	if len(buttons) > 0 {
		b := client.Buttons{Body: first(bodies), Header: first(headers), Footer: *footer}
		for _, s := range buttons {
			id, title, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("--button: want ID=TITLE, got %q", s)
			}
			b.Buttons = append(b.Buttons, client.Button{ID: id, Title: title})
		}
		msgs = append(msgs, b)
	}
	if *list != "" {
		l := client.List{Body: first(bodies), Header: first(headers), Footer: *footer, ButtonText: *list}
		for _, s := range rows {
			parts := strings.Split(s, "|")
			if len(parts) < 3 || len(parts) > 4 {
				return fmt.Errorf(`--row: want "SECTION|ID|TITLE[|DESCRIPTION]", got %q`, s)
			}
			row := client.Row{ID: parts[1], Title: parts[2]}
			if len(parts) == 4 {
				row.Description = parts[3]
			}
			if n := len(l.Sections); n == 0 || l.Sections[n-1].Title != parts[0] {
				l.Sections = append(l.Sections, client.Section{Title: parts[0]})
			}
			last := &l.Sections[len(l.Sections)-1]
			last.Rows = append(last.Rows, row)
		}
		msgs = append(msgs, l)
	}
	switch {
	case *from == "" || *to == "":
		fs.Usage()
		return errors.New("send: --from and --to are required")
	case len(msgs) != 1:
		fs.Usage()
		return fmt.Errorf("send: give exactly one message (--text, --template, --image, ...), got %d", len(msgs))
	}
	req := client.SendRequest{
		From: *from, To: strings.Split(*to, ","), Message: msgs[0],
		Label: *label, ForeignID: *foreignID, TTL: time.Duration(*ttl) * time.Minute, Debug: *debug,
	}
	if *delay != "" {
		t, err := parseDelay(*delay)
		if err != nil {
			return err
		}
		req.Delay = t
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	resp, err := c.Send(ctx, req)
	if err != nil {
		return err
	}
	if af.json {
		if err := printJSON(stdout, resp); err != nil {
			return err
		}
	} else {
		for _, m := range resp.Messages {
			switch {
			case m.Success && m.ID != "":
				fmt.Fprintf(stdout, "accepted %s to %s (price %.4f)\n", m.ID, m.Recipient, m.Price)
			case m.Success:
				fmt.Fprintf(stdout, "valid: %s (debug, not sent; price %.4f)\n", m.Recipient, m.Price)
			default:
				fmt.Fprintf(stdout, "refused %s: %s %s\n", m.Recipient, m.Error, m.ErrorText)
			}
		}
		fmt.Fprintf(stdout, "total %.4f, balance %.4f\n", resp.TotalPrice, resp.Balance)
	}
	if err := resp.Err(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// parseDelay reads "YYYY-MM-DD hh:mm:ss" (UTC) or a Unix time.
func parseDelay(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		return time.Time{}, fmt.Errorf(`--delay: want "YYYY-MM-DD hh:mm:ss" or a Unix time, got %q`, s)
	}
	return t, nil
}

func oneID(name string, fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("usage: openwaba %s ID [--json]", name)
	}
	return pos[0], nil
}

func statusCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, af := newAPIFlags("status", getenv, stderr)
	id, err := oneID("status", fs, args)
	if err != nil {
		return err
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	m, err := c.Status(ctx, id)
	if err != nil {
		return err
	}
	if af.json {
		return printJSON(stdout, m)
	}
	fmt.Fprintf(stdout, "message %s: %s since %s\n", m.ID, m.Status, m.StatusTime.Format(time.RFC3339))
	fmt.Fprintf(stdout, "  %s → %s, %s, price %.4f\n", m.Sender, m.Recipient, m.Type, m.Price)
	if m.ErrorCode != 0 || m.ErrorText != "" {
		fmt.Fprintf(stdout, "  error %d: %s\n", m.ErrorCode, m.ErrorText)
	}
	for _, s := range m.Statuses {
		fmt.Fprintf(stdout, "  %-9s %s\n", s.Status, s.Time.Format(time.RFC3339))
	}
	return nil
}

func deleteCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, af := newAPIFlags("delete", getenv, stderr)
	id, err := oneID("delete", fs, args)
	if err != nil {
		return err
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	if err := c.Delete(ctx, id); err != nil {
		return err
	}
	if af.json {
		return printJSON(stdout, map[string]bool{"success": true})
	}
	fmt.Fprintf(stdout, "message %s deleted and refunded\n", id)
	return nil
}
