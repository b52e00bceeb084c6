package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/errcode"
	"supportline/routing"
)

// checkCoverageDays is how far ahead `check` looks for coverage gaps.
const checkCoverageDays = 14

func (a *app) coverageCommand() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "coverage [--days 90]",
		Short: "Find the coming windows in which a live call would have nobody to dial",
		Long: "Projects the rotations and overrides forward against every promise of the policy file: for each plan and priority " +
			"whose live calendar is open, the windows in which no step of its escalation policy has an engineer on call with a phone, " +
			"and the schedules whose rotation has not started or has no members.",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotReadOnly: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < routing.MinCoverageDays || days > routing.MaxCoverageDays {
				return errcode.Errorf(errcode.Invalid, "--days must be from %d to %d, not %d", routing.MinCoverageDays, routing.MaxCoverageDays, days)
			}
			svc, err := a.services(cmd.Context())
			if err != nil {
				return err
			}
			c, err := svc.Routing.Coverage(cmd.Context(), a.now(), days)
			if err != nil {
				return err
			}
			return a.emit(c, func() { fmt.Fprint(a.stdout, c.Text(a.policy.PriorityWord())) })
		},
	}
	cmd.Flags().IntVar(&days, "days", routing.DefaultCoverageDays, fmt.Sprintf("how many days ahead to look (%d-%d)", routing.MinCoverageDays, routing.MaxCoverageDays))
	return cmd
}

// coverageWarnings are what `check` warns about: the gaps of the next
// checkCoverageDays days, one sentence each. It needs the database
// checkSchedules opened; without one there is nothing to project.
func (a *app) coverageWarnings(ctx context.Context, p *config.Policy, dbc scheduleCheck) []string {
	out := []string{}
	if !dbc.Checked || a.db == nil {
		return out
	}
	c, err := (&routing.Service{DB: a.db, Policy: p}).Coverage(ctx, a.now(), checkCoverageDays)
	if err != nil {
		return append(out, fmt.Sprintf("coverage gaps not checked: cannot read the roster from %s", a.db))
	}
	for _, g := range c.Gaps {
		out = append(out, fmt.Sprintf("coverage gap for %s: %s", routing.Breaks(g.Breaks, p.PriorityWord()), g.Why))
	}
	return out
}

// printWarnings writes check's warnings, one a line.
func printWarnings(w io.Writer, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
}
