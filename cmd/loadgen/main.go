// Command loadgen measures openwaba the way docs/performance.md reports it:
// a closed-loop (or fixed-rate) HTTP load against the gateway, a no-op
// handler to measure the floor on the same machine, and a fake Graph API
// that answers sends as fast as it can (or after a chosen latency), so that
// Meta mode can be measured without Meta.
//
//	loadgen noop  -addr 127.0.0.1:9100                 # the floor
//	loadgen graph -addr 127.0.0.1:9200 -latency 0       # a fast fake Graph
//	loadgen run   -url http://127.0.0.1:8080/api/waba/messages -key $KEY \
//	              -body body.json -c 64 -d 10s [-rate 1000] [-pid 1234]
//
// Everything listens on and talks to loopback unless told otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: loadgen noop|graph|run [flags] (loadgen CMD -h for its flags)")

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "noop":
		return serveNoop(ctx, args[1:], out)
	case "graph":
		return serveGraph(ctx, args[1:], out)
	case "run":
		return runLoad(ctx, args[1:], out)
	case "-h", "--help", "help":
		fmt.Fprintln(out, errUsage)
		return nil
	}
	return errUsage
}
