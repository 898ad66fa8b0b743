package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthCmd checks a gateway's /healthz (or /readyz): the Docker image's
// HEALTHCHECK, which has no curl.
func healthCmd(a *app) *cobra.Command {
	var url string
	var ready bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "check that a gateway is up: exit 0 when its /healthz answers 200",
		Long: `Ask a gateway's /healthz (with --ready its /readyz, which also checks the
database) and exit 0 when it answers 200, 1 otherwise: 503 while it starts
or drains. No API key is needed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/healthz"
			if ready {
				path = "/readyz"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			u := strings.TrimSuffix(strings.TrimRight(url, "/"), "/api") + path
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return fmt.Errorf("--url: %w", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("GET %s: %w", u, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %s %s", u, resp.Status, strings.TrimSpace(string(body)))
			}
			fmt.Fprintf(a.stdout, "%s: %s\n", u, strings.TrimSpace(string(body)))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080", "the gateway's URL")
	bindEnv(cmd.Flags(), "url", "OPENWABA_URL")
	cmd.Flags().BoolVar(&ready, "ready", false, "ask /readyz: 200 only while the database answers too")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	setAnnotation(cmd, noGlobals)
	return cmd
}
