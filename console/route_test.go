package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// routeExplanation is the explanation the route page shows, as text.
func routeExplanation(t *testing.T, p page) string {
	t.Helper()
	i := strings.Index(p.Body, `<pre class="explain">`)
	if i < 0 {
		t.Fatalf("no explanation:\n%s", p.Body)
	}
	rest := p.Body[i+len(`<pre class="explain">`):]
	return html.UnescapeString(rest[:strings.Index(rest, "</pre>")])
}

func TestRoutePage(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	// Wednesday 2027-03-10 15:00 UTC is 10:00 in New York: business hours.
	h.clock.Set(time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC))
	if _, err := h.srv.OnCall.AddSchedule(ctx, "setup", oncall.NewSchedule{Name: "primary", Timezone: "America/Denver",
		Shift: 168 * time.Hour, Handoff: oncall.Civil{Year: 2027, Month: 3, Day: 1, Hour: 9}, Members: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	viewer := h.signedIn("viewer@example.com")

	viewer.get("/route").want(t, http.StatusOK).
		has(t, `<label for="route-plan">`, `<option value="enterprise">`, `<option value="1">`,
			"When the call comes in (UTC; empty is now)", `value="2027-03-10T15:00"`, "Choose a plan and a priority, then Explain").
		lacks(t, `class="explain"`)

	// The same words as `route explain` (Route.Explain of Routing.Explain)
	// for the same question: live, voicemail and refused.
	for _, tc := range []struct {
		name, plan, priority, at string
		want                     time.Time
		kind                     string
	}{
		{"live now", "enterprise", "1", "", time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC), "be dialled live"},
		{"out of hours", "enterprise", "2", "2027-03-13T15:00", time.Date(2027, 3, 13, 15, 0, 0, 0, time.UTC), "go to voicemail"},
		{"no phone support", "standard", "1", "2027-03-10T15:00:00Z", time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC), "be refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			level, _ := strconv.Atoi(tc.priority)
			r, err := h.srv.Routing.Explain(ctx, tc.plan, level, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			p := viewer.get("/route?"+url.Values{"plan": {tc.plan}, "priority": {tc.priority}, "at": {tc.at}}.Encode()).
				want(t, http.StatusOK).has(t, "The call would "+tc.kind)
			if got := routeExplanation(t, p); got != r.Explain() {
				t.Errorf("the page says\n%s\nroute explain says\n%s", got, r.Explain())
			}
			p.has(t, `<option value="`+tc.plan+`" selected>`)
		})
	}
	p := viewer.get("/route?plan=enterprise&priority=1&at=")
	if !strings.Contains(routeExplanation(t, p), "alice (Alice) +17205550111") {
		t.Errorf("the live answer does not dial alice:\n%s", routeExplanation(t, p))
	}

	for _, tc := range []struct {
		name, query, input, msg string
	}{
		{"no plan", "plan=&priority=1", "route-plan", "Plan is required (plans: enterprise, managed, poc, standard)"},
		{"unknown plan", "plan=gold&priority=1", "route-plan", "Unknown plan &#34;gold&#34;"},
		{"no priority", "plan=enterprise&priority=", "route-priority", "Priority is required"},
		{"bad priority", "plan=enterprise&priority=high", "route-priority", "Priority &#34;high&#34; is not a priority level"},
		{"unknown priority", "plan=enterprise&priority=9", "route-priority", "Plan enterprise has no priority 9 (it has 1, 2, 3, 4)"},
		{"bad instant", "plan=enterprise&priority=1&at=tomorrow", "route-at", "At &#34;tomorrow&#34; is not a date and time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := viewer.get("/route?"+tc.query).want(t, http.StatusBadRequest).lacks(t, `class="explain"`, "Choose a plan and a priority, then")
			ocNear(t, p, tc.input, tc.msg)
		})
	}
}
