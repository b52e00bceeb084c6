// Command supportline runs the Supportline phone line and administers it:
// serve, migrate, check, account, contact, audit, sla, engineer, schedule, override, oncall, route.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	_ "time/tzdata" // calendars and schedules work in images without a zoneinfo database

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/errcode"
	"supportline/store"
)

// app holds what every command shares: global flags and lazily opened
// dependencies.
type app struct {
	configPath string
	dbURL      string
	json       bool
	actor      string

	stdout, stderr io.Writer
	policy         *config.Policy
	db             *store.DB
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if a.db != nil {
		a.db.Close()
	}
	if err == nil {
		return 0
	}
	var problems config.Problems
	if errors.As(err, &problems) {
		fmt.Fprintf(stderr, "%s\n%d problem(s) in the policy file\n", problems.Error(), len(problems))
		return 1
	}
	var usage usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "error: %s\n", usage.msg)
		return 2
	}
	code := errcode.CodeOf(err)
	if code == errcode.Internal {
		fmt.Fprintf(stderr, "error: %v\n", err)
	} else {
		fmt.Fprintf(stderr, "error: %s\n", errcode.Message(err))
	}
	return errcode.ExitCode(code)
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "supportline",
		Short:         "Supportline answers a premium support phone line",
		Long:          "Supportline answers a software vendor's support phone line: it verifies callers by support ID and PIN, checks their plan, opens a ticket with an SLA clock, and forwards the call to the engineer on call or to voicemail.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	f := root.PersistentFlags()
	f.StringVar(&a.configPath, "config", os.Getenv("SUPPORTLINE_CONFIG"), "policy file (env SUPPORTLINE_CONFIG; built-in default when empty)")
	f.StringVar(&a.dbURL, "db", envOr("DATABASE_URL", store.DefaultURL), "database: postgres://... or a SQLite file path (env DATABASE_URL)")
	f.BoolVar(&a.json, "json", false, "print records as JSON")
	f.StringVar(&a.actor, "actor", "", "who is acting, for the audit log (default: the OS user)")
	root.AddCommand(a.serveCommand(), a.migrateCommand(), a.checkCommand(), a.accountCommand(), a.contactCommand(), a.auditCommand(), a.slaCommand())
	root.AddCommand(a.engineerCommand(), a.scheduleCommand(), a.overrideCommand(), a.oncallCommand(), a.routeCommand())
	root.AddCommand(a.callCommand(), a.ticketCommand())
	root.AddCommand(a.pinCommand())
	root.AddCommand(a.outboxCommand())
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// loadPolicy loads (once) and returns the policy file.
func (a *app) loadPolicy() (*config.Policy, error) {
	if a.policy == nil {
		p, err := config.Load(a.configPath)
		if err != nil {
			return nil, err
		}
		a.policy = p
	}
	return a.policy, nil
}

// openDB opens (once) the database and makes sure it is migrated, so that a
// first admin command on a fresh SQLite file just works.
func (a *app) openDB(ctx context.Context) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	db, err := store.Open(ctx, a.dbURL)
	if err != nil {
		return nil, errcode.Errorf(errcode.Unavailable, "cannot open the database: %v", err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.db = db
	return db, nil
}

// policyAndDB loads the policy file and opens the database, for commands
// that need both.
func (a *app) policyAndDB(ctx context.Context) (*config.Policy, *store.DB, error) {
	p, err := a.loadPolicy()
	if err != nil {
		return nil, nil, err
	}
	db, err := a.openDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	return p, db, nil
}

// who is the actor recorded in audit events.
func (a *app) who() string {
	if a.actor != "" {
		return a.actor
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("SUPPORTLINE_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if os.Getenv("SUPPORTLINE_LOG_FORMAT") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
