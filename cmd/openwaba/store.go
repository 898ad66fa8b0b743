package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// storeConfig says where the state lives: PostgreSQL when DatabaseURL is
// set, else SQLite in DataDir.
type storeConfig struct {
	DataDir     string
	DatabaseURL string
	// CommitGather is SQLite's sqlstore.Options.CommitGather (serve's
	// --commit-gather; 0 for the admin commands).
	CommitGather time.Duration
}

// describe names the store for logs without the URL's password.
func (c storeConfig) describe() string {
	if c.DatabaseURL == "" {
		return "sqlite:" + filepath.Join(c.DataDir, "openwaba.db")
	}
	if u, err := url.Parse(c.DatabaseURL); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "postgres (key/value connection string)"
}

// openConfiguredStore opens the configured store, creating the SQLite data
// dir if needed. mustExist refuses to create a new SQLite database: the
// admin commands work on the gateway's, and a typo in --data-dir must not
// quietly start an empty one.
func openConfiguredStore(ctx context.Context, c storeConfig, mustExist bool, log *slog.Logger) (openwaba.Store, error) {
	if c.DatabaseURL != "" {
		s, err := sqlstore.OpenPostgres(ctx, c.DatabaseURL, sqlstore.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("opening database %s: %w", c.describe(), err)
		}
		return s, nil
	}
	path := filepath.Join(c.DataDir, "openwaba.db")
	if mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s: start the gateway once, or pass --data-dir or --database-url", path)
		}
	} else if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.Options{Logger: log, CommitGather: c.CommitGather})
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	return s, nil
}

// exclusiver is a store shared by several nodes (PostgreSQL) that can make
// them take turns.
type exclusiver interface {
	Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) error
}

// exclusive runs fn once no other node runs fn under the same name: two
// nodes starting together on an empty database must not both create the
// default account. A store only one process uses just runs fn.
func exclusive(ctx context.Context, s openwaba.Store, name string, fn func(ctx context.Context) error) error {
	if ex, ok := s.(exclusiver); ok {
		return ex.Exclusive(ctx, name, fn)
	}
	return fn(ctx)
}
