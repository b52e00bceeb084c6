package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// `supportline coverage` and check's warnings, on a roster whose primary
// rotation covers Severity 1 at every hour, whose secondary has no members
// and whose desk has nobody at all: every business day is a gap of the
// desk's promises (premium Severity 2 and 3), and nothing else is.
func TestCoverageCommand(t *testing.T) {
	c := newCLI(t)
	twoEngineers(c)
	c.mustRun("schedule", "add", "secondary", "--tz", "America/Denver", "--shift", "168h", "--handoff", "2026-11-16T09:00")
	c.mustRun("schedule", "add", "desk", "--tz", "America/Denver", "--shift", "24h", "--handoff", "2026-11-16T09:00")

	out := c.mustRun("coverage", "--days", "14")
	for _, want := range []string{
		"(14 days)",
		"premium severity 2 (Major), premium severity 3 (Minor), for 8h: schedule desk: nobody on call from ",
		" 09:00 MST to ",
		" 17:00 MST: the rotation has no members\n",
		"schedules:\n  - schedule desk has no members: only overrides staff it",
		"  - schedule secondary has no members",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("coverage lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "severity 1") {
		t.Errorf("Severity 1 is covered by primary at every hour, yet:\n%s", out)
	}

	var js struct {
		Days int
		Gaps []struct {
			Calendar, Policy, Why string
			Breaks                []struct{ Plan string }
		}
		Schedules []struct{ Schedule, Problem string }
	}
	if err := json.Unmarshal([]byte(c.mustRun("coverage", "--json")), &js); err != nil {
		t.Fatal(err)
	}
	// 90 days from any instant hold 61 to 65 weekdays, less up to 5 holidays.
	if js.Days != 90 || len(js.Gaps) < 55 || len(js.Gaps) > 65 {
		t.Errorf("coverage --json: %d days, %d gaps; want 90 days and about 60 business days", js.Days, len(js.Gaps))
	}
	for _, g := range js.Gaps {
		if g.Calendar != "business" || g.Policy != "desk" || len(g.Breaks) != 2 {
			t.Errorf("gap %+v, want only the desk's business days", g)
		}
	}
	if len(js.Schedules) != 2 || js.Schedules[0].Schedule != "desk" || js.Schedules[0].Problem != "no-members" {
		t.Errorf("schedules %+v, want desk and secondary without members", js.Schedules)
	}

	out = c.mustRun("check")
	if !strings.Contains(out, "every schedule named is present\nwarning: coverage gap for premium severity 2 (Major), premium severity 3 (Minor): schedule desk: nobody on call from ") {
		t.Errorf("check does not warn about the desk's gaps:\n%s", out)
	}
	if n := strings.Count(out, "warning: "); n < 8 || n > 11 {
		t.Errorf("check warns %d times; want one per business day of 14 days:\n%s", n, out)
	}

	for _, days := range []string{"0", "367", "-1"} {
		code, out, errs := c.run("coverage", "--days", days)
		if code != 2 || out != "" || !strings.Contains(errs, "--days must be from 1 to 366, not "+days) {
			t.Errorf("--days %s: exit %d, %q %q; want exit 2", days, code, out, errs)
		}
	}
	if code, _, errs := c.run("coverage", "--days", "many"); code != 2 || !strings.Contains(errs, "--days") {
		t.Errorf("--days many: exit %d, %q; want exit 2", code, errs)
	}
}
