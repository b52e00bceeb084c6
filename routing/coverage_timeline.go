package routing

import (
	"fmt"
	"strings"
	"time"

	"supportline/oncall"
)

// piece is one stretch of a schedule's projected timeline: somebody on call
// (Engineer set) or nobody. Reachable says a live call could be dialled to
// that engineer (an engineer in the database with a phone); Why says, when
// it could not, what stands in the way, in words.
type piece struct {
	start, end time.Time
	engineer   string
	override   int64
	reachable  bool
	why        string
}

// timeline projects schedule s over [from, to): who is on call when, with
// overrides applied, and why nobody can be dialled where nobody can. ovs
// are the overrides of s (others are ignored by oncall anyway, but passing
// only the schedule's keeps each Resolve short). The pieces are in order,
// touch end to start, and cover [from, to) exactly.
func timeline(s oncall.Schedule, ovs []oncall.Override, engs map[string]Engineer, from, to time.Time) []piece {
	const batch = 64
	var out []piece
	at := from
	var prevOverride int64 // override of the piece just before at, if it ended at at
	add := func(p piece) {
		if p.end.After(to) {
			p.end = to
		}
		if p.end.After(p.start) {
			out = append(out, p)
		}
	}
	nobody := func(until time.Time) {
		add(piece{start: at, end: until, why: nobodyWhy(s, ovs, at, prevOverride)})
	}
	for at.Before(to) {
		shifts := oncall.Next(s, ovs, at, batch)
		for _, sh := range shifts {
			if !at.Before(to) {
				break
			}
			if sh.Start.After(at) {
				nobody(sh.Start)
				at = sh.Start
				if !at.Before(to) {
					break
				}
			}
			p := piece{start: at, end: sh.End, engineer: sh.Engineer}
			if sh.Override != nil {
				p.override = sh.Override.ID
			}
			p.reachable, p.why = reach(engs, sh)
			add(p)
			at, prevOverride = sh.End, p.override
		}
		if len(shifts) < batch && at.Before(to) {
			nobody(to)
			at = to
		}
	}
	return out
}

// reach says whether the engineer on call in sh can be dialled, and if not
// why not (the words routing's walk uses when it skips a step).
func reach(engs map[string]Engineer, sh oncall.Shift) (bool, string) {
	how := "by rotation"
	if sh.Override != nil {
		how = fmt.Sprintf("by override #%d", sh.Override.ID)
	}
	eng, ok := engs[sh.Engineer]
	switch {
	case !ok:
		return false, fmt.Sprintf("%s is on call %s but is not an engineer in the database", sh.Engineer, how)
	case eng.Phone == "":
		return false, fmt.Sprintf("%s is on call %s but has no phone number", sh.Engineer, how)
	}
	return true, ""
}

// nobodyWhy says why nobody is on call in s from at: what ended there (an
// override whose end is at, when one does) and why the rotation does not
// take over.
func nobodyWhy(s oncall.Schedule, ovs []oncall.Override, at time.Time, prev int64) string {
	var parts []string
	if prev == 0 {
		// The piece before at is outside the window, or there is none: an
		// override of s ending exactly at at still explains the start.
		for _, o := range ovs {
			if o.Schedule == s.Name && o.To.Equal(at) && (prev == 0 || o.ID > prev) {
				prev = o.ID
			}
		}
	}
	if prev != 0 {
		parts = append(parts, fmt.Sprintf("override #%d ended", prev))
	}
	parts = append(parts, rotationWhy(s, at))
	return strings.Join(parts, " and ")
}

// rotationWhy says why the rotation of s has nobody on call at at.
func rotationWhy(s oncall.Schedule, at time.Time) string {
	if err := s.Validate(); err != nil {
		return fmt.Sprintf("the schedule is invalid (%s)", firstLine(err))
	}
	if len(s.Members) == 0 {
		return "the rotation has no members"
	}
	if start := s.Handoff.In(s.Location); at.Before(start) {
		return "the rotation has not started (it starts " + wall(start) + ")"
	}
	return "nobody is on call"
}

func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// scheduleIssues lists what is wrong with the schedules themselves, whatever
// the overrides: schedules an escalation policy names that are not in the
// database, invalid ones, ones without members, and rotations that start
// after from.
func scheduleIssues(policySchedules []string, scheds map[string]oncall.Schedule, from time.Time) []ScheduleIssue {
	out := []ScheduleIssue{}
	for _, name := range policySchedules {
		if _, ok := scheds[name]; !ok {
			out = append(out, ScheduleIssue{Schedule: name, Problem: IssueMissing,
				Why: fmt.Sprintf("schedule %s is named by the policy file but is not in the database (add it with supportline schedule add)", name)})
		}
	}
	for _, name := range sortedNames(scheds) {
		s := scheds[name]
		switch err := s.Validate(); {
		case err != nil:
			out = append(out, ScheduleIssue{Schedule: name, Problem: IssueInvalid,
				Why: fmt.Sprintf("schedule %s is invalid (%s): only its overrides staff it", name, firstLine(err))})
		case len(s.Members) == 0:
			out = append(out, ScheduleIssue{Schedule: name, Problem: IssueNoMembers,
				Why: fmt.Sprintf("schedule %s has no members: only overrides staff it (add members with supportline schedule set-members)", name)})
		default:
			if start := s.Handoff.In(s.Location); from.Before(start) {
				out = append(out, ScheduleIssue{Schedule: name, Problem: IssueNotStarted, Starts: start,
					Why: fmt.Sprintf("the rotation of %s has not started: it starts %s, and until then only overrides staff it", name, wall(start))})
			}
		}
	}
	return out
}
