package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/store"
)

func (a *app) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations (up) or show their state (status)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := store.Open(cmd.Context(), a.dbURL)
			if err != nil {
				return err
			}
			a.db = db
			n, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"applied": n, "store": db.String()}, func() {
				fmt.Fprintf(a.stdout, "applied %d migration(s) to %s\n", n, db)
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.migrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(st, func() {
				rows := make([][]string, len(st))
				for i, s := range st {
					state := "pending"
					if s.Applied {
						state = "applied " + s.AppliedAt
					}
					rows[i] = []string{fmt.Sprint(s.Version), s.Name, state}
				}
				a.table([]string{"VERSION", "MIGRATION", "STATE"}, rows)
			})
		},
	})
	return cmd
}

// migrationStatus lists the migrations and whether each is applied,
// creating nothing: a SQLite file that does not exist, or a database
// without goose's table, has every migration pending (goose's own status
// would create its table first).
func (a *app) migrationStatus(ctx context.Context) ([]store.MigrationStatus, error) {
	pending := func(ms []store.Migration) []store.MigrationStatus {
		out := make([]store.MigrationStatus, len(ms))
		for i, m := range ms {
			out[i] = store.MigrationStatus{Version: m.Version, Name: m.Name}
		}
		return out
	}
	if file := store.SQLiteFile(a.dbURL); file != "" {
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			ms, err := store.Migrations(store.SQLite)
			return pending(ms), err
		}
	}
	db, err := store.Open(ctx, a.dbURL)
	if err != nil {
		return nil, err
	}
	a.db = db
	schema, err := db.Schema(ctx)
	if err != nil {
		return nil, err
	}
	if schema.None() {
		return pending(schema.Known), nil
	}
	return db.MigrationStatus(ctx)
}

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the policy file and print every problem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := a.loadPolicy()
			if err != nil {
				return err
			}
			// Escalation steps naming schedules missing from the database are
			// problems too; without a readable database that check is skipped.
			dbc := a.checkSchedules(cmd.Context(), p)
			if len(dbc.problems) > 0 {
				return dbc.problems
			}
			warnings := a.coverageWarnings(cmd.Context(), p, dbc)
			out := struct {
				policySummary
				Database scheduleCheck `json:"database"`
				Warnings []string      `json:"warnings"`
			}{summary(p), dbc, warnings}
			return a.emit(out, func() {
				s := summary(p)
				fmt.Fprintf(a.stdout, "ok: %s\n  plans: %s\n  calendars: %s\n  escalation policies: %s\n  schedules named: %s\n  %s\n",
					p.Source, strings.Join(s.Plans, ", "), strings.Join(s.Calendars, ", "),
					strings.Join(s.EscalationPolicies, ", "), strings.Join(s.Schedules, ", "), dbc)
				printWarnings(a.stdout, warnings)
			})
		},
	}
}

type policySummary struct {
	Source             string   `json:"source"`
	Plans              []string `json:"plans"`
	Calendars          []string `json:"calendars"`
	EscalationPolicies []string `json:"escalation_policies"`
	Schedules          []string `json:"schedules"`
}

func summary(p *config.Policy) policySummary {
	s := policySummary{Source: p.Source, Plans: p.PlanNames(), Calendars: p.CalendarNames(), Schedules: p.Schedules()}
	for name := range p.EscalationPolicies {
		s.EscalationPolicies = append(s.EscalationPolicies, name)
	}
	sort.Strings(s.EscalationPolicies)
	return s
}
