package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The packaging (Dockerfile, deploy/) is checked as far as a machine
// without a Docker engine or a booted systemd can: the static build the
// image ships, the compose file's services, the unit's syntax.

const repoRoot = "../.."

// TestStaticBinary: CGO_ENABLED=0 builds a binary without an ELF
// interpreter or shared libraries, which runs on the Dockerfile's empty
// base image and prints its version.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "openwaba")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CGO_ENABLED=0") {
		t.Errorf("go version -m: %v\n%s", err, out)
	}
	if path, err := exec.LookPath("file"); err == nil {
		if out, err := exec.Command(path, bin).CombinedOutput(); err != nil || !strings.Contains(string(out), "statically linked") {
			t.Errorf("file: %v %s", err, out)
		}
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "openwaba ") || strings.Contains(string(out), "openwaba dev") {
		t.Errorf("openwaba version: %v %s", err, out)
	}
}

// TestDockerfile: multi-stage, static, not root, a data volume and a
// health check on /healthz.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^FROM golang:1\.26\S* AS build$`),
		regexp.MustCompile(`(?m)^FROM scratch$`),
		regexp.MustCompile(`CGO_ENABLED=0 go build .*\./cmd/openwaba`),
		regexp.MustCompile(`(?m)^USER [1-9][0-9]*:[1-9][0-9]*$`),
		regexp.MustCompile(`(?m)^VOLUME \["/data"\]$`),
		regexp.MustCompile(`OPENWABA_DATA_DIR=/data`),
		regexp.MustCompile(`(?m)^HEALTHCHECK .*\n\s+CMD \["/usr/local/bin/openwaba", "health"`),
		regexp.MustCompile(`ca-certificates\.crt`),
	} {
		if !want.MatchString(df) {
			t.Errorf("Dockerfile: no %s", want)
		}
	}
	// The health command asks /healthz.
	if !strings.Contains(readFile(t, "health_cmd.go"), `"/healthz"`) {
		t.Error("openwaba health does not ask /healthz")
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComposeFile: PostgreSQL and two gateway nodes on it, built from the
// Dockerfile, started once the database is healthy.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	var compose struct {
		Services map[string]struct {
			Image       string `yaml:"image"`
			Build       struct{ Context, Dockerfile string }
			DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
			Environment map[string]string                     `yaml:"environment"`
			Ports       []string                              `yaml:"ports"`
			Volumes     []string                              `yaml:"volumes"`
			Healthcheck struct{ Test []string }               `yaml:"healthcheck"`
		}
		Volumes map[string]any
	}
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(repoRoot, "deploy", "compose.yaml"))), &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	pg, ok := compose.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:") || len(pg.Healthcheck.Test) == 0 {
		t.Fatalf("no postgres service with a health check: %+v", compose.Services)
	}
	nodes := 0
	ports := map[string]bool{}
	for name, s := range compose.Services {
		if name == "postgres" {
			continue
		}
		nodes++
		if _, err := os.Stat(filepath.Join(repoRoot, "deploy", s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build %+v: %v", name, s.Build, err)
		}
		if !strings.Contains(s.Environment["OPENWABA_DATABASE_URL"], "@postgres:5432/") {
			t.Errorf("%s: OPENWABA_DATABASE_URL %q is not the postgres service", name, s.Environment["OPENWABA_DATABASE_URL"])
		}
		if s.Environment["OPENWABA_API_KEY"] == "" {
			t.Errorf("%s: no OPENWABA_API_KEY", name)
		}
		if s.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s: does not wait for a healthy postgres", name)
		}
		for _, p := range s.Ports {
			if ports[p] {
				t.Errorf("%s: port %s twice", name, p)
			}
			ports[p] = true
		}
		if len(s.Volumes) != 1 || !strings.HasSuffix(s.Volumes[0], ":/data") {
			t.Errorf("%s: volumes %v, want one on /data", name, s.Volumes)
		}
	}
	if nodes != 2 {
		t.Errorf("%d gateway nodes, want 2", nodes)
	}
}

// TestSystemdUnit: the unit's hardening, and systemd-analyze verify where
// the machine has it.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	unit := readFile(t, filepath.Join(repoRoot, "deploy", "openwaba.service"))
	for _, want := range []string{
		"ExecStart=/usr/local/bin/openwaba serve", "DynamicUser=yes", "StateDirectory=openwaba",
		"Environment=OPENWABA_DATA_DIR=/var/lib/openwaba", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "KillSignal=SIGTERM",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("openwaba.service: no %q", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze on this machine")
	}
	// verify wants the program to exist: any executable stands in.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "openwaba.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/openwaba", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
