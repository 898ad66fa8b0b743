package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// docsWithExamples are the pages whose ```sh blocks run, in this order,
// in one shell, against one gateway: the README's tour first.
var docsWithExamples = []string{"README.md", "docs/api.md", "docs/meta.md", "docs/tracking.md", "docs/webhooks.md"}

// docCommand is one shell command of a page, with the output its page
// promises: the full-line comments right after it, where … (or ...)
// stands for anything.
type docCommand struct {
	where  string // page:line
	text   string
	expect []*regexp.Regexp
}

var (
	shBlock  = regexp.MustCompile("(?s)```sh\n(.*?)```")
	ellipsis = regexp.MustCompile(`\s*(…|\.\.\.)\s*`)
)

// docCommands splits a page's shell blocks into commands: a line ending in
// a backslash, or inside an open single quote, goes on on the next.
func docCommands(page, text string) []docCommand {
	var cmds []docCommand
	for _, m := range shBlock.FindAllStringSubmatchIndex(text, -1) {
		line := strings.Count(text[:m[2]], "\n") + 1
		lines := strings.Split(strings.TrimRight(text[m[2]:m[3]], "\n"), "\n")
		var cur *docCommand
		var pending string // a comment continued on the next line
		flush := func() {
			if cur != nil && pending != "" {
				parts := ellipsis.Split(pending, -1)
				for i := range parts {
					parts[i] = regexp.QuoteMeta(parts[i])
				}
				cur.expect = append(cur.expect, regexp.MustCompile("(?s)"+strings.Join(parts, ".*")))
			}
			pending = ""
		}
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			switch {
			case strings.TrimSpace(l) == "":
				flush()
				cur = nil
			case strings.HasPrefix(l, "#   "): // goes on with the comment above
				pending += strings.TrimPrefix(l, "#   ")
			case strings.HasPrefix(l, "# "):
				flush()
				pending = strings.TrimPrefix(l, "# ")
			default:
				flush()
				c := docCommand{where: fmt.Sprintf("%s:%d", page, line+i), text: l}
				for (strings.HasSuffix(c.text, "\\") || strings.Count(c.text, "'")%2 == 1) && i+1 < len(lines) {
					i++
					c.text += "\n" + lines[i]
				}
				cmds = append(cmds, c)
				cur = &cmds[len(cmds)-1]
			}
		}
		flush()
	}
	return cmds
}

// TestDocsRunAsPrinted runs every shell example of the README and of
// docs/, in order, in one shell, against a gateway on a free loopback
// port started as the README says, with the built openwaba on PATH and
// the README's key: only the host changes. Each command must succeed and
// print what its page says it prints.
func TestDocsRunAsPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the docs' examples")
	}
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq", "openssl", "md5sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the docs' examples need %s (.ci/run installs it)", tool)
			}
			t.Skipf("the docs' examples need %s", tool)
		}
	}
	var cmds []docCommand
	for _, page := range docsWithExamples {
		b, err := os.ReadFile(filepath.Join(repoRoot, page))
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, docCommands(page, string(b))...)
	}
	if len(cmds) < 35 {
		t.Fatalf("%d commands in the docs' shell blocks: the extraction is broken", len(cmds))
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	buildBinary(t, filepath.Join(bin, "openwaba"))
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(dir, "data") // ./data of the shell, as for go run ./cmd/openwaba serve
	cfg.APIKey = "my-secret-key"
	cfg.SenderWatchInterval = 50 * time.Millisecond
	g := startWithConfig(t, cfg)

	// curl's progress meter, which a terminal does not show, would clutter
	// the outputs compared.
	if err := os.WriteFile(filepath.Join(dir, ".curlrc"), []byte("silent\nshow-error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The pages' example hosts (hook targets, media links) become a
	// receiver on loopback: a test never resolves or delivers to a real
	// name. Only the host changes, as for the gateway.
	example := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer example.Close()
	hosts := strings.NewReplacer("http://127.0.0.1:8080", g.BaseURL, "https://example.com", example.URL)
	var script strings.Builder
	script.WriteString("set -o pipefail\n")
	for i, c := range cmds {
		fmt.Fprintf(&script, "printf '\\n@@cmd %d\\n'\n%s\nprintf '\\n@@rc %d %%d\\n' $?\n", i, hosts.Replace(c.text), i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash")
	sh.Dir = dir
	sh.Stdin = strings.NewReader(script.String())
	sh.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8", "OPENWABA_URL=" + g.BaseURL}
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	if err := sh.Run(); err != nil {
		t.Fatalf("bash: %v\n%s", err, out.String())
	}

	outputs := map[int]string{}
	rcs := map[int]int{}
	for _, part := range strings.Split(out.String(), "\n@@cmd ")[1:] {
		n, rest, _ := strings.Cut(part, "\n")
		i, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("script output: %q", part)
		}
		body, rc, ok := strings.Cut(rest, "\n@@rc "+n+" ")
		if !ok {
			t.Fatalf("%s: no exit status:\n%s", cmds[i].where, rest)
		}
		outputs[i] = body
		rcs[i], _ = strconv.Atoi(strings.TrimSpace(rc))
	}
	for i, c := range cmds {
		got, ran := outputs[i]
		switch {
		case !ran:
			t.Errorf("%s did not run: %s", c.where, c.text)
		case rcs[i] != 0:
			t.Errorf("%s exits %d: %s\n%s", c.where, rcs[i], c.text, got)
		default:
			// What the page shows names its example host.
			got = strings.ReplaceAll(got, example.URL, "https://example.com")
			for _, want := range c.expect {
				if !want.MatchString(got) {
					t.Errorf("%s: %s\nprints\n%s\nnot what the page says (%s)", c.where, c.text, got, want)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("the whole run:\n%s", out.String())
	}
}

// TestDocsNameEveryFlagAndPackage: the README's configuration table has a
// row for each of serve's flags, with its variable; its package map names
// every package of the module.
func TestDocsNameEveryFlagAndPackage(t *testing.T) {
	t.Parallel()
	readme := readFile(t, filepath.Join(repoRoot, "README.md"))
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var c config
	var store storeConfig
	storeFlags(fs, &store)
	serveFlags(fs, &c)
	fs.VisitAll(func(f *pflag.Flag) {
		row := fmt.Sprintf("| `--%s` | `%s` |", f.Name, envName(f))
		if !strings.Contains(readme, row) {
			t.Errorf("README's configuration table has no row %s", row)
		}
	})
	_, mapText, ok := strings.Cut(readme, "\ncmd/openwaba ")
	if !ok {
		t.Fatal("README has no package map")
	}
	mapText, _, _ = strings.Cut(mapText, "```")
	err := filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "deploy" || name == "docs") {
			return filepath.SkipDir
		}
		gofiles, _ := filepath.Glob(filepath.Join(path, "*.go"))
		rel, _ := filepath.Rel(repoRoot, path)
		if len(gofiles) == 0 || rel == "." || rel == "cmd/openwaba" {
			return nil
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(filepath.ToSlash(rel)) + `\s`).MatchString(mapText) {
			t.Errorf("README's package map does not name %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
