package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
)

func (a *app) routeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "route", Short: "Explain where a call would go, and why"}
	var plan, at string
	var priority int
	explain := &cobra.Command{
		Use:   "explain --plan PLAN --priority N [--at RFC3339]",
		Short: "Decide a call's route from the policy and who is on call, and say why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := a.loadPolicy()
			if err != nil {
				return err
			}
			switch {
			case plan == "":
				return errcode.Errorf(errcode.Invalid, "--plan is required (plans: %s)", strings.Join(p.PlanNames(), ", "))
			case !cmd.Flags().Changed("priority"):
				return errcode.New(errcode.Invalid, "--priority is required (a priority level such as 1)")
			}
			svc, err := a.services(cmd.Context())
			if err != nil {
				return err
			}
			t, err := a.instantFlag("at", at)
			if err != nil {
				return err
			}
			r, err := svc.Routing.Explain(cmd.Context(), plan, priority, t)
			if err != nil {
				return err
			}
			return a.emit(r, func() { fmt.Fprint(a.stdout, r.Explain()) })
		},
	}
	explain.Flags().StringVar(&plan, "plan", "", "support plan from the policy file (required)")
	explain.Flags().IntVar(&priority, "priority", 0, "priority level (required)")
	explain.Flags().StringVar(&at, "at", "", "when the call comes in, RFC 3339 (default: now)")
	cmd.AddCommand(explain)
	return cmd
}

// scheduleCheck is what `check` found comparing the policy's escalation
// steps with the schedules in the database.
type scheduleCheck struct {
	Checked bool   `json:"checked"`
	Store   string `json:"store,omitempty"`
	Skipped string `json:"skipped,omitempty"` // why the database was not checked
	// Missing lists the schedules named by the policy but not in the
	// database.
	Missing  []string        `json:"missing"`
	problems config.Problems // one per escalation step naming a missing schedule
}

func (c scheduleCheck) String() string {
	if !c.Checked {
		return "database check skipped: " + c.Skipped
	}
	return "schedules in the database (" + c.Store + "): every schedule named is present"
}

// checkSchedules reports escalation steps naming schedules missing from the
// database (the rule is oncall.Service.CheckPolicy). It reads without migrating, and it does not create the default
// SQLite file when there is none: a database that cannot be read is a
// skipped check, not a problem.
func (a *app) checkSchedules(ctx context.Context, p *config.Policy) scheduleCheck {
	c := scheduleCheck{Missing: []string{}}
	if a.db == nil {
		if file := store.SQLiteFile(a.dbURL); file != "" {
			if _, err := os.Stat(file); err != nil {
				c.Skipped = fmt.Sprintf("cannot open the database: there is no file %s (set --db or DATABASE_URL)", file)
				return c
			}
		}
		db, err := store.Open(ctx, a.dbURL)
		if err != nil {
			c.Skipped = fmt.Sprintf("cannot open the database: %v", err)
			return c
		}
		a.db = db
	}
	c.Store = a.db.String()
	pc, err := (&oncall.Service{DB: a.db, Policy: p}).CheckPolicy(ctx)
	if err != nil {
		c.Skipped = fmt.Sprintf("cannot read schedules from %s (is it migrated? supportline migrate up)", a.db)
		return c
	}
	c.Checked, c.Missing, c.problems = true, pc.Missing, pc.Problems
	return c
}
