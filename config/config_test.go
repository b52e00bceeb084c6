package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// minimal is a valid policy that broken cases edit one piece of.
const minimal = `line:
  name: Example Support
  number: "+17205550100"
  support_email: support@example.com
calendars:
  business:
    timezone: America/Denver
    days: [mon, tue, wed, thu, fri]
    open: "09:00"
    close: "17:00"
    holidays: [us-federal, "2026-12-24"]
priorities:
  - {level: 1, name: Critical, description: "Everything is down."}
  - {level: 2, name: Major, description: "Something is broken."}
escalation_policies:
  oncall: {steps: [{schedule: primary, ring: 20s}, {schedule: secondary, ring: 20s}]}
plans:
  premium:
    phone: true
    named_contacts: 0
    priorities:
      1: {respond_within: 1h, clock: always, live: always, route: oncall}
      2: {respond_within: 4h, clock: business, live: business, route: oncall}
  standard:
    phone: false
    message: "Phone support is part of Premium Support."
    priorities:
      2: {respond_within: next-business-day, clock: business}
`

func TestMinimalLoads(t *testing.T) {
	p, err := Parse("minimal.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Plans["premium"].Priorities[1].Target.String(); got != "1h" {
		t.Errorf("premium P1 target = %q, want 1h", got)
	}
	if p.Calendar("business") == nil || p.Calendar("always") == nil {
		t.Error("calendars business and always must both exist")
	}
	if got := p.EscalationPolicies["oncall"].Steps[1].RingTimeout; got != 20*time.Second {
		t.Errorf("ring = %v, want 20s", got)
	}
	if p.Pins.Length != 8 || p.Pins.Argon2.MemoryKiB != 19456 || p.Pins.MaxFailures != 5 || p.SLA.WarnAt != 0.75 {
		t.Errorf("defaults not applied: %+v %+v", p.Pins, p.SLA)
	}
	if p.Line.Patience != 30*time.Second {
		t.Errorf("outage patience = %v, want the default 30s", p.Line.Patience)
	}
	zero, err := Parse("zero.yaml", []byte(strings.Replace(minimal, "support_email: support@example.com",
		"support_email: support@example.com\n  outage_patience: 0s", 1)))
	if err != nil || zero.Line.Patience != 0 {
		t.Errorf("outage_patience: 0s gave %v, %v; want 0 (straight to the fallback)", zero, err)
	}
}

func TestBrokenFiles(t *testing.T) {
	cases := []struct {
		name       string
		old, new   string // replace old with new in minimal
		want       string // the exact "line: path: message" expected among the problems
		wantInLine int
	}{
		{"unknown calendar in live", "live: business, route", `live: busines, route`,
			`plans.premium.priorities.2.live: unknown calendar "busines" (defined: always, business)`, 23},
		{"unknown calendar in clock", "clock: business}\n", "clock: biz}\n",
			`plans.standard.priorities.2.clock: unknown calendar "biz" (defined: always, business)`, 28},
		{"unknown escalation policy", "route: oncall}\n      2:", "route: on-call}\n      2:",
			`plans.premium.priorities.1.route: unknown escalation policy "on-call" (defined: oncall)`, 22},
		{"misspelt key", "respond_within: 1h", "respond_witin: 1h",
			`plans.premium.priorities.1.respond_witin: unknown key (did you mean "respond_within"?)`, 22},
		{"bad respond_within", "respond_within: 1h", "respond_within: 1.5h",
			`plans.premium.priorities.1.respond_within: `, 22},
		{"bad time zone", "America/Denver", "America/Denvr",
			`calendars.business.timezone: unknown time zone "America/Denvr" (use an IANA name such as America/Denver)`, 7},
		{"bad day", "days: [mon, tue", "days: [mun, tue",
			`calendars.business.days[0]: unknown day "mun" (use mon, tue, wed, thu, fri, sat, sun)`, 8},
		{"close before open", `close: "17:00"`, `close: "08:00"`,
			`calendars.business.close: closing time "08:00" must be after opening time "09:00"`, 10},
		{"bad clock time", `open: "09:00"`, `open: "9am"`,
			`calendars.business.open: "9am" is not a 24-hour wall-clock time HH:MM (quote it: "09:00")`, 9},
		{"unknown holiday preset", `holidays: [us-federal,`, `holidays: [us-fedral,`,
			`calendars.business.holidays[0]: `, 11},
		{"bad line number", `number: "+17205550100"`, `number: "720-555-0100"`,
			`line.number: "720-555-0100" is not an E.164 number: must start with + and the country code`, 3},
		{"bad email", "support_email: support@example.com", "support_email: support-at-example",
			`line.support_email: "support-at-example" is not an email address`, 4},
		{"email with a name", "support_email: support@example.com", `support_email: "Support <support@example.com>"`,
			`line.support_email: "Support <support@example.com>" is not an email address: must be the address alone, without a name or angle brackets`, 4},
		{"priority not defined", "      2: {respond_within: next", "      3: {respond_within: next",
			`plans.standard.priorities.3: priority 3 is not defined under priorities`, 28},
		{"priority key not a number", "      2: {respond_within: next", "      two: {respond_within: next",
			`plans.standard.priorities.two: key must be a whole number (a priority level), not "two"`, 28},
		{"duplicate priority level", "{level: 2, name: Major", "{level: 1, name: Major",
			`priorities[1].level: level 1 is defined twice`, 14},
		{"priority 9 reserved", "{level: 2, name: Major", "{level: 9, name: Major",
			`priorities[1].level: must be from 1 to 8 (callers press it; 9 is reserved for escalation), not 9`, 14},
		{"no phone and no message", `message: "Phone support is part of Premium Support."`, "",
			`plans.standard.message: is required when phone is false (it is spoken to callers of this plan)`, 24},
		{"live on a plan without phone", "{respond_within: next-business-day, clock: business}", "{respond_within: next-business-day, clock: business, live: always}",
			`plans.standard.priorities.2.live: only plans with phone: true take live calls`, 28},
		{"ring too short", "{schedule: primary, ring: 20s}", "{schedule: primary, ring: 2s}",
			`escalation_policies.oncall.steps[0].ring: must be whole seconds from 5s to 600s, not 2s`, 16},
		{"phone not a bool", "phone: true", "phone: yes please",
			`plans.premium.phone: must be true or false, not "yes please"`, 19},
		{"named_contacts negative", "named_contacts: 0", "named_contacts: -1",
			`plans.premium.named_contacts: must be 0 (unlimited) or more, not -1`, 20},
		{"always redefined", "  business:\n    timezone", "  always:\n    timezone",
			`calendars.always: "always" is built in (24x7, no holidays) and cannot be redefined`, 6},
		{"pin length", "plans:\n", "pins: {length: 4}\nplans:\n",
			`pins.length: must be from 6 to 12 digits, not 4`, 17},
		{"argon2 memory below OWASP", "plans:\n", "pins: {argon2: {memory_kib: 1024, time: 2, threads: 1}}\nplans:\n",
			`pins.argon2.memory_kib: must be from 19456 (OWASP's minimum) to 262144 (256 MiB), not 1024`, 17},
		{"warn_at out of range", "plans:\n", "sla: {warn_at: 1.5}\nplans:\n",
			`sla.warn_at: must be a fraction between 0 and 1 (e.g. 0.75), not 1.5`, 17},
		{"unknown prompt", "plans:\n", "prompts: {greting: Hi}\nplans:\n",
			`prompts.greting: unknown prompt (did you mean "greeting"?)`, 17},
		{"placeholder not available", "plans:\n", "prompts: {greeting: \"Hi {name}\"}\nplans:\n",
			`prompts.greeting: placeholder {name} is not available here (use {line})`, 17},
		{"outage patience too long", "support_email: support@example.com", "support_email: support@example.com\n  outage_patience: 3m",
			`line.outage_patience: 3m is outside 0s to 2m0s`, 5},
		{"outage patience negative", "support_email: support@example.com", "support_email: support@example.com\n  outage_patience: -1s",
			`line.outage_patience: -1s is outside 0s to 2m0s`, 5},
		{"outage patience not a duration", "support_email: support@example.com", "support_email: support@example.com\n  outage_patience: soon",
			`line.outage_patience: "soon" is not a duration such as 30s`, 5},
		{"days not a list", "days: [mon, tue, wed, thu, fri]", "days: weekdays",
			`calendars.business.days: must be a list, not "weekdays"`, 8},
		{"receipt_sms not a bool", "named_contacts: 0", "named_contacts: 0\n    receipt_sms: sometimes",
			`plans.premium.receipt_sms: must be true or false, not "sometimes"`, 21},
		{"receipt_sms misspelt", "named_contacts: 0", "named_contacts: 0\n    reciept_sms: true",
			`plans.premium.reciept_sms: unknown key (did you mean "receipt_sms"?)`, 21},
		{"receipt_sms on a plan without phone", "phone: false\n", "phone: false\n    receipt_sms: true\n",
			`plans.standard.receipt_sms: only plans with phone: true open tickets from calls, so only they send receipts`, 26},
		{"receipt prompt with a foreign placeholder", "plans:\n", "prompts: {receipt_sms: \"Ticket {ticket} for {account}\"}\nplans:\n",
			`prompts.receipt_sms: placeholder {account} is not available here (use {line}, {ticket}, {priority_word}, {level}, {name}, {due})`, 17},
		{"shift_reminder zero", "plans:\n", "notifications:\n  shift_reminder: 0\nplans:\n",
			`notifications.shift_reminder: 0 is not a positive duration; write off to disable reminders`, 18},
		{"shift_reminder 0s", "plans:\n", "notifications:\n  shift_reminder: 0s\nplans:\n",
			`notifications.shift_reminder: 0s is not a positive duration; write off to disable reminders`, 18},
		{"shift_reminder negative", "plans:\n", "notifications:\n  shift_reminder: -30m\nplans:\n",
			`notifications.shift_reminder: -30m is not a positive duration; write off to disable reminders`, 18},
		{"shift_reminder over a week", "plans:\n", "notifications:\n  shift_reminder: 169h\nplans:\n",
			`notifications.shift_reminder: 169h is more than 7 days (168h) before a shift`, 18},
		{"shift_reminder not a duration", "plans:\n", "notifications:\n  shift_reminder: soon\nplans:\n",
			`notifications.shift_reminder: "soon" is not a duration such as 30m or 2h, or off`, 18},
		{"shift_reminder days", "plans:\n", "notifications:\n  shift_reminder: 1d\nplans:\n",
			`notifications.shift_reminder: "1d" is not a duration such as 30m or 2h, or off`, 18},
		{"shift_reminder a list", "plans:\n", "notifications:\n  shift_reminder: [1h]\nplans:\n",
			`notifications.shift_reminder: must be a single value, not a list`, 18},
		{"notifications misspelt key", "plans:\n", "notifications:\n  shift_remindr: 1h\nplans:\n",
			`notifications.shift_remindr: unknown key (did you mean "shift_reminder"?)`, 18},
		{"notifications not a mapping", "plans:\n", "notifications: 1h\nplans:\n",
			`notifications: must be a mapping of keys, not "1h"`, 17},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(minimal, tc.old) {
				t.Fatalf("test bug: %q not in the minimal file", tc.old)
			}
			src := strings.Replace(minimal, tc.old, tc.new, 1)
			_, err := Parse("broken.yaml", []byte(src))
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse = %v, want Problems", err)
			}
			for _, p := range ps {
				if strings.HasPrefix(p.Path+": "+p.Msg, tc.want) {
					if p.File != "broken.yaml" {
						t.Errorf("problem names file %q, want broken.yaml", p.File)
					}
					if tc.wantInLine != 0 && p.Line != tc.wantInLine {
						t.Errorf("problem at line %d, want %d", p.Line, tc.wantInLine)
					}
					if !strings.HasPrefix(p.String(), "broken.yaml:") {
						t.Errorf("String() = %q, want it to start with the file", p.String())
					}
					return
				}
			}
			t.Fatalf("problems:\n%s\nwant one starting %q", ps.Error(), tc.want)
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	src := strings.Replace(minimal, "America/Denver", "Mars/Olympus", 1)
	src = strings.Replace(src, "route: oncall}\n      2:", "route: nobody}\n      2:", 1)
	src = strings.Replace(src, `number: "+17205550100"`, `number: "12"`, 1)
	_, err := Parse("multi.yaml", []byte(src))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) < 3 {
		t.Fatalf("want at least 3 problems, got %v", err)
	}
	// Sorted by line, so the report reads top to bottom.
	for i := 1; i < len(ps); i++ {
		if ps[i].Line < ps[i-1].Line {
			t.Fatalf("problems out of line order:\n%s", ps.Error())
		}
	}
}

func TestNotYAML(t *testing.T) {
	_, err := Parse("junk.yaml", []byte("line: [unclosed"))
	if err == nil || !strings.Contains(err.Error(), "junk.yaml: not valid YAML") {
		t.Fatalf("Parse(junk) = %v, want a YAML syntax problem naming the file", err)
	}
	if _, err := Load("/nonexistent/policy.yaml"); err == nil || !strings.Contains(err.Error(), "/nonexistent/policy.yaml") {
		t.Fatalf("Load(missing) = %v, want an error naming the path", err)
	}
}

func TestBuiltInDefault(t *testing.T) {
	p := Default()
	if p.Source != DefaultName {
		t.Errorf("Source = %q", p.Source)
	}
	free := p.Plans["free"]
	if free.Phone || free.Message == "" || len(free.Priorities) != 0 {
		t.Errorf("free: %+v; want no phone, a message, no SLA", free)
	}
	std := p.Plans["standard"]
	if std.Phone {
		t.Error("standard must not have phone support")
	}
	want := map[int]string{1: "4h", 2: "8h", 3: "next-business-day"}
	for l, w := range want {
		if pp := std.Priorities[l]; pp.Target.String() != w || pp.Clock != "business" {
			t.Errorf("standard S%d = %s on %s, want %s on business", l, pp.Target, pp.Clock, w)
		}
	}
	prem := p.Plans["premium"]
	if !prem.Phone || prem.NamedContacts != 0 {
		t.Errorf("premium: %+v", prem)
	}
	for l, w := range map[int][3]string{1: {"1h", "always", "oncall"}, 2: {"2h", "business", "desk"}, 3: {"4h", "business", "desk"}} {
		pp := prem.Priorities[l]
		if pp.Target.String() != w[0] || pp.Clock != "always" || pp.Live != w[1] || pp.Route != w[2] {
			t.Errorf("premium S%d = %+v, want %v on always", l, pp, w)
		}
	}
	cal := p.Calendar("business")
	if cal.Location().String() != "America/Denver" || cal.WorkdayLength() != 8*time.Hour {
		t.Errorf("business calendar = %s", cal)
	}
	july4 := time.Date(2025, 7, 4, 12, 0, 0, 0, cal.Location())
	if !cal.IsHoliday(july4) {
		t.Error("business calendar must observe us-federal holidays")
	}
	names := []string{}
	for _, pr := range p.Priorities {
		names = append(names, pr.Name)
	}
	if strings.Join(names, ",") != "Critical,Major,Minor" {
		t.Errorf("priorities = %v", names)
	}
}

func TestFourTierExample(t *testing.T) {
	p, err := Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]int{"poc": 1, "standard": 2, "enterprise": 4, "managed": 0}
	for plan, n := range limits {
		if got := p.Plans[plan].NamedContacts; got != n {
			t.Errorf("%s named_contacts = %d, want %d", plan, got, n)
		}
	}
	for _, plan := range []string{"poc", "standard"} {
		if p.Plans[plan].Phone {
			t.Errorf("%s must not have phone support", plan)
		}
	}
	for l := 1; l <= 4; l++ {
		if got := p.Plans["poc"].Priorities[l].Target.String(); got != "2bd" {
			t.Errorf("poc P%d = %s, want 2bd", l, got)
		}
	}
	wantStd := map[int]string{1: "6h", 2: "1bd", 3: "2bd", 4: "2bd"}
	for l, w := range wantStd {
		if got := p.Plans["standard"].Priorities[l].Target.String(); got != w {
			t.Errorf("standard P%d = %s, want %s", l, got, w)
		}
	}
	for _, plan := range []string{"enterprise", "managed"} {
		pl := p.Plans[plan]
		if p1 := pl.Priorities[1]; p1.Target.String() != "2h" || p1.Clock != "always" || p1.Live != "always" || p1.Route != "oncall" {
			t.Errorf("%s P1 = %+v", plan, p1)
		}
		want := map[int]string{2: "6h", 3: "1bd", 4: "1bd"}
		for l, w := range want {
			pp := pl.Priorities[l]
			if pp.Target.String() != w || pp.Clock != "business" || pp.Live != "business" || pp.Route != "desk" {
				t.Errorf("%s P%d = %+v, want %s on business, live business to desk", plan, l, pp, w)
			}
		}
	}
	cal := p.Calendar("business")
	if cal.Location().String() != "America/New_York" || cal.WorkdayLength() != 9*time.Hour {
		t.Errorf("business calendar = %s", cal)
	}
	if len(p.Priorities) != 4 || p.Priorities[3].Name != "Low" {
		t.Errorf("priorities = %+v", p.Priorities)
	}
}

func TestNotificationsShiftReminder(t *testing.T) {
	cases := []struct {
		name, block string
		want        time.Duration
	}{
		{"absent: the default hour", "", time.Hour},
		{"empty block: the default hour", "notifications:\n", time.Hour},
		{"30 minutes", "notifications:\n  shift_reminder: 30m\n", 30 * time.Minute},
		{"2 hours", "notifications:\n  shift_reminder: 2h\n", 2 * time.Hour},
		{"exactly 7 days", "notifications:\n  shift_reminder: 168h\n", 168 * time.Hour},
		{"off", "notifications:\n  shift_reminder: off\n", 0},
		{"OFF", "notifications:\n  shift_reminder: \"OFF\"\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("n.yaml", []byte(strings.Replace(minimal, "plans:\n", tc.block+"plans:\n", 1)))
			if err != nil {
				t.Fatal(err)
			}
			n := p.Notifications
			if n.ShiftReminder != tc.want || n.ShiftRemindersOff() != (tc.want == 0) {
				t.Errorf("shift reminder %v off=%v, want %v", n.ShiftReminder, n.ShiftRemindersOff(), tc.want)
			}
		})
	}
	if d := Default().Notifications.ShiftReminder; d != time.Hour {
		t.Errorf("built-in default shift reminder %v, want 1h", d)
	}
}

func TestReceiptSMS(t *testing.T) {
	p, err := Parse("r.yaml", []byte(strings.Replace(minimal, "named_contacts: 0", "named_contacts: 0\n    receipt_sms: true", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Plans["premium"].ReceiptSMS || p.Plans["standard"].ReceiptSMS {
		t.Errorf("receipt_sms premium %v standard %v, want true and false", p.Plans["premium"].ReceiptSMS, p.Plans["standard"].ReceiptSMS)
	}
	if got := p.Prompt("receipt_sms"); !strings.Contains(got, "{ticket}") || !strings.Contains(got, "{due}") {
		t.Errorf("default receipt text %q lacks {ticket} or {due}", got)
	}
	if Default().Plans["premium"].ReceiptSMS {
		t.Error("the built-in premium plan must not send receipts (opt in in your own file)")
	}
	four, err := Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !four.Plans["managed"].ReceiptSMS || four.Plans["enterprise"].ReceiptSMS {
		t.Errorf("four-tier receipts: managed %v enterprise %v, want true and false",
			four.Plans["managed"].ReceiptSMS, four.Plans["enterprise"].ReceiptSMS)
	}
}

func TestPlanZone(t *testing.T) {
	four, err := Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	onlyAlways, err := Parse("a.yaml", []byte(strings.NewReplacer(
		"clock: business", "clock: always", "live: business", "live: always").Replace(minimal)))
	if err != nil {
		t.Fatal(err)
	}
	london, err := Parse("l.yaml", []byte(strings.NewReplacer(
		"calendars:\n", "calendars:\n  uk:\n    timezone: Europe/London\n    days: [mon]\n    open: \"09:00\"\n    close: \"17:00\"\n",
		"2: {respond_within: 4h, clock: business, live: business", "2: {respond_within: 4h, clock: always, live: uk").Replace(minimal)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		p     *Policy
		plan  string
		level int
		want  string
	}{
		{"four-tier managed P1 on always: the plan's business zone", four, "managed", 1, "America/New_York"},
		{"four-tier managed P2 on business", four, "managed", 2, "America/New_York"},
		{"built-in premium S1 on always: Denver from S2's live calendar", def, "premium", 1, "America/Denver"},
		{"unknown plan: the file's first calendar", def, "nonesuch", 1, "America/Denver"},
		{"every priority on always: the file's calendar", onlyAlways, "premium", 1, "America/Denver"},
		{"the priority's live calendar before the file's first", london, "premium", 2, "Europe/London"},
		{"P1 on always: the plan's other priority, not the file's first calendar", london, "premium", 1, "Europe/London"},
		{"another plan: its own calendar", london, "standard", 2, "America/Denver"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.PlanZone(tc.plan, tc.level).String(); got != tc.want {
				t.Errorf("PlanZone = %s, want %s", got, tc.want)
			}
		})
	}
	utcOnly := &Policy{}
	if got := utcOnly.PlanZone("premium", 1); got != time.UTC {
		t.Errorf("no calendars: PlanZone = %v, want UTC", got)
	}
}
