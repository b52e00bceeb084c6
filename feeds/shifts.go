package feeds

import (
	"sort"
	"time"

	"supportline/oncall"
)

// The window a feed covers, around the instant it is fetched.
const (
	Back  = 4 * 7 * 24 * time.Hour
	Ahead = 12 * 7 * 24 * time.Hour
	// MaxEvents bounds one feed: a schedule of one-minute shifts would
	// otherwise make a calendar of 160,000 events. Past it the feed ends
	// early; 5,000 is a 20-minute rotation for the whole window.
	MaxEvents = 5000
)

// shift is one event of a feed: a stretch of coverage by one engineer in
// one schedule, as oncall.Next lists it (overrides applied).
type shift struct {
	Schedule string
	// Loc is the schedule's zone: the event's TZID.
	Loc      *time.Location
	Engineer string
	// Name is the engineer's name; the handle when the roster has none.
	Name       string
	Start, End time.Time
	// Override is the ID of the override in force; 0 for the rotation.
	Override int64
}

// shiftsOf lists the shifts of the window [from, to) in r: those of the
// schedule named schedule, or, when schedule is "", those of engineer in
// every schedule, by start (then schedule). A shift in force at from is
// listed whole, its start before from; so is the last one, whose end is
// after to. At most MaxEvents are listed, and at most MaxEvents of each
// schedule are looked at.
func shiftsOf(r oncall.Roster, schedule, engineer string, from, to time.Time) []shift {
	names := make([]string, 0, len(r.Schedules))
	for name := range r.Schedules {
		if schedule == "" || name == schedule {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []shift
	for _, name := range names {
		sch := r.Schedules[name]
		loc := sch.Location
		if loc == nil {
			loc = time.UTC // what Resolve reads a zone-less schedule in
		}
		at, scanned := from, 0
	schedule:
		for len(out) < MaxEvents && scanned < MaxEvents {
			batch := oncall.Next(sch, r.Overrides, at, 64)
			if len(batch) == 0 {
				break
			}
			for _, sh := range batch {
				if !sh.Start.Before(to) || len(out) >= MaxEvents || scanned >= MaxEvents {
					break schedule
				}
				at, scanned = sh.End, scanned+1
				if engineer != "" && sh.Engineer != engineer {
					continue
				}
				ev := shift{Schedule: name, Loc: loc, Engineer: sh.Engineer, Name: sh.Engineer, Start: sh.Start, End: sh.End}
				if e, ok := r.Engineers[sh.Engineer]; ok && e.Name != "" {
					ev.Name = e.Name
				}
				if sh.Override != nil {
					ev.Override = sh.Override.ID
				}
				out = append(out, ev)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Schedule < out[j].Schedule
	})
	return out
}
