package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba/client"
	"github.com/openwaba/openwaba/internal/api"
)

// The API commands (send, status, delete) talk to a running gateway, or to
// seven.io, through the Go client.

// apiFlags are the flags of every API command.
type apiFlags struct {
	url, key string
	json     bool
	timeout  time.Duration
	// raw keeps the body of the last answer, for --json.
	raw rawAnswer
}

func (f *apiFlags) define(cmd *cobra.Command, jsonUsage string) {
	fs := cmd.Flags()
	fs.StringVar(&f.url, "url", "http://127.0.0.1:8080", "the gateway's URL; https://gateway.seven.io/api for seven.io")
	bindEnv(fs, "url", "OPENWABA_URL")
	fs.StringVar(&f.key, "api-key", "", "API key")
	bindEnv(fs, "api-key", "OPENWABA_API_KEY")
	fs.BoolVar(&f.json, "json", false, jsonUsage)
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each request")
	setAnnotation(cmd, noGlobals)
}

func (f *apiFlags) client() (*client.Client, error) {
	if f.key == "" {
		return nil, errors.New("no API key: set OPENWABA_API_KEY or pass --api-key")
	}
	base := strings.TrimRight(f.url, "/")
	if !strings.HasSuffix(base, "/api") {
		base += "/api"
	}
	f.raw.base = http.DefaultTransport
	return client.New(base, f.key, client.WithTimeout(f.timeout), client.WithHTTPClient(&http.Client{Transport: &f.raw})), nil
}

// printRaw prints the API's last answer as it came, for --json.
func (f *apiFlags) printRaw(w io.Writer) error {
	b := bytes.TrimRight(f.raw.last(), "\n")
	_, err := fmt.Fprintf(w, "%s\n", b)
	return err
}

// rawAnswer is a transport that keeps the body of the last response.
type rawAnswer struct {
	base http.RoundTripper
	mu   sync.Mutex
	body []byte
}

func (r *rawAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	r.mu.Lock()
	r.body = b
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *rawAnswer) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body
}

const sendLong = `Send one message to one or more recipients: POST /api/waba/messages.

Exactly one message:
  --text TEXT
  --template NAME --language L [--header V]... [--body V]... [--button-url SUFFIX]...
  --image URL [--caption C]       --video URL [--caption C]
  --audio URL                     --sticker URL
  --document URL [--filename F] [--caption C]
  --location LAT,LON [--name N] [--address A]
  --contact "First Last=+491234567890" (repeatable)
  --button ID=TITLE (2 or 3) --body TEXT [--header H] [--footer F]
  --list BUTTON_TEXT --row "SECTION|ID|TITLE[|DESCRIPTION]"... --body TEXT [--header H] [--footer F]

--delay is read by the gateway, as the API reads it: "YYYY-MM-DD hh:mm:ss" in
the account's time zone, the same with an offset (+01:00 or Z), or a Unix
time. --json prints the API's answer as it came.`

// sendFlags are the flags of send.
type sendFlags struct {
	from, to, text, template, language                   string
	image, video, audio, document, sticker               string
	caption, filename, location, name, address           string
	list, footer, label, foreignID, delay                string
	ttl                                                  int
	debug                                                bool
	headers, bodies, buttonURLs, contacts, buttons, rows []string
}

func sendCmd(a *app) *cobra.Command {
	var af apiFlags
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send --from NUMBER --to NUMBER[,NUMBER...] MESSAGE-FLAGS",
		Short: "send a message",
		Long:  sendLong,
		Example: `  openwaba send --from 4915112345678 --to 4917612345678 --template hello_world --language de
  openwaba send --from 4915112345678 --to 4917612345678 --text "Hi" --delay "2026-12-24 09:00:00"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.send(cmd.Context(), &af, a.stdout)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&f.from, "from", "", "your sender number")
	fs.StringVar(&f.to, "to", "", "recipients, comma-separated")
	fs.StringVar(&f.text, "text", "", "freetext message")
	fs.StringVar(&f.template, "template", "", "template name")
	fs.StringVar(&f.language, "language", "", "template language")
	fs.StringArrayVar(&f.headers, "header", nil, "template header value, or interactive header (repeatable)")
	fs.StringArrayVar(&f.bodies, "body", nil, "template body value (repeatable), or interactive body")
	fs.StringArrayVar(&f.buttonURLs, "button-url", nil, "template URL button suffix (repeatable)")
	fs.StringVar(&f.image, "image", "", "image URL")
	fs.StringVar(&f.video, "video", "", "video URL")
	fs.StringVar(&f.audio, "audio", "", "audio URL")
	fs.StringVar(&f.document, "document", "", "document URL")
	fs.StringVar(&f.sticker, "sticker", "", "sticker URL")
	fs.StringVar(&f.caption, "caption", "", "media caption")
	fs.StringVar(&f.filename, "filename", "", "document file name")
	fs.StringVar(&f.location, "location", "", "LAT,LON")
	fs.StringVar(&f.name, "name", "", "location name")
	fs.StringVar(&f.address, "address", "", "location address")
	fs.StringArrayVar(&f.contacts, "contact", nil, `contact card "First Last=+49..." (repeatable)`)
	fs.StringArrayVar(&f.buttons, "button", nil, "interactive reply button ID=TITLE (repeatable)")
	fs.StringVar(&f.list, "list", "", "list button text")
	fs.StringArrayVar(&f.rows, "row", nil, `list row "SECTION|ID|TITLE[|DESCRIPTION]" (repeatable)`)
	fs.StringVar(&f.footer, "footer", "", "interactive footer")
	fs.StringVar(&f.label, "label", "", "label for statistics")
	fs.StringVar(&f.foreignID, "foreign-id", "", "your id, returned in status reports")
	fs.StringVar(&f.delay, "delay", "", `send later: "YYYY-MM-DD hh:mm:ss" (the account's time zone), with an offset, or a Unix time`)
	fs.IntVar(&f.ttl, "ttl", 0, "validity in minutes (default 2880, the API's)")
	fs.BoolVar(&f.debug, "debug", false, "validate and price only")
	af.define(cmd, "print the API's answer as JSON, as it came")
	return cmd
}

func (f *sendFlags) send(ctx context.Context, af *apiFlags, stdout io.Writer) error {
	first := func(l []string) string {
		if len(l) == 0 {
			return ""
		}
		return l[0]
	}
	var msgs []client.Message
	if f.text != "" {
		msgs = append(msgs, client.Text{Body: f.text})
	}
	if f.template != "" {
		t := client.Template{Name: f.template, Language: f.language}
		if len(f.headers)+len(f.bodies)+len(f.buttonURLs) > 0 {
			t.Components = &client.Components{Header: f.headers, Body: client.Values(f.bodies...)}
			for _, s := range f.buttonURLs {
				t.Components.Buttons = append(t.Components.Buttons, client.URLButton(s))
			}
		}
		msgs = append(msgs, t)
	}
	for _, m := range []struct {
		url string
		msg client.Message
	}{
		{f.image, client.Image{URL: f.image, Caption: f.caption}},
		{f.video, client.Video{URL: f.video, Caption: f.caption}},
		{f.audio, client.Audio{URL: f.audio}},
		{f.document, client.Document{URL: f.document, Filename: f.filename, Caption: f.caption}},
		{f.sticker, client.Sticker{URL: f.sticker}},
	} {
		if m.url != "" {
			msgs = append(msgs, m.msg)
		}
	}
	if f.location != "" {
		lat, lon, ok := strings.Cut(f.location, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		// ParseFloat reads NaN and Inf, which compare false with both
		// bounds: written this way, the range check refuses them.
		if !ok || err1 != nil || err2 != nil || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180) {
			return fmt.Errorf("--location: want LAT,LON (-90..90,-180..180), got %q", f.location)
		}
		msgs = append(msgs, client.Location{Latitude: la, Longitude: lo, Name: f.name, Address: f.address})
	}
	if len(f.contacts) > 0 {
		var cs client.Contacts
		for _, s := range f.contacts {
			n, p, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf(`--contact: want "First Last=+49...", got %q`, s)
			}
			firstName, lastName, _ := strings.Cut(strings.TrimSpace(n), " ")
			cs = append(cs, client.Contact{Name: client.ContactName{FirstName: firstName, LastName: strings.TrimSpace(lastName)}, Phones: []client.ContactPhone{{Phone: strings.TrimSpace(p), Type: "cell"}}})
		}
		msgs = append(msgs, cs)
	}
	if len(f.buttons) > 0 {
		b := client.Buttons{Body: first(f.bodies), Header: first(f.headers), Footer: f.footer}
		for _, s := range f.buttons {
			id, title, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("--button: want ID=TITLE, got %q", s)
			}
			b.Buttons = append(b.Buttons, client.Button{ID: id, Title: title})
		}
		msgs = append(msgs, b)
	}
	if f.list != "" {
		l := client.List{Body: first(f.bodies), Header: first(f.headers), Footer: f.footer, ButtonText: f.list}
		for _, s := range f.rows {
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
	case f.from == "" || f.to == "":
		return errors.New("send: --from and --to are required (see openwaba send --help)")
	case len(msgs) != 1:
		return fmt.Errorf("send: give exactly one message (--text, --template, --image, ...), got %d (see openwaba send --help)", len(msgs))
	}
	req := client.SendRequest{
		From: f.from, To: strings.Split(f.to, ","), Message: msgs[0],
		Label: f.label, ForeignID: f.foreignID, TTL: time.Duration(f.ttl) * time.Minute, Debug: f.debug,
	}
	if f.delay != "" {
		// The API's parser checks the form; the gateway reads the text
		// itself, in the account's time zone, which only it knows.
		if _, err := api.ParseDelay(strings.TrimSpace(f.delay), nil); err != nil {
			return fmt.Errorf("--%w", err)
		}
		req.DelayText = strings.TrimSpace(f.delay)
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
		if err := af.printRaw(stdout); err != nil {
			return err
		}
	} else {
		for _, m := range resp.Messages {
			switch {
			case m.Success && m.ID != "":
				fmt.Fprintf(stdout, "accepted %s to %s (price %.4f)\n", m.ID, m.Recipient, m.Price)
			case m.Success:
				fmt.Fprintf(stdout, "valid: %s (debug, not sent; price %.4f)\n", m.Recipient, m.Price)
			case m.Error == "500":
				fmt.Fprintf(stdout, "refused %s: %s %s (the account's balance is %.4f: top it up with openwaba balance topup)\n", m.Recipient, m.Error, m.ErrorText, resp.Balance)
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
