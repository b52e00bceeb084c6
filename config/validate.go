package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"supportline/contactinfo"
	"supportline/sla"
)

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	weekday = map[string]bool{"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true}
)

func (p *Policy) validate(c *checker) {
	p.validateLine(c)
	p.validateCalendars(c)
	p.validatePriorities(c)
	p.validateEscalation(c)
	p.validatePlans(c)
	p.validatePins(c)
	p.validatePrompts(c)
	p.validateNotifications(c)
	if p.SLA.WarnAt <= 0 || p.SLA.WarnAt >= 1 {
		c.add("sla.warn_at", "must be a fraction between 0 and 1 (e.g. 0.75), not %v", p.SLA.WarnAt)
	}
}

func (p *Policy) validateLine(c *checker) {
	l := &p.Line
	if strings.TrimSpace(l.Name) == "" {
		c.add("line.name", "is required (it is spoken to callers)")
	}
	if l.Number == "" {
		c.add("line.number", "is required: the support number in E.164, e.g. \"+17205550100\"")
	} else if err := contactinfo.ValidPhone(l.Number); err != nil {
		c.add("line.number", "%q is not an E.164 number: %v", l.Number, err)
	}
	if l.SupportEmail == "" {
		c.add("line.support_email", "is required (callers are told to write to it when the line cannot help)")
	} else if err := contactinfo.ValidEmail(l.SupportEmail); err != nil {
		c.add("line.support_email", "%q is not an email address: %v", l.SupportEmail, err)
	}
	l.Patience = DefaultOutagePatience
	if l.OutagePatience != "" {
		d, err := time.ParseDuration(l.OutagePatience)
		switch {
		case err != nil:
			c.add("line.outage_patience", "%q is not a duration such as 30s", l.OutagePatience)
		case d < 0 || d > MaxOutagePatience:
			c.add("line.outage_patience", "%s is outside 0s to %s", l.OutagePatience, MaxOutagePatience)
		default:
			l.Patience = d
		}
	}
	for i, n := range l.EmergencyNumbers {
		if err := contactinfo.ValidPhone(n); err != nil {
			c.add(fmt.Sprintf("line.emergency_numbers[%d]", i), "%q is not an E.164 number: %v", n, err)
		}
	}
}

func (p *Policy) validateCalendars(c *checker) {
	p.calendars = map[string]*sla.Calendar{"always": sla.Always()}
	for _, name := range sortedKeys(p.Calendars) {
		spec := p.Calendars[name]
		path := "calendars." + name
		if name == "always" {
			c.add(path, `"always" is built in (24x7, no holidays) and cannot be redefined`)
			continue
		}
		if !nameRE.MatchString(name) {
			c.add(path, "calendar names use lowercase letters, digits, - and _, starting with a letter")
			continue
		}
		bad := len(c.problems)
		if spec.Timezone == "" {
			c.add(path+".timezone", "is required: an IANA time zone such as America/Denver")
		} else if _, err := time.LoadLocation(spec.Timezone); err != nil || spec.Timezone == "Local" {
			c.add(path+".timezone", "unknown time zone %q (use an IANA name such as America/Denver)", spec.Timezone)
		}
		if len(spec.Days) == 0 {
			c.add(path+".days", "is required: a list such as [mon, tue, wed, thu, fri]")
		}
		seen := map[string]bool{}
		for i, d := range spec.Days {
			dp := fmt.Sprintf("%s.days[%d]", path, i)
			switch {
			case !weekday[d]:
				c.add(dp, "unknown day %q (use mon, tue, wed, thu, fri, sat, sun)", d)
			case seen[d]:
				c.add(dp, "day %q is listed twice", d)
			}
			seen[d] = true
		}
		open, okOpen := parseClock(c, path+".open", spec.Open)
		cl, okClose := parseClock(c, path+".close", spec.Close)
		if okOpen && okClose && open >= cl {
			c.add(path+".close", "closing time %q must be after opening time %q", spec.Close, spec.Open)
		}
		if spec.Open == "24:00" {
			c.add(path+".open", "opening time cannot be 24:00")
		}
		for i, h := range spec.Holidays {
			if err := sla.ValidHoliday(h); err != nil {
				c.add(fmt.Sprintf("%s.holidays[%d]", path, i), "%v (presets: %s; or a date YYYY-MM-DD)", err, strings.Join(sla.HolidayPresets(), ", "))
			}
		}
		if len(c.problems) > bad {
			continue
		}
		cal, err := sla.NewCalendar(name, spec.Timezone, spec.Days, spec.Open, spec.Close, spec.Holidays)
		if err != nil {
			c.add(path, "%v", err)
			continue
		}
		p.calendars[name] = cal
	}
}

func parseClock(c *checker, path, v string) (int, bool) {
	if v == "" {
		c.add(path, "is required: a 24-hour wall-clock time such as \"09:00\"")
		return 0, false
	}
	if !clockRE.MatchString(v) {
		c.add(path, "%q is not a 24-hour wall-clock time HH:MM (quote it: \"09:00\")", v)
		return 0, false
	}
	h, _ := strconv.Atoi(v[:2])
	m, _ := strconv.Atoi(v[3:])
	return h*60 + m, true
}

func (p *Policy) validatePriorities(c *checker) {
	if len(p.Priorities) == 0 {
		c.add("priorities", "at least one priority level is required")
	}
	seen := map[int]bool{}
	for i, pr := range p.Priorities {
		path := fmt.Sprintf("priorities[%d]", i)
		switch {
		case pr.Level < 1 || pr.Level > 8:
			// 9 escalates an existing ticket and * repeats, so a priority
			// must be a single key from 1 to 8.
			c.add(path+".level", "must be from 1 to 8 (callers press it; 9 is reserved for escalation), not %d", pr.Level)
		case seen[pr.Level]:
			c.add(path+".level", "level %d is defined twice", pr.Level)
		}
		seen[pr.Level] = true
		if strings.TrimSpace(pr.Name) == "" {
			c.add(path+".name", "is required (e.g. Critical)")
		}
		if strings.TrimSpace(pr.Description) == "" {
			c.add(path+".description", "is required (it is read to callers choosing a priority)")
		}
	}
}

func (p *Policy) validateEscalation(c *checker) {
	for _, name := range sortedKeys(p.EscalationPolicies) {
		ep := p.EscalationPolicies[name]
		path := "escalation_policies." + name
		if !nameRE.MatchString(name) {
			c.add(path, "policy names use lowercase letters, digits, - and _, starting with a letter")
		}
		if len(ep.Steps) == 0 {
			c.add(path+".steps", "at least one step is required")
		}
		for i := range ep.Steps {
			s := &ep.Steps[i]
			sp := fmt.Sprintf("%s.steps[%d]", path, i)
			if s.Schedule == "" {
				c.add(sp+".schedule", "is required: the name of an on-call schedule")
			} else if !nameRE.MatchString(s.Schedule) {
				c.add(sp+".schedule", "%q is not a valid schedule name (lowercase letters, digits, - and _)", s.Schedule)
			}
			if s.Ring == "" {
				s.RingTimeout = 20 * time.Second
				continue
			}
			d, err := time.ParseDuration(s.Ring)
			switch {
			case err != nil:
				c.add(sp+".ring", "%q is not a duration such as 20s", s.Ring)
			case d%time.Second != 0 || d < 5*time.Second || d > 600*time.Second:
				// Twilio's Dial timeout is whole seconds from 5 to 600.
				c.add(sp+".ring", "must be whole seconds from 5s to 600s, not %s", s.Ring)
			default:
				s.RingTimeout = d
			}
		}
		p.EscalationPolicies[name] = ep
	}
}

func (p *Policy) validatePlans(c *checker) {
	if len(p.Plans) == 0 {
		c.add("plans", "at least one plan is required")
	}
	for _, name := range sortedKeys(p.Plans) {
		pl := p.Plans[name]
		path := "plans." + name
		if !nameRE.MatchString(name) {
			c.add(path, "plan names use lowercase letters, digits, - and _, starting with a letter")
		}
		if pl.NamedContacts < 0 {
			c.add(path+".named_contacts", "must be 0 (unlimited) or more, not %d", pl.NamedContacts)
		}
		if !pl.Phone && strings.TrimSpace(pl.Message) == "" {
			c.add(path+".message", "is required when phone is false (it is spoken to callers of this plan)")
		}
		if pl.ReceiptSMS && !pl.Phone {
			c.add(path+".receipt_sms", "only plans with phone: true open tickets from calls, so only they send receipts")
		}
		if pl.Phone && len(pl.Priorities) == 0 {
			c.add(path+".priorities", "a plan with phone support needs at least one priority")
		}
		for _, level := range pl.Levels() {
			pp := pl.Priorities[level]
			pp.Target = p.validatePlanPriority(c, fmt.Sprintf("%s.priorities.%d", path, level), level, pl.Phone, pp)
			pl.Priorities[level] = pp
		}
		p.Plans[name] = pl
	}
}

func (p *Policy) validatePlanPriority(c *checker, path string, level int, phone bool, pp PlanPriority) sla.Target {
	if _, ok := p.Priority(level); !ok {
		c.add(path, "priority %d is not defined under priorities", level)
	}
	var target sla.Target
	if pp.RespondWithin == "" {
		c.add(path+".respond_within", "is required: 45m, 4h, 2bd or next-business-day")
	} else if t, err := sla.ParseTarget(pp.RespondWithin); err != nil {
		c.add(path+".respond_within", "%v", err)
	} else {
		target = t
	}
	if pp.Clock == "" {
		c.add(path+".clock", "is required: the calendar the SLA clock runs on (always, or one under calendars)")
	} else if !p.calendarDefined(pp.Clock) {
		c.add(path+".clock", "unknown calendar %q%s", pp.Clock, p.knownCalendars())
	}
	if !phone {
		if pp.Live != "" {
			c.add(path+".live", "only plans with phone: true take live calls")
		}
		if pp.Route != "" {
			c.add(path+".route", "only plans with phone: true route calls")
		}
		return target
	}
	if pp.Live == "" {
		c.add(path+".live", "is required for a phone plan: the calendar during which calls go live (always, or one under calendars)")
	} else if !p.calendarDefined(pp.Live) {
		c.add(path+".live", "unknown calendar %q%s", pp.Live, p.knownCalendars())
	}
	if pp.Route == "" {
		c.add(path+".route", "is required for a phone plan: an escalation policy")
	} else if _, ok := p.EscalationPolicies[pp.Route]; !ok {
		c.add(path+".route", "unknown escalation policy %q (defined: %s)", pp.Route, strings.Join(sortedKeys(p.EscalationPolicies), ", "))
	}
	return target
}

// calendarDefined is true for "always" and every calendar in the file, valid
// or not: a broken calendar is reported once, where it is defined, not again
// at every reference.
func (p *Policy) calendarDefined(name string) bool {
	_, ok := p.Calendars[name]
	return name == "always" || ok
}

func (p *Policy) knownCalendars() string {
	names := append([]string{"always"}, sortedKeys(p.Calendars)...)
	return " (defined: " + strings.Join(names, ", ") + ")"
}

func (p *Policy) validatePins(c *checker) {
	d := &p.Pins
	if d.Length < 6 || d.Length > 12 {
		c.add("pins.length", "must be from 6 to 12 digits, not %d", d.Length)
	}
	a := d.Argon2
	if a.MemoryKiB < 19456 || a.MemoryKiB > 262144 {
		c.add("pins.argon2.memory_kib", "must be from 19456 (OWASP's minimum) to 262144 (256 MiB), not %d", a.MemoryKiB)
	}
	if a.Time < 1 || a.Time > 10 {
		c.add("pins.argon2.time", "must be from 1 to 10, not %d", a.Time)
	} else if a.Time < 2 && a.MemoryKiB < 47104 {
		c.add("pins.argon2.time", "time 1 needs memory_kib of at least 47104 (OWASP); use time 2 or more")
	}
	if a.Threads < 1 || a.Threads > 8 {
		c.add("pins.argon2.threads", "must be from 1 to 8, not %d", a.Threads)
	}
	if d.MaxFailures < 1 || d.MaxFailures > 20 {
		c.add("pins.max_failures", "must be from 1 to 20, not %d", d.MaxFailures)
	}
	if d.MaxFailuresPerNumberPerHour < 1 {
		c.add("pins.max_failures_per_number_per_hour", "must be 1 or more, not %d", d.MaxFailuresPerNumberPerHour)
	}
	if d.MaxConcurrentHashes < 0 {
		c.add("pins.max_concurrent_hashes", "must be 0 (one per CPU) or more, not %d", d.MaxConcurrentHashes)
	}
	d.LockoutDuration = positiveDuration(c, "pins.lockout", d.Lockout)
	d.MaxLockoutDuration = positiveDuration(c, "pins.max_lockout", d.MaxLockout)
	if d.LockoutDuration > 0 && d.MaxLockoutDuration > 0 && d.MaxLockoutDuration < d.LockoutDuration {
		c.add("pins.max_lockout", "%s is shorter than pins.lockout %s", d.MaxLockout, d.Lockout)
	}
	if d.MaxAge != "" {
		d.MaxAgeDuration = positiveDuration(c, "pins.max_age", d.MaxAge)
	}
}

// DefaultOutagePatience and MaxOutagePatience bound line.outage_patience:
// long enough to ride out a PostgreSQL restart or failover, short enough
// that a caller is not left on hold when the database is really gone
// (Twilio itself gives up on a call after four hours, callers much sooner).
const (
	DefaultOutagePatience = 30 * time.Second
	MaxOutagePatience     = 120 * time.Second
)

func positiveDuration(c *checker, path, v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		c.add(path, "%q is not a positive duration such as 15m or 24h", v)
		return 0
	}
	return d
}

func (p *Policy) validateNotifications(c *checker) {
	n := &p.Notifications
	n.ShiftReminder = DefaultShiftReminder
	v := strings.TrimSpace(n.ShiftReminderSpec)
	if v == "" {
		return
	}
	if strings.EqualFold(v, "off") {
		n.ShiftReminder = 0
		return
	}
	path := "notifications.shift_reminder"
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		c.add(path, "%q is not a duration such as 30m or 2h, or off", n.ShiftReminderSpec)
	case d <= 0:
		c.add(path, "%s is not a positive duration; write off to disable reminders", n.ShiftReminderSpec)
	case d > MaxShiftReminder:
		c.add(path, "%s is more than 7 days (168h) before a shift", n.ShiftReminderSpec)
	default:
		n.ShiftReminder = d
	}
}
