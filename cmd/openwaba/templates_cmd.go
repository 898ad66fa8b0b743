package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/templates"
)

const templatesUsage = "usage: openwaba templates sync | list [--account N] | show NAME [--language L] [--account N]"

// templatesCommand syncs and shows the templates stored in the gateway's
// database.
func templatesCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(templatesUsage)
	}
	fs, where := adminFlags("templates "+args[0], getenv, stderr)
	account := fs.Int64("account", 1, "account whose templates to show")
	language := fs.String("language", "", "language code of the template to show (all when empty)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()

	switch args[0] {
	case "sync":
		return syncTemplatesNow(ctx, store, getenv, stdout)
	case "list":
		ts, err := store.Templates(ctx, *account)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tLANGUAGE\tCATEGORY\tSTATUS\tPARAMETERS")
		for _, t := range ts {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Language, t.Category, t.Status, t.ParameterFormat)
		}
		return w.Flush()
	case "show":
		if len(pos) != 1 {
			return errors.New(templatesUsage)
		}
		ts, err := store.Templates(ctx, *account)
		if err != nil {
			return err
		}
		var found []openwaba.Template
		for _, t := range ts {
			if t.Name == pos[0] && (*language == "" || t.Language == *language) {
				found = append(found, t)
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("account %d has no template %q%s", *account, pos[0], inLanguage(*language))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(api.TemplateViews(found))
	}
	return fmt.Errorf("unknown templates command %q: %s", args[0], templatesUsage)
}

func inLanguage(l string) string {
	if l == "" {
		return ""
	}
	return " in language " + l
}

// syncTemplatesNow fetches every account's templates from the upstream the
// gateway would use: Meta when OPENWABA_META_ACCESS_TOKEN is set, else a
// sandbox started for the purpose (which knows the built-in templates).
func syncTemplatesNow(ctx context.Context, store openwaba.Store, getenv func(string) string, stdout io.Writer) error {
	log := slog.New(slog.DiscardHandler)
	cfg := meta.Config{
		GraphURL: getenv("OPENWABA_META_GRAPH_URL"), APIVersion: getenv("OPENWABA_META_API_VERSION"),
		AccessToken: getenv("OPENWABA_META_ACCESS_TOKEN"), HTTPClient: &http.Client{Timeout: 30 * time.Second}, Logger: log,
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = "https://graph.facebook.com"
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = "v23.0"
	}
	if cfg.AccessToken == "" {
		cfg.AccessToken = rand.Text()
		sb := sandbox.New(sandbox.Config{AccessToken: cfg.AccessToken, AppSecret: rand.Text(), Logger: log})
		sb.AddNumber(sandboxPhoneNumberID, sandboxWABAID, sandboxNumber)
		var wg sync.WaitGroup
		// A sandbox of its own on loopback, for this command only: no limits.
		srv, url, err := serveOn(config{}, "127.0.0.1:0", sb, &wg, log)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		defer wg.Wait()
		defer srv.Close()
		defer sb.Close()
		cfg.GraphURL = url
	}
	syncer := &templates.Syncer{Store: store, Source: meta.NewClient(cfg), Logger: log}
	counts, err := syncer.Sync(ctx)
	accounts := make([]int64, 0, len(counts))
	for a := range counts {
		accounts = append(accounts, a)
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i] < accounts[j] })
	for _, a := range accounts {
		fmt.Fprintf(stdout, "account %d: %d templates synced\n", a, counts[a])
	}
	return err
}
