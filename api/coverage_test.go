package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// GET /coverage is `supportline coverage --json` plus the CLI's words, for
// every role that may read; days out of 1-366 is 400 with nothing changed.
// coverageOperations is how many operations coverage.go registers:
// TestAPIOpenAPIDocument counts them.
const coverageOperations = 1

func TestAPICoverage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		// The four-tier catalog: enterprise Urgent is live at any hour on
		// primary then secondary; desk is missing. primary has only alice
		// from Monday 2026-11-23 09:00 New York.
		handoff, err := oncall.ParseCivil("2026-11-23T09:00")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.srv.OnCall.AddSchedule(ctx, "setup", oncall.NewSchedule{Name: "primary", Timezone: "America/New_York",
			Shift: 168 * time.Hour, Handoff: handoff, Members: []string{"alice"}}); err != nil {
			t.Fatal(err)
		}
		var got struct {
			From, To    time.Time
			Days        int
			Explanation string
			Gaps        []struct {
				Start, End       time.Time
				Calendar, Policy string
				Why              string
				Breaks           []struct{ Plan string }
			}
			Schedules []struct{ Schedule, Problem string }
		}
		// The database's clock is frozen at 2026-11-18T15:00Z (10:00 in New York).
		h.do("GET", "/coverage?days=7", h.viewer, nil).want(t, http.StatusOK).JSON(t, &got)
		if got.Days != 7 || !got.From.Equal(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)) {
			t.Errorf("window from %s, %d days", got.From, got.Days)
		}
		var always string
		for _, g := range got.Gaps {
			if g.Calendar == "always" {
				always += g.Start.Format(time.RFC3339) + "/" + g.End.Format(time.RFC3339) + " " + g.Why + "\n"
			}
		}
		want := "2026-11-18T10:00:00-05:00/2026-11-23T09:00:00-05:00 escalation policy oncall: nobody to dial from Wed 2026-11-18 10:00 EST to Mon 09:00 EST: " +
			"schedule primary: nobody on call: the rotation has not started (it starts Mon 2026-11-23 09:00 EST); " +
			"schedule secondary: nobody on call: schedule secondary is not in the database (add it with supportline schedule add)\n"
		if always != want {
			t.Errorf("24x7 gaps\n%s\nwant\n%s", always, want)
		}
		if !strings.Contains(got.Explanation, "enterprise priority 1 (Urgent), managed priority 1 (Urgent), for 119h:") {
			t.Errorf("explanation lacks the 24x7 gap:\n%s", got.Explanation)
		}
		if len(got.Schedules) != 3 {
			t.Errorf("schedule issues %+v, want desk and secondary missing and primary not started", got.Schedules)
		}
		h.do("GET", "/coverage", h.engineer, nil).want(t, http.StatusOK).JSON(t, &got)
		if got.Days != 90 {
			t.Errorf("default days %d, want 90", got.Days)
		}

		before := h.rows()
		for _, q := range []string{"days=0", "days=367", "days=-5", "days=ninety"} {
			if p := h.do("GET", "/coverage?"+q, h.admin, nil).want(t, http.StatusBadRequest).Problem(t); p.Status != http.StatusBadRequest {
				t.Errorf("%s: %+v", q, p)
			}
		}
		h.unchanged(before, "bad coverage queries")
	})
}
