package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/templates"
)

func templatesCmd(a *app) *cobra.Command {
	return group("templates", "sync, list or show message templates", templatesSyncCmd(a), templatesListCmd(a), templatesShowCmd(a))
}

func templatesSyncCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "sync",
		Short: "fetch every account's templates from WhatsApp now",
		Long: `Fetch the templates of every account's WABAs now, from Meta when
OPENWABA_META_ACCESS_TOKEN is set (OPENWABA_META_GRAPH_URL and
OPENWABA_META_API_VERSION as for serve), else from a sandbox started for the
purpose. A running gateway syncs by itself at start, every
--template-sync-interval, and within seconds of a new sender.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			return syncTemplatesNow(cmd.Context(), store, a.getenv, a.stdout)
		},
	}
}

func templatesListCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list an account's templates",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			ts, err := store.Templates(cmd.Context(), acct.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.TemplatesAnswer(ts))
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "NAME\tLANGUAGE\tCATEGORY\tSTATUS\tPARAMETERS")
			for _, t := range ts {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Language, t.Category, t.Status, t.ParameterFormat)
			}
			return w.Flush()
		},
	}
	accountFlag(cmd, &account, "the account whose templates to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what GET /api/waba/templates answers the account's keys")
	return cmd
}

func templatesShowCmd(a *app) *cobra.Command {
	var account int64
	var language string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "show a template: its components and the placeholders a send fills",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			ts, err := store.Templates(cmd.Context(), acct.ID)
			if err != nil {
				return err
			}
			var found []openwaba.Template
			for _, t := range ts {
				if t.Name == args[0] && (language == "" || t.Language == language) {
					found = append(found, t)
				}
			}
			if len(found) == 0 {
				return fmt.Errorf("account %d has no template %q%s (see openwaba templates list)", acct.ID, args[0], inLanguage(language))
			}
			if asJSON {
				return printAnswer(a.stdout, api.TemplatesAnswer(found))
			}
			for i, v := range api.TemplateViews(found) {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				printTemplate(a.stdout, v)
			}
			return nil
		},
	}
	accountFlag(cmd, &account, "the account whose template to show")
	cmd.Flags().StringVar(&language, "language", "", "language code of the template to show (every language when empty)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what GET /api/waba/templates?name=NAME&language=L answers")
	return cmd
}

// printTemplate writes a template for people: what it says and what a
// send must fill in.
func printTemplate(w io.Writer, v api.TemplateView) {
	fmt.Fprintf(w, "%s (%s): %s, %s, %s parameters\n", v.Name, v.Language, v.Category, v.Status, v.ParameterFormat)
	for _, c := range v.Components {
		if c.Text != "" {
			fmt.Fprintf(w, "  %-8s %s\n", strings.ToLower(c.Type)+":", strings.ReplaceAll(c.Text, "\n", "\n           "))
		}
		for _, b := range c.Buttons {
			fmt.Fprintf(w, "  button:  %s %s %s\n", b.Type, b.Text, b.URL)
		}
	}
	p := v.Placeholders
	var fill []string
	if len(p.Header) > 0 {
		fill = append(fill, "--header "+strings.Join(p.Header, " "))
	}
	if len(p.Body) > 0 {
		fill = append(fill, "--body "+strings.Join(p.Body, " --body "))
	}
	for _, b := range p.Buttons {
		if len(b) > 0 {
			fill = append(fill, "--button-url "+strings.Join(b, " "))
		}
	}
	if len(fill) > 0 {
		fmt.Fprintf(w, "  send:    %s\n", strings.Join(fill, " "))
	}
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
		sb := sandbox.New(sandbox.Config{AccessToken: cfg.AccessToken, AppSecret: rand.Text(), Logger: log, Numbers: numbersFromStore(store)})
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
