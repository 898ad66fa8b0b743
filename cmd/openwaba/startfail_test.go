package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartFailureIsOneLine: when serve cannot start (a port in use, a
// database that does not answer) it prints the cause on one line and
// exits 1, without a panic, and closes what it had opened.
func TestStartFailureIsOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "openwaba")
	buildBinary(t, bin)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() }) // not defer: the parallel subtests run after this function returns
	tests := []struct {
		name string
		env  []string
		want string // in the error line
	}{
		{"API port in use", []string{"OPENWABA_ADDR=" + taken.Addr().String()}, "address already in use"},
		{"sandbox port in use", []string{"OPENWABA_SANDBOX_ADDR=" + taken.Addr().String()}, "address already in use"},
		{"debug port in use", []string{"OPENWABA_DEBUG_ADDR=" + taken.Addr().String()}, "debug listener"},
		{"bad metrics network", []string{"OPENWABA_METRICS_ALLOW=10.0.0.0/40"}, "OPENWABA_METRICS_ALLOW"},
		{"database unreachable", []string{"OPENWABA_DATABASE_URL=postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, "opening database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			// Killed should it start after all, not left running.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve")
			cmd.Env = append(os.Environ(), "OPENWABA_ADDR=127.0.0.1:0", "OPENWABA_DATA_DIR="+dataDir, "OPENWABA_LOG_LEVEL=warn")
			cmd.Env = append(cmd.Env, tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want exit status 1\nstderr:\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "openwaba: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr is not one line \"openwaba: …%s…\":\n%s", tc.want, stderr.String())
			}
			if s := stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
				t.Errorf("stderr has a panic:\n%s", s)
			}
			// A closed SQLite database has checkpointed and removed its
			// write-ahead log.
			if _, err := os.Stat(filepath.Join(dataDir, "openwaba.db-wal")); err == nil {
				t.Errorf("openwaba.db-wal is left: the database was not closed")
			}
		})
	}
}
