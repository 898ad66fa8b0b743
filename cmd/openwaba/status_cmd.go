package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func statusCmd(a *app) *cobra.Command {
	var af apiFlags
	cmd := &cobra.Command{
		Use:   "status MESSAGE-ID",
		Short: "show a message's status and journal",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			m, err := c.Status(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if af.json {
				return af.printRaw(a.stdout)
			}
			fmt.Fprintf(a.stdout, "message %s: %s since %s\n", m.ID, m.Status, m.StatusTime.Format(time.RFC3339))
			fmt.Fprintf(a.stdout, "  %s → %s, %s, price %.4f\n", m.Sender, m.Recipient, m.Type, m.Price)
			if m.ErrorCode != 0 || m.ErrorText != "" {
				fmt.Fprintf(a.stdout, "  error %d: %s\n", m.ErrorCode, m.ErrorText)
			}
			for _, s := range m.Statuses {
				fmt.Fprintf(a.stdout, "  %-9s %s\n", s.Status, s.Time.Format(time.RFC3339))
			}
			return nil
		},
	}
	af.define(cmd, "print what GET /api/waba/messages/{id} answers, as it came")
	return cmd
}
