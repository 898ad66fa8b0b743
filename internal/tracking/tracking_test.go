package tracking_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/tracking"
)

func TestFindURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []string
	}{
		{"no links here", nil},
		{"Visit https://example.com", []string{"https://example.com"}},
		{"Visit https://example.com.", []string{"https://example.com"}},
		{"Really? https://example.com/a?b=1&c=2!", []string{"https://example.com/a?b=1&c=2"}},
		{"(see https://example.com/x)", []string{"https://example.com/x"}},
		{"https://en.wikipedia.org/wiki/Go_(programming_language)", []string{"https://en.wikipedia.org/wiki/Go_(programming_language)"}},
		{"(https://en.wikipedia.org/wiki/Go_(language))", []string{"https://en.wikipedia.org/wiki/Go_(language)"}},
		{"[link](https://example.com/md)", []string{"https://example.com/md"}},
		{"two: http://a.example/1, https://b.example/2; done", []string{"http://a.example/1", "https://b.example/2"}},
		{"quoted \"https://example.com/q\" and <https://example.com/angle>", []string{"https://example.com/q", "https://example.com/angle"}},
		{"HTTPS://EXAMPLE.COM/UP", []string{"HTTPS://EXAMPLE.COM/UP"}},
		{"ftp://example.com and mailto:a@b.example are not web links", nil},
		{"https:// is not a link", nil},
		{"Umlaut https://example.com/ä?x=ü end", []string{"https://example.com/ä?x=ü"}},
		{"fragment https://example.com/p#top...", []string{"https://example.com/p#top"}},
		{"port http://localhost:8080/x", []string{"http://localhost:8080/x"}},
	}
	for _, tc := range tests {
		var got []string
		for _, s := range tracking.FindURLs(tc.text) {
			got = append(got, tc.text[s[0]:s[1]])
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("FindURLs(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// codes returns a code generator that counts: c1, c2, ...
func codes() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("c%d", n) }
}

func TestShorten(t *testing.T) {
	t.Parallel()
	s := tracking.Shortener{Base: "https://wa.example.com/", NewCode: codes()}
	in := openwaba.Content{Type: openwaba.TypeText,
		Text: "Shop https://shop.example/a and again https://shop.example/a, old https://wa.example.com/s/Abc23456 (or https://shop.example/b)."}
	out, links := s.Shorten(in)
	want := "Shop https://wa.example.com/s/c1 and again https://wa.example.com/s/c1, old https://wa.example.com/s/Abc23456 (or https://wa.example.com/s/c2)."
	if out.Text != want {
		t.Errorf("text\n got %s\nwant %s", out.Text, want)
	}
	if len(links) != 2 || links[0] != (openwaba.Link{Code: "c1", URL: "https://shop.example/a"}) || links[1].URL != "https://shop.example/b" {
		t.Errorf("links %+v", links)
	}
	if in.Text == out.Text {
		t.Error("the input was changed")
	}

	media := openwaba.Content{Type: openwaba.TypeImage, Media: &openwaba.Media{URL: "https://cdn.example/p.jpg", Caption: "New: https://shop.example/new"}}
	out, _ = tracking.Shortener{Base: "https://wa.example.com", NewCode: codes()}.Shorten(media)
	if out.Media.URL != "https://cdn.example/p.jpg" || out.Media.Caption != "New: https://wa.example.com/s/c1" || media.Media.Caption != "New: https://shop.example/new" {
		t.Errorf("media %+v (input %+v)", out.Media, media.Media)
	}

	it := openwaba.Content{Type: openwaba.TypeInteractive, Interactive: &openwaba.Interactive{Type: "button", Body: "Read https://blog.example/x", Footer: "https://footer.example"}}
	out, _ = tracking.Shortener{Base: "https://wa.example.com", NewCode: codes()}.Shorten(it)
	if out.Interactive.Body != "Read https://wa.example.com/s/c1" || out.Interactive.Footer != "https://footer.example" || it.Interactive.Body != "Read https://blog.example/x" {
		t.Errorf("interactive %+v", out.Interactive)
	}

	tpl := openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
		Body:     []openwaba.TemplateParam{{Type: "text", Text: "Anna"}, {Type: "text", Text: "https://shop.example/o/1"}},
		Rendered: openwaba.RenderedTemplate{Body: "Hi Anna, see https://shop.example/o/1 and https://fixed.example"},
	}}
	out, links = tracking.Shortener{Base: "https://wa.example.com", NewCode: codes()}.Shorten(tpl)
	if out.Template.Body[1].Text != "https://wa.example.com/s/c1" || out.Template.Body[0].Text != "Anna" ||
		out.Template.Rendered.Body != "Hi Anna, see https://wa.example.com/s/c1 and https://fixed.example" || len(links) != 1 {
		t.Errorf("template %+v, links %+v", out.Template, links)
	}
	if tpl.Template.Body[1].Text != "https://shop.example/o/1" {
		t.Error("the input's parameters were changed")
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 10000 {
		c := tracking.NewCode()
		if !tracking.ValidCode(c) {
			t.Fatalf("NewCode made %q, which ValidCode refuses", c)
		}
		if seen[c] {
			t.Fatalf("code %s made twice in 10000", c)
		}
		seen[c] = true
	}
	for _, bad := range []string{"", "short", "toolong123", "abc0efgh", "abc/efgh", "ABCDEFG!"} {
		if tracking.ValidCode(bad) {
			t.Errorf("ValidCode(%q) = true", bad)
		}
	}
}

func TestIsPreviewBot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ua  string
		bot bool
	}{
		{"WhatsApp/2.23.20.0 A", true},
		{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
		{"TelegramBot (like TwitterBot)", true},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", true},
		{"", true},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", false},
		{"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36", false},
	}
	for _, tc := range tests {
		if got := tracking.IsPreviewBot(tc.ua); got != tc.bot {
			t.Errorf("IsPreviewBot(%q) = %v, want %v", tc.ua, got, tc.bot)
		}
	}
}
