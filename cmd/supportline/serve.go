package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"supportline/notify"
	"supportline/pins"
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
			if err := db.CheckLax(ctx); err != nil {
				log.Warn("database: menu moves will wait for the disk", "err", err)
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
			stopPrune := every(ctx, pinPruneInterval, func(ctx context.Context) { prunePins(ctx, line.Pins, log) })
			srv := web.New(db, log)
			line.Mount(srv.Echo)
			err = srv.Run(ctx, addr, func(bound net.Addr) {
				fmt.Fprintf(a.stdout, "supportline listening on %s (store: %s, policy: %s)\n", bound, db, policy.Source)
			})
			line.Close()  // status callbacks still being tried; before the database closes
			stopWatcher() // before the database closes
			stopOutbox()  // after the watcher, which enqueues SMS; before the database closes
			stopPrune()
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

// pinPruneInterval is how often serve clears PIN throttle rows older than
// the one-hour window (pins.Service.Prune).
const pinPruneInterval = 10 * time.Minute

func prunePins(ctx context.Context, svc *pins.Service, log *slog.Logger) {
	n, err := svc.Prune(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("prune PIN throttle rows", "err", err)
	case n > 0:
		log.Info("pruned PIN throttle rows older than an hour", "rows", n)
	}
}

// every runs fn every interval until ctx ends or stop is called; stop
// waits for a run in progress.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
