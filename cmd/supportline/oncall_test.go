package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mustRun runs a command that must succeed and returns its stdout.
func (c *cli) mustRun(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != 0 {
		c.t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// count runs a listing command with --json and returns how many records it
// printed.
func (c *cli) count(args ...string) int {
	c.t.Helper()
	var recs []json.RawMessage
	out := c.mustRun(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		c.t.Fatalf("%s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return len(recs)
}

// twoEngineers adds alice and bob and a weekly primary rotation of the two
// from Monday 2026-11-16 09:00 Denver: alice that week, bob the next.
func twoEngineers(c *cli) {
	c.t.Helper()
	c.mustRun("engineer", "add", "--handle", "alice", "--name", "Alice Ng", "--phone", "+17205550111")
	c.mustRun("engineer", "add", "--handle", "bob", "--name", "Bob Li", "--phone", "+1 720 555 0112", "--email", "bob@example.com")
	c.mustRun("schedule", "add", "primary", "--tz", "America/Denver", "--shift", "168h", "--handoff", "2026-11-16T09:00", "--members", "alice,bob")
}

func TestRouteExplainAcceptance(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)

	t.Run("premium Severity 1 goes live to the on-call engineer at any hour", func(t *testing.T) {
		for _, day := range []string{"2026-11-17", "2026-11-21"} { // a Tuesday and a Saturday of alice's week
			for hour := 0; hour < 24; hour++ {
				at := fmt.Sprintf("%sT%02d:00:00-07:00", day, hour)
				out := c.mustRun("route", "explain", "--plan", "premium", "--priority", "1", "--at", at)
				for _, want := range []string{
					"decision: live: dial alice\n",
					"  1. alice (Alice Ng) +17205550111, ring 20s [step 1, schedule primary]\n",
					"  - calendar always is open around the clock: calls go live at any hour\n",
					"  - step 1 (schedule primary): alice (Alice Ng) is on call by rotation from Mon 2026-11-16 09:00 MST until Mon 2026-11-23 09:00 MST",
					"  - step 2 (schedule secondary): skipped: schedule secondary is not in the database",
				} {
					if !strings.Contains(out, want) {
						t.Fatalf("at %s: explain lacks %q:\n%s", at, want, out)
					}
				}
			}
		}
		out := c.mustRun("route", "explain", "--plan", "premium", "--priority", "1", "--at", "2026-11-24T03:00:00-07:00")
		if !strings.Contains(out, "decision: live: dial bob\n") || !strings.Contains(out, "bob (Bob Li) +17205550112") {
			t.Fatalf("the week after the handoff:\n%s", out)
		}
	})
	t.Run("premium Severity 2 on Saturday night goes to voicemail", func(t *testing.T) {
		out := c.mustRun("route", "explain", "--plan", "premium", "--priority", "2", "--at", "2026-11-21T03:00:00-07:00")
		for _, want := range []string{
			"decision: voicemail: outside live hours\n",
			"live:     calendar business, escalation policy desk\n",
			"sla:      respond within 2h on calendar always: due 2026-11-21T05:00:00-07:00 if a ticket opens now\n",
			"  - Saturday 03:00 America/Denver is outside business (Mon-Fri 09:00-17:00 America/Denver, holidays: us-federal)\n",
			"  - business next opens Monday 2026-11-23 09:00 America/Denver\n",
		} {
			if !strings.Contains(out, want) {
				t.Fatalf("explain lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "dial:") {
			t.Fatalf("voicemail route dials someone:\n%s", out)
		}
	})
	t.Run("premium Severity 2 on a weekday with no desk schedule: nobody reachable", func(t *testing.T) {
		out := c.mustRun("route", "explain", "--plan", "premium", "--priority", "2", "--at", "2026-11-17T10:00:00-07:00")
		if !strings.Contains(out, "decision: voicemail: nobody reachable\n") ||
			!strings.Contains(out, "  - Tuesday 10:00 America/Denver is within business") ||
			!strings.Contains(out, "  - step 1 (schedule desk): skipped: schedule desk is not in the database") {
			t.Fatalf("explain:\n%s", out)
		}
	})
	t.Run("standard is refused with its message", func(t *testing.T) {
		out := c.mustRun("route", "explain", "--plan", "standard", "--priority", "1", "--at", "2026-11-17T10:00:00-07:00")
		if !strings.Contains(out, "decision: refuse\n") ||
			!strings.Contains(out, "message:  Phone support is part of Premium Support.") ||
			!strings.Contains(out, "  - plan standard does not include phone support") {
			t.Fatalf("explain:\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		out := c.mustRun("route", "explain", "--plan", "premium", "--priority", "1", "--at", "2026-11-21T03:00:00-07:00", "--json")
		var r struct {
			Kind  string
			Steps []struct {
				Handle, Number, Ring, Schedule string
				PolicyStep                     int `json:"policy_step"`
			}
			Reasons []string
			Due     string
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Kind != "live" || len(r.Steps) != 1 || r.Steps[0].Handle != "alice" || r.Steps[0].Ring != "20s" ||
			r.Steps[0].PolicyStep != 1 || r.Due != "2026-11-21T11:00:00Z" || len(r.Reasons) != 3 {
			t.Fatalf("route --json: %s", out)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"--plan", "gold", "--priority", "1"}, 2, `unknown plan "gold" (plans: free, premium, standard)`},
			{[]string{"--plan", "premium", "--priority", "5"}, 2, "plan premium has no priority 5 (it has 1, 2, 3)"},
			{[]string{"--plan", "premium"}, 2, "--priority is required"},
			{[]string{"--priority", "1"}, 2, "--plan is required"},
			{[]string{"--plan", "premium", "--priority", "1", "--at", "2026-11-21 03:00"}, 2, "is not an RFC 3339 time"},
		} {
			code, _, errs := c.run(append([]string{"route", "explain"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.msg) || strings.Count(errs, "\n") != 1 {
				t.Errorf("route explain %v: exit %d %q, want %d and one line with %q", tc.args, code, errs, tc.code, tc.msg)
			}
		}
	})
}

// coverageAt runs `oncall --at` and returns the JSON coverage of schedule.
func coverageAt(c *cli, at, schedule string) map[string]any {
	c.t.Helper()
	var cs []map[string]any
	out := c.mustRun("oncall", "--at", at, "--json")
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		c.t.Fatal(err)
	}
	for _, cv := range cs {
		if cv["schedule"] == schedule {
			return cv
		}
	}
	c.t.Fatalf("oncall --at %s: no schedule %s in %s", at, schedule, out)
	return nil
}

func TestOnCallAcrossDST(t *testing.T) {
	c := newCLI(t)
	c.mustRun("engineer", "add", "--handle", "alice", "--name", "Alice Ng", "--phone", "+17205550111")
	c.mustRun("engineer", "add", "--handle", "bob", "--name", "Bob Li", "--phone", "+17205550112")
	// Daily 09:00 handoffs from Sunday 2026-03-01: Saturday 03-07 is alice's
	// (day 6), Sunday 03-08, when Denver springs forward at 02:00, is bob's.
	c.mustRun("schedule", "add", "daily", "--tz", "America/Denver", "--shift", "24h", "--handoff", "2026-03-01T09:00", "--members", "alice,bob")
	// Weekly Sunday 09:00 handoffs from 2026-10-04: the week of 10-25 is
	// bob's, and alice takes over on 11-01, when Denver falls back at 02:00.
	c.mustRun("schedule", "add", "weekly", "--tz", "America/Denver", "--shift", "168h", "--handoff", "2026-10-04T09:00", "--members", "alice,bob")

	tests := []struct {
		name, schedule, at     string
		engineer, since, until string
	}{
		{"spring forward: a second before the 09:00 MDT handoff", "daily", "2026-03-08T08:59:59-06:00", "alice", "2026-03-07T09:00:00-07:00", "2026-03-08T09:00:00-06:00"},
		{"spring forward: at the handoff", "daily", "2026-03-08T09:00:00-06:00", "bob", "2026-03-08T09:00:00-06:00", "2026-03-09T09:00:00-06:00"},
		// 15:30Z is 09:30 MDT; a handoff kept at 16:00Z (09:00 MST) would still say alice.
		{"spring forward: half an hour after, asked in UTC", "daily", "2026-03-08T15:30:00Z", "bob", "2026-03-08T09:00:00-06:00", "2026-03-09T09:00:00-06:00"},
		{"fall back: a second before the 09:00 MST handoff", "weekly", "2026-11-01T08:59:59-07:00", "bob", "2026-10-25T09:00:00-06:00", "2026-11-01T09:00:00-07:00"},
		{"fall back: at the handoff", "weekly", "2026-11-01T09:00:00-07:00", "alice", "2026-11-01T09:00:00-07:00", "2026-11-08T09:00:00-07:00"},
		// 15:30Z is 08:30 MST; 168 elapsed hours from 09:00 MDT would have handed off at 15:00Z.
		{"fall back: half an hour before, asked in UTC", "weekly", "2026-11-01T15:30:00Z", "bob", "2026-10-25T09:00:00-06:00", "2026-11-01T09:00:00-07:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cv := coverageAt(c, tc.at, tc.schedule)
			if cv["engineer"] != tc.engineer || cv["since"] != tc.since || cv["until"] != tc.until {
				t.Fatalf("oncall --at %s: %v, want %s [%s, %s)", tc.at, cv, tc.engineer, tc.since, tc.until)
			}
		})
	}
	t.Run("table", func(t *testing.T) {
		out := c.mustRun("oncall", "--at", "2026-03-08T09:00:00-06:00")
		if !strings.Contains(out, "daily     bob      Bob Li  Sun 2026-03-08 09:00 MDT  Mon 2026-03-09 09:00 MDT") ||
			!strings.Contains(out, "weekly    nobody") || !strings.Contains(out, "the rotation of weekly starts Sun 2026-10-04 09:00 MDT") {
			t.Fatalf("oncall table:\n%s", out)
		}
	})
}

func TestScheduleShowAndOverrides(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	c.mustRun("engineer", "add", "--handle", "dave", "--name", "Dave Roe", "--phone", "+17205550114", "--no-sms")
	// Overrides cannot cover the past, and this test runs on the real clock:
	// its weeks are ten years on (2036-11-17 is a Monday of alice's, a
	// whole number of two-week cycles after the handoff).
	out := c.mustRun("override", "add", "--schedule", "primary", "--engineer", "dave", "--from", "2036-11-19T09:00", "--to", "2036-11-20T09:00")
	if out != "override #1: dave covers primary from Wed 2036-11-19 09:00 MST until Thu 2036-11-20 09:00 MST\n" {
		t.Fatalf("override add: %q", out)
	}
	out = c.mustRun("schedule", "show", "primary", "--next", "4", "--from", "2036-11-18T00:00:00Z")
	for _, want := range []string{
		"Schedule primary: 168h shifts from 2026-11-16T09:00 America/Denver\nMembers:  alice, bob\n",
		"alice     Alice Ng  Mon 2036-11-17 09:00 MST  Wed 2036-11-19 09:00 MST",
		"dave      Dave Roe  Wed 2036-11-19 09:00 MST  Thu 2036-11-20 09:00 MST  (override #1)",
		"alice     Alice Ng  Thu 2036-11-20 09:00 MST  Mon 2036-11-24 09:00 MST",
		"bob       Bob Li    Mon 2036-11-24 09:00 MST  Mon 2036-12-01 09:00 MST",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("schedule show lacks %q:\n%s", want, out)
		}
	}
	// The newest override wins where two overlap.
	c.mustRun("override", "add", "--schedule", "primary", "--engineer", "bob", "--from", "2036-11-19T12:00:00-07:00", "--to", "2036-11-19T13:00:00-07:00")
	if cv := coverageAt(c, "2036-11-19T12:30:00-07:00", "primary"); cv["engineer"] != "bob" || cv["override"] != float64(2) {
		t.Fatalf("overlapping overrides: %v, want bob by #2", cv)
	}
	if n := c.count("override", "list", "--schedule", "primary", "--all"); n != 2 {
		t.Fatalf("override list = %d, want 2", n)
	}
	c.mustRun("override", "remove", "2")
	if cv := coverageAt(c, "2036-11-19T12:30:00-07:00", "primary"); cv["engineer"] != "dave" {
		t.Fatalf("after removing #2: %v, want dave", cv)
	}
	if code, _, errs := c.run("override", "remove", "2"); code != 3 || !strings.Contains(errs, "no override #2") {
		t.Fatalf("removing twice: %d %q", code, errs)
	}
	var es []map[string]any
	if err := json.Unmarshal([]byte(c.mustRun("engineer", "list", "--json")), &es); err != nil || len(es) != 3 ||
		es[2]["handle"] != "dave" || es[2]["sms"] != false || es[1]["phone"] != "+17205550112" {
		t.Fatalf("engineer list --json: %v %v", es, err)
	}
}

func TestEngineerRemoveRefusedWhileScheduled(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	c.mustRun("schedule", "add", "secondary", "--tz", "America/Denver", "--shift", "168h", "--handoff", "2026-11-16T09:00", "--members", "bob,alice")
	code, _, errs := c.run("engineer", "remove", "alice")
	if code != 3 || errs != "error: engineer alice is a member of schedule(s) primary, secondary; take them out of the rotation first (schedule set-members)\n" {
		t.Fatalf("engineer remove alice: %d %q", code, errs)
	}
	if n := c.count("engineer", "list"); n != 2 {
		t.Fatalf("engineers after a refused remove = %d, want 2", n)
	}
	c.mustRun("schedule", "set-members", "primary", "--members", "bob")
	c.mustRun("schedule", "set-members", "secondary", "--members", "bob")
	if out := c.mustRun("engineer", "remove", "alice"); out != "engineer alice (Alice Ng) removed\n" {
		t.Fatalf("engineer remove: %q", out)
	}
	if n := c.count("engineer", "list"); n != 1 {
		t.Fatalf("engineers after remove = %d, want 1", n)
	}
	var evs []struct{ Actor, Action, Subject string }
	if err := json.Unmarshal([]byte(c.mustRun("audit", "list", "--json")), &evs); err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Actor != "tester" || last.Action != "engineer.remove" || last.Subject != "engineer alice" {
		t.Fatalf("last audit event: %+v", last)
	}
}

func TestOnCallBadInput(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"engineer", "add", "--handle", "carol", "--name", "Carol", "--phone", "720-555-0113"}, 2, "must be in E.164 form"},
		{[]string{"engineer", "add", "--handle", "Carol", "--name", "Carol", "--phone", "+17205550113"}, 2, `handle "Carol"`},
		{[]string{"engineer", "add", "--handle", "alice", "--name", "Alice", "--phone", "+17205550113"}, 3, "engineer alice already exists"},
		{[]string{"engineer", "add", "--name", "Carol", "--phone", "+17205550113"}, 2, "--handle is required"},
		{[]string{"engineer", "remove", "zed"}, 3, `no engineer "zed"`},
		{[]string{"schedule", "add", "second", "--tz", "America/Denvr", "--shift", "24h", "--handoff", "2026-01-05T09:00"}, 2, `unknown time zone "America/Denvr"`},
		{[]string{"schedule", "add", "second", "--tz", "UTC", "--shift", "90s", "--handoff", "2026-01-05T09:00"}, 2, "not a whole number of minutes"},
		{[]string{"schedule", "add", "second", "--tz", "UTC", "--shift", "0h", "--handoff", "2026-01-05T09:00"}, 2, "must be positive"},
		{[]string{"schedule", "add", "second", "--tz", "UTC", "--shift", "a week", "--handoff", "2026-01-05T09:00"}, 2, `--shift "a week" is not a duration`},
		{[]string{"schedule", "add", "second", "--tz", "UTC", "--shift", "24h", "--handoff", "2026-01-05T09:00:00Z"}, 2, "--handoff: civil time"},
		{[]string{"schedule", "add", "second", "--tz", "UTC", "--shift", "24h", "--handoff", "2026-02-30T09:00"}, 2, "day 30 out of range"},
		{[]string{"schedule", "add", "second", "--tz", "UTC", "--shift", "24h", "--handoff", "2026-01-05T09:00", "--members", "alice,zed"}, 3, `no engineer "zed"`},
		{[]string{"schedule", "add", "primary", "--tz", "UTC", "--shift", "24h", "--handoff", "2026-01-05T09:00"}, 3, "schedule primary already exists"},
		{[]string{"schedule", "add", "second", "--shift", "24h", "--handoff", "2026-01-05T09:00"}, 2, "--tz is required"},
		{[]string{"schedule", "show", "nope"}, 3, `no schedule "nope"`},
		{[]string{"schedule", "show", "primary", "--next", "0"}, 2, "--next 0 must be from 1 to 1000"},
		{[]string{"schedule", "remove", "primary"}, 3, "schedule primary is named by escalation policy oncall step 1"},
		{[]string{"override", "add", "--schedule", "nope", "--engineer", "bob", "--from", "2026-12-01T09:00", "--to", "2026-12-02T09:00"}, 3, `no schedule "nope"`},
		{[]string{"override", "add", "--schedule", "primary", "--engineer", "zed", "--from", "2026-12-01T09:00", "--to", "2026-12-02T09:00"}, 3, `no engineer "zed"`},
		{[]string{"override", "add", "--schedule", "primary", "--engineer", "bob", "--from", "2026-12-02T09:00", "--to", "2026-12-01T09:00"}, 2, "must end after it starts"},
		{[]string{"override", "add", "--schedule", "primary", "--engineer", "bob", "--from", "2026-12-01T09:00", "--to", "2026-12-01T09:00"}, 2, "must end after it starts"},
		{[]string{"override", "add", "--schedule", "primary", "--engineer", "bob", "--from", "noon", "--to", "2026-12-01T09:00"}, 2, "nor a wall-clock time YYYY-MM-DDTHH:MM in America/Denver"},
		{[]string{"override", "add", "--schedule", "primary", "--engineer", "bob", "--from", "2020-01-01T09:00", "--to", "2020-01-02T09:00"}, 2, "the override would end 2020-01-02T09:00:00-07:00, which is already past"},
		{[]string{"engineer", "set", "alice"}, 2, "give at least one of --name, --phone, --email or --sms"},
		{[]string{"engineer", "set", "alice", "--sms", "maybe"}, 2, `--sms takes on or off, not "maybe"`},
		{[]string{"engineer", "set", "alice", "--phone", "720-555-0100"}, 2, "must be in E.164 form"},
		{[]string{"engineer", "set", "alice", "--name", ""}, 2, "engineer name is required"},
		{[]string{"engineer", "set", "alice", "--email", "alice at example"}, 2, "is not an email address"},
		{[]string{"engineer", "set", "zed", "--phone", "+17205550100"}, 3, `no engineer "zed"`},
		{[]string{"override", "remove", "x"}, 2, `override ID "x" is not a positive number`},
		{[]string{"oncall", "--at", "now"}, 2, `--at "now" is not an RFC 3339 time`},
	} {
		code, out, errs := c.run(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || strings.Count(errs, "\n") != 1 || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.msg)
		}
	}
	if n := c.count("engineer", "list"); n != 2 {
		t.Errorf("engineers after bad input = %d, want 2", n)
	}
	if n := c.count("schedule", "list"); n != 1 {
		t.Errorf("schedules after bad input = %d, want 1", n)
	}
	if n := c.count("override", "list", "--all"); n != 0 {
		t.Errorf("overrides after bad input = %d, want 0", n)
	}
}

func TestCheckReportsMissingSchedules(t *testing.T) {
	c := newCLI(t)
	t.Run("without a database the check is skipped", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")
		code, out, errs := c.run("check", "--db", missing)
		if code != 0 || !strings.Contains(out, "ok: (built-in default)") || !strings.Contains(out, "database check skipped: cannot open the database") {
			t.Fatalf("check without a database: %d %q %q", code, out, errs)
		}
	})
	twoEngineers(c)
	code, out, errs := c.run("check")
	for _, want := range []string{
		`(built-in default): escalation_policies.desk.steps[0].schedule: escalation policy desk step 1 names schedule "desk", which is not in the database`,
		`(built-in default): escalation_policies.oncall.steps[1].schedule: escalation policy oncall step 2 names schedule "secondary", which is not in the database`,
		"2 problem(s) in the policy file\n",
	} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Fatalf("check with missing schedules: exit %d, stderr lacks %q:\n%s%s", code, want, out, errs)
		}
	}
	if strings.Contains(errs, "steps[0].schedule: escalation policy oncall") {
		t.Fatalf("primary exists but is reported:\n%s", errs)
	}
	c.mustRun("schedule", "add", "secondary", "--tz", "America/Denver", "--shift", "168h", "--handoff", "2026-11-16T09:00", "--members", "bob")
	c.mustRun("schedule", "add", "desk", "--tz", "America/Denver", "--shift", "24h", "--handoff", "2026-11-16T09:00")
	out = c.mustRun("check")
	if !strings.Contains(out, "ok: (built-in default)") || !strings.Contains(out, "every schedule named is present") {
		t.Fatalf("check with every schedule: %q", out)
	}
	var js struct {
		Database struct {
			Checked bool
			Missing []string
		}
	}
	if err := json.Unmarshal([]byte(c.mustRun("check", "--json")), &js); err != nil || !js.Database.Checked || len(js.Database.Missing) != 0 {
		t.Fatalf("check --json: %+v %v", js, err)
	}
}

// lastAudit is the newest audit event, through the CLI.
func lastAudit(c *cli) struct{ Actor, Action, Subject, Detail string } {
	c.t.Helper()
	var evs []struct{ Actor, Action, Subject, Detail string }
	if err := json.Unmarshal([]byte(c.mustRun("audit", "list", "--json")), &evs); err != nil || len(evs) == 0 {
		c.t.Fatalf("audit list --json: %d events, %v", len(evs), err)
	}
	return evs[len(evs)-1]
}

func TestEngineerSet(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	if ev := lastAudit(c); ev.Action != "schedule.add" || !strings.Contains(ev.Detail, " shift=168h ") {
		t.Fatalf("schedule.add audit detail %q, want shift=168h (not Go's 168h0m0s)", ev.Detail)
	}
	out := c.mustRun("engineer", "set", "bob", "--phone", "+1 720 555 0199")
	if out != "engineer bob: phone +17205550112 -> +17205550199\n" {
		t.Fatalf("engineer set: %q", out)
	}
	if ev := lastAudit(c); ev.Actor != "tester" || ev.Action != "engineer.set" || ev.Subject != "engineer bob" || ev.Detail != "phone +17205550112 -> +17205550199" {
		t.Fatalf("audit event %+v", ev)
	}
	// The next call's route dials the new number.
	if out := c.mustRun("route", "explain", "--plan", "premium", "--priority", "1", "--at", "2026-11-24T03:00:00-07:00"); !strings.Contains(out, "bob (Bob Li) +17205550199") {
		t.Fatalf("route after the phone change:\n%s", out)
	}
	var res struct {
		Engineer struct {
			Name, Phone, Email string
			SMS                bool
		}
		Changes []struct{ Field, Old, New string }
	}
	js := c.mustRun("engineer", "set", "bob", "--sms", "off", "--email", "", "--json")
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	if res.Engineer.Name != "Bob Li" || res.Engineer.Phone != "+17205550199" || res.Engineer.SMS || res.Engineer.Email != "" ||
		len(res.Changes) != 2 || res.Changes[0].Field != "email" || res.Changes[0].Old != "bob@example.com" || res.Changes[1] != (struct{ Field, Old, New string }{"sms", "on", "off"}) {
		t.Fatalf("engineer set --json: %s", js)
	}
	if out := c.mustRun("engineer", "set", "bob", "--sms", "off"); out != "engineer bob unchanged (it already had those values)\n" {
		t.Fatalf("unchanged: %q", out)
	}
	if ev := lastAudit(c); ev.Detail != "email bob@example.com -> (none); sms on -> off" {
		t.Fatalf("an unchanged engineer was audited, or the detail is %q", ev.Detail)
	}
}

func TestOverrideFromThePastStartsNow(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	out := c.mustRun("override", "add", "--schedule", "primary", "--engineer", "bob", "--from", "2020-01-01T09:00", "--to", "2099-01-01T09:00")
	if !strings.HasPrefix(out, "override #1: bob covers primary from ") ||
		!strings.HasSuffix(out, " until Thu 2099-01-01 09:00 MST\nthe start asked for, Wed 2020-01-01 09:00 MST, was already past: the override starts now\n") {
		t.Fatalf("override add: %q", out)
	}
	var o struct {
		From       time.Time
		StartedNow bool   `json:"started_now"`
		AskedFrom  string `json:"asked_from"`
	}
	js := c.mustRun("override", "add", "--schedule", "primary", "--engineer", "alice", "--from", "2020-01-01T09:00:00Z", "--to", "2099-01-01T09:00", "--json")
	if err := json.Unmarshal([]byte(js), &o); err != nil || !o.StartedNow || o.AskedFrom != "2020-01-01T09:00:00Z" || time.Since(o.From) > time.Minute {
		t.Fatalf("override add --json: %s %v", js, err)
	}
	// A moment on, so that the second truncated away by RFC 3339 is not
	// before the newest override began.
	if cv := coverageAt(c, time.Now().Add(2*time.Second).UTC().Format(time.RFC3339), "primary"); cv["engineer"] != "alice" {
		t.Fatalf("on call now: %v, want alice by the newest override", cv)
	}
}

func TestScheduleRemoveForce(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	if code, _, errs := c.run("schedule", "remove", "primary"); code != 3 ||
		errs != "error: schedule primary is named by escalation policy oncall step 1 in (built-in default); live calls would skip it, so it is removed only when forced (--force)\n" {
		t.Fatalf("schedule remove primary: %d %q", code, errs)
	}
	if out := c.mustRun("schedule", "remove", "primary", "--force"); out != "schedule primary removed\n" {
		t.Fatalf("schedule remove --force: %q", out)
	}
	if ev := lastAudit(c); ev.Action != "schedule.remove" || !strings.Contains(ev.Detail, "forced, named by escalation policy oncall step 1") {
		t.Fatalf("audit event %+v", ev)
	}
	if n := c.count("schedule", "list"); n != 0 {
		t.Fatalf("schedules after forced remove = %d", n)
	}
}
