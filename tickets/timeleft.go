package tickets

import (
	"time"

	"supportline/config"
	"supportline/sla"
)

// TimeLeft says, in words for a person, where ticket t stands against its
// promise at now: the business time left on its clock calendar ("1h12m
// left", "due now", "overdue by 25m") while it waits for a first response,
// how long the response took once there is one ("responded in 14m"), and
// "resolved" for a ticket closed without one. Every face prints this, so
// it is worked out once, here.
//
// When the policy no longer has the calendar the promise was made on, the
// time is counted as absolute time rather than failing: the promise's
// instants are stored on the ticket, only the "business time left" needs
// the calendar.
func TimeLeft(now time.Time, t Ticket, policy *config.Policy) string {
	switch {
	case t.RespondedAt != nil:
		return RespondedIn(t)
	case t.Status == StatusResolved:
		return "resolved"
	}
	cal := policy.Calendar(t.Clock)
	if cal == nil {
		cal = sla.Always()
	}
	r := Remaining(now, t, cal)
	switch {
	case r > 0:
		return span(r) + " left"
	case r > -time.Second:
		return "due now"
	}
	return "overdue by " + span(-r)
}

// RespondedIn is the elapsed time from opening to the first response, in
// words ("responded in 14m"); t must have a first response.
func RespondedIn(t Ticket) string {
	return "responded in " + span(t.RespondedAt.Sub(t.OpenedAt))
}

// span prints a non-negative duration for people: whole minutes ("1h12m",
// "25m", "2h", "26h"), or whole seconds under a minute ("45s").
func span(d time.Duration) string {
	if d < time.Minute {
		return sla.FormatDuration(d.Truncate(time.Second))
	}
	return sla.FormatDuration(d.Truncate(time.Minute))
}
