package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/client"
)

// runAPI runs an API command against the gateway with its environment.
func (g *testGateway) runAPI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env := map[string]string{"OPENWABA_URL": g.BaseURL, "OPENWABA_API_KEY": testKey}
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestSendCommand(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.openWindow(testUser)
	base := []string{"send", "--from", testSender, "--to", testUser}
	tests := []struct {
		name string
		args []string
		text string // the response's text (what the gateway understood) contains this
	}{
		{"text", []string{"--text", "Thanks for your message!"}, "Thanks for your message!"},
		{"template", []string{"--template", "hello_world", "--language", "de"}, `"body":"Hallo Welt!"`},
		{"template with values", []string{"--template", "order_confirmation", "--language", "de", "--body", "Max Mustermann", "--body", "ORD-12345", "--button-url", "ORD-12345"}, "https://example.com/orders/ORD-12345"},
		{"template with header", []string{"--template", "appointment_reminder", "--language", "de", "--header", "Appointment confirmation", "--body", "Max Mustermann", "--body", "2026-02-15", "--body", "2:00 PM", "--body", "Dr. Smith", "--button-url", "abc123"}, "Dr. Smith"},
		{"image", []string{"--image", "https://example.com/photo.jpg", "--caption", "Check out this image!"}, "Check out this image!"},
		{"video", []string{"--video", "https://example.com/video.mp4", "--caption", "Watch this video"}, "Watch this video"},
		{"audio", []string{"--audio", "https://example.com/audio.mp3"}, "https://example.com/audio.mp3"},
		{"document", []string{"--document", "https://example.com/invoice.pdf", "--filename", "invoice.pdf", "--caption", "Your invoice"}, "invoice.pdf"},
		{"sticker", []string{"--sticker", "https://example.com/sticker.webp"}, "sticker.webp"},
		{"location", []string{"--location", "48.8566,2.3522", "--name", "Eiffel Tower", "--address", "5 Avenue Anatole France, 75007 Paris"}, "Eiffel Tower"},
		{"contacts", []string{"--contact", "John Doe=+491234567890", "--contact", "Jane=+491234567891"}, "Jane"},
		{"buttons", []string{"--body", "How can we help you?", "--header", "Support", "--footer", "Tap a button", "--button", "btn_sales=Sales", "--button", "btn_support=Support"}, "btn_support"},
		{"list", []string{"--list", "View Options", "--body", "Browse our product categories:", "--row", "Electronics|phone_1|Smartphones|Latest models", "--row", "Electronics|laptop_1|Laptops", "--row", "Books|book_1|Novels"}, "Novels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, err := g.runAPI(t, append(append(append([]string{}, base...), tc.args...), "--json")...)
			if err != nil {
				t.Fatalf("%v\n%s%s", err, out, errOut)
			}
			var resp client.SendResponse
			if err := json.Unmarshal([]byte(out), &resp); err != nil {
				t.Fatalf("--json output is not JSON: %v\n%s", err, out)
			}
			if resp.Success != "100" || len(resp.IDs()) != 1 || !strings.Contains(resp.Messages[0].Text, tc.text) {
				t.Fatalf("response %+v, want text with %q", resp, tc.text)
			}
			g.waitStatus(resp.IDs()[0], "read")
		})
	}
}

func TestSendStatusDeleteHumanOutput(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	// Human output of a send.
	out, _, err := g.runAPI(t, "send", "--from", testSender, "--to", testUser, "--template", "hello_world", "--language", "de")
	m := regexp.MustCompile(`^accepted ([0-9]+) to 4917612345678 \(price 0\.0735\)\ntotal 0\.0735, balance 99\.9265\n$`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("send: %v\n%q", err, out)
	}
	id := m[1]
	g.waitStatus(id, "read")
	out, _, err = g.runAPI(t, "status", id)
	if err != nil || !strings.HasPrefix(out, "message "+id+": read since ") || !regexp.MustCompile(`(?m)^  queued .*\n  sent .*\n  delivered .*\n  read `).MatchString(out) {
		t.Fatalf("status: %v\n%s", err, out)
	}
	out, _, err = g.runAPI(t, "status", "--json", id)
	var st client.MessageStatus
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.ID != id || st.Status != "read" || len(st.Statuses) != 4 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	// A sent message cannot be deleted; a scheduled one can.
	if _, _, err := g.runAPI(t, "delete", id); err == nil || !strings.Contains(err.Error(), "Message already sent") {
		t.Fatalf("delete sent: %v", err)
	}
	out, _, err = g.runAPI(t, "send", "--from", testSender, "--to", testUser, "--template", "hello_world", "--language", "de",
		"--delay", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "--label", "cli", "--foreign-id", "cli-1", "--ttl", "60")
	id2 := regexp.MustCompile(`accepted ([0-9]+)`).FindStringSubmatch(out)
	if err != nil || id2 == nil {
		t.Fatalf("scheduled send: %v\n%s", err, out)
	}
	if st := g.waitStatus(id2[1], "scheduled"); st.Label != "cli" || st.ForeignID != "cli-1" || !st.Expires.Equal(st.Scheduled.Add(time.Hour)) {
		t.Fatalf("scheduled message %+v", st)
	}
	out, _, err = g.runAPI(t, "delete", id2[1])
	if err != nil || out != "message "+id2[1]+" deleted and refunded\n" {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	out, _, err = g.runAPI(t, "delete", "--json", "999999")
	if !errors.Is(err, client.ErrNotFound) || out != "" {
		t.Fatalf("delete unknown: %v %q", err, out)
	}
}

func TestSendCommandErrors(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		out     string
	}{
		{name: "outside the window", args: []string{"send", "--from", testSender, "--to", testUser, "--text", "hi"}, wantErr: "7002001", out: "refused 4917612345678: 7002001 Not in conversation."},
		{name: "no message", args: []string{"send", "--from", testSender, "--to", testUser}, wantErr: "exactly one message"},
		{name: "two messages", args: []string{"send", "--from", testSender, "--to", testUser, "--text", "a", "--sticker", "https://example.com/s.webp"}, wantErr: "got 2"},
		{name: "no recipient", args: []string{"send", "--from", testSender, "--text", "a"}, wantErr: "--from and --to are required"},
		{name: "bad location", args: []string{"send", "--from", testSender, "--to", testUser, "--location", "north"}, wantErr: "--location"},
		{name: "validation", args: []string{"send", "--from", testSender, "--to", testUser, "--template", "nope", "--language", "de"}, wantErr: `"nope" is not a registered template`},
		{name: "no key", args: []string{"status", "1"}, env: map[string]string{"OPENWABA_URL": g.BaseURL}, wantErr: "no API key"},
		{name: "wrong key", args: []string{"status", "1"}, env: map[string]string{"OPENWABA_URL": g.BaseURL, "OPENWABA_API_KEY": "nope"}, wantErr: "900"},
		{name: "status without id", args: []string{"status"}, wantErr: "usage: openwaba status MESSAGE-ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			env := tc.env
			if env == nil {
				env = map[string]string{"OPENWABA_URL": g.BaseURL + "/api/", "OPENWABA_API_KEY": testKey}
			}
			err := run(context.Background(), tc.args, func(k string) string { return env[k] }, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q\n%s%s", err, tc.wantErr, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Fatalf("output %q, want %q", out.String(), tc.out)
			}
		})
	}
}
