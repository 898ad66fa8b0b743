// Command openwaba is the openwaba gateway and its administration tool.
//
//	openwaba serve      run the gateway (sandbox upstream unless Meta is configured)
//	openwaba accounts   create, list or show accounts; turn request signing on or off
//	openwaba keys       create, list or revoke API keys
//	openwaba senders    add, list or remove sender numbers
//	openwaba keys       create an API key
//	openwaba templates  sync, list or show message templates
//	openwaba hooks      list webhooks and dead letters, replay them
//	openwaba balance    top up or show an account's balance
//	openwaba prices     set, delete or list prices
//	openwaba send       send a message through a gateway (or seven.io)
//	openwaba status     show a message's status
//	openwaba delete     cancel a scheduled message
//	openwaba version    print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // account time zones resolve on hosts without zoneinfo
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "openwaba:", oneLine(err))
		}
		os.Exit(1)
	}
}

// oneLine is err's message on one line: joined errors (errors.Join) and
// drivers' multi-line messages must not look like several failures, nor
// break a log collector's one-line-per-event.
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

const usage = `usage: openwaba <command> [flags]

commands:
  serve      run the gateway
  accounts   create, list or show accounts; request signing (works on the database)
  keys       create, list or revoke API keys (works on the database)
  senders    add, list or remove sender numbers (works on the database)
  templates  sync, list or show message templates (works on the database)
  hooks      list webhooks, their dead letters, and replay them (works on the database)
  balance    top up or show an account's balance (works on the database)
  prices     set, delete or list prices (works on the database)
  send       send a message (OPENWABA_URL, OPENWABA_API_KEY)
  status     show a message's status and journal
  delete     cancel a message that has not been sent yet
  version    print the version

Run "openwaba <command> -h" for a command's flags.
`

// run is main without the process: tests call it with their own context,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return serveCommand(ctx, args[1:], getenv, stdout, stderr)
	case "senders":
		return sendersCommand(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return keysCommand(ctx, args[1:], getenv, stdout, stderr)
	case "templates":
		return templatesCommand(ctx, args[1:], getenv, stdout, stderr)
	case "hooks":
		return hooksCommand(ctx, args[1:], getenv, stdout, stderr)
	case "accounts":
		return accountsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "balance":
		return balanceCommand(ctx, args[1:], getenv, stdout, stderr)
	case "prices":
		return pricesCommand(ctx, args[1:], getenv, stdout, stderr)
	case "send":
		return sendCommand(ctx, args[1:], getenv, stdout, stderr)
	case "status":
		return statusCommand(ctx, args[1:], getenv, stdout, stderr)
	case "delete":
		return deleteCommand(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "openwaba", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
