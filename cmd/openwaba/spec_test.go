package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestSpecExamples runs every request of seven's documentation verbatim
// (only host and key replaced) against a real gateway and compares the
// response with its golden file. Non-template messages need an open
// conversation window, so the sandbox's user writes first, as a real user
// would.
func TestSpecExamples(t *testing.T) {
	t.Parallel()
	examples := loadSpecExamples(t)
	if len(examples) != 18 {
		t.Fatalf("found %d examples in the spec, want 18 (15 curl + 2 bodies + delete)", len(examples))
	}
	for _, ex := range examples {
		t.Run(slug(ex.Name), func(t *testing.T) {
			t.Parallel()
			g := startTestGateway(t)
			g.openWindow(testUser)
			var headers []string
			for _, h := range ex.Headers {
				v := h[1]
				if v == "YOUR_API_KEY" {
					v = testKey
				}
				headers = append(headers, h[0], v)
			}
			path := strings.TrimPrefix(ex.URL, "https://gateway.seven.io")
			r := g.do(ex.Method, path, ex.Body, headers...)
			got := append([]byte(strings.TrimSpace(string(normalize(t, r.Body)))+"\n"), []byte{}...)
			golden := filepath.Join("testdata", "golden", slug(ex.Name)+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update once to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("response %d differs from %s\n got: %s\nwant: %s", r.Status, golden, got, want)
			}
			if strings.Contains(path, "/messages") && ex.Method == "POST" {
				m := r.JSON(t)
				if m["success"] != "100" {
					t.Fatalf("success = %v: %s", m["success"], r.Body)
				}
				id := firstID(t, m)
				if !regexp.MustCompile(`^[0-9]+$`).MatchString(id) {
					t.Errorf("id %q is not decimal digits", id)
				}
				// The message goes all the way: sandbox, signed status webhooks, read.
				g.waitStatus(id, "read")
			}
		})
	}
}
