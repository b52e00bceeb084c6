package config

import "time"

// PlanZone is the time zone in which times told to a plan's customers are
// written (the due time of a receipt): the zone of the priority's SLA clock
// calendar, else of its live calendar, else of the first calendar any of
// the plan's priorities uses (lowest level first, clock before live), else
// of the first calendar of the file by name, else UTC. "always" has no
// zone of its own (it is UTC), so it is skipped: a plan whose Priority 1
// runs on "always" still tells its customers the time in the zone of its
// business calendar.
func (p *Policy) PlanZone(plan string, level int) *time.Location {
	pl := p.Plans[plan]
	zoned := func(names ...string) *time.Location {
		for _, name := range names {
			if cal := p.Calendar(name); cal != nil && !cal.IsAlways() {
				return cal.Location()
			}
		}
		return nil
	}
	if pp, ok := pl.Priorities[level]; ok {
		if loc := zoned(pp.Clock, pp.Live); loc != nil {
			return loc
		}
	}
	for _, l := range pl.Levels() {
		if loc := zoned(pl.Priorities[l].Clock, pl.Priorities[l].Live); loc != nil {
			return loc
		}
	}
	if loc := zoned(p.CalendarNames()...); loc != nil {
		return loc
	}
	return time.UTC
}
