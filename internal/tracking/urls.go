// Package tracking shortens the links of messages sent with
// performance_tracking, so that clicks can be counted: it finds the URLs in
// a text, makes short unguessable codes, and tells link-preview bots from
// people.
package tracking

import (
	"crypto/rand"
	"net/url"
	"regexp"
	"strings"
)

// urlRE finds http(s) URLs: the scheme, then everything up to white space
// or a character that cannot stand in a URL unescaped.
var urlRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"{}|\\^` + "`" + `]+`)

// trailing is punctuation that ends a sentence rather than a URL.
const trailing = `.,;:!?'"*_~`

// FindURLs returns the [start, end) byte offsets of the http(s) URLs in
// text. Punctuation that ends the sentence is not part of the URL, nor is a
// closing bracket that has no opening one in the URL ("(see
// https://x.example/a)" ends before ")"; "https://en.wikipedia.org/wiki/Go_(language)"
// keeps its own).
func FindURLs(text string) [][2]int {
	var out [][2]int
	for _, m := range urlRE.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		for end > start {
			c := text[end-1]
			switch {
			case strings.IndexByte(trailing, c) >= 0:
				end--
				continue
			case c == ')' && strings.Count(text[start:end], "(") < strings.Count(text[start:end], ")"),
				c == ']' && strings.Count(text[start:end], "[") < strings.Count(text[start:end], "]"):
				end--
				continue
			}
			break
		}
		if u, err := url.Parse(text[start:end]); err == nil && u.Host != "" {
			out = append(out, [2]int{start, end})
		}
	}
	return out
}

// Rewrite replaces every URL in text by short(url) and returns the new
// text. short may return the URL itself to keep it.
func Rewrite(text string, short func(url string) string) string {
	spans := FindURLs(text)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s[0]])
		b.WriteString(short(text[s[0]:s[1]]))
		last = s[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// codeAlphabet has no look-alikes that break when a code is read aloud or
// retyped (no 0/O, 1/l/I).
const codeAlphabet = "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// CodeLen is the length of a short code: 57^8 ≈ 1.1e14 codes, so that one
// cannot be guessed or enumerated over HTTP.
const CodeLen = 8

// NewCode returns a random short code.
func NewCode() string {
	var b [CodeLen]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

// ValidCode reports whether s could be a code (cheap check before a lookup).
func ValidCode(s string) bool {
	if len(s) != CodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(codeAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// previewAgents are substrings of the User-Agent of link-preview fetchers
// and crawlers: their requests are views, not clicks.
var previewAgents = []string{
	"whatsapp", "facebookexternalhit", "facebot", "meta-externalagent", "telegrambot", "slackbot", "twitterbot",
	"linkedinbot", "discordbot", "skypeuripreview", "googlebot", "bingbot", "applebot", "embedly", "pinterest",
	"redditbot", "bot/", "bot;", "crawler", "spider", "preview",
}

// IsPreviewBot reports whether a request with this User-Agent looks like a
// link preview or a crawler rather than a person.
func IsPreviewBot(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	if ua == "" {
		return true // browsers always send one
	}
	for _, p := range previewAgents {
		if strings.Contains(ua, p) {
			return true
		}
	}
	return false
}
