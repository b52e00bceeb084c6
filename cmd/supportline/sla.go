package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/errcode"
	"supportline/sla"
	"supportline/store"
	"supportline/tickets"
)

func (a *app) slaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sla",
		Short: "Compute and explain SLA due times; list a calendar's holidays",
	}
	cmd.AddCommand(a.slaDueCommand(false), a.slaDueCommand(true), a.slaHolidaysCommand())
	return cmd
}

// slaQuery is the plan x priority x opening instant that `sla due` and
// `sla explain` take.
type slaQuery struct {
	plan     string
	priority int
	opened   string
}

func (q *slaQuery) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&q.plan, "plan", "", "support plan from the policy file (required)")
	cmd.Flags().IntVar(&q.priority, "priority", 0, "priority level (required)")
	cmd.Flags().StringVar(&q.opened, "opened", "", "when the clock started, RFC 3339, e.g. 2024-06-14T16:00:00-06:00 (required)")
}

// resolve checks the flags and explains the promise (tickets.ExplainPromise).
func (q *slaQuery) resolve(cmd *cobra.Command, policy *config.Policy) (tickets.Explanation, error) {
	switch {
	case q.plan == "":
		return tickets.Explanation{}, errcode.Errorf(errcode.Invalid, "--plan is required (plans: %s)", strings.Join(policy.PlanNames(), ", "))
	case !cmd.Flags().Changed("priority"):
		return tickets.Explanation{}, errcode.New(errcode.Invalid, "--priority is required (a priority level such as 1)")
	case q.opened == "":
		return tickets.Explanation{}, errcode.New(errcode.Invalid, "--opened is required: an RFC 3339 time such as 2024-06-14T16:00:00-06:00")
	}
	opened, err := time.Parse(time.RFC3339, q.opened)
	if err != nil {
		return tickets.Explanation{}, errcode.Errorf(errcode.Invalid, "--opened %q is not an RFC 3339 time such as 2024-06-14T16:00:00-06:00", q.opened)
	}
	return tickets.ExplainPromise(policy, q.plan, q.priority, opened)
}

// slaInterval is one counted business interval, for --json.
type slaInterval struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Duration string `json:"duration"`
}

func (a *app) slaDueCommand(explain bool) *cobra.Command {
	var q slaQuery
	cmd := &cobra.Command{
		Use:   "due --plan PLAN --priority N --opened RFC3339",
		Short: "Print when a response is due",
		Args:  cobra.NoArgs,
	}
	if explain {
		cmd.Use = "explain --plan PLAN --priority N --opened RFC3339"
		cmd.Short = "Show how a due time is computed: target, calendar and the business intervals counted"
	}
	q.flags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		policy, err := a.loadPolicy()
		if err != nil {
			return err
		}
		e, err := q.resolve(cmd, policy)
		if err != nil {
			return err
		}
		p, due := e.Promise, e.Due
		if !explain {
			out := map[string]string{
				"due":      rfc3339(due),
				"target":   p.Target.String(),
				"calendar": p.Calendar.Name(),
				"opened":   rfc3339(e.Opened),
			}
			return a.emit(out, func() { fmt.Fprintln(a.stdout, rfc3339(due)) })
		}
		opened, warn, total := e.Opened.In(p.Calendar.Location()), e.WarnAt, e.Total
		intervals := make([]slaInterval, len(e.Intervals))
		for i, iv := range e.Intervals {
			intervals[i] = slaInterval{rfc3339(iv.Start), rfc3339(iv.End), sla.FormatDuration(iv.End.Sub(iv.Start))}
		}
		out := struct {
			Plan      string        `json:"plan"`
			Priority  int           `json:"priority"`
			Target    string        `json:"target"`
			Calendar  string        `json:"calendar"`
			Opened    string        `json:"opened"`
			Due       string        `json:"due"`
			WarnAt    string        `json:"warn_at"`
			Intervals []slaInterval `json:"intervals"`
			Total     string        `json:"total"`
		}{p.Plan, p.Priority, p.Target.String(), p.Calendar.String(), rfc3339(opened), rfc3339(due), rfc3339(warn), intervals, sla.FormatDuration(total)}
		return a.emit(out, func() {
			level := strconv.Itoa(p.Priority)
			if pr, ok := policy.Priority(p.Priority); ok {
				level += " (" + pr.Name + ")"
			}
			fmt.Fprintf(a.stdout, "plan:      %s, priority %s\n", p.Plan, level)
			fmt.Fprintf(a.stdout, "target:    %s\n", targetMeaning(p.Target, p.Calendar))
			fmt.Fprintf(a.stdout, "calendar:  %s\n", p.Calendar)
			fmt.Fprintf(a.stdout, "opened:    %s\n", rfc3339(opened))
			fmt.Fprintf(a.stdout, "due:       %s\n", rfc3339(due))
			fmt.Fprintf(a.stdout, "warning:   %s (sla.warn_at %g of the counted time)\n", rfc3339(warn), policy.SLA.WarnAt)
			fmt.Fprintln(a.stdout, "counted:")
			for _, iv := range intervals {
				fmt.Fprintf(a.stdout, "  %s - %s  %s\n", iv.Start, iv.End, iv.Duration)
			}
			fmt.Fprintf(a.stdout, "total:     %s\n", sla.FormatDuration(total))
		})
	}
	return cmd
}

// targetMeaning says in words how a target is counted on a calendar.
func targetMeaning(t sla.Target, c *sla.Calendar) string {
	if c.IsAlways() {
		return fmt.Sprintf("%s, counted as elapsed time (24x7)", t)
	}
	switch t.Kind {
	case sla.BusinessDays:
		return fmt.Sprintf("%s = %d x %s working day = %s of business time", t, t.N, sla.FormatDuration(c.WorkdayLength()), sla.FormatDuration(time.Duration(t.N)*c.WorkdayLength()))
	case sla.NextBusinessDay:
		return fmt.Sprintf("%s: closing time of the first business day after the local date of opening", t)
	}
	return fmt.Sprintf("%s of business time", t)
}

func (a *app) slaHolidaysCommand() *cobra.Command {
	var name string
	var year int
	cmd := &cobra.Command{
		Use:   "holidays --calendar NAME [--year Y]",
		Short: "List a calendar's observed holidays in a year",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			policy, err := a.loadPolicy()
			if err != nil {
				return err
			}
			names := strings.Join(policy.CalendarNames(), ", ")
			if name == "" {
				return errcode.Errorf(errcode.Invalid, "--calendar is required (calendars: %s)", names)
			}
			cal := policy.Calendar(name)
			if cal == nil {
				return errcode.Errorf(errcode.NotFound, "no calendar %q (calendars: %s)", name, names)
			}
			if !cmd.Flags().Changed("year") {
				year = time.Now().In(cal.Location()).Year()
			}
			if year < 1900 || year > 2200 {
				return errcode.Errorf(errcode.Invalid, "--year %d is out of range (1900 to 2200)", year)
			}
			type row struct {
				Date    string `json:"date"`
				Weekday string `json:"weekday"`
				Name    string `json:"name"`
			}
			rows := []row{}
			for _, h := range cal.NamedHolidays(year) {
				rows = append(rows, row{h.Date.Format(time.DateOnly), h.Date.Weekday().String(), h.Name})
			}
			return a.emit(rows, func() {
				if len(rows) == 0 {
					fmt.Fprintf(a.stdout, "calendar %s observes no holidays in %d\n", name, year)
					return
				}
				table := make([][]string, len(rows))
				for i, r := range rows {
					table[i] = []string{r.Date, r.Weekday, r.Name}
				}
				a.table([]string{"DATE", "WEEKDAY", "HOLIDAY"}, table)
			})
		},
	}
	cmd.Flags().StringVar(&name, "calendar", "", "calendar name from the policy file (required)")
	cmd.Flags().IntVar(&year, "year", 0, "year (default: the current year in the calendar's zone)")
	return cmd
}

func rfc3339(t time.Time) string { return t.Format(time.RFC3339Nano) }

// startWatcher runs the breach watcher in the background every interval
// until ctx ends or the returned stop is called; stop waits for a pass in
// progress to end, so the database can close after.
func startWatcher(ctx context.Context, db *store.DB, log *slog.Logger, interval time.Duration, onEvent func(context.Context, *store.Tx, tickets.Event, tickets.Ticket) error) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w := &tickets.Watcher{DB: db, Log: log.With("component", "sla-watcher"), Interval: interval, OnEvent: onEvent}
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	log.Info("sla watcher started", "interval", interval.String())
	return func() {
		cancel()
		<-done
	}
}
