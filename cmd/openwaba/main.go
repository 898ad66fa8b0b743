// Command openwaba is the openwaba gateway and its administration tool.
//
//	openwaba serve      run the gateway (sandbox upstream unless Meta is configured)
//	openwaba accounts   create, list or show accounts; turn request signing on or off
//	openwaba keys       create, list or revoke API keys
//	openwaba senders    add, list or remove sender numbers
//	openwaba templates  sync, list or show message templates
//	openwaba hooks      list webhooks and dead letters, replay them
//	openwaba balance    top up or show an account's balance
//	openwaba prices     set, delete or list prices
//	openwaba send       send a message through a gateway (or seven.io)
//	openwaba status     show a message's status
//	openwaba delete     cancel a scheduled message
//	openwaba version    print the version, revision and Go version
//	openwaba completion print a shell completion script (bash, zsh, fish)
//
// "openwaba help COMMAND" or "openwaba COMMAND -h" describes each.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // account time zones resolve on hosts without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwaba:", oneLine(err))
		os.Exit(1)
	}
}

// oneLine is err's message on one line: joined errors (errors.Join) and
// drivers' multi-line messages must not look like several failures, nor
// break a log collector's one-line-per-event.
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// run is main without the process: tests call it with their own context,
// environment and output. Help (-h, --help, help) is not an error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a := &app{getenv: getenv, stdout: stdout, stderr: stderr}
	root := newRootCmd(a)
	root.SetArgs(negativeNumbersLast(root, args))
	return root.ExecuteContext(ctx)
}
