// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is found through OPENWABA_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); that database
// is only used to create and drop others. When the server cannot be
// reached, tests are skipped, unless the environment variable CI is set:
// then they fail, so that CI never passes without having run them.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable with the server's URL.
const EnvURL = "OPENWABA_TEST_DATABASE_URL"

// DefaultURL is used when EnvURL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL returns the URL of the test server's maintenance database.
func ServerURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// Database creates a new, empty database with a random name, drops it
// when t ends and returns its URL. Tests that run in parallel, or several
// `go test` runs at once, never share one.
func Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := connect(t, ctx)
	defer admin.Close(context.Background())

	name := "openwaba_test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, ServerURL())
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// FORCE: a store a test forgot to close must not keep it alive.
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withURL(t, ServerURL(), func(u *url.URL, q url.Values) { u.Path = "/" + name })
}

// Schema creates a new schema in the database at dbURL and returns a URL
// whose connections work in it (search_path). A schema is much cheaper
// than a database, so suites that need a fresh store per test take one
// database per run and a schema per store; the database's cleanup drops
// the schemas with it. The URL caps the pool at 4 connections.
func Schema(t testing.TB, dbURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(context.Background())
	name := "s_" + strings.ToLower(rand.Text()[:16])
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	return withURL(t, dbURL, func(u *url.URL, q url.Values) {
		q.Set("search_path", name)
		// Suites open a store per parallel test; with the gateway's pool
		// size each, a machine with many CPUs could exhaust the server's
		// max_connections (100 by default).
		q.Set("pool_max_conns", "4")
	})
}

// connect opens a connection to the server, or skips (fails under CI)
// when there is none.
func connect(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err == nil {
		return conn
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("pgtest: PostgreSQL at %s is required under CI: %v", EnvURL, err)
	}
	t.Skipf("pgtest: no PostgreSQL (set %s; under CI this fails): %v", EnvURL, err)
	return nil
}

func withURL(t testing.TB, raw string, edit func(u *url.URL, q url.Values)) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	q := u.Query()
	edit(u, q)
	u.RawQuery = q.Encode()
	return u.String()
}
