package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"supportline/web"
)

func (a *app) serveCommand() *cobra.Command {
	addr := envOr("SUPPORTLINE_ADDR", ":8080")
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (migrates the database first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := newLogger(a.stderr)
			policy, err := a.loadPolicy()
			if err != nil {
				return err
			}
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			srv := web.New(db, log)
			err = srv.Run(ctx, addr, func(bound net.Addr) {
				fmt.Fprintf(a.stdout, "supportline listening on %s (store: %s, policy: %s)\n", bound, db, policy.Source)
			})
			if err != nil {
				return err
			}
			log.Info("stopped cleanly")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", addr, "listen address (env SUPPORTLINE_ADDR)")
	return cmd
}
