package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// config is the gateway's configuration: flags, each defaulting to its
// OPENWABA_* environment variable, then to a value that needs nothing.
type config struct {
	Addr    string
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://...) instead of SQLite
	// in DataDir.
	DatabaseURL string
	APIKey      string
	LogLevel    string

	MetaGraphURL    string
	MetaAPIVersion  string
	MetaAccessToken string
	MetaAppSecret   string
	MetaVerifyToken string

	SandboxAddr        string
	SandboxStatusDelay time.Duration
}

// sandbox reports whether the built-in sandbox is the upstream: it is
// unless a Meta access token is configured.
func (c config) sandbox() bool { return c.MetaAccessToken == "" }

func (c config) store() storeConfig {
	return storeConfig{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL}
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("OPENWABA_ADDR", "127.0.0.1:8080"), "listen address (OPENWABA_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("OPENWABA_DATA_DIR", "./data"), "directory of the SQLite database (OPENWABA_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("OPENWABA_DATABASE_URL", ""), "PostgreSQL URL, postgres://user:pass@host/db; when set, PostgreSQL holds the state instead of SQLite in the data dir (OPENWABA_DATABASE_URL)")
	fs.StringVar(&c.APIKey, "api-key", env("OPENWABA_API_KEY", ""), "API key of the default account (OPENWABA_API_KEY); generated and printed once when empty")
	fs.StringVar(&c.LogLevel, "log-level", env("OPENWABA_LOG_LEVEL", "info"), "debug, info, warn or error (OPENWABA_LOG_LEVEL)")
	fs.StringVar(&c.MetaGraphURL, "meta-graph-url", env("OPENWABA_META_GRAPH_URL", "https://graph.facebook.com"), "Meta Graph API base URL (OPENWABA_META_GRAPH_URL)")
	fs.StringVar(&c.MetaAPIVersion, "meta-api-version", env("OPENWABA_META_API_VERSION", "v23.0"), "Graph API version (OPENWABA_META_API_VERSION)")
	fs.StringVar(&c.MetaAccessToken, "meta-access-token", env("OPENWABA_META_ACCESS_TOKEN", ""), "Meta access token; when set, Meta is the upstream instead of the sandbox (OPENWABA_META_ACCESS_TOKEN)")
	fs.StringVar(&c.MetaAppSecret, "meta-app-secret", env("OPENWABA_META_APP_SECRET", ""), "Meta app secret that signs webhooks (OPENWABA_META_APP_SECRET)")
	fs.StringVar(&c.MetaVerifyToken, "meta-verify-token", env("OPENWABA_META_VERIFY_TOKEN", ""), "token for Meta's webhook verification handshake (OPENWABA_META_VERIFY_TOKEN)")
	fs.StringVar(&c.SandboxAddr, "sandbox-addr", env("OPENWABA_SANDBOX_ADDR", "127.0.0.1:0"), "listen address of the sandbox's fake Graph API (OPENWABA_SANDBOX_ADDR)")
	delay, err := time.ParseDuration(env("OPENWABA_SANDBOX_STATUS_DELAY", "1s"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_SANDBOX_STATUS_DELAY: %w", err)
	}
	fs.DurationVar(&c.SandboxStatusDelay, "sandbox-status-delay", delay, "gap between the sandbox's sent, delivered and read reports (OPENWABA_SANDBOX_STATUS_DELAY)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if !c.sandbox() && c.MetaAppSecret == "" {
		return c, fmt.Errorf("OPENWABA_META_APP_SECRET is required with a Meta access token: without it webhooks cannot be verified")
	}
	return c, nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
