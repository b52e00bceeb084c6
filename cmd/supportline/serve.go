package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"supportline/api"
	"supportline/auth"
	"supportline/console"
	"supportline/domain"
	"supportline/errcode"
	"supportline/notify"
	"supportline/pins"
	"supportline/store"
	"supportline/web"
)

func (a *app) serveCommand() *cobra.Command {
	addr := envOr("SUPPORTLINE_ADDR", ":8080")
	adminAddr := envOr("SUPPORTLINE_ADMIN_ADDR", defaultAdminAddr)
	demoMode := false
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (migrates the database first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Settings first: a missing secret or a malformed setting stops
			// serve before it touches the database.
			set, err := readServeSettings(os.Getenv, serveFlags{
				Addr:             addr,
				AdminAddr:        adminAddr,
				AddrFromEnv:      !cmd.Flags().Changed("addr") && os.Getenv("SUPPORTLINE_ADDR") != "",
				AdminAddrFromEnv: !cmd.Flags().Changed("admin-addr") && os.Getenv("SUPPORTLINE_ADMIN_ADDR") != "",
				Demo:             demoMode,
			}, a.stderr)
			if err != nil {
				return err
			}
			policy, err := a.loadPolicy()
			if err != nil {
				return err
			}
			log := set.Log
			fmt.Fprintln(a.stdout, set.SMSWhere)
			// A malformed database URL is refused now; a database that
			// cannot be reached yet is waited for, while the line answers.
			db, err := store.New(a.dbURL)
			if err != nil {
				return errcode.Errorf(errcode.Invalid, "cannot open the database: %v", err)
			}
			defer db.Close()
			// Both listeners are bound before anything starts, so that a
			// port in use stops serve at once and the demo banner knows
			// the admin API's address.
			ls, err := web.Listen(set.Addr, set.AdminAddr)
			if err != nil {
				return err
			}
			var state dbState
			state.set(errDBNotYet)
			svc := domain.New(db, policy, log, set.EntrySecret, set.PublicURL)
			line := phoneLine(set, policy, db, state.err, svc)
			srv := web.New(db, log)
			srv.Gate = state.err
			line.Mount(srv.Echo)
			mountFeeds(srv.Echo, svc) // /ical/TOKEN.ics, the calendar feeds (feed.go)
			adminAPI(svc, log, set.CORSOrigins).Mount(srv.Admin)
			if err := adminConsole(svc, log, set, consoleURL(set.AdminURL, ls.Admin.Addr().String())).Mount(srv.Admin); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "supportline listening on %s (store: %s, policy: %s)\n", ls.Twilio.Addr(), db, policy.Source)
			fmt.Fprintf(a.stdout, "admin API listening on %s\n", ls.Admin.Addr())
			if a.hooks.listening != nil {
				a.hooks.listening(ls.Twilio.Addr())
			}
			var guard func(context.Context, *store.DB) error
			if demoMode {
				guard = demoGuard
			}

			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var (
				mu       sync.Mutex
				stops    []func() // background work, stopped in reverse order
				setupErr error
			)
			setupDone := make(chan struct{})
			go func() {
				defer close(setupDone)
				err := a.whenReachable(ctx, db, log, &state, guard, func() error {
					if demoMode {
						d, err := a.seedDemo(ctx, db, policy, line)
						if err != nil {
							return err
						}
						token, err := demoAdminToken(ctx, svc.Tokens)
						if err != nil {
							return err
						}
						password, err := demoConsoleUser(ctx, svc.Users)
						if err != nil {
							return err
						}
						a.printDemo(d, line)
						a.printDemoAdmin(ls.Admin.Addr(), token)
						a.printDemoConsole(consoleURL(set.AdminURL, ls.Admin.Addr().String()), password)
					}
					mu.Lock()
					defer mu.Unlock()
					stops = append(stops,
						startWatcher(ctx, db, log, set.WatchInterval, notify.SLAAlerts(policy)),
						(&notify.Reminders{DB: db, Log: log.With("component", "shift-reminders"), Interval: set.WatchInterval, Lead: policy.Notifications.ShiftReminder}).Start(ctx),
						a.startOutbox(ctx, db, log, set.Sender), // after the watcher, which enqueues SMS
						every(ctx, pinPruneInterval, func(ctx context.Context) { prunePins(ctx, line.Pins, log) }),
						every(ctx, pinPruneInterval, func(ctx context.Context) { pruneUsers(ctx, svc.Users, log) }))
					if a.hooks.ready != nil {
						a.hooks.ready()
					}
					return nil
				})
				if err != nil && ctx.Err() == nil {
					setupErr = err
					cancel() // stops the server: serve exits with the error
				}
			}()

			err = srv.Serve(ctx, ls) // both listeners, until ctx ends; then both drain
			cancel()
			<-setupDone
			line.Close() // status callbacks still being tried; before the database closes
			mu.Lock()
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]() // the outbox after the watcher; all before the database closes
			}
			mu.Unlock()
			if setupErr != nil {
				return setupErr
			}
			if err != nil {
				return err
			}
			log.Info("stopped cleanly")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", addr, "listen address (env SUPPORTLINE_ADDR)")
	cmd.Flags().StringVar(&adminAddr, "admin-addr", adminAddr, "admin API listen address: metrics, kept off the internet-facing --addr (env SUPPORTLINE_ADMIN_ADDR)")
	cmd.Flags().BoolVar(&demoMode, "demo", false, "seed a demo account, contact and engineers, accept the demo auth token, and print a ready-to-paste call command and the admin API URL")
	return cmd
}

// defaultAdminAddr is the admin listener's address without --admin-addr
// or SUPPORTLINE_ADMIN_ADDR: loopback only, since the admin surface need
// not be reachable from the internet (the Docker image sets :8081).
const defaultAdminAddr = "127.0.0.1:8081"

// printDemoAdmin prints the admin listener's URL, the API's and the demo
// admin token under the demo banner, with a request that works when pasted.
func (a *app) printDemoAdmin(bound net.Addr, token string) {
	u := adminURL(bound)
	fmt.Fprintf(a.stdout, `
Admin API (metrics at /metrics):
  %[1]s
  API:           %[1]s%[2]s (OpenAPI document at %[1]s%[2]s/openapi.json)
  admin token:   %[3]s (token %[4]s, replaced at every start of the demo)

Try it:
  curl -H "Authorization: Bearer %[3]s" %[1]s%[2]s/accounts
`, u, api.Prefix, token, demoTokenName)
}

// adminAPI is the admin HTTP API over the services serve built once.
func adminAPI(svc *domain.Services, log *slog.Logger, corsOrigins []string) *api.Server {
	return &api.Server{Services: *svc, CORSOrigins: corsOrigins, Log: log, Clock: time.Now}
}

// adminConsole is the web console over the services serve built once, at
// publicURL (its cookies are Secure when that is https).
func adminConsole(svc *domain.Services, log *slog.Logger, set serveSettings, publicURL string) *console.Server {
	return &console.Server{Services: *svc, Recordings: set.Recordings, Log: log, PublicURL: publicURL}
}

// adminURL is the URL a local client reaches the admin listener at:
// localhost when it listens on every interface.
func adminURL(bound net.Addr) string {
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "http://" + bound.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// errDBNotYet is the phone line's answer before serve has reached and
// migrated its database for the first time.
var errDBNotYet = errors.New("the database has not been reached yet")

// dbState is whether the database has been reached and migrated, for the
// phone line's Gate.
type dbState struct{ v atomic.Pointer[error] }

func (s *dbState) set(err error) { s.v.Store(&err) }

func (s *dbState) err() error {
	if p := s.v.Load(); p != nil {
		return *p
	}
	return nil
}

// Backoff between attempts to reach the database at start: doubling from
// connectFirst, capped at connectCap so that a database that comes back is
// in use within about that long.
const (
	connectFirst = 250 * time.Millisecond
	connectCap   = 5 * time.Second
)

// whenReachable pings the database until it answers (backoff capped at
// connectCap), asks guard (when set) whether serve may migrate it,
// migrates it, checks the lax connections, marks the line ready and runs
// then. A failed migration is retried like a failed ping (the database may
// have gone away again); only a refusal from guard, then's error, or ctx's
// end, stops it.
func (a *app) whenReachable(ctx context.Context, db *store.DB, log *slog.Logger, state *dbState, guard func(context.Context, *store.DB) error, then func() error) error {
	delay := connectFirst
	for try := 1; ; try++ {
		err := reach(ctx, db, guard)
		if err == nil {
			break
		}
		var no refusal
		if errors.As(err, &no) {
			return no.err
		}
		state.set(err)
		if try == 1 {
			log.Warn("database not reachable yet; the phone line says \"one moment please\" and the fallback URL works meanwhile",
				"store", db.String(), "err", err)
		} else {
			log.Debug("database still not reachable", "store", db.String(), "try", try, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, connectCap)
	}
	if err := db.CheckLax(ctx); err != nil {
		log.Warn("database: the lax connections for menu moves", "err", err)
	}
	state.set(nil)
	log.Info("database ready", "store", db.String())
	return then()
}

// refusal is guard's answer that serve must not use the database: not
// retried.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }

// reach pings the database, asks guard, and migrates the database, each
// bounded. A coded error from guard is a refusal; any other is retried.
func reach(ctx context.Context, db *store.DB, guard func(context.Context, *store.DB) error) error {
	pctx, cancel := context.WithTimeout(ctx, connectCap)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		return fmt.Errorf("connect to %s: %w", db, err)
	}
	if guard != nil {
		switch err := guard(pctx, db); {
		case err == nil:
		case errcode.CodeOf(err) != errcode.Internal:
			return refusal{err}
		default:
			return err
		}
	}
	mctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := db.Migrate(mctx); err != nil {
		return err
	}
	return nil
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

// pruneUsers clears the console's dead rows (auth.Users.Prune): sign-in
// failure counts of ended windows, ended sessions, week-old dead links.
func pruneUsers(ctx context.Context, users *auth.Users, log *slog.Logger) {
	n, err := users.Prune(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("prune console sign-in rows", "err", err)
	case n > 0:
		log.Info("pruned ended console sessions, old links and sign-in failure counts", "rows", n)
	}
}

// every runs fn every interval until ctx ends or stop is called; stop
// waits for a run in progress.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) (stop func()) {
	t := time.NewTicker(interval)
	stopRuns := onTicks(ctx, t.C, fn)
	return func() {
		stopRuns()
		t.Stop()
	}
}

// onTicks runs fn on each value from ticks until ctx ends or stop is
// called; stop waits for a run in progress and for the loop to end, so
// that nothing receives from ticks after it returns.
func onTicks(ctx context.Context, ticks <-chan time.Time, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticks:
				fn(ctx)
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
