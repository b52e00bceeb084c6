package routing

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/sla"
	"supportline/store"
)

// Coverage gaps, found ahead: the rotations and overrides projected over
// the coming days against every promise of the policy file. A gap is a
// window in which a plan priority's live calendar is open, so a call would
// be dialled live, but no step of its escalation policy has an engineer on
// call with a phone, so the call would go to voicemail. It is the same rule
// as Decide's, asked of every instant of a window at once.

// The bounds of a projection, in days.
const (
	MinCoverageDays     = 1
	MaxCoverageDays     = 366
	DefaultCoverageDays = 90
)

// IssueKind names what is wrong with a schedule itself.
type IssueKind string

// The kinds of schedule issue.
const (
	// IssueMissing: an escalation policy names a schedule the database
	// does not hold; live calls skip that step.
	IssueMissing IssueKind = "missing"
	// IssueInvalid: the schedule's rotation cannot be computed.
	IssueInvalid IssueKind = "invalid"
	// IssueNoMembers: the rotation has nobody; only overrides staff it.
	IssueNoMembers IssueKind = "no-members"
	// IssueNotStarted: the rotation's first handoff is still ahead.
	IssueNotStarted IssueKind = "not-started"
)

// ScheduleIssue is a schedule that cannot staff itself, whatever the
// overrides say: it deserves a look even when overrides cover it today.
type ScheduleIssue struct {
	Schedule string    `json:"schedule"`
	Problem  IssueKind `json:"problem"`
	// Starts is when a rotation that has not started starts, in the
	// schedule's zone.
	Starts time.Time `json:"starts,omitzero"`
	Why    string    `json:"why"`
}

// Promise is one plan priority a gap breaks.
type Promise struct {
	Plan         string `json:"plan"`
	Priority     int    `json:"priority"`
	PriorityName string `json:"priority_name,omitempty"`
}

// GapStep is why one step of the escalation policy has nobody to dial
// during a gap, in order of the time within the gap.
type GapStep struct {
	Step     int      `json:"step"`
	Schedule string   `json:"schedule"`
	Reasons  []string `json:"reasons"`
}

// Gap is a window in which calls of some plan priorities would be dialled
// live but nobody can be dialled.
type Gap struct {
	// Start and End bound the window, half-open, in the live calendar's
	// zone (for the 24x7 calendar, which has no zone of its own, in the
	// zone of the escalation policy's first schedule).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Calendar is the live calendar and Policy the escalation policy.
	Calendar string `json:"calendar"`
	Policy   string `json:"policy"`
	// Breaks are the plan priorities routed live on Calendar to Policy.
	Breaks []Promise `json:"breaks"`
	Steps  []GapStep `json:"steps"`
	// Why is the gap in one sentence, e.g. "schedule primary: nobody on
	// call from Sat 2026-12-05 18:00 MST to Sun 08:00 MST: override #3
	// ended and the rotation has no members".
	Why string `json:"why"`
}

// Duration is how long the gap lasts.
func (g Gap) Duration() time.Duration { return g.End.Sub(g.Start) }

// Length is how long the gap lasts for people: to the minute ("14h",
// "2h34m"), or to the second when shorter. A window that starts now does
// not start on a minute.
func (g Gap) Length() string {
	d := g.Duration()
	if d >= time.Minute {
		return sla.FormatDuration(d.Round(time.Minute))
	}
	return sla.FormatDuration(d.Round(time.Second))
}

// Coverage is a projection: the gaps of [From, To) (UTC) in time order,
// and the schedules that cannot staff themselves.
type Coverage struct {
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Days      int             `json:"days"`
	Gaps      []Gap           `json:"gaps"`
	Schedules []ScheduleIssue `json:"schedules"`
}

// CoverageInput is one projection question with everything needed to
// answer it: the policy, the window, and what the store loaded.
type CoverageInput struct {
	Policy   *config.Policy
	From, To time.Time
	// Schedules, Overrides and Engineers are as in Input; Overrides must
	// include every override in force at some instant of [From, To).
	Schedules map[string]oncall.Schedule
	Overrides []oncall.Override
	Engineers map[string]Engineer
}

// NewCoverageInput builds a CoverageInput from what oncall.Snapshot loaded
// for [from, to].
func NewCoverageInput(p *config.Policy, from, to time.Time, r oncall.Roster) CoverageInput {
	in := NewInput(p, "", 0, from, r)
	return CoverageInput{Policy: p, From: from, To: to, Schedules: in.Schedules, Overrides: in.Overrides, Engineers: in.Engineers}
}

// liveRoute is one pair of live calendar and escalation policy, and the plan
// priorities that use it: they share their gaps.
type liveRoute struct {
	calendar string
	policy   string
	breaks   []Promise
}

// ProjectCoverage finds the gaps of in's window. Each plan with phone
// support and each of its priorities is checked where its live calendar is
// open (windows built on the calendar's own wall clock, holidays closed);
// within them, a minute is covered when some step of the escalation policy
// has an engineer on call (overrides applied) who is in the database and
// has a phone, exactly as Decide dials. Gaps are maximal: two gaps of one
// route never touch. It is pure: it reads neither the database nor a clock.
func ProjectCoverage(in CoverageInput) Coverage {
	out := Coverage{From: in.From.UTC(), To: in.To.UTC(), Gaps: []Gap{}, Schedules: []ScheduleIssue{}}
	if in.Policy == nil || !in.To.After(in.From) {
		return out
	}
	out.Days = int(in.To.Sub(in.From) / (24 * time.Hour))
	out.Schedules = scheduleIssues(in.Policy.Schedules(), in.Schedules, in.From)

	byName := map[string][]oncall.Override{}
	for _, o := range in.Overrides {
		byName[o.Schedule] = append(byName[o.Schedule], o)
	}
	timelines := map[string][]piece{}
	lineOf := func(name string) []piece {
		if t, ok := timelines[name]; ok {
			return t
		}
		s, ok := in.Schedules[name]
		var t []piece
		if ok {
			t = timeline(s, byName[name], in.Engineers, in.From, in.To)
		} else {
			t = []piece{{start: in.From, end: in.To,
				why: fmt.Sprintf("schedule %s is not in the database (add it with supportline schedule add)", name)}}
		}
		timelines[name] = t
		return t
	}
	for _, lr := range liveRoutes(in.Policy) {
		live := in.Policy.Calendar(lr.calendar)
		ep, ok := in.Policy.EscalationPolicies[lr.policy]
		if live == nil || !ok {
			continue // config validates both names; only a hand-built policy gets here
		}
		lines := make([][]piece, len(ep.Steps))
		var covered []span
		for i, st := range ep.Steps {
			lines[i] = lineOf(st.Schedule)
			for _, p := range lines[i] {
				if p.reachable {
					covered = append(covered, span{p.start, p.end})
				}
			}
		}
		loc := live.Location()
		if live.IsAlways() && len(ep.Steps) > 0 {
			if s, ok := in.Schedules[ep.Steps[0].Schedule]; ok && s.Location != nil {
				loc = s.Location
			}
		}
		for _, w := range subtract(openSpans(live, in.From, in.To), merge(covered)) {
			g := Gap{Start: w.start.In(loc), End: w.end.In(loc), Calendar: lr.calendar, Policy: lr.policy, Breaks: lr.breaks}
			for i, st := range ep.Steps {
				g.Steps = append(g.Steps, GapStep{Step: i + 1, Schedule: st.Schedule, Reasons: reasonsWithin(lines[i], w)})
			}
			g.Why = gapWhy(g)
			out.Gaps = append(out.Gaps, g)
		}
	}
	sort.SliceStable(out.Gaps, func(i, j int) bool {
		a, b := out.Gaps[i], out.Gaps[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Calendar != b.Calendar {
			return a.Calendar < b.Calendar
		}
		return a.Policy < b.Policy
	})
	return out
}

// liveRoutes groups every phone plan priority by its live calendar and
// escalation policy, sorted by calendar then policy, plans and priorities
// in order within each.
func liveRoutes(p *config.Policy) []liveRoute {
	idx := map[[2]string]int{}
	var out []liveRoute
	for _, plan := range p.PlanNames() {
		pl := p.Plans[plan]
		if !pl.Phone {
			continue
		}
		for _, level := range pl.Levels() {
			pp := pl.Priorities[level]
			key := [2]string{pp.Live, pp.Route}
			i, ok := idx[key]
			if !ok {
				i = len(out)
				idx[key] = i
				out = append(out, liveRoute{calendar: pp.Live, policy: pp.Route})
			}
			pr := Promise{Plan: plan, Priority: level}
			if def, ok := p.Priority(level); ok {
				pr.PriorityName = def.Name
			}
			out[i].breaks = append(out[i].breaks, pr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].calendar != out[j].calendar {
			return out[i].calendar < out[j].calendar
		}
		return out[i].policy < out[j].policy
	})
	return out
}

// span is a half-open stretch of time.
type span struct{ start, end time.Time }

// openSpans are the live windows of c within [from, to): what sla counts as
// business time, built per local date on c's wall clock (so a DST day's
// 09:00-17:00 is still 09:00-17:00 local, and holidays are closed), with
// touching windows merged. Counting exactly the business time that lies in
// [from, to) from from makes sla.Counted return precisely those windows.
func openSpans(c *sla.Calendar, from, to time.Time) []span {
	total := sla.Elapsed(from, to, c)
	if total <= 0 {
		return nil
	}
	var out []span
	for _, iv := range sla.Counted(from, sla.Target{Kind: sla.Duration, D: total}, c) {
		out = append(out, span{iv.Start, iv.End})
	}
	return out
}

// merge sorts spans and joins the ones that overlap or touch.
func merge(in []span) []span {
	sort.Slice(in, func(i, j int) bool { return in[i].start.Before(in[j].start) })
	var out []span
	for _, s := range in {
		if n := len(out); n > 0 && !s.start.After(out[n-1].end) {
			if s.end.After(out[n-1].end) {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// subtract returns what of want (sorted, disjoint) is not in have (sorted,
// disjoint, merged).
func subtract(want, have []span) []span {
	var out []span
	j := 0
	for _, w := range want {
		cur := w.start
		for j < len(have) && !have[j].end.After(cur) {
			j++
		}
		for k := j; k < len(have) && have[k].start.Before(w.end); k++ {
			if have[k].start.After(cur) {
				out = append(out, span{cur, have[k].start})
			}
			if have[k].end.After(cur) {
				cur = have[k].end
			}
		}
		if cur.Before(w.end) {
			out = append(out, span{cur, w.end})
		}
	}
	return out
}

// reasonsWithin says why a step has nobody to dial during w: the distinct
// reasons of its pieces overlapping w, in time order. Every piece there is
// unreachable, since w is a gap.
func reasonsWithin(line []piece, w span) []string {
	i := sort.Search(len(line), func(i int) bool { return line[i].end.After(w.start) })
	var out []string
	seen := map[string]bool{}
	for ; i < len(line) && line[i].start.Before(w.end); i++ {
		why := line[i].why
		if line[i].engineer == "" {
			why = "nobody on call: " + why
		}
		if !seen[why] {
			seen[why] = true
			out = append(out, why)
		}
	}
	return out
}

// gapWhy puts a gap in one sentence: the schedule (or the policy, when it
// has several steps), the window in the gap's zone, and why.
func gapWhy(g Gap) string {
	window := "from " + wall(g.Start) + " to " + wallAfter(g.Start, g.End)
	if len(g.Steps) == 1 {
		st := g.Steps[0]
		if len(st.Reasons) == 1 && strings.HasPrefix(st.Reasons[0], "nobody on call: ") {
			return fmt.Sprintf("schedule %s: nobody on call %s: %s", st.Schedule, window, strings.TrimPrefix(st.Reasons[0], "nobody on call: "))
		}
		return fmt.Sprintf("schedule %s: nobody to dial %s: %s", st.Schedule, window, strings.Join(st.Reasons, ", then "))
	}
	if len(g.Steps) == 0 {
		return fmt.Sprintf("escalation policy %s: nobody to dial %s: it has no steps", g.Policy, window)
	}
	parts := make([]string, len(g.Steps))
	for i, st := range g.Steps {
		parts[i] = fmt.Sprintf("schedule %s: %s", st.Schedule, strings.Join(st.Reasons, ", then "))
	}
	return fmt.Sprintf("escalation policy %s: nobody to dial %s: %s", g.Policy, window, strings.Join(parts, "; "))
}

// wallAfter formats end for reading after start: without the date when it
// falls within the next six days (the weekday says which), in full
// otherwise.
func wallAfter(start, end time.Time) string {
	sy, sm, sd := start.Date()
	ey, em, ed := end.Date()
	days := time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC).Sub(time.Date(sy, sm, sd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)
	if days >= 0 && days < 7 {
		return end.Format("Mon 15:04 MST")
	}
	return wall(end)
}

// Text is the projection in words for people: the window, then every gap
// (what it breaks, how long, why), then every schedule issue.
func (c Coverage) Text(word string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "coverage from %s to %s (%d days)\n", wall(c.From), wall(c.To), c.Days)
	if len(c.Gaps) == 0 {
		b.WriteString("no gaps: every plan priority routed live has someone to dial whenever its live calendar is open\n")
	} else {
		fmt.Fprintf(&b, "%d gap(s):\n", len(c.Gaps))
	}
	for _, g := range c.Gaps {
		fmt.Fprintf(&b, "  - %s, for %s: %s\n", Breaks(g.Breaks, word), g.Length(), g.Why)
	}
	if len(c.Schedules) > 0 {
		b.WriteString("schedules:\n")
	}
	for _, s := range c.Schedules {
		fmt.Fprintf(&b, "  - %s\n", s.Why)
	}
	return b.String()
}

// Breaks names the plan priorities of a gap: "premium severity 1
// (Critical), enterprise severity 1 (Critical)".
func Breaks(ps []Promise, word string) string {
	word = strings.ToLower(word)
	if word == "" {
		word = "priority"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s %s %d", p.Plan, word, p.Priority)
		if p.PriorityName != "" {
			parts[i] += " (" + p.PriorityName + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// Coverage projects who is on call over the days days from from (1 to
// 366) and finds the gaps (see ProjectCoverage), from the schedules, the
// overrides of the window and the engineers read once, in one transaction.
// The error is errcode.Invalid for days out of range.
func (s *Service) Coverage(ctx context.Context, from time.Time, days int) (Coverage, error) {
	if days < MinCoverageDays || days > MaxCoverageDays {
		return Coverage{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "days must be from %d to %d, not %d", MinCoverageDays, MaxCoverageDays, days), "days")
	}
	to := from.Add(time.Duration(days) * 24 * time.Hour)
	var c Coverage
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		roster, err := oncall.Snapshot(ctx, tx, from, to)
		if err != nil {
			return err
		}
		c = ProjectCoverage(NewCoverageInput(s.Policy, from, to, roster))
		return nil
	})
	if err != nil {
		return Coverage{}, fmt.Errorf("project coverage: %w", err)
	}
	return c, nil
}

// sortedNames lists a map's keys in order.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
