package tracking

import (
	"sort"
	"strings"

	"github.com/openwaba/openwaba"
)

// Shortener makes the short links of one message.
type Shortener struct {
	// Base is the gateway's public URL, e.g. https://wa.example.com; links
	// are Base + "/s/" + code.
	Base string
	// NewCode makes a code; tracking.NewCode when nil.
	NewCode func() string
}

// LinkURL is the short link of code.
func (s Shortener) LinkURL(code string) string {
	return strings.TrimSuffix(s.Base, "/") + "/s/" + code
}

// Shorten returns a copy of c whose text fields — the text of a text
// message, a media caption, an interactive body, the body parameters of a
// template and its rendered body — have every http(s) URL replaced by a
// short link, and the links made. A URL that appears twice gets one link;
// a URL that is already a short link of this gateway is kept.
func (s Shortener) Shorten(c openwaba.Content) (openwaba.Content, []openwaba.Link) {
	newCode := s.NewCode
	if newCode == nil {
		newCode = NewCode
	}
	own := strings.TrimSuffix(s.Base, "/") + "/s/"
	var links []openwaba.Link
	codes := map[string]string{}
	short := func(u string) string {
		if strings.HasPrefix(u, own) {
			return u
		}
		code, ok := codes[u]
		if !ok {
			code = newCode()
			codes[u] = code
			links = append(links, openwaba.Link{Code: code, URL: u})
		}
		return s.LinkURL(code)
	}

	c.Text = Rewrite(c.Text, short)
	if c.Media != nil {
		m := *c.Media
		m.Caption = Rewrite(m.Caption, short)
		c.Media = &m
	}
	if c.Interactive != nil {
		it := *c.Interactive
		it.Body = Rewrite(it.Body, short)
		c.Interactive = &it
	}
	if c.Template != nil {
		t := *c.Template
		t.Body = make([]openwaba.TemplateParam, len(c.Template.Body))
		for i, p := range c.Template.Body {
			p.Text = Rewrite(p.Text, short)
			t.Body[i] = p
		}
		// The rendered body holds the same URLs where the parameters went
		// (and maybe fixed ones of the template text, which Meta sends as
		// registered: those stay).
		longs := make([]string, 0, len(codes))
		for long := range codes {
			longs = append(longs, long)
		}
		// Longest first, so that a URL that begins another is not
		// replaced inside it.
		sort.Slice(longs, func(i, j int) bool { return len(longs[i]) > len(longs[j]) })
		for _, long := range longs {
			t.Rendered.Body = strings.ReplaceAll(t.Rendered.Body, long, s.LinkURL(codes[long]))
		}
		c.Template = &t
	}
	return c, links
}
