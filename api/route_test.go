package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// The route answer is routing.Route's JSON (what `route explain --json`
// prints) plus the explanation the CLI prints without --json.
func TestAPIRouteExplain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newOnCallHarness(t, db)
		ctx := context.Background()
		h.do("POST", "/schedules", h.admin, map[string]any{"name": "primary", "timezone": "America/New_York", "shift": "168h",
			"handoff": "2026-11-16T09:00", "members": []string{"alice"}}).want(t, http.StatusCreated)

		for _, tc := range []struct {
			name, query string
			kind        routing.Kind
			steps       string
		}{
			// Tuesday 2026-11-24 15:00 in New York: alice on primary,
			// secondary (named by the policy) is not in the database.
			{"urgent: live, always", "plan=enterprise&priority=1&at=2026-11-24T15:00:00-05:00", routing.Live, "alice"},
			// Desk is missing: the business-hours call goes through primary.
			{"high: live in business hours", "plan=enterprise&priority=2&at=2026-11-24T15:00:00-05:00", routing.Live, "alice"},
			// Saturday: outside the business calendar.
			{"high on a Saturday: voicemail", "plan=managed&priority=2&at=2026-11-28T15:00:00-05:00", routing.Voicemail, ""},
			{"no phone support: refused", "plan=poc&priority=1&at=2026-11-24T15:00:00-05:00", routing.Refuse, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := h.do("GET", "/route/explain?"+tc.query, h.viewer, nil).want(t, http.StatusOK)
				var got map[string]any
				res.JSON(t, &got)
				explanation, _ := got["explanation"].(string)
				delete(got, "explanation")

				// What the CLI decides and prints for the same question.
				q := map[string]string{}
				for _, kv := range strings.Split(tc.query, "&") {
					k, v, _ := strings.Cut(kv, "=")
					q[k] = v
				}
				at, _ := time.Parse(time.RFC3339, q["at"])
				priority := int(q["priority"][0] - '0')
				var want routing.Route
				err := db.InTx(ctx, func(tx *store.Tx) error {
					roster, err := oncall.Snapshot(ctx, tx, at, at)
					if err != nil {
						return err
					}
					want, err = routing.Decide(routing.NewInput(h.srv.Policy, q["plan"], priority, at, roster))
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if want.Kind != tc.kind {
					t.Fatalf("the test's premise: %s is %s, want %s", tc.query, want.Kind, tc.kind)
				}
				raw, _ := json.Marshal(want)
				var wantJSON map[string]any
				_ = json.Unmarshal(raw, &wantJSON)
				if wantJSON["steps"] == nil {
					wantJSON["steps"] = []any{}
				}
				gotRaw, _ := json.Marshal(got)
				wantRaw, _ := json.Marshal(wantJSON)
				if string(gotRaw) != string(wantRaw) {
					t.Errorf("route\n%s, want the CLI's\n%s", gotRaw, wantRaw)
				}
				if explanation != want.Explain() {
					t.Errorf("explanation\n%s, want\n%s", explanation, want.Explain())
				}
				var handles []string
				for _, s := range want.Steps {
					handles = append(handles, s.Handle)
				}
				if strings.Join(handles, ",") != tc.steps {
					t.Errorf("steps %v, want %s", handles, tc.steps)
				}
			})
		}

		var live struct {
			Steps []struct {
				Handle, Ring, Schedule string
				PolicyStep             int `json:"policy_step"`
			}
			Reasons []string
		}
		h.do("GET", "/route/explain?plan=enterprise&priority=1&at=2026-11-24T15:00:00-05:00", h.engineer, nil).want(t, http.StatusOK).JSON(t, &live)
		if len(live.Steps) != 1 || live.Steps[0].Ring != "20s" || live.Steps[0].Schedule != "primary" || live.Steps[0].PolicyStep != 1 ||
			!strings.Contains(strings.Join(live.Reasons, "\n"), "secondary") {
			t.Errorf("live route %+v", live)
		}
		// Now (the store's frozen Wednesday 2026-11-18 10:00 in New York)
		// when at is left out.
		var now struct{ At time.Time }
		h.do("GET", "/route/explain?plan=enterprise&priority=1", h.viewer, nil).want(t, http.StatusOK).JSON(t, &now)
		if !now.At.Equal(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)) {
			t.Errorf("at %s, want the store's now", now.At)
		}
	})
}

func TestAPISLA(t *testing.T) {
	h := newOnCallHarness(t, storetest.Open(t, store.SQLite))
	// Friday 2024-06-14 16:00 in Denver is 18:00 in New York: after the
	// business calendar's close, so the 6h clock starts Monday 08:00.
	const q = "plan=standard&priority=1&opened=2024-06-14T16:00:00-06:00"
	opened := time.Date(2024, 6, 14, 22, 0, 0, 0, time.UTC)
	pr, err := tickets.PromiseOf(h.srv.Policy, "standard", 1)
	if err != nil {
		t.Fatal(err)
	}
	wantDue := pr.Due(opened)
	if !wantDue.Equal(time.Date(2024, 6, 17, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("the test's premise: due %s", wantDue)
	}

	var due struct{ Due, Target, Calendar, Opened string }
	h.do("GET", "/sla/due?"+q, h.viewer, nil).want(t, http.StatusOK).JSON(t, &due)
	if due.Due != "2024-06-17T14:00:00-04:00" || due.Target != "6h" || due.Calendar != "business" || due.Opened != "2024-06-14T16:00:00-06:00" {
		t.Errorf("due %+v", due)
	}

	var ex struct {
		Plan      string
		Priority  int
		Target    string
		Calendar  string
		Opened    string
		Due       string
		WarnAt    string `json:"warn_at"`
		Intervals []struct{ Start, End, Duration string }
		Total     string
	}
	h.do("GET", "/sla/explain?"+q, h.engineer, nil).want(t, http.StatusOK).JSON(t, &ex)
	if ex.Plan != "standard" || ex.Priority != 1 || ex.Due != due.Due || ex.Opened != "2024-06-14T18:00:00-04:00" || ex.Total != "6h" ||
		len(ex.Intervals) != 1 || ex.Intervals[0].Start != "2024-06-17T08:00:00-04:00" || ex.Intervals[0].Duration != "6h" ||
		!strings.Contains(ex.Calendar, "business") {
		t.Errorf("explain %+v", ex)
	}
	if warn, err := time.Parse(time.RFC3339, ex.WarnAt); err != nil || !warn.After(time.Date(2024, 6, 17, 12, 0, 0, 0, time.UTC)) || !warn.Before(wantDue) {
		t.Errorf("warn_at %s", ex.WarnAt)
	}

	for _, tc := range []struct {
		name, path, token string
		status            int
		detail            string
	}{
		{"no token", "/sla/due?" + q, "", http.StatusUnauthorized, ""},
		{"route: no token", "/route/explain?plan=poc&priority=1", "", http.StatusUnauthorized, ""},
		{"no plan", "/sla/due?priority=1&opened=2024-06-14T16:00:00-06:00", h.viewer, http.StatusBadRequest, "plan is required (plans: "},
		{"no priority", "/sla/explain?plan=standard&opened=2024-06-14T16:00:00-06:00", h.viewer, http.StatusBadRequest, "priority is required"},
		{"priority not a number", "/sla/due?plan=standard&priority=high&opened=2024-06-14T16:00:00-06:00", h.viewer, http.StatusBadRequest, `priority "high"`},
		{"no opened", "/sla/due?plan=standard&priority=1", h.viewer, http.StatusBadRequest, "opened is required"},
		{"bad opened", "/sla/due?plan=standard&priority=1&opened=yesterday", h.viewer, http.StatusBadRequest, `opened "yesterday"`},
		{"unknown plan", "/sla/due?plan=gold&priority=1&opened=2024-06-14T16:00:00-06:00", h.viewer, http.StatusBadRequest, `unknown plan "gold"`},
		{"unknown priority", "/sla/explain?plan=standard&priority=9&opened=2024-06-14T16:00:00-06:00", h.viewer, http.StatusBadRequest, "9"},
		{"route: no plan", "/route/explain?priority=1", h.viewer, http.StatusBadRequest, "plan is required"},
		{"route: no priority", "/route/explain?plan=enterprise", h.viewer, http.StatusBadRequest, "priority is required"},
		{"route: unknown plan", "/route/explain?plan=gold&priority=1", h.viewer, http.StatusBadRequest, "gold"},
		{"route: unknown priority", "/route/explain?plan=enterprise&priority=9", h.viewer, http.StatusBadRequest, "9"},
		{"route: bad at", "/route/explain?plan=enterprise&priority=1&at=noon", h.viewer, http.StatusBadRequest, `at "noon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := h.do("GET", tc.path, tc.token, nil).want(t, tc.status).Problem(t)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("problem %q, want %q", p.Detail, tc.detail)
			}
		})
	}
}
