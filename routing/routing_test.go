package routing_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/routing"
)

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func weekly(tb testing.TB, name, zone, handoff string, members ...string) oncall.Schedule {
	tb.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := oncall.ParseCivil(handoff)
	if err != nil {
		tb.Fatal(err)
	}
	return oncall.Schedule{Name: name, Location: loc, Shift: 168 * time.Hour, Handoff: h, Members: members}
}

var engineers = map[string]routing.Engineer{
	"alice": {Handle: "alice", Name: "Alice Ng", Phone: "+17205550111", SMS: true},
	"bob":   {Handle: "bob", Name: "Bob Li", Phone: "+17205550112", SMS: true},
	"carol": {Handle: "carol", Name: "Carol Diaz", Phone: "+17205550113", SMS: true},
	"dave":  {Handle: "dave", Name: "Dave Roe", Phone: "+17205550114", SMS: true},
	"erin":  {Handle: "erin", Name: "Erin Oh", Phone: "+17205550115", SMS: false},
}

// roster: primary rotates alice, bob weekly from Monday 2026-11-16 09:00
// Denver (alice until 11-23 09:00, then bob); secondary is carol; desk is
// dave.
func roster(tb testing.TB) map[string]oncall.Schedule {
	return map[string]oncall.Schedule{
		"primary":   weekly(tb, "primary", "America/Denver", "2026-11-16T09:00", "alice", "bob"),
		"secondary": weekly(tb, "secondary", "America/Denver", "2026-11-16T09:00", "carol"),
		"desk":      weekly(tb, "desk", "America/Denver", "2026-11-16T09:00", "dave"),
	}
}

func loadCatalog(tb testing.TB, name string) *config.Policy {
	tb.Helper()
	if name == "default" {
		return config.Default()
	}
	p, err := config.Load("../examples/four-tier.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// The four instants every plan x priority is routed at. Business hours are
// 09:00-17:00 Denver in the default catalog and 08:00-17:00 New York in the
// four-tier one; each instant is on the same side of both.
var instants = map[string]string{
	"weekday daytime": "2026-11-17T12:00:00-07:00", // Tuesday, 14:00 in New York
	"weekday night":   "2026-11-17T03:00:00-07:00", // Tuesday, 05:00 in New York
	"weekend":         "2026-11-21T03:00:00-07:00", // Saturday night
	"holiday":         "2026-11-26T12:00:00-07:00", // Thanksgiving, a Thursday; bob's week
}

// outcome is "refuse", "voicemail", or "live h1@step,h2@step".
func outcome(r routing.Route) string {
	if r.Kind != routing.Live {
		return string(r.Kind)
	}
	var steps []string
	for _, s := range r.Steps {
		steps = append(steps, s.Handle+"@"+strconv.Itoa(s.PolicyStep))
	}
	return "live " + strings.Join(steps, ",")
}

func TestDecideTable(t *testing.T) {
	all := func(o string) map[string]string {
		return map[string]string{"weekday daytime": o, "weekday night": o, "weekend": o, "holiday": o}
	}
	daytimeOnly := func(live string) map[string]string {
		return map[string]string{"weekday daytime": live, "weekday night": "voicemail", "weekend": "voicemail", "holiday": "voicemail"}
	}
	tests := []struct {
		catalog    string
		plan       string
		priorities []int
		want       map[string]string // instant -> outcome
	}{
		{"default", "free", []int{1, 2, 3}, all("refuse")},
		{"default", "standard", []int{1, 2, 3}, all("refuse")},
		{"default", "premium", []int{1}, map[string]string{
			"weekday daytime": "live alice@1,carol@2", "weekday night": "live alice@1,carol@2",
			"weekend": "live alice@1,carol@2", "holiday": "live bob@1,carol@2"}},
		{"default", "premium", []int{2, 3}, daytimeOnly("live dave@1")},
		{"four-tier", "poc", []int{1, 2, 3, 4}, all("refuse")},
		{"four-tier", "standard", []int{1, 2, 3, 4}, all("refuse")},
		{"four-tier", "enterprise", []int{1}, map[string]string{
			"weekday daytime": "live alice@1,carol@2", "weekday night": "live alice@1,carol@2",
			"weekend": "live alice@1,carol@2", "holiday": "live bob@1,carol@2"}},
		{"four-tier", "enterprise", []int{2, 3, 4}, daytimeOnly("live dave@1,alice@2")},
		{"four-tier", "managed", []int{1}, map[string]string{
			"weekday daytime": "live alice@1,carol@2", "weekday night": "live alice@1,carol@2",
			"weekend": "live alice@1,carol@2", "holiday": "live bob@1,carol@2"}},
		{"four-tier", "managed", []int{2, 3, 4}, daytimeOnly("live dave@1,alice@2")},
	}
	for _, tc := range tests {
		p := loadCatalog(t, tc.catalog)
		for _, level := range tc.priorities {
			for _, when := range []string{"weekday daytime", "weekday night", "weekend", "holiday"} {
				name := tc.catalog + "/" + tc.plan + "/" + strconv.Itoa(level) + "/" + when
				t.Run(name, func(t *testing.T) {
					r, err := routing.Decide(routing.Input{Policy: p, Plan: tc.plan, Priority: level, At: mustTime(t, instants[when]),
						Schedules: roster(t), Engineers: engineers})
					if err != nil {
						t.Fatal(err)
					}
					if got := outcome(r); got != tc.want[when] {
						t.Fatalf("route = %q, want %q\n%s", got, tc.want[when], r.Explain())
					}
					if len(r.Reasons) == 0 {
						t.Fatalf("route without reasons:\n%s", r.Explain())
					}
					if r.Kind == routing.Refuse && (r.Message != p.Plans[tc.plan].Message || !r.Due.IsZero()) {
						t.Fatalf("refusal message %q due %v, want the plan's message and no due time", r.Message, r.Due)
					}
					if r.Kind != routing.Refuse && r.Due.IsZero() {
						t.Fatal("a ticket-opening route has no due time")
					}
				})
			}
		}
	}
}

func TestDecideReasons(t *testing.T) {
	p := config.Default()
	t.Run("Saturday night premium Severity 2 goes to voicemail, saying why and when the desk opens", func(t *testing.T) {
		r, err := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 2, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
			Schedules: roster(t), Engineers: engineers})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"Saturday 03:00 America/Denver is outside business (Mon-Fri 09:00-17:00 America/Denver, holidays: us-federal)",
			"business next opens Monday 2026-11-23 09:00 America/Denver",
		}
		if r.Kind != routing.Voicemail || r.Message != "outside live hours" || strings.Join(r.Reasons, "\n") != strings.Join(want, "\n") {
			t.Fatalf("route %s %q reasons %q", r.Kind, r.Message, r.Reasons)
		}
		// Premium clocks run 24x7: 2h after 03:00 MST.
		if !r.Due.Equal(mustTime(t, "2026-11-21T05:00:00-07:00")) || r.Target != "2h" || r.Clock != "always" {
			t.Fatalf("due %s target %s clock %s", r.Due, r.Target, r.Clock)
		}
	})
	t.Run("a holiday is named", func(t *testing.T) {
		r, _ := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 3, At: mustTime(t, instants["holiday"]),
			Schedules: roster(t), Engineers: engineers})
		if r.Kind != routing.Voicemail || !strings.Contains(r.Reasons[0], "Thursday 12:00 America/Denver is outside business") ||
			!strings.Contains(r.Reasons[0], "2026-11-26 is a holiday (Thanksgiving Day)") || !strings.Contains(r.Reasons[1], "Friday 2026-11-27 09:00") {
			t.Fatalf("reasons %q", r.Reasons)
		}
	})
	t.Run("four-tier business-hours clock: due counts New York business time", func(t *testing.T) {
		p4 := loadCatalog(t, "four-tier")
		// Friday 16:00 New York, 6h: 1h on Friday, 5h from Monday 08:00.
		r, _ := routing.Decide(routing.Input{Policy: p4, Plan: "enterprise", Priority: 2, At: mustTime(t, "2026-11-20T16:00:00-05:00"),
			Schedules: roster(t), Engineers: engineers})
		if r.Kind != routing.Live || !r.Due.Equal(mustTime(t, "2026-11-23T13:00:00-05:00")) {
			t.Fatalf("route %s due %s", r.Kind, r.Due)
		}
	})
	t.Run("skipped steps say why", func(t *testing.T) {
		scheds := map[string]oncall.Schedule{
			// secondary is missing; primary has no members.
			"primary": {Name: "primary", Location: time.UTC, Shift: 24 * time.Hour, Handoff: oncall.Civil{Year: 2026, Month: 1, Day: 1}},
		}
		r, err := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
			Schedules: scheds, Engineers: engineers})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"calendar always is open around the clock: calls go live at any hour",
			"step 1 (schedule primary): skipped: schedule primary has no members and no override is in force",
			"step 2 (schedule secondary): skipped: schedule secondary is not in the database (add it with supportline schedule add)",
			"no step of escalation policy oncall has anyone to dial, so the call goes to voicemail",
		}
		if r.Kind != routing.Voicemail || r.Message != "nobody reachable" || len(r.Steps) != 0 || strings.Join(r.Reasons, "\n") != strings.Join(want, "\n") {
			t.Fatalf("route %s %q\n%s", r.Kind, r.Message, strings.Join(r.Reasons, "\n"))
		}
	})
	t.Run("before the rotation starts, and an on-call handle missing from the engineers", func(t *testing.T) {
		scheds := roster(t)
		scheds["primary"] = weekly(t, "primary", "America/Denver", "2026-12-07T09:00", "alice")
		scheds["secondary"] = weekly(t, "secondary", "America/Denver", "2026-11-16T09:00", "ghost")
		r, _ := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
			Schedules: scheds, Engineers: engineers})
		if r.Kind != routing.Voicemail ||
			!strings.Contains(r.Reasons[1], "the rotation of primary starts Mon 2026-12-07 09:00 MST and no override is in force") ||
			!strings.Contains(r.Reasons[2], "ghost is on call, but there is no engineer ghost in the database") {
			t.Fatalf("reasons:\n%s", strings.Join(r.Reasons, "\n"))
		}
	})
	t.Run("an engineer on call in two steps is dialled once", func(t *testing.T) {
		scheds := roster(t)
		scheds["secondary"] = weekly(t, "secondary", "America/Denver", "2026-11-16T09:00", "alice")
		r, _ := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
			Schedules: scheds, Engineers: engineers})
		if outcome(r) != "live alice@1" || r.Reasons[2] != "step 2 (schedule secondary): skipped: alice is on call here too and was already reached in step 1" {
			t.Fatalf("route %s\n%s", outcome(r), strings.Join(r.Reasons, "\n"))
		}
		if !strings.HasPrefix(r.Reasons[1], "step 1 (schedule primary): alice (Alice Ng) is on call by rotation from Mon 2026-11-16 09:00 MST until Mon 2026-11-23 09:00 MST: dial +17205550111, ring 20s") {
			t.Fatalf("dial reason %q", r.Reasons[1])
		}
	})
	t.Run("the same engineer through an override in the second step is still deduplicated", func(t *testing.T) {
		ov := []oncall.Override{{ID: 7, Schedule: "secondary", Engineer: "alice",
			From: mustTime(t, "2026-11-21T00:00:00-07:00"), To: mustTime(t, "2026-11-22T00:00:00-07:00")}}
		r, _ := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
			Schedules: roster(t), Overrides: ov, Engineers: engineers})
		if outcome(r) != "live alice@1" {
			t.Fatalf("route %s\n%s", outcome(r), strings.Join(r.Reasons, "\n"))
		}
	})
	t.Run("an override puts its engineer in the step", func(t *testing.T) {
		ov := []oncall.Override{{ID: 9, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-11-21T00:00:00-07:00"), To: mustTime(t, "2026-11-22T00:00:00-07:00")}}
		r, _ := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
			Schedules: roster(t), Overrides: ov, Engineers: engineers})
		if outcome(r) != "live dave@1,carol@2" || r.Steps[0].Override != 9 || r.Steps[0].Number != "+17205550114" ||
			r.Steps[0].Ring != 20*time.Second || !strings.Contains(r.Reasons[1], "by override #9") {
			t.Fatalf("route %s %+v\n%s", outcome(r), r.Steps, strings.Join(r.Reasons, "\n"))
		}
	})
}

func TestDecideErrors(t *testing.T) {
	p := config.Default()
	for _, c := range []struct {
		plan     string
		priority int
		msg      string
	}{
		{"gold", 1, `unknown plan "gold" (plans: free, premium, standard)`},
		{"premium", 4, "plan premium has no priority 4 (it has 1, 2, 3)"},
		{"premium", 0, "plan premium has no priority 0 (it has 1, 2, 3)"},
	} {
		_, err := routing.Decide(routing.Input{Policy: p, Plan: c.plan, Priority: c.priority, At: time.Now()})
		if !errcode.Is(err, errcode.Invalid) || errcode.Message(err) != c.msg {
			t.Errorf("Decide(%s, %d) = %v, want invalid %q", c.plan, c.priority, err, c.msg)
		}
	}
	// Callers of a plan without phone support never reach the priority menu.
	if r, err := routing.Decide(routing.Input{Policy: p, Plan: "standard", Priority: 9}); err != nil || r.Kind != routing.Refuse {
		t.Errorf("standard at priority 9 = %v %v, want refuse", r.Kind, err)
	}
}

func TestNotifyTargets(t *testing.T) {
	p := config.Default()
	night := mustTime(t, instants["weekend"]) // outside business hours: SMS still goes out
	in := func(plan string, level int, scheds map[string]oncall.Schedule, engs map[string]routing.Engineer) routing.Input {
		return routing.Input{Policy: p, Plan: plan, Priority: level, At: night, Schedules: scheds, Engineers: engs}
	}
	handles := func(steps []routing.Step) string {
		var out []string
		for _, s := range steps {
			out = append(out, s.Handle)
		}
		return strings.Join(out, ",")
	}
	if got := handles(routing.OnCallFor(in("premium", 2, roster(t), engineers))); got != "dave" {
		t.Errorf("OnCallFor premium 2 on a Saturday night = %q, want dave (desk)", got)
	}
	if got := handles(routing.OnCallFor(in("premium", 1, roster(t), engineers))); got != "alice" {
		t.Errorf("OnCallFor premium 1 = %q, want alice only", got)
	}
	noSMS := map[string]routing.Engineer{}
	for h, e := range engineers {
		noSMS[h] = e
	}
	a := noSMS["alice"]
	a.SMS = false
	noSMS["alice"] = a
	if got := handles(routing.OnCallFor(in("premium", 1, roster(t), noSMS))); got != "carol" {
		t.Errorf("OnCallFor with alice not taking SMS = %q, want carol", got)
	}
	if got := routing.OnCallFor(in("standard", 1, roster(t), engineers)); got != nil {
		t.Errorf("OnCallFor standard = %v, want nil (no route)", got)
	}
	if got := routing.OnCallFor(in("premium", 1, map[string]oncall.Schedule{}, engineers)); got != nil {
		t.Errorf("OnCallFor with no schedules = %v, want nil", got)
	}

	last := func(es []routing.Engineer) string {
		var out []string
		for _, e := range es {
			out = append(out, e.Handle)
		}
		return strings.Join(out, ",")
	}
	if got := last(routing.LastStep(in("premium", 1, roster(t), engineers))); got != "carol" {
		t.Errorf("LastStep premium 1 = %q, want carol (secondary)", got)
	}
	if got := last(routing.LastStep(in("premium", 3, roster(t), engineers))); got != "dave" {
		t.Errorf("LastStep premium 3 = %q, want dave (desk)", got)
	}
	p4 := loadCatalog(t, "four-tier")
	if got := last(routing.LastStep(routing.Input{Policy: p4, Plan: "managed", Priority: 3, At: night, Schedules: roster(t), Engineers: engineers})); got != "alice" {
		t.Errorf("LastStep four-tier managed 3 = %q, want alice (desk's last step is primary)", got)
	}
	scheds := roster(t)
	scheds["secondary"] = weekly(t, "secondary", "America/Denver", "2026-11-16T09:00", "erin")
	if got := routing.LastStep(in("premium", 1, scheds, engineers)); got != nil {
		t.Errorf("LastStep with erin (no SMS) on call = %v, want nil", got)
	}
	// Escalations still reach someone: the earlier step's engineer.
	if got := last(routing.EscalateTo(in("premium", 1, scheds, engineers))); got != "alice" {
		t.Errorf("EscalateTo with erin (no SMS) in the last step = %q, want alice", got)
	}
	if got := last(routing.EscalateTo(in("premium", 1, roster(t), engineers))); got != "carol" {
		t.Errorf("EscalateTo premium 1 = %q, want carol (the last step)", got)
	}
	if got := routing.EscalateTo(in("premium", 1, map[string]oncall.Schedule{}, engineers)); got != nil {
		t.Errorf("EscalateTo with no schedules = %v, want nil", got)
	}
}

func TestExplain(t *testing.T) {
	p := config.Default()
	r, err := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
		Schedules: roster(t), Engineers: engineers})
	if err != nil {
		t.Fatal(err)
	}
	out := r.Explain()
	for _, want := range []string{
		"decision: live: dial alice, then carol\n",
		"call:     plan premium, severity 1 (Critical), at 2026-11-21T03:00:00-07:00 (Saturday)\n",
		"live:     calendar always, escalation policy oncall\n",
		"dial:\n  1. alice (Alice Ng) +17205550111, ring 20s [step 1, schedule primary]\n  2. carol (Carol Diaz) +17205550113, ring 20s [step 2, schedule secondary]\n",
		"sla:      respond within 1h on calendar always: due 2026-11-21T04:00:00-07:00 if a ticket opens now\n",
		"why:\n  - calendar always is open around the clock",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Explain lacks %q:\n%s", want, out)
		}
	}
	refused, _ := routing.Decide(routing.Input{Policy: p, Plan: "free", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00")})
	out = refused.Explain()
	if !strings.Contains(out, "decision: refuse\n") || !strings.Contains(out, "message:  Phone support is not part of your plan.") || strings.Contains(out, "sla:") {
		t.Errorf("refusal explained:\n%s", out)
	}
}

// Ring times reach people (route explain, --json) as they are typed in the
// policy file: "2m", not Go's "2m0s".
func TestRingIsWrittenForPeople(t *testing.T) {
	p := config.Default()
	p.EscalationPolicies["oncall"].Steps[0].RingTimeout = 2 * time.Minute
	p.EscalationPolicies["oncall"].Steps[1].RingTimeout = 90 * time.Second
	r, err := routing.Decide(routing.Input{Policy: p, Plan: "premium", Priority: 1, At: mustTime(t, "2026-11-21T03:00:00-07:00"),
		Schedules: roster(t), Engineers: engineers})
	if err != nil {
		t.Fatal(err)
	}
	out := r.Explain()
	if !strings.Contains(out, "+17205550111, ring 2m [step 1") || !strings.Contains(out, "+17205550113, ring 1m30s [step 2") {
		t.Errorf("Explain:\n%s", out)
	}
	js, err := json.Marshal(r.Steps)
	if err != nil || !strings.Contains(string(js), `"ring":"2m"`) || !strings.Contains(string(js), `"ring":"1m30s"`) {
		t.Errorf("steps json %s %v", js, err)
	}
}
