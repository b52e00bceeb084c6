package tickets

import (
	"time"

	"supportline/config"
	"supportline/sla"
)

// Explanation is how a ticket's due time is computed: what `supportline sla
// due` and `sla explain` print and the admin API's /sla/due and /sla/explain
// answer, worked out once here so the faces only format it.
type Explanation struct {
	// Promise is the plan x priority's target and calendar.
	Promise Promise
	// Opened is when the clock started, as given (in the caller's zone).
	Opened time.Time
	// Due is when the response is due, in the calendar's zone.
	Due time.Time
	// WarnAt is when the warning goes out (the policy's sla.warn_at of the
	// counted time), in the calendar's zone.
	WarnAt time.Time
	// Intervals are the business intervals counted, in order, in the
	// calendar's zone.
	Intervals []sla.Interval
	// Total is the business time counted: the sum of Intervals.
	Total time.Duration
}

// ExplainPromise looks up the promise of plan x priority (PromiseOf, with its
// errors) and explains the due time of a ticket whose clock started at
// opened.
func ExplainPromise(policy *config.Policy, plan string, priority int, opened time.Time) (Explanation, error) {
	p, err := PromiseOf(policy, plan, priority)
	if err != nil {
		return Explanation{}, err
	}
	loc := p.Calendar.Location()
	due := p.Due(opened).In(loc)
	e := Explanation{
		Promise:   p,
		Opened:    opened,
		Due:       due,
		WarnAt:    p.WarnAt(opened, due, policy.SLA.WarnAt).In(loc),
		Intervals: p.Counted(opened),
	}
	for _, iv := range e.Intervals {
		e.Total += iv.End.Sub(iv.Start)
	}
	return e, nil
}
