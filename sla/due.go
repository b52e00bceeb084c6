package sla

import "time"

// Interval is a half-open span of time [Start, End).
type Interval struct{ Start, End time.Time }

// Due returns the instant at which target t, started at opened, runs out on
// calendar c, in c's zone.
//
// On a business calendar a duration or business-day target counts business
// time from opened (or from the next opening, if opened is outside business
// time); running out exactly at a closing time is due at that closing time.
// "next-business-day" is due at the closing time of the first business day
// whose local date is after opened's local date in c's zone.
//
// On [Always] every target is absolute time: "Nm"/"Nh" as written (so 1h
// from 01:30 MST on a spring-forward day is 03:30 MDT), "Nbd" as N×24h and
// "next-business-day" as 24h.
//
// A Target without a valid kind asks for no time: it is due at
// c.NextOpen(opened).
func Due(opened time.Time, t Target, c *Calendar) time.Time {
	due, _ := c.due(opened, t, false)
	return due
}

// Counted returns the business intervals that [Due] counted for the same
// arguments, in order, in c's zone, with touching intervals merged (a close
// at 24:00 followed by an opening at 00:00 is one interval). For
// "next-business-day" these are the business intervals between opened and
// the due time. On [Always] it is the single interval [opened, due).
func Counted(opened time.Time, t Target, c *Calendar) []Interval {
	_, counted := c.due(opened, t, true)
	return counted
}

// Elapsed returns the business time on c in [from, to); 0 if to is not
// after from. On [Always] it is to - from.
func Elapsed(from, to time.Time, c *Calendar) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.always {
		return to.Sub(from)
	}
	pf, pt := c.locate(from), c.locate(to)
	origin := c.prev(pf).tab.year
	// Never negative, even if a zone ever moved its local date backwards.
	return max(0, c.cumulative(to, pt, origin)-c.cumulative(from, pf, origin))
}

// Remaining returns the business time on c left from now until due, or,
// once due has passed, minus the business time since then. It is what an
// SLA display shows as "3h left" or "1h over".
func Remaining(now, due time.Time, c *Calendar) time.Duration {
	if now.Before(due) {
		return Elapsed(now, due, c)
	}
	return -Elapsed(due, now, c)
}

func (c *Calendar) due(opened time.Time, t Target, collect bool) (time.Time, []Interval) {
	if c.always {
		due := opened.Add(t.absolute()).In(c.loc)
		if collect && due.After(opened) {
			return due, []Interval{{opened.In(c.loc), due}}
		}
		return due, nil
	}
	if t.Kind == NextBusinessDay {
		q := c.nextWindow(c.locate(opened))
		due := time.Unix(q.end(), 0).In(c.loc)
		if collect {
			return due, c.between(opened, due)
		}
		return due, nil
	}
	return c.advance(opened, t.amount(c), collect)
}

// advance counts rem of business time from `from`, jumping window to window.
func (c *Calendar) advance(from time.Time, rem time.Duration, collect bool) (time.Time, []Interval) {
	var counted []Interval
	p := c.firstWindowEndingAfter(from)
	for {
		start := from
		if from.Unix() < p.start() {
			start = time.Unix(p.start(), 0)
		}
		end := time.Unix(p.end(), 0)
		avail := end.Sub(start)
		if rem <= avail {
			due := start.Add(rem).In(c.loc)
			if collect && rem > 0 {
				counted = c.appendInterval(counted, start, due)
			}
			return due, counted
		}
		rem -= avail
		if collect {
			counted = c.appendInterval(counted, start, end)
		}
		p = c.nextWindow(p)
	}
}

// between returns the business intervals within [from, to).
func (c *Calendar) between(from, to time.Time) []Interval {
	var out []Interval
	if !to.After(from) {
		return nil
	}
	for p := c.firstWindowEndingAfter(from); time.Unix(p.start(), 0).Before(to); p = c.nextWindow(p) {
		start, end := time.Unix(p.start(), 0), time.Unix(p.end(), 0)
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		out = c.appendInterval(out, start, end)
	}
	return out
}

// appendInterval adds [start, end) in c's zone, merging it into the last
// interval when they touch.
func (c *Calendar) appendInterval(list []Interval, start, end time.Time) []Interval {
	if n := len(list); n > 0 && list[n-1].End.Equal(start) {
		list[n-1].End = end.In(c.loc)
		return list
	}
	return append(list, Interval{Start: start.In(c.loc), End: end.In(c.loc)})
}
