package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// app is what the commands of one run share: the process's environment
// and output, and the global flags. run makes a new one each time; there
// is no package state.
type app struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	// store is where the state lives: the global --data-dir and
	// --database-url, which serve and every administration command use.
	store storeConfig
}

// Command groups of the root's help.
const (
	groupGateway = "gateway"
	groupAdmin   = "admin"
	groupAPI     = "api"
)

// noGlobals, as a command annotation, leaves the global flags out of the
// command's help: the API commands and version do not use the database.
const noGlobals = "openwaba_no_globals"

// usageTemplate is cobra's, with the global flags left out where the
// command says they do not apply.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}{{$cmds := .Commands}}{{if eq (len .Groups) 0}}

Available Commands:{{range $cmds}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{else}}{{range $group := .Groups}}

{{.Title}}{{range $cmds}}{{if (and (eq .GroupID $group.ID) (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if not .AllChildCommandsHaveGroup}}

Additional Commands:{{range $cmds}}{{if (and (eq .GroupID "") (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if and .HasAvailableInheritedFlags (not (index .Annotations "` + noGlobals + `"))}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasHelpSubCommands}}

Additional help topics:{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

const rootLong = `openwaba is a self-hosted WhatsApp Business gateway: seven.io's WhatsApp
API in front of Meta's Cloud API, with a built-in sandbox.

Flags and environment: every flag names the OPENWABA_* variable it defaults
to; a flag on the command line wins over the variable. Global flags may
stand anywhere on the command line.

Accounts: a command that works inside one account takes --account N, and
defaults to account 1, the default account that the first start creates.
No command takes an account id as an argument. senders list, hooks dead
and hooks replay take --all-accounts instead.

Output: every list and show command takes --json and prints what the HTTP
API answers for the same (docs/api.md, "The command line").`

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "openwaba",
		Short:         "a self-hosted WhatsApp Business gateway",
		Long:          rootLong,
		Version:       buildVersion().short(),
		Args:          noArgs,
		RunE:          showHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		// The environment fills in the flags the command line left out,
		// for whichever command runs (cobra runs the nearest hook only:
		// no other command has one).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd.Flags(), a.getenv)
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetUsageTemplate(usageTemplate)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())
	})
	storeFlags(root.PersistentFlags(), &a.store)
	root.AddGroup(
		&cobra.Group{ID: groupGateway, Title: "Gateway:"},
		&cobra.Group{ID: groupAdmin, Title: "Administration (on the gateway's database, also while it runs):"},
		&cobra.Group{ID: groupAPI, Title: "API (through a running gateway, or seven.io):"},
	)
	for _, c := range []*cobra.Command{serveCmd(a), healthCmd(a), versionCmd(a)} {
		c.GroupID = groupGateway
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{accountsCmd(a), keysCmd(a), sendersCmd(a), templatesCmd(a), hooksCmd(a), suppressionsCmd(a), eraseCmd(a), balanceCmd(a), pricesCmd(a)} {
		c.GroupID = groupAdmin
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{sendCmd(a), statusCmd(a), deleteCmd(a)} {
		c.GroupID = groupAPI
		root.AddCommand(c)
	}
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" || c.Name() == "help" {
			c.GroupID = groupGateway
			setAnnotation(c, noGlobals)
			for _, sub := range c.Commands() {
				setAnnotation(sub, noGlobals)
			}
		}
	}
	return root
}

func setAnnotation(c *cobra.Command, key string) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[key] = "true"
}

// storeFlags are the global flags that say where the state lives.
func storeFlags(fs *pflag.FlagSet, c *storeConfig) {
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the SQLite database")
	bindEnv(fs, "data-dir", "OPENWABA_DATA_DIR")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL, postgres://user:pass@host/db; when set, PostgreSQL holds the state instead of SQLite in the data dir")
	bindEnv(fs, "database-url", "OPENWABA_DATABASE_URL")
}

// showHelp is the action of a command that only groups others.
func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// group returns a command that only groups its subcommands: alone it
// shows its help; with an unknown subcommand it fails.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: noArgs, RunE: showHelp}
	c.AddCommand(subs...)
	return c
}

// noArgs refuses arguments: an unknown subcommand ("serve help") must not
// run the command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return fmt.Errorf("unknown %s command %q (see %s --help)", cmd.Name(), args[0], cmd.CommandPath())
	}
	return fmt.Errorf("%s takes no arguments, got %q (see %s --help)", cmd.CommandPath(), args[0], cmd.CommandPath())
}

// exactArgs wants n arguments, and says the usage line otherwise.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// envAnnotation, on a flag, names the environment variable it defaults
// to; fromEnvAnnotation marks a flag that took its value from there.
const (
	envAnnotation     = "openwaba_env"
	fromEnvAnnotation = "openwaba_from_env"
)

// bindEnv makes the flag default to the environment variable env, and
// says so in its usage. The help shows the flag's own default, never the
// variable's value: that may be a secret.
func bindEnv(fs *pflag.FlagSet, name, env string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("bindEnv: no flag " + name)
	}
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[envAnnotation] = []string{env}
	f.Usage += " (" + env + ")"
}

// envName is the variable a flag is bound to, or "".
func envName(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// applyEnv sets each flag of fs that the command line did not set from its
// variable, when that is set. Numbers from the environment must be finite
// and not negative, booleans may also be yes/no or on/off.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		env := envName(f)
		if f.Changed || env == "" {
			return
		}
		v := getenv(env)
		if v == "" {
			return
		}
		if err := setFromEnv(f, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
			return
		}
		f.Annotations[fromEnvAnnotation] = []string{v}
	})
	return errors.Join(errs...)
}

func setFromEnv(f *pflag.Flag, v string) error {
	switch f.Value.Type() {
	case "bool":
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		v = strconv.FormatBool(b)
	case "duration":
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration such as 30s", v)
		}
	case "int", "int64":
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
			return fmt.Errorf("%q is not a number", v)
		}
	case "float64":
		if x, err := strconv.ParseFloat(v, 64); err != nil || !(x >= 0) || math.IsInf(x, 0) {
			return fmt.Errorf("%q is not a finite number", v)
		}
	}
	return f.Value.Set(v)
}

// flagName is how an error names where a flag's value came from: the
// variable when the environment set it, else --name.
func flagName(fs *pflag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil && len(f.Annotations[fromEnvAnnotation]) > 0 {
		return envName(f)
	}
	return "--" + name
}

// parseBool reads a boolean setting: true/false, 1/0, yes/no, on/off.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean: use true or false", v)
}

var negativeNumber = regexp.MustCompile(`^-([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// negativeNumbersLast lets negative numbers be arguments ("balance topup
// --account 2 -5", a correction) where the flag parser would take them
// for short flags: it moves them, in their order, behind a "--". A value
// of a flag ("--balance -5") stays where it is, and so does everything
// when the command line has a "--" of its own.
func negativeNumbersLast(root *cobra.Command, args []string) []string {
	found := false
	for _, a := range args {
		if a == "--" {
			return args
		}
		found = found || negativeNumber.MatchString(a)
	}
	if !found {
		return args
	}
	cmd, _, err := root.Find(args)
	if err != nil {
		return args
	}
	lookup := func(name string, short bool) *pflag.Flag {
		for _, fs := range []*pflag.FlagSet{cmd.LocalFlags(), cmd.InheritedFlags()} {
			if short {
				if f := fs.ShorthandLookup(name); f != nil {
					return f
				}
			} else if f := fs.Lookup(name); f != nil {
				return f
			}
		}
		return nil
	}
	var kept, moved []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case negativeNumber.MatchString(a):
			moved = append(moved, a)
			continue
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			if f := lookup(a[2:], false); f != nil && f.NoOptDefVal == "" && i+1 < len(args) {
				kept = append(kept, a, args[i+1])
				i++
				continue
			}
		case len(a) == 2 && a[0] == '-':
			if f := lookup(a[1:], true); f != nil && f.NoOptDefVal == "" && i+1 < len(args) {
				kept = append(kept, a, args[i+1])
				i++
				continue
			}
		}
		kept = append(kept, a)
	}
	return append(append(kept, "--"), moved...)
}

// Output helpers.

// newTable returns a writer that aligns tab-separated columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// printAnswer writes an API answer (see internal/api/answers.go) as the
// API writes it.
func printAnswer(w io.Writer, v any) error { return api.EncodeJSON(w, v) }

// jsonFlag adds --json to a list or show command.
func jsonFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "json", false, "print what the HTTP API answers for the same, as JSON")
}

// accountFlag adds --account, default 1 (the default account).
func accountFlag(cmd *cobra.Command, p *int64, what string) {
	cmd.Flags().Int64Var(p, "account", 1, what)
}

// allAccountsFlag adds --all-accounts to a list that can span accounts.
func allAccountsFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "all-accounts", false, "every account's, instead of --account's")
	cmd.MarkFlagsMutuallyExclusive("account", "all-accounts")
}

// openStore opens the gateway's database for an administration command.
// It works while the gateway runs: SQLite's WAL lets both write, one at a
// time, and PostgreSQL takes any number of clients.
func (a *app) openStore(ctx context.Context) (openwaba.Store, error) {
	return openConfiguredStore(ctx, a.store, true, slog.New(slog.DiscardHandler))
}

// account opens the store and checks that the account exists.
func (a *app) account(ctx context.Context, id int64) (openwaba.Store, openwaba.Account, error) {
	store, err := a.openStore(ctx)
	if err != nil {
		return nil, openwaba.Account{}, err
	}
	acct, err := store.Account(ctx, id)
	if err != nil {
		store.Close()
		return nil, openwaba.Account{}, fmt.Errorf("account %d: %w (see openwaba accounts list)", id, err)
	}
	return store, acct, nil
}
