package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// secretEnv sets every variable that holds a secret to a value with
// "hunter2" in it, which must never show in help.
var secretEnv = map[string]string{
	"OPENWABA_API_KEY":           "owk_hunter2apikey",
	"OPENWABA_META_ACCESS_TOKEN": "hunter2metatoken",
	"OPENWABA_META_APP_SECRET":   "hunter2appsecret",
	"OPENWABA_META_VERIFY_TOKEN": "hunter2verify",
	"OPENWABA_DATABASE_URL":      "postgres://u:hunter2dbpassword@127.0.0.1:1/x",
}

// allCommands walks the command tree, root first.
func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

var flagLine = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)[ =\n]`)

// TestEveryCommandsHelp: -h, --help and "help" answer at every level with
// exit 0; the usage line names the positional arguments; no secret from
// the environment shows; a leaf lists its own flags, not its siblings'.
func TestEveryCommandsHelp(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return secretEnv[k] }
	root := newRootCmd(&app{getenv: getenv})
	cmds := allCommands(root)
	if len(cmds) < 35 {
		t.Fatalf("%d commands, want the whole tree", len(cmds))
	}
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		// The flag sets, read here, before the parallel subtests: cobra
		// builds LocalFlags and InheritedFlags lazily, writing the tree.
		own := map[string]bool{"help": true, "version": c == root}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { own[f.Name] = true })
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) { own[f.Name] = true })
		siblings := map[string][]string{} // sibling → its local flags
		if c.Parent() != nil {
			for _, sib := range c.Parent().Commands() {
				sib.LocalFlags().VisitAll(func(f *pflag.Flag) { siblings[sib.Name()] = append(siblings[sib.Name()], f.Name) })
			}
		}
		for _, form := range [][]string{append(append([]string{}, path...), "-h"), append(append([]string{}, path...), "--help"), append([]string{"help"}, path...)} {
			t.Run(strings.Join(form, " "), func(t *testing.T) {
				t.Parallel()
				var out, errOut bytes.Buffer
				if err := run(context.Background(), form, getenv, &out, &errOut); err != nil {
					t.Fatalf("exit 1: %v\n%s", err, errOut.String())
				}
				help := out.String()
				if errOut.Len() > 0 {
					t.Errorf("stderr: %s", errOut.String())
				}
				// The usage line is the command's Use: its positional
				// arguments in capitals.
				if !strings.Contains(help, "Usage:\n  "+c.UseLine()) && !strings.Contains(help, "Usage:\n  "+c.CommandPath()+" [command]") {
					t.Errorf("no usage line %q:\n%s", c.UseLine(), help)
				}
				if want := wantArgs(c); want != "" && !strings.Contains(help, want) {
					t.Errorf("usage does not name the argument %s:\n%s", want, help)
				}
				if strings.Contains(help, "hunter2") {
					t.Errorf("a secret from the environment shows in the help:\n%s", help)
				}
				for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
					if !own[m[1]] {
						t.Errorf("help lists --%s, which %s does not have", m[1], c.CommandPath())
					}
				}
				for sib, names := range siblings {
					for _, name := range names {
						if !own[name] && regexp.MustCompile(`(?m)^\s+(-\w, )?--`+name+`[ =]`).MatchString(help) {
							t.Errorf("help lists %s's --%s", sib, name)
						}
					}
				}
			})
		}
	}
}

// wantArgs is the positional arguments a command's Use names (NAME,
// KEY-ID, ...), "" when none.
func wantArgs(c *cobra.Command) string {
	fields := strings.Fields(c.Use)
	for _, f := range fields[1:] {
		if f == strings.ToUpper(f) && !strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "[") {
			return f
		}
	}
	return ""
}

// TestCLIArguments: what the command line accepts and refuses, without a
// database: global flags anywhere, unknown commands at every level, the
// usage of a wrong argument count, negative numbers as arguments.
func TestCLIArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // in the error; "" for none
		out  string // in stdout
	}{
		{"no arguments is help", nil, "", "Usage:\n  openwaba [flags]"},
		{"help of a group", []string{"accounts", "-h"}, "", "openwaba accounts [command]"},
		{"unknown command", []string{"frobnicate"}, `unknown openwaba command "frobnicate"`, ""},
		{"unknown subcommand", []string{"senders", "frobnicate"}, `unknown senders command "frobnicate"`, ""},
		{"serve takes no arguments", []string{"serve", "help"}, `serve takes no arguments, got "help"`, ""},
		{"missing argument", []string{"accounts", "create"}, "usage: openwaba accounts create NAME [flags]", ""},
		{"too many arguments", []string{"keys", "revoke", "1", "2"}, "usage: openwaba keys revoke KEY-ID [flags]", ""},
		{"unknown flag", []string{"accounts", "list", "--off"}, "unknown flag: --off (see openwaba accounts list --help)", ""},
		{"global flag before the command", []string{"--data-dir", "/nonexistent/x", "accounts", "list"}, "no database at /nonexistent/x/openwaba.db", ""},
		{"global flag between commands", []string{"accounts", "--data-dir", "/nonexistent/y", "list"}, "no database at /nonexistent/y/openwaba.db", ""},
		{"global flag at the end", []string{"accounts", "list", "--data-dir=/nonexistent/z"}, "no database at /nonexistent/z/openwaba.db", ""},
		{"negative amount is an argument", []string{"--data-dir", "/nonexistent/n", "balance", "topup", "--account", "2", "-5"}, "no database at /nonexistent/n", ""},
		{"negative decimal amount", []string{"balance", "topup", "-0.5", "--data-dir", "/nonexistent/d", "--reason", "fix"}, "no database at /nonexistent/d", ""},
		{"negative value of a flag stays its value", []string{"accounts", "create", "x", "--balance", "-5", "--data-dir", "/nonexistent/v"}, "a starting balance must not be negative", ""},
		{"required flag", []string{"prices", "delete"}, `required flag(s) "category" not set`, ""},
		{"exclusive flags", []string{"senders", "list", "--account", "2", "--all-accounts"}, "none of the others can be", ""},
		{"bad delay", []string{"send", "--from", "1", "--to", "2", "--text", "x", "--delay", "tomorrow"}, "--delay: must be YYYY-MM-DD hh:mm:ss (in the account's time zone)", ""},
		{"version", []string{"version"}, "", "go:       go1."},
		{"--version", []string{"--version"}, "", "openwaba "},
		{"completion", []string{"completion", "bash"}, "", "bash completion"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, func(string) string { return "" }, &out, &errOut)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v\n%s", err, errOut.String())
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Errorf("stdout %q, want %q in it", out.String(), tc.out)
			}
		})
	}
}

// TestEnvironmentFillsFlags: a variable fills in its flag, the command
// line wins over it, and a bad value names the variable.
func TestEnvironmentFillsFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(config) bool
		err  string
	}{
		{"default", nil, nil, func(c config) bool { return c.Addr == "127.0.0.1:8080" && c.DataDir == "./data" && c.SandboxRateLimits }, ""},
		{"variable", nil, map[string]string{"OPENWABA_ADDR": ":9", "OPENWABA_DATA_DIR": "/d", "OPENWABA_SANDBOX_RATE_LIMITS": "no"}, func(c config) bool {
			return c.Addr == ":9" && c.DataDir == "/d" && !c.SandboxRateLimits
		}, ""},
		{"flag wins", []string{"--addr", ":10", "--drain-grace", "1s"}, map[string]string{"OPENWABA_ADDR": ":9", "OPENWABA_DRAIN_GRACE": "7s"}, func(c config) bool {
			return c.Addr == ":10" && c.DrainGrace == time.Second
		}, ""},
		{"bad duration", nil, map[string]string{"OPENWABA_DRAIN_GRACE": "-1s"}, nil, `OPENWABA_DRAIN_GRACE: "-1s" is not a duration`},
		{"bad boolean", nil, map[string]string{"OPENWABA_WEBHOOK_ALLOW_PRIVATE": "maybe"}, nil, "OPENWABA_WEBHOOK_ALLOW_PRIVATE"},
		{"bad zone from the environment", nil, map[string]string{"OPENWABA_TIME_ZONE": "Mars/Olympus"}, nil, "OPENWABA_TIME_ZONE"},
		{"bad zone as a flag", []string{"--time-zone", "Mars/Olympus"}, nil, nil, "--time-zone"},
		{"in flight by default", nil, nil, func(c config) bool {
			return c.DispatchMaxInFlight == 1024 && c.DispatchMaxInFlightPerSender == 512
		}, ""},
		{"in flight from the environment", []string{"--dispatch-max-in-flight-per-sender", "300"}, map[string]string{"OPENWABA_DISPATCH_MAX_IN_FLIGHT": "4096"}, func(c config) bool {
			return c.DispatchMaxInFlight == 4096 && c.DispatchMaxInFlightPerSender == 300
		}, ""},
		{"no sends in flight", nil, map[string]string{"OPENWABA_DISPATCH_MAX_IN_FLIGHT": "0"}, nil, "OPENWABA_DISPATCH_MAX_IN_FLIGHT and --dispatch-max-in-flight-per-sender must be at least 1"},
		{"negative per sender", []string{"--dispatch-max-in-flight-per-sender", "-1"}, nil, nil, "must be at least 1"},
		{"negative commit gather", []string{"--commit-gather", "-1ms"}, nil, nil, "--commit-gather must be between 0 and 1s"},
		{"commit gather of minutes", nil, map[string]string{"OPENWABA_COMMIT_GATHER": "2m"}, nil, "OPENWABA_COMMIT_GATHER must be between 0 and 1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseServeFlags(tc.args, func(k string) string { return tc.env[k] }, &bytes.Buffer{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.want(c) {
				t.Fatalf("config %+v, %v", c, err)
			}
		})
	}
}

// TestVersion: the build's version, revision and Go version, as text and
// as JSON.
func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version", "--json"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go1.") {
		t.Fatalf("version --json: %v %s", err, out.String())
	}
	if v.Version == "dev" {
		t.Error("version is still the placeholder dev")
	}
	full := versionInfo{Version: "v1.2.3", Revision: "0123456789abcdef0123", Time: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.8"}
	if got, want := full.short(), "openwaba v1.2.3 0123456789ab-modified 2026-01-02T03:04:05Z go1.26.8"; got != want {
		t.Errorf("short() = %q, want %q", got, want)
	}
}
