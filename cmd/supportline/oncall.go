package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/sla"
)

// oncallService opens the database and builds the on-call service; p is
// the policy for the commands whose rules read it (schedule remove), nil
// for the others, so that a broken policy file does not stop them.
func (a *app) oncallService(ctx context.Context, p *config.Policy) (*oncall.Service, error) {
	db, err := a.openDB(ctx)
	if err != nil {
		return nil, err
	}
	return &oncall.Service{DB: db, Policy: p}, nil
}

// now is the clock for commands: the database's when one is open.
func (a *app) now() time.Time {
	if a.db != nil {
		return a.db.Now()
	}
	return time.Now()
}

// required refuses a command whose named flags are empty, naming the first.
func required(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f != nil && strings.TrimSpace(f.Value.String()) == "" {
			return errcode.Errorf(errcode.Invalid, "--%s is required (usage: %s)", n, cmd.UseLine())
		}
	}
	return nil
}

// instantFlag parses an RFC 3339 flag value; empty means now.
func (a *app) instantFlag(name, v string) (time.Time, error) {
	if v == "" {
		return a.now(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errcode.Errorf(errcode.Invalid, "--%s %q is not an RFC 3339 time such as 2026-11-21T03:00:00-07:00", name, v)
	}
	return t, nil
}

// splitHandles reads "alice, bob,carol"; an empty value is no handles.
func splitHandles(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// local formats an instant for people, in the zone it carries.
func local(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("Mon 2006-01-02 15:04 MST")
}

func (a *app) engineerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "engineer", Short: "Manage the engineers who take calls"}

	var in oncall.NewEngineer
	add := &cobra.Command{
		Use:   "add --handle HANDLE --name NAME --phone E164 [--email EMAIL] [--no-sms]",
		Short: "Add an engineer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(cmd, "handle", "name", "phone"); err != nil {
				return err
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			e, err := st.AddEngineer(cmd.Context(), a.who(), in)
			if err != nil {
				return err
			}
			return a.emit(e, func() {
				fmt.Fprintf(a.stdout, "engineer %s added: %s, %s, SMS %s\n", e.Handle, e.Name, e.Phone, onOff(e.SMS))
			})
		},
	}
	add.Flags().StringVar(&in.Handle, "handle", "", "short unique name used in schedules, e.g. alice (required)")
	add.Flags().StringVar(&in.Name, "name", "", "full name (required)")
	add.Flags().StringVar(&in.Phone, "phone", "", "phone in E.164, e.g. +17205550111 (required)")
	add.Flags().StringVar(&in.Email, "email", "", "email address")
	add.Flags().BoolVar(&in.NoSMS, "no-sms", false, "the engineer does not take text messages")

	list := &cobra.Command{
		Use:   "list",
		Short: "List engineers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			es, err := st.Engineers(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(nonNil(es), func() {
				rows := make([][]string, len(es))
				for i, e := range es {
					rows[i] = []string{e.Handle, e.Name, e.Phone, onOff(e.SMS), e.Email, strings.Join(e.Schedules, ","), ts(e.CreatedAt)}
				}
				a.table([]string{"HANDLE", "NAME", "PHONE", "SMS", "EMAIL", "SCHEDULES", "ADDED"}, rows)
			})
		},
	}

	remove := &cobra.Command{
		Use:   "remove HANDLE",
		Short: "Remove an engineer (refused while they are in a schedule)",
		Args:  exactArgs(1, "an engineer's handle"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			e, err := st.RemoveEngineer(cmd.Context(), a.who(), args[0])
			if err != nil {
				return err
			}
			return a.emit(e, func() { fmt.Fprintf(a.stdout, "engineer %s (%s) removed\n", e.Handle, e.Name) })
		},
	}
	cmd.AddCommand(add, list, a.engineerSetCommand(), remove)
	return cmd
}

// engineerSetCommand changes the fields given of one engineer.
func (a *app) engineerSetCommand() *cobra.Command {
	var name, phone, email, sms string
	set := &cobra.Command{
		Use:   "set HANDLE [--name NAME] [--phone E164] [--email EMAIL] [--sms on|off]",
		Short: "Change an engineer's name, phone, email or SMS setting (only the flags given)",
		Args:  exactArgs(1, "an engineer's handle"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in oncall.EngineerChange
			flags := cmd.Flags()
			if flags.Changed("name") {
				in.Name = &name
			}
			if flags.Changed("phone") {
				in.Phone = &phone
			}
			if flags.Changed("email") {
				in.Email = &email
			}
			if flags.Changed("sms") {
				on, ok := map[string]bool{"on": true, "off": false}[strings.ToLower(strings.TrimSpace(sms))]
				if !ok {
					return errcode.Errorf(errcode.Invalid, "--sms takes on or off, not %q", sms)
				}
				in.SMS = &on
			}
			if in == (oncall.EngineerChange{}) {
				return errcode.Errorf(errcode.Invalid, "give at least one of --name, --phone, --email or --sms (usage: %s)", cmd.UseLine())
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			e, changes, err := st.SetEngineer(cmd.Context(), a.who(), args[0], in)
			if err != nil {
				return err
			}
			out := struct {
				Engineer oncall.Engineer      `json:"engineer"`
				Changes  []oncall.FieldChange `json:"changes"`
			}{e, changes}
			return a.emit(out, func() {
				if len(changes) == 0 {
					fmt.Fprintf(a.stdout, "engineer %s unchanged (it already had those values)\n", e.Handle)
					return
				}
				parts := make([]string, len(changes))
				for i, c := range changes {
					parts[i] = c.String()
				}
				fmt.Fprintf(a.stdout, "engineer %s: %s\n", e.Handle, strings.Join(parts, "; "))
			})
		},
	}
	set.Flags().StringVar(&name, "name", "", "new full name")
	set.Flags().StringVar(&phone, "phone", "", "new phone in E.164, e.g. +17205550111")
	set.Flags().StringVar(&email, "email", "", `new email address ("" removes it)`)
	set.Flags().StringVar(&sms, "sms", "", "on or off: whether the engineer takes text messages")
	return set
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (a *app) scheduleCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "schedule", Short: "Manage on-call schedules (rotations)"}

	var tz, shift, handoff, members string
	add := &cobra.Command{
		Use:   "add NAME --tz ZONE --shift DURATION --handoff YYYY-MM-DDTHH:MM [--members a,b,c]",
		Short: "Add a rotation",
		Args:  exactArgs(1, "a schedule name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := required(cmd, "tz", "shift", "handoff"); err != nil {
				return err
			}
			d, err := time.ParseDuration(shift)
			if err != nil {
				return errcode.Errorf(errcode.Invalid, "--shift %q is not a duration such as 24h, 168h or 12h", shift)
			}
			h, err := oncall.ParseCivil(handoff)
			if err != nil {
				return errcode.Errorf(errcode.Invalid, "--handoff: %v", err)
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			s, err := st.AddSchedule(cmd.Context(), a.who(), oncall.NewSchedule{
				Name: args[0], Timezone: tz, Shift: d, Handoff: h, Members: splitHandles(members)})
			if err != nil {
				return err
			}
			return a.emit(s, func() {
				fmt.Fprintf(a.stdout, "schedule %s added: %s shifts from %s %s, members: %s\n",
					s.Name, sla.FormatDuration(s.Shift), s.Handoff, s.Location, membersText(s.Members))
			})
		},
	}
	add.Flags().StringVar(&tz, "tz", "", "IANA time zone of the handoff, e.g. America/Denver (required)")
	add.Flags().StringVar(&shift, "shift", "", "length of one turn in whole minutes: 24h, 168h, 12h (required)")
	add.Flags().StringVar(&handoff, "handoff", "", "wall-clock start of the first shift in the zone, YYYY-MM-DDTHH:MM (required)")
	add.Flags().StringVar(&members, "members", "", "engineer handles in rotation order, comma-separated")

	list := &cobra.Command{
		Use:   "list",
		Short: "List schedules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			ss, err := st.Schedules(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(nonNil(ss), func() {
				rows := make([][]string, len(ss))
				for i, s := range ss {
					rows[i] = []string{s.Name, zoneText(s.Schedule), sla.FormatDuration(s.Shift), s.Handoff.String(), membersText(s.Members)}
				}
				a.table([]string{"NAME", "TIMEZONE", "SHIFT", "HANDOFF", "MEMBERS"}, rows)
			})
		},
	}

	var next int
	var from string
	show := &cobra.Command{
		Use:   "show NAME [--next 5] [--from RFC3339]",
		Short: "Show a schedule and its next shifts, overrides applied",
		Args:  exactArgs(1, "a schedule name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if next < 1 || next > 1000 {
				return errcode.Errorf(errcode.Invalid, "--next %d must be from 1 to 1000", next)
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			at, err := a.instantFlag("from", from)
			if err != nil {
				return err
			}
			s, shifts, err := st.Upcoming(cmd.Context(), args[0], at, next)
			if err != nil {
				return err
			}
			out := struct {
				Schedule oncall.StoredSchedule `json:"schedule"`
				Shifts   []oncall.Coverage     `json:"shifts"`
			}{s, shifts}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "Schedule %s: %s shifts from %s %s\nMembers:  %s\n\n",
					s.Name, sla.FormatDuration(s.Shift), s.Handoff, zoneText(s.Schedule), membersText(s.Members))
				if len(shifts) == 0 {
					fmt.Fprintf(a.stdout, "nobody is on call from %s on: %s\n", local(at.In(s.Location)), oncall.WhyNobody(s.Schedule, at))
					return
				}
				rows := make([][]string, len(shifts))
				for i, c := range shifts {
					rows[i] = []string{c.Engineer, c.Name, local(c.Since), local(c.Until), overrideNote(c.Override)}
				}
				a.table([]string{"ENGINEER", "NAME", "START", "END", ""}, rows)
			})
		},
	}
	show.Flags().IntVar(&next, "next", 5, "how many shifts to list")
	show.Flags().StringVar(&from, "from", "", "list from this RFC 3339 instant (default: now)")

	var setTo string
	setMembers := &cobra.Command{
		Use:   "set-members NAME --members a,b,c",
		Short: "Replace a schedule's members (the new rotation order)",
		Args:  exactArgs(1, "a schedule name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("members") {
				return errcode.Errorf(errcode.Invalid, "--members is required (use --members \"\" to leave only overrides) (usage: %s)", cmd.UseLine())
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			s, err := st.SetMembers(cmd.Context(), a.who(), args[0], splitHandles(setTo))
			if err != nil {
				return err
			}
			return a.emit(s, func() { fmt.Fprintf(a.stdout, "schedule %s members: %s\n", s.Name, membersText(s.Members)) })
		},
	}
	setMembers.Flags().StringVar(&setTo, "members", "", "engineer handles in rotation order, comma-separated")

	var force bool
	remove := &cobra.Command{
		Use:   "remove NAME [--force]",
		Short: "Remove a schedule with its overrides",
		Args:  exactArgs(1, "a schedule name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.loadPolicy()
			if err != nil {
				return err
			}
			st, err := a.oncallService(cmd.Context(), p)
			if err != nil {
				return err
			}
			s, err := st.RemoveSchedule(cmd.Context(), a.who(), args[0], force)
			if errcode.Is(err, errcode.Conflict) { // the only conflict: a policy names it
				err = errcode.Errorf(errcode.Conflict, "%s (--force)", errcode.Message(err))
			}
			if err != nil {
				return err
			}
			return a.emit(s, func() { fmt.Fprintf(a.stdout, "schedule %s removed\n", s.Name) })
		},
	}
	remove.Flags().BoolVar(&force, "force", false, "remove even if an escalation policy names the schedule")

	cmd.AddCommand(add, list, show, setMembers, remove)
	return cmd
}

func membersText(m []string) string {
	if len(m) == 0 {
		return "(none: only overrides)"
	}
	return strings.Join(m, ", ")
}

func zoneText(s oncall.Schedule) string {
	if s.Location == nil {
		return "(unknown zone)"
	}
	return s.Location.String()
}

func overrideNote(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("(override #%d)", id)
}

func (a *app) overrideCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "override", Short: "Put an engineer on call in place of the rotation"}

	var in oncall.NewOverride
	add := &cobra.Command{
		Use:   "add --schedule NAME --engineer HANDLE --from T --to T",
		Short: "Add an override; where overrides overlap, the newest wins",
		Long: "Add an override: the engineer covers the schedule from --from until --to. Times are RFC 3339 " +
			"(2026-11-21T09:00:00-07:00) or wall-clock YYYY-MM-DDTHH:MM in the schedule's zone. " +
			"An override cannot end in the past; one whose --from is past starts now, and says so.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required(cmd, "schedule", "engineer", "from", "to"); err != nil {
				return err
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			o, err := st.AddOverride(cmd.Context(), a.who(), in)
			if err != nil {
				return err
			}
			zones, err := a.scheduleZones(cmd.Context(), st)
			if err != nil {
				return err
			}
			return a.emit(o, func() {
				loc := zones[o.Schedule]
				fmt.Fprintf(a.stdout, "override #%d: %s covers %s from %s until %s\n",
					o.ID, o.Engineer, o.Schedule, local(o.From.In(loc)), local(o.To.In(loc)))
				if o.StartedNow {
					fmt.Fprintf(a.stdout, "the start asked for, %s, was already past: the override starts now\n", local(o.AskedFrom.In(loc)))
				}
			})
		},
	}
	add.Flags().StringVar(&in.Schedule, "schedule", "", "schedule to cover (required)")
	add.Flags().StringVar(&in.Engineer, "engineer", "", "handle of the engineer on call (required)")
	add.Flags().StringVar(&in.From, "from", "", "start: RFC 3339, or YYYY-MM-DDTHH:MM in the schedule's zone (required)")
	add.Flags().StringVar(&in.To, "to", "", "end (exclusive), same forms as --from (required)")

	var schedule string
	var all bool
	list := &cobra.Command{
		Use:   "list [--schedule NAME] [--all]",
		Short: "List overrides that have not ended (--all: also past ones)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			after := a.now()
			if all {
				after = time.Time{}
			}
			os, err := st.Overrides(cmd.Context(), schedule, after)
			if err != nil {
				return err
			}
			zones, err := a.scheduleZones(cmd.Context(), st)
			if err != nil {
				return err
			}
			return a.emit(nonNil(os), func() {
				rows := make([][]string, len(os))
				for i, o := range os {
					loc := zones[o.Schedule]
					rows[i] = []string{fmt.Sprint(o.ID), o.Schedule, o.Engineer, local(o.From.In(loc)), local(o.To.In(loc)), o.CreatedBy, ts(o.CreatedAt)}
				}
				a.table([]string{"ID", "SCHEDULE", "ENGINEER", "FROM", "TO", "BY", "ADDED"}, rows)
			})
		},
	}
	list.Flags().StringVar(&schedule, "schedule", "", "only this schedule's overrides")
	list.Flags().BoolVar(&all, "all", false, "include overrides that have ended")

	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove an override",
		Args:  exactArgs(1, "an override ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
			if err != nil || id <= 0 {
				return errcode.Errorf(errcode.Invalid, "override ID %q is not a positive number", args[0])
			}
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			o, err := st.RemoveOverride(cmd.Context(), a.who(), id)
			if err != nil {
				return err
			}
			return a.emit(o, func() {
				fmt.Fprintf(a.stdout, "override #%d (%s on %s) removed\n", o.ID, o.Engineer, o.Schedule)
			})
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

// scheduleZones maps schedule names to zones, for printing times the way
// the schedule's people read them.
func (a *app) scheduleZones(ctx context.Context, st *oncall.Service) (map[string]*time.Location, error) {
	ss, err := st.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*time.Location{}
	for _, s := range ss {
		if s.Location != nil {
			out[s.Name] = s.Location
		} else {
			out[s.Name] = time.UTC
		}
	}
	return out, nil
}

func (a *app) oncallCommand() *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:   "oncall [--at RFC3339]",
		Short: "Show who is on call in every schedule, since and until when",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.oncallService(cmd.Context(), nil)
			if err != nil {
				return err
			}
			t, err := a.instantFlag("at", at)
			if err != nil {
				return err
			}
			cs, err := st.OnCall(cmd.Context(), t)
			if err != nil {
				return err
			}
			return a.emit(nonNil(cs), func() {
				if len(cs) == 0 {
					fmt.Fprintln(a.stdout, "no schedules yet (add one with: supportline schedule add)")
					return
				}
				rows := make([][]string, len(cs))
				for i, c := range cs {
					if c.Engineer == "" {
						rows[i] = []string{c.Schedule, "nobody", "", "-", "-", c.Nobody}
						continue
					}
					rows[i] = []string{c.Schedule, c.Engineer, c.Name, local(c.Since), local(c.Until), overrideNote(c.Override)}
				}
				a.table([]string{"SCHEDULE", "ON CALL", "NAME", "SINCE", "UNTIL", ""}, rows)
			})
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "the instant to ask about, RFC 3339 (default: now)")
	return cmd
}
