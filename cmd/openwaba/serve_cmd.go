package main

import (
	"github.com/spf13/cobra"
)

const serveLong = `Run the gateway: seven's WhatsApp API on --addr, in front of Meta's Cloud
API when --meta-access-token is set, else in front of the built-in sandbox.

The first start creates the database (SQLite in --data-dir, or PostgreSQL
with --database-url), the default account 1 and its API key (printed once
unless --api-key gives it) and, in sandbox mode, the sandbox's sender and a
balance of 100.00 EUR. In Meta mode the default account starts with a
balance of 0: top it up (openwaba balance topup) before sending.

SIGTERM or SIGINT drains: /healthz and /readyz answer 503 for
--drain-grace, then requests and sends in flight have --shutdown-timeout.`

func serveCmd(a *app) *cobra.Command {
	var cfg config
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the gateway",
		Long:  serveLong,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.DataDir, cfg.DatabaseURL = a.store.DataDir, a.store.DatabaseURL
			if err := cfg.check(cmd.Flags()); err != nil {
				return err
			}
			return serveCommand(cmd.Context(), cfg, a.stdout, a.stderr)
		},
	}
	cmd.Flags().SortFlags = false
	serveFlags(cmd.Flags(), &cfg)
	return cmd
}
