// Package config loads and validates the YAML policy file: what changes with
// the contract, not with the day (plans, priorities, calendars, SLA targets,
// coverage, escalation policies, PIN policy, emergency numbers).
//
// Load reports every problem at once, each naming the file, the line, the
// key path and what is wrong, e.g.
//
//	supportline.yaml:14: plans.premium.priorities.2.live: unknown calendar "busines"
package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"reflect"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"supportline/sla"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultName is how the built-in catalog is named in messages.
const DefaultName = "(built-in default)"

// Policy is a validated policy file.
type Policy struct {
	Line               Line                        `yaml:"line"`
	Calendars          map[string]CalendarSpec     `yaml:"calendars"`
	Priorities         []Priority                  `yaml:"priorities"`
	EscalationPolicies map[string]EscalationPolicy `yaml:"escalation_policies"`
	Plans              map[string]Plan             `yaml:"plans"`
	Pins               PinPolicy                   `yaml:"pins"`
	SLA                SLAPolicy                   `yaml:"sla"`
	// Notifications configures the messages Supportline sends on its own
	// initiative (shift reminders).
	Notifications Notifications `yaml:"notifications"`
	// Prompts overrides the phone line's words (see DefaultPrompts).
	Prompts map[string]string `yaml:"prompts"`

	// Source is the file the policy came from, or DefaultName.
	Source    string                   `yaml:"-"`
	calendars map[string]*sla.Calendar `yaml:"-"`
}

// Line describes the support line itself.
type Line struct {
	Name         string `yaml:"name"`
	Number       string `yaml:"number"` // E.164; the caller ID of forwarded calls
	SupportEmail string `yaml:"support_email"`
	// EmergencyNumbers are dialled, in turn, by the fallback URL when the
	// database is unreachable.
	EmergencyNumbers []string `yaml:"emergency_numbers"`
	// PriorityWord is what callers hear priorities called: "Priority"
	// (default) or, e.g., "Severity".
	PriorityWord string `yaml:"priority_word"`
	// OutagePatience is how long a caller hears "one moment please" while
	// the database does not answer, before the fallback behaviour (the
	// emergency numbers): a PostgreSQL restart or failover takes 5-30 s.
	// Written like "30s"; 0s to 120s; default 30s.
	OutagePatience string `yaml:"outage_patience"`
	// Patience is OutagePatience parsed.
	Patience time.Duration `yaml:"-"`
}

// CalendarSpec is a business calendar as written in the file.
type CalendarSpec struct {
	Timezone string   `yaml:"timezone"`
	Days     []string `yaml:"days"`
	Open     string   `yaml:"open"`
	Close    string   `yaml:"close"`
	Holidays []string `yaml:"holidays"`
}

// Priority is one level of the priority (severity) scale, read to callers.
type Priority struct {
	Level       int    `yaml:"level"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// EscalationPolicy is the ordered list of schedules a live call is offered to.
type EscalationPolicy struct {
	Steps []Step `yaml:"steps"`
}

// Step is one step of an escalation policy: ring whoever is on call in
// Schedule for Ring.
type Step struct {
	Schedule string `yaml:"schedule"`
	Ring     string `yaml:"ring"` // e.g. "20s"
	// RingTimeout is Ring parsed.
	RingTimeout time.Duration `yaml:"-"`
}

// Plan is a support plan: whether it includes phone support and what each
// priority is promised.
type Plan struct {
	Phone bool `yaml:"phone"`
	// NamedContacts is how many contacts an account may have; 0 is unlimited.
	NamedContacts int `yaml:"named_contacts"`
	// Message is spoken to callers of a plan without phone support.
	Message    string               `yaml:"message"`
	Priorities map[int]PlanPriority `yaml:"priorities"`
	// ReceiptSMS sends the caller's contact an SMS receipt (prompt
	// "receipt_sms": ticket number, priority, first response due) when a
	// call opens a ticket, to the contact's phone on file, once the PIN was
	// verified. Only for plans with phone: true.
	ReceiptSMS bool `yaml:"receipt_sms"`
}

// PlanPriority is what a plan promises for one priority level.
type PlanPriority struct {
	RespondWithin string `yaml:"respond_within"` // 45m, 4h, 2bd, next-business-day
	Clock         string `yaml:"clock"`          // calendar the SLA clock runs on
	Live          string `yaml:"live"`           // calendar during which calls go live
	Route         string `yaml:"route"`          // escalation policy for live calls
	// Target is RespondWithin parsed.
	Target sla.Target `yaml:"-"`
}

// PinPolicy configures PIN generation, hashing and lockout.
type PinPolicy struct {
	Length                      int           `yaml:"length"`
	Argon2                      Argon2Params  `yaml:"argon2"`
	MaxFailures                 int           `yaml:"max_failures"`
	Lockout                     string        `yaml:"lockout"`     // first lockout, doubling after
	MaxLockout                  string        `yaml:"max_lockout"` // cap of the doubling
	MaxFailuresPerNumberPerHour int           `yaml:"max_failures_per_number_per_hour"`
	MaxConcurrentHashes         int           `yaml:"max_concurrent_hashes"` // 0: GOMAXPROCS
	MaxAge                      string        `yaml:"max_age"`               // "" or e.g. 2160h; empty: PINs do not expire
	LockoutDuration             time.Duration `yaml:"-"`
	MaxLockoutDuration          time.Duration `yaml:"-"`
	MaxAgeDuration              time.Duration `yaml:"-"` // 0: no expiry
}

// Argon2Params are the argon2id cost parameters for new PIN hashes.
type Argon2Params struct {
	MemoryKiB int `yaml:"memory_kib"`
	Time      int `yaml:"time"`
	Threads   int `yaml:"threads"`
}

// SLAPolicy configures the breach watcher.
type SLAPolicy struct {
	// WarnAt is the fraction of the target after which a warning is raised.
	WarnAt float64 `yaml:"warn_at"`
}

// Notifications is the top-level notifications: block.
type Notifications struct {
	// ShiftReminderSpec is shift_reminder as written: a duration such as
	// 30m or 2h (more than 0, at most 7 days), or "off". Absent: 1h.
	ShiftReminderSpec string `yaml:"shift_reminder"`
	// ShiftReminder is how long before each shift an engineer who takes SMS
	// is reminded of it. 0 means off (shift_reminder: off): no reminders at
	// all; use ShiftRemindersOff rather than comparing with 0.
	ShiftReminder time.Duration `yaml:"-"`
}

// ShiftRemindersOff is true when the policy file says shift_reminder: off.
func (n Notifications) ShiftRemindersOff() bool { return n.ShiftReminder <= 0 }

// DefaultShiftReminder and MaxShiftReminder bound notifications.shift_reminder.
const (
	DefaultShiftReminder = time.Hour
	MaxShiftReminder     = 7 * 24 * time.Hour
)

// Default returns the built-in three-tier catalog.
func Default() *Policy {
	p, err := Parse(DefaultName, defaultYAML)
	if err != nil {
		panic("built-in policy is invalid: " + err.Error())
	}
	return p
}

// Load reads the policy file at path, or returns the built-in default when
// path is empty. The error is Problems when the file is invalid.
func Load(path string) (*Policy, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w", err)
	}
	return Parse(path, data)
}

// Parse validates data as a policy file named name.
func Parse(name string, data []byte) (*Policy, error) {
	c := &checker{file: name, lines: map[string]int{}}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, Problems{{File: name, Msg: "not valid YAML: " + err.Error()}}
	}
	c.walk(&root, reflect.TypeOf(Policy{}), "")
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	p := &Policy{Source: name}
	if err := root.Decode(p); err != nil {
		return nil, Problems{{File: name, Msg: err.Error()}}
	}
	p.applyDefaults()
	p.validate(c)
	if len(c.problems) > 0 {
		sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Line < c.problems[j].Line })
		return nil, c.problems
	}
	return p, nil
}

func (p *Policy) applyDefaults() {
	d := &p.Pins
	if d.Length == 0 {
		d.Length = 8
	}
	if d.Argon2 == (Argon2Params{}) {
		d.Argon2 = Argon2Params{MemoryKiB: 19456, Time: 2, Threads: 1}
	}
	if d.MaxFailures == 0 {
		d.MaxFailures = 5
	}
	if d.Lockout == "" {
		d.Lockout = "15m"
	}
	if d.MaxLockout == "" {
		d.MaxLockout = "24h"
	}
	if d.MaxFailuresPerNumberPerHour == 0 {
		d.MaxFailuresPerNumberPerHour = 10
	}
	if p.SLA.WarnAt == 0 {
		p.SLA.WarnAt = 0.75
	}
}

// Calendar returns the named calendar ("always" is built in), or nil.
func (p *Policy) Calendar(name string) *sla.Calendar { return p.calendars[name] }

// CalendarNames lists the calendars, "always" included, sorted.
func (p *Policy) CalendarNames() []string { return sortedKeys(p.calendars) }

// Plan returns the named plan.
func (p *Policy) Plan(name string) (Plan, bool) {
	pl, ok := p.Plans[name]
	return pl, ok
}

// PlanNames lists the plans, sorted.
func (p *Policy) PlanNames() []string { return sortedKeys(p.Plans) }

// Priority returns the priority of the given level.
func (p *Policy) Priority(level int) (Priority, bool) {
	for _, pr := range p.Priorities {
		if pr.Level == level {
			return pr, true
		}
	}
	return Priority{}, false
}

// Levels lists the plan's priority levels in ascending order.
func (pl Plan) Levels() []int {
	out := make([]int, 0, len(pl.Priorities))
	for l := range pl.Priorities {
		out = append(out, l)
	}
	sort.Ints(out)
	return out
}

// Schedules lists every schedule named by an escalation policy, sorted.
func (p *Policy) Schedules() []string {
	set := map[string]bool{}
	for _, ep := range p.EscalationPolicies {
		for _, s := range ep.Steps {
			set[s.Schedule] = true
		}
	}
	return sortedKeys(set)
}

func sortedKeys[K interface{ ~string | ~int }, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
