package routing

import (
	"fmt"
	"strings"
	"time"

	"supportline/sla"
)

// Explain renders the decision and every reason in words, one fact a line,
// for `supportline route explain` and for logs an admin reads.
func (r Route) Explain() string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-10s%s\n", label+":", fmt.Sprintf(format, args...))
	}
	decision := string(r.Kind)
	if r.Kind != Refuse && r.Message != "" {
		decision += ": " + r.Message
	}
	line("decision", "%s", decision)
	level := fmt.Sprint(r.Priority)
	if r.PriorityName != "" {
		level += " (" + r.PriorityName + ")"
	}
	word := strings.ToLower(r.PriorityWord)
	if word == "" {
		word = "priority"
	}
	line("call", "plan %s, %s %s, at %s (%s)", r.Plan, word, level, r.At.Format(time.RFC3339), r.At.Weekday())
	if r.Kind == Refuse {
		line("message", "%s", r.Message)
	} else {
		line("live", "calendar %s, escalation policy %s", r.LiveCalendar, r.Policy)
	}
	if len(r.Steps) > 0 {
		b.WriteString("dial:\n")
		for i, s := range r.Steps {
			via := ""
			if s.Override != 0 {
				via = fmt.Sprintf(", override #%d", s.Override)
			}
			fmt.Fprintf(&b, "  %d. %s (%s) %s, ring %s [step %d, schedule %s%s]\n",
				i+1, s.Handle, s.Name, s.Number, sla.FormatDuration(s.Ring), s.PolicyStep, s.Schedule, via)
		}
	}
	if !r.Due.IsZero() {
		line("sla", "respond within %s on calendar %s: due %s if a ticket opens now", r.Target, r.Clock, r.Due.In(r.At.Location()).Format(time.RFC3339))
	}
	b.WriteString("why:\n")
	for _, why := range r.Reasons {
		fmt.Fprintf(&b, "  - %s\n", why)
	}
	return b.String()
}

// zoneName names a calendar's zone the way people wrote it.
func zoneName(c *sla.Calendar) string { return c.Location().String() }

// wall formats an instant for people, in the zone it carries.
func wall(t time.Time) string { return t.Format("Mon 2006-01-02 15:04 MST") }

// insideReason says why at is live on c.
func insideReason(c *sla.Calendar, at time.Time) string {
	if c.IsAlways() {
		return fmt.Sprintf("calendar %s is open around the clock: calls go live at any hour", c.Name())
	}
	local := at.In(c.Location())
	return fmt.Sprintf("%s %s is within %s", local.Format("Monday 15:04"), zoneName(c), c)
}

// outsideReason says why at is not live on c, naming the holiday when that is
// why, e.g. "Saturday 03:00 America/Denver is outside business (Mon-Fri
// 09:00-17:00 America/Denver, holidays: us-federal)".
func outsideReason(c *sla.Calendar, at time.Time) string {
	local := at.In(c.Location())
	s := fmt.Sprintf("%s %s is outside %s", local.Format("Monday 15:04"), zoneName(c), c)
	y, m, d := local.Date()
	if c.IsHolidayDate(y, m, d) {
		name := "a holiday"
		for _, h := range c.NamedHolidays(y) {
			if hy, hm, hd := h.Date.Date(); hy == y && hm == m && hd == d && h.Name != "" {
				name = "a holiday (" + h.Name + ")"
			}
		}
		s += fmt.Sprintf(": %s is %s", local.Format("2006-01-02"), name)
	}
	return s
}
