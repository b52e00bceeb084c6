package console_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// The coverage page shows Routing.Coverage's gaps in the live calendar's
// zone with their reasons, and the schedules that cannot staff
// themselves; days outside 1-366 are refused next to the field.
func TestCoveragePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		// Four-tier catalog; Wednesday 2027-03-10 15:00 UTC is 10:00 in New York.
		h.clock.Set(time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC))
		for _, s := range []oncall.NewSchedule{
			{Name: "primary", Timezone: "America/New_York", Shift: 168 * time.Hour, Handoff: oncall.Civil{Year: 2027, Month: 3, Day: 1, Hour: 9}, Members: []string{"alice"}},
			{Name: "secondary", Timezone: "America/New_York", Shift: 168 * time.Hour, Handoff: oncall.Civil{Year: 2027, Month: 3, Day: 1, Hour: 9}},
			{Name: "desk", Timezone: "America/New_York", Shift: 24 * time.Hour, Handoff: oncall.Civil{Year: 2027, Month: 3, Day: 12, Hour: 8}, Members: []string{"alice"}},
		} {
			if _, err := h.srv.OnCall.AddSchedule(ctx, "setup", s); err != nil {
				t.Fatal(err)
			}
		}
		viewer := h.signedIn("viewer@example.com")
		before := h.rows()
		// primary (alice) covers every hour through both steps' policies, so
		// the desk's not-started rotation leaves no gap either.
		viewer.get("/coverage?days=7").want(t, http.StatusOK).
			has(t, `<a href="/coverage" aria-current="page">Coverage gaps</a>`, "(7 days)",
				"No gaps: every plan and priority routed live has someone to dial",
				"schedule secondary has no members",
				"the rotation of desk has not started: it starts Fri 2027-03-12 08:00 EST")

		// Take alice off primary and cover it by an override until Thursday
		// noon: from then on the business hours have nobody (the desk has
		// not started), and neither has the 24x7 policy.
		if _, err := h.srv.OnCall.SetMembers(ctx, "setup", "primary", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.srv.OnCall.AddOverride(ctx, "setup", oncall.NewOverride{Schedule: "primary", Engineer: "alice",
			From: "2027-03-10T10:00", To: "2027-03-11T12:00"}); err != nil {
			t.Fatal(err)
		}
		before = h.rows()
		viewer.get("/coverage").want(t, http.StatusOK).
			has(t, "(90 days)", `<td data-label="Length">5h</td>`,
				"escalation policy desk: nobody to dial from Thu 2027-03-11 12:00 EST to Thu 17:00 EST: schedule desk: nobody on call: the rotation has not started (it starts Fri 2027-03-12 08:00 EST); schedule primary: nobody on call: override #1 ended and the rotation has no members",
				"enterprise priority 2 (High), enterprise priority 3 (Medium)").
			lacks(t, "No gaps")

		for _, bad := range []string{"0", "367", "many"} {
			viewer.get("/coverage?days="+bad).want(t, http.StatusBadRequest).
				has(t, `<span class="field-error" role="alert">Days must be from 1 to 366, not &#34;`+bad+`&#34;</span>`)
		}
		h.unchanged(before, "reading coverage")
	})
}
