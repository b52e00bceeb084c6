// Command supportline runs the Supportline phone line and administers it:
// serve, migrate, check, account, contact, audit, sla, engineer, schedule, override, oncall, route.
package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"os/user"
	"strings"
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
	// readOnly is set (by the root's PersistentPreRunE, from the command's
	// annotation) when the running command only reads: openDB then neither
	// creates nor migrates a database.
	readOnly bool

	stdout, stderr io.Writer
	policy         *config.Policy
	db             *store.DB
	hooks          testHooks
}

// testHooks let tests wait for serve's milestones instead of polling its
// output; nil in production.
type testHooks struct {
	listening func(net.Addr) // serve has bound its address
	ready     func()         // serve has reached and migrated its database
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return (&app{stdout: stdout, stderr: stderr}).run(ctx, args)
}

// run executes the command line with a's writers and hooks and returns the
// exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	if a.db != nil {
		a.db.Close()
	}
	if err == nil {
		return 0
	}
	// A flag that fails to parse before --json does leaves a.json unset.
	return printError(a.stderr, a.json || jsonRequested(args), err)
}

// usageError is bad input found by the CLI itself (a flag, an argument):
// exit 2, like errcode.Invalid.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func (a *app) rootCommand() *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:           "supportline",
		Short:         "Supportline answers a premium support phone line",
		Long:          "Supportline answers a software vendor's support phone line: it verifies callers by support ID and PIN, checks their plan, opens a ticket with an SLA clock, and forwards the call to the engineer on call or to voicemail.",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVersion && len(args) == 0 {
				return a.printVersion()
			}
			return unknownSubcommand(cmd, args)
		},
	}
	root.SetFlagErrorFunc(flagError)
	f := root.PersistentFlags()
	f.StringVar(&a.configPath, "config", os.Getenv("SUPPORTLINE_CONFIG"), "policy file (env SUPPORTLINE_CONFIG; built-in default when empty)")
	f.StringVar(&a.dbURL, "db", envOr("DATABASE_URL", store.DefaultURL), "database: postgres://... or a SQLite file path (env DATABASE_URL)")
	f.BoolVar(&a.json, "json", false, "print records as JSON (and errors as JSON on stderr)")
	f.StringVar(&a.actor, "actor", "", "who is acting, for the audit log (default: the OS user)")
	root.Flags().BoolVar(&showVersion, "version", false, "print the version and exit (as supportline version)")
	root.AddCommand(a.serveCommand(), a.migrateCommand(), a.checkCommand(), a.accountCommand(), a.contactCommand(), a.auditCommand(), a.slaCommand())
	root.AddCommand(a.engineerCommand(), a.scheduleCommand(), a.overrideCommand(), a.oncallCommand(), a.routeCommand())
	root.AddCommand(a.callCommand(), a.ticketCommand())
	root.AddCommand(a.pinCommand())
	root.AddCommand(a.outboxCommand())
	root.AddCommand(a.smsCommand())
	root.AddCommand(a.tokenCommand(), a.userCommand())
	root.AddCommand(a.feedCommand())
	root.AddCommand(a.versionCommand(), a.healthCommand())
	root.AddCommand(a.coverageCommand())
	a.prepareTree(root)
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

// openDB opens (once) the database. A command that only reads needs a
// database with this binary's schema and neither creates nor migrates one
// (pointed at the wrong database, it must leave it as it was). A command
// that writes migrates a SQLite file that is new, empty or already
// Supportline's, so that a first admin command on a fresh file just works;
// it never migrates PostgreSQL, which is shared and migrated by its
// operator (migrate up, or serve at start).
func (a *app) openDB(ctx context.Context) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	if file := store.SQLiteFile(a.dbURL); a.readOnly && file != "" {
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return nil, errcode.Errorf(errcode.Unavailable, "there is no database at %s: run supportline migrate up (or choose another with --db)", file)
		}
	}
	db, err := store.Open(ctx, a.dbURL)
	if err != nil {
		return nil, errcode.Errorf(errcode.Unavailable, "cannot open the database: %v", err)
	}
	if err := a.ensureSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	a.db = db
	return db, nil
}

// ensureSchema checks, or for a write on SQLite brings up to date, db's
// schema (see openDB).
func (a *app) ensureSchema(ctx context.Context, db *store.DB) error {
	st, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	if st.Current() {
		return nil
	}
	if a.readOnly || db.Engine() != store.SQLite {
		return schemaError(db, st)
	}
	if st.None() {
		tables, err := db.Tables(ctx)
		if err != nil {
			return err
		}
		if len(tables) > 0 {
			return errcode.Errorf(errcode.Conflict, "%s holds tables that are not Supportline's (%s): choose another database with --db", db, strings.Join(tables, ", "))
		}
	}
	_, err = db.Migrate(ctx)
	return err
}

// schemaError says what is wrong with a database whose schema is missing
// or older than this binary, and how to mend it.
func schemaError(db *store.DB, st store.SchemaState) error {
	if st.None() {
		return errcode.Errorf(errcode.Unavailable, "this database (%s) has no Supportline schema: run supportline migrate up", db)
	}
	return errcode.Errorf(errcode.Unavailable, "this database (%s) has an older Supportline schema (%d of %d migrations applied): run supportline migrate up",
		db, len(st.Known)-len(st.Pending()), len(st.Known))
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
