package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// specExample is one request of seven's documentation
// (testdata/seven-waba-api.txt, a copy of shared/spec/seven-waba-api.txt).
type specExample struct {
	Name    string
	Method  string
	URL     string
	Headers [][2]string
	Body    string
}

// loadSpecExamples extracts every curl command of the spec, and the two
// request bodies it shows without curl, exactly as written.
func loadSpecExamples(t *testing.T) []specExample {
	t.Helper()
	raw, err := os.ReadFile("testdata/seven-waba-api.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	var out []specExample
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "curl ") {
			continue
		}
		var cmd []string
		for j := i; j < len(lines) && strings.TrimSpace(lines[j]) != ""; j++ {
			cmd = append(cmd, lines[j])
		}
		ex, err := parseCurl(strings.Join(cmd, "\n"))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		ex.Name = exampleName(lines, i)
		out = append(out, ex)
	}
	for _, heading := range []string{"Header + Body + Buttons", "Image header + Body"} {
		body := jsonAfter(t, string(raw), heading)
		out = append(out, specExample{Name: heading, Method: "POST", URL: "https://gateway.seven.io/api/waba/messages",
			Headers: [][2]string{{"X-Api-Key", "YOUR_API_KEY"}, {"Content-Type", "application/json"}}, Body: body})
	}
	return out
}

// exampleName is the heading above a curl command.
func exampleName(lines []string, i int) string {
	for j := i - 1; j >= 0; j-- {
		s := strings.TrimSpace(lines[j])
		switch {
		case s == "", s == "POST", s == "DELETE", strings.HasPrefix(s, "/api/"):
			continue
		case s == "Request":
			return "Delete message" // the only example headed "Request"
		}
		return s
	}
	return fmt.Sprintf("line %d", i+1)
}

func jsonAfter(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n    "+heading+"\n")
	if i < 0 {
		t.Fatalf("heading %q not in spec", heading)
	}
	start := i + strings.Index(doc[i:], "{")
	depth := 0
	for j := start; j < len(doc); j++ {
		switch doc[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return doc[start : j+1]
			}
		}
	}
	t.Fatalf("unbalanced JSON after %q", heading)
	return ""
}

// parseCurl reads the curl command lines the way a POSIX shell would:
// backslash-newline continues, single quotes keep everything, double
// quotes keep everything but backslash escapes.
func parseCurl(cmd string) (specExample, error) {
	words, err := shellWords(cmd)
	if err != nil {
		return specExample{}, err
	}
	ex := specExample{Method: "GET"}
	for i := 1; i < len(words); i++ {
		switch words[i] {
		case "-X":
			i++
			ex.Method = words[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(words[i], ":")
			ex.Headers = append(ex.Headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "-d", "--data":
			i++
			ex.Body = words[i]
			if ex.Method == "GET" {
				ex.Method = "POST"
			}
		default:
			if strings.HasPrefix(words[i], "http") {
				ex.URL = words[i]
			} else {
				return ex, fmt.Errorf("unexpected curl argument %q", words[i])
			}
		}
	}
	return ex, nil
}

func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == ' ' || c == '\n' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func slug(name string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(name), "_"), "_")
}
