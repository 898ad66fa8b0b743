// Command openwaba is the openwaba gateway and its administration tool.
//
//	openwaba serve      run the gateway (sandbox upstream unless Meta is configured)
//	openwaba senders    add, list or remove sender numbers
//	openwaba keys       create an API key
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
	"syscall"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "openwaba:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: openwaba <command> [flags]

commands:
  serve      run the gateway
  senders    add, list or remove sender numbers (works on the database)
  keys       create an API key (works on the database)
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
