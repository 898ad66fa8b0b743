package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func deleteCmd(a *app) *cobra.Command {
	var af apiFlags
	cmd := &cobra.Command{
		Use:   "delete MESSAGE-ID",
		Short: "cancel a message that has not been sent yet, and refund it",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			if err := c.Delete(cmd.Context(), args[0]); err != nil {
				return err
			}
			if af.json {
				return af.printRaw(a.stdout)
			}
			fmt.Fprintf(a.stdout, "message %s deleted and refunded\n", args[0])
			return nil
		},
	}
	af.define(cmd, "print what DELETE /api/waba/messages/{id} answers, as it came")
	return cmd
}
