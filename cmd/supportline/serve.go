package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"supportline/notify"
	"supportline/web"
)

func (a *app) serveCommand() *cobra.Command {
	addr := envOr("SUPPORTLINE_ADDR", ":8080")
	demoMode := false
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
			// Settings first: a missing secret stops serve before it touches
			// the database.
			line, err := a.phoneLine(policy, log, addr, demoMode)
			if err != nil {
				return err
			}
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			line.DB, line.Pins.DB = db, db
			if demoMode {
				d, err := a.seedDemo(ctx, db, policy, line)
				if err != nil {
					return err
				}
				a.printDemo(d, line)
			}
			stopWatcher, err := startWatcher(ctx, db, log, notify.SLAAlerts(policy))
			if err != nil {
				return err
			}
			stopOutbox, err := a.startOutbox(ctx, db, log)
			if err != nil {
				stopWatcher()
				return err
			}
			srv := web.New(db, log)
			line.Mount(srv.Echo)
			err = srv.Run(ctx, addr, func(bound net.Addr) {
				fmt.Fprintf(a.stdout, "supportline listening on %s (store: %s, policy: %s)\n", bound, db, policy.Source)
			})
			stopWatcher() // before the database closes
			stopOutbox()  // after the watcher, which enqueues SMS; before the database closes
			if err != nil {
				return err
			}
			log.Info("stopped cleanly")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", addr, "listen address (env SUPPORTLINE_ADDR)")
	cmd.Flags().BoolVar(&demoMode, "demo", false, "seed a demo account, contact and engineers, accept the demo auth token, and print a ready-to-paste call command")
	return cmd
}
