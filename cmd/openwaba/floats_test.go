package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestCLIFloatsFinite: strconv reads "NaN" and "Inf" as numbers, and a
// NaN passes every range check written as v < min || v > max. The CLI
// refuses them where it reads floats.
func TestCLIFloatsFinite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"location NaN", []string{"send", "--from", testSender, "--to", testUser, "--location", "NaN,13.4"}, nil, "--location: want LAT,LON"},
		{"location Inf", []string{"send", "--from", testSender, "--to", testUser, "--location", "52.5,Inf"}, nil, "--location: want LAT,LON"},
		{"location out of range", []string{"send", "--from", testSender, "--to", testUser, "--location", "91,13.4"}, nil, "--location: want LAT,LON"},
		{"rate limit NaN in the environment", nil, map[string]string{"OPENWABA_RATE_LIMIT": "NaN"}, "OPENWABA_RATE_LIMIT"},
		{"rate limit Inf in the environment", nil, map[string]string{"OPENWABA_RATE_LIMIT": "+Inf"}, "OPENWABA_RATE_LIMIT"},
		{"rate limit NaN as a flag", []string{"--rate-limit", "NaN"}, nil, "--rate-limit must be a finite number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"OPENWABA_URL": "http://127.0.0.1:1/api/", "OPENWABA_API_KEY": "k"}
			for k, v := range tc.env {
				env[k] = v
			}
			getenv := func(k string) string { return env[k] }
			var err error
			if len(tc.args) > 0 && tc.args[0] == "send" {
				var out bytes.Buffer
				err = run(context.Background(), tc.args, getenv, &out, &out)
			} else {
				_, err = parseServeFlags(tc.args, getenv, io.Discard)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v: %v, want an error saying %q", tc.args, err, tc.want)
			}
		})
	}
}
