package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/store"
	"supportline/store/storetest"
)

// The JSON of the on-call operations, as a client reads it.
type (
	engineerJSON struct {
		Handle    string   `json:"handle"`
		Name      string   `json:"name"`
		Phone     string   `json:"phone"`
		SMS       bool     `json:"sms"`
		Email     string   `json:"email"`
		Schedules []string `json:"schedules"`
	}
	scheduleJSON struct {
		Name         string   `json:"name"`
		Timezone     string   `json:"timezone"`
		Shift        string   `json:"shift"`
		ShiftMinutes int64    `json:"shift_minutes"`
		Handoff      string   `json:"handoff"`
		Members      []string `json:"members"`
	}
	coverageJSON struct {
		Schedule string    `json:"schedule"`
		Engineer string    `json:"engineer"`
		Since    time.Time `json:"since"`
		Until    time.Time `json:"until"`
		Override int64     `json:"override"`
		Nobody   string    `json:"nobody"`
	}
	overrideJSON struct {
		ID         int64     `json:"id"`
		Schedule   string    `json:"schedule"`
		Engineer   string    `json:"engineer"`
		From       time.Time `json:"from"`
		To         time.Time `json:"to"`
		CreatedBy  string    `json:"created_by"`
		StartedNow bool      `json:"started_now"`
	}
)

// onCallOperations is how many operations oncall.go and route.go add:
// engineers 5, schedules 6, overrides 3, on call 1, route and SLA 3.
const onCallOperations = 18

// newOnCallHarness is the harness with the policy the route and SLA
// questions read (the harness's on-call service has it already).
func newOnCallHarness(t *testing.T, db *store.DB) *harness {
	t.Helper()
	h := newHarness(t, db)
	h.srv.Policy = h.srv.OnCall.Policy
	return h
}

// Wednesday 2026-11-18 15:00 UTC is the store's frozen now; the schedules
// hand off on Mondays at 09:00 in Denver (16:00 UTC in November).
func TestAPIEngineersSchedulesOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newOnCallHarness(t, db)
		ctx := context.Background()

		var bob, carol engineerJSON
		h.do("POST", "/engineers", h.admin, map[string]any{"handle": "bob", "name": "Bob", "phone": "+1 720 555 0112"}).
			want(t, http.StatusCreated).JSON(t, &bob)
		if bob.Handle != "bob" || bob.Phone != "+17205550112" || !bob.SMS || bob.Schedules == nil {
			t.Errorf("added %+v", bob)
		}
		h.do("POST", "/engineers", h.admin, map[string]any{"handle": "carol", "name": "Carol", "phone": "+17205550113", "sms": false, "email": "carol@example.com"}).
			want(t, http.StatusCreated).JSON(t, &carol)
		if carol.SMS || carol.Email != "carol@example.com" {
			t.Errorf("added %+v", carol)
		}
		var changed struct {
			Engineer engineerJSON
			Changes  []struct{ Field, Old, New string }
		}
		h.do("PATCH", "/engineers/bob", h.admin, map[string]any{"phone": "+17205550199", "sms": true}).want(t, http.StatusOK).JSON(t, &changed)
		if changed.Engineer.Phone != "+17205550199" || len(changed.Changes) != 1 || changed.Changes[0].Field != "phone" {
			t.Errorf("change %+v", changed)
		}
		h.do("PATCH", "/engineers/bob", h.admin, map[string]any{"phone": "+17205550199"}).want(t, http.StatusOK).JSON(t, &changed)
		if len(changed.Changes) != 0 {
			t.Errorf("the same value is a change: %+v", changed.Changes)
		}

		var sch scheduleJSON
		h.do("POST", "/schedules", h.admin, map[string]any{"name": "primary", "timezone": "America/Denver", "shift": "168h",
			"handoff": "2026-11-16T09:00", "members": []string{"alice", "bob"}}).want(t, http.StatusCreated).JSON(t, &sch)
		if sch.Name != "primary" || sch.Timezone != "America/Denver" || sch.Shift != "168h" || sch.ShiftMinutes != 10080 ||
			sch.Handoff != "2026-11-16T09:00" || strings.Join(sch.Members, ",") != "alice,bob" {
			t.Errorf("added %+v", sch)
		}
		for _, name := range []string{"desk", "backup"} {
			h.do("POST", "/schedules", h.admin, map[string]any{"name": name, "timezone": "America/Denver", "shift": "24h",
				"handoff": "2026-11-16T09:00", "members": []string{"bob"}}).want(t, http.StatusCreated)
		}
		h.do("PUT", "/schedules/backup/members", h.admin, map[string]any{"members": []string{"carol"}}).want(t, http.StatusOK).JSON(t, &sch)
		if strings.Join(sch.Members, ",") != "carol" {
			t.Errorf("set members %+v", sch)
		}
		var schedules struct{ Schedules []scheduleJSON }
		h.do("GET", "/schedules", h.viewer, nil).want(t, http.StatusOK).JSON(t, &schedules)
		if len(schedules.Schedules) != 3 || schedules.Schedules[0].Name != "backup" {
			t.Errorf("list %+v", schedules)
		}
		h.do("GET", "/schedules/primary", h.viewer, nil).want(t, http.StatusOK).JSON(t, &sch)
		var engineers struct{ Engineers []engineerJSON }
		h.do("GET", "/engineers", h.viewer, nil).want(t, http.StatusOK).JSON(t, &engineers)
		if len(engineers.Engineers) != 3 || engineers.Engineers[1].Handle != "bob" || strings.Join(engineers.Engineers[1].Schedules, ",") != "desk,primary" {
			t.Errorf("engineers %+v", engineers)
		}
		var got engineerJSON
		h.do("GET", "/engineers/alice", h.viewer, nil).want(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Alice" || strings.Join(got.Schedules, ",") != "primary" {
			t.Errorf("get %+v", got)
		}

		// An engineer overrides a schedule they are a member of.
		var own overrideJSON
		h.do("POST", "/overrides", h.engineer, map[string]any{"schedule": "primary", "engineer": "alice",
			"from": "2026-11-24T09:00", "to": "2026-11-25T09:00:00-07:00"}).want(t, http.StatusCreated).JSON(t, &own)
		if own.ID == 0 || own.CreatedBy != "token:alice.phone" || own.From != time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC) || own.StartedNow {
			t.Errorf("override %+v", own)
		}
		var admins overrideJSON
		h.do("POST", "/overrides", h.admin, map[string]any{"schedule": "desk", "engineer": "carol",
			"from": "2026-11-18T08:00:00Z", "to": "2026-11-19T09:00"}).want(t, http.StatusCreated).JSON(t, &admins)
		if !admins.StartedNow || admins.From != time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC) {
			t.Errorf("an override starting in the past: %+v", admins)
		}

		var shifts struct {
			Schedule scheduleJSON
			Shifts   []coverageJSON
		}
		h.do("GET", "/schedules/primary/shifts?from=2026-11-23T16:00:00Z&n=3", h.viewer, nil).want(t, http.StatusOK).JSON(t, &shifts)
		if shifts.Schedule.Name != "primary" || len(shifts.Shifts) != 3 {
			t.Fatalf("shifts %+v", shifts)
		}
		if s := shifts.Shifts; s[0].Engineer != "bob" || s[1].Engineer != "alice" || s[1].Override != own.ID || s[2].Engineer != "bob" ||
			!s[1].Since.Equal(own.From) || !s[2].Until.Equal(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)) {
			t.Errorf("shifts with the override %+v", s)
		}
		h.do("GET", "/schedules/primary/shifts?from=2026-11-16T16:00:00Z&to=2026-12-01T00:00:00Z", h.viewer, nil).want(t, http.StatusOK).JSON(t, &shifts)
		var who []string
		for _, c := range shifts.Shifts {
			who = append(who, c.Engineer)
		}
		if got := strings.Join(who, " "); got != "alice bob alice bob alice" {
			t.Errorf("shifts of the window: %s", got)
		}
		h.do("GET", "/schedules/primary/shifts", h.viewer, nil).want(t, http.StatusOK).JSON(t, &shifts)
		if len(shifts.Shifts) != 5 || shifts.Shifts[0].Engineer != "alice" || !shifts.Shifts[0].Since.Equal(time.Date(2026, 11, 16, 16, 0, 0, 0, time.UTC)) {
			t.Errorf("the next 5 shifts from now: %+v", shifts.Shifts)
		}

		var oc struct {
			At     time.Time
			OnCall []coverageJSON
		}
		h.do("GET", "/oncall?at=2026-11-24T20:00:00Z", h.viewer, nil).want(t, http.StatusOK).JSON(t, &oc)
		if len(oc.OnCall) != 3 || oc.OnCall[0].Schedule != "backup" || oc.OnCall[0].Engineer != "carol" ||
			oc.OnCall[2].Schedule != "primary" || oc.OnCall[2].Engineer != "alice" || oc.OnCall[2].Override != own.ID ||
			!oc.OnCall[2].Until.Equal(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)) {
			t.Errorf("on call %+v", oc)
		}
		h.do("GET", "/oncall", h.engineer, nil).want(t, http.StatusOK).JSON(t, &oc)
		if !oc.At.Equal(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)) || oc.OnCall[1].Engineer != "carol" || oc.OnCall[1].Override != admins.ID {
			t.Errorf("on call now %+v", oc)
		}

		var overrides struct{ Overrides []overrideJSON }
		h.do("GET", "/overrides", h.viewer, nil).want(t, http.StatusOK).JSON(t, &overrides)
		if len(overrides.Overrides) != 2 || overrides.Overrides[0].ID != admins.ID {
			t.Errorf("overrides %+v", overrides)
		}
		h.do("GET", "/overrides?schedule=primary&all=true", h.viewer, nil).want(t, http.StatusOK).JSON(t, &overrides)
		if len(overrides.Overrides) != 1 || overrides.Overrides[0].ID != own.ID {
			t.Errorf("overrides of primary %+v", overrides)
		}

		t.Run("refused requests change nothing", func(t *testing.T) {
			before := h.rows()
			for _, tc := range []struct {
				name, method, path, token string
				body                      any
				status                    int
				detail                    string
			}{
				{"no token", "GET", "/engineers", "", nil, http.StatusUnauthorized, ""},
				{"viewer adds an engineer", "POST", "/engineers", h.viewer, map[string]any{"handle": "dan", "name": "Dan", "phone": "+17205550114"}, http.StatusForbidden, ""},
				{"engineer adds a schedule", "POST", "/schedules", h.engineer, map[string]any{"name": "mine", "timezone": "UTC", "shift": "24h", "handoff": "2026-11-16T09:00"}, http.StatusForbidden, ""},
				{"viewer adds an override", "POST", "/overrides", h.viewer, map[string]any{"schedule": "primary", "engineer": "alice", "from": "2026-11-26T09:00", "to": "2026-11-27T09:00"}, http.StatusForbidden, ""},
				{"engineer overrides another schedule", "POST", "/overrides", h.engineer, map[string]any{"schedule": "desk", "engineer": "alice", "from": "2026-11-26T09:00", "to": "2026-11-27T09:00"}, http.StatusForbidden, "alice"},
				{"engineer removes another schedule's override", "DELETE", fmt.Sprintf("/overrides/%d", admins.ID), h.engineer, nil, http.StatusForbidden, "desk"},
				{"viewer removes an override", "DELETE", fmt.Sprintf("/overrides/%d", own.ID), h.viewer, nil, http.StatusForbidden, ""},
				{"engineer in a schedule", "DELETE", "/engineers/bob", h.admin, nil, http.StatusConflict, "member of schedule(s) desk, primary"},
				{"schedule named by a policy", "DELETE", "/schedules/primary", h.admin, nil, http.StatusConflict, "named by"},
				{"duplicate engineer", "POST", "/engineers", h.admin, map[string]any{"handle": "bob", "name": "Bob", "phone": "+17205550112"}, http.StatusConflict, "already exists"},
				{"duplicate schedule", "POST", "/schedules", h.admin, map[string]any{"name": "desk", "timezone": "UTC", "shift": "24h", "handoff": "2026-11-16T09:00"}, http.StatusConflict, "already exists"},
				{"unknown engineer", "GET", "/engineers/dan", h.viewer, nil, http.StatusNotFound, `no engineer "dan"`},
				{"change unknown engineer", "PATCH", "/engineers/dan", h.admin, map[string]any{"name": "Dan"}, http.StatusNotFound, "dan"},
				{"remove unknown engineer", "DELETE", "/engineers/dan", h.admin, nil, http.StatusNotFound, "dan"},
				{"unknown schedule", "GET", "/schedules/nope", h.viewer, nil, http.StatusNotFound, `no schedule "nope"`},
				{"shifts of unknown schedule", "GET", "/schedules/nope/shifts", h.viewer, nil, http.StatusNotFound, "nope"},
				{"members of unknown schedule", "PUT", "/schedules/nope/members", h.admin, map[string]any{"members": []string{}}, http.StatusNotFound, "nope"},
				{"unknown member", "PUT", "/schedules/desk/members", h.admin, map[string]any{"members": []string{"bob", "zed"}}, http.StatusNotFound, "zed"},
				{"remove unknown schedule", "DELETE", "/schedules/nope?force=true", h.admin, nil, http.StatusNotFound, "nope"},
				{"overrides of unknown schedule", "GET", "/overrides?schedule=nope", h.viewer, nil, http.StatusNotFound, "nope"},
				{"override of unknown schedule", "POST", "/overrides", h.admin, map[string]any{"schedule": "nope", "engineer": "alice", "from": "2026-11-26T09:00:00Z", "to": "2026-11-27T09:00:00Z"}, http.StatusNotFound, "nope"},
				{"engineer's override of unknown schedule", "POST", "/overrides", h.engineer, map[string]any{"schedule": "nope", "engineer": "alice", "from": "2026-11-26T09:00:00Z", "to": "2026-11-27T09:00:00Z"}, http.StatusNotFound, "nope"},
				{"override by unknown engineer", "POST", "/overrides", h.admin, map[string]any{"schedule": "primary", "engineer": "zed", "from": "2026-11-26T09:00", "to": "2026-11-27T09:00"}, http.StatusNotFound, "zed"},
				{"remove unknown override", "DELETE", "/overrides/9999", h.admin, nil, http.StatusNotFound, "no override #9999"},
				{"engineer removes unknown override", "DELETE", "/overrides/9999", h.engineer, nil, http.StatusNotFound, "no override #9999"},
				{"bad phone", "POST", "/engineers", h.admin, map[string]any{"handle": "dan", "name": "Dan", "phone": "call me"}, http.StatusBadRequest, "phone"},
				{"bad handle", "POST", "/engineers", h.admin, map[string]any{"handle": "Dan Smith", "name": "Dan", "phone": "+17205550114"}, http.StatusBadRequest, "handle"},
				{"nothing to change", "PATCH", "/engineers/bob", h.admin, map[string]any{}, http.StatusBadRequest, ""},
				{"unknown field", "PATCH", "/engineers/bob", h.admin, map[string]any{"nickname": "B"}, http.StatusBadRequest, "unexpected property"},
				{"bad shift", "POST", "/schedules", h.admin, map[string]any{"name": "x", "timezone": "UTC", "shift": "weekly", "handoff": "2026-11-16T09:00"}, http.StatusBadRequest, `shift "weekly"`},
				{"bad handoff", "POST", "/schedules", h.admin, map[string]any{"name": "x", "timezone": "UTC", "shift": "24h", "handoff": "tomorrow"}, http.StatusBadRequest, "handoff"},
				{"bad zone", "POST", "/schedules", h.admin, map[string]any{"name": "x", "timezone": "Mars/Base", "shift": "24h", "handoff": "2026-11-16T09:00"}, http.StatusBadRequest, "Mars/Base"},
				{"bad schedule name", "POST", "/schedules", h.admin, map[string]any{"name": "Night Shift", "timezone": "UTC", "shift": "24h", "handoff": "2026-11-16T09:00"}, http.StatusBadRequest, "schedule name"},
				{"missing members", "PUT", "/schedules/desk/members", h.admin, map[string]any{}, http.StatusBadRequest, "members"},
				{"n out of range", "GET", "/schedules/primary/shifts?n=0", h.viewer, nil, http.StatusBadRequest, "from 1 to 1000"},
				{"n not a number", "GET", "/schedules/primary/shifts?n=many", h.viewer, nil, http.StatusBadRequest, "from 1 to 1000"},
				{"n and to", "GET", "/schedules/primary/shifts?n=2&to=2026-12-01T00:00:00Z", h.viewer, nil, http.StatusBadRequest, "not both"},
				{"to before from", "GET", "/schedules/primary/shifts?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", h.viewer, nil, http.StatusBadRequest, "must be after"},
				{"window too long", "GET", "/schedules/desk/shifts?from=2026-11-16T16:00:00Z&to=2030-01-01T00:00:00Z", h.viewer, nil, http.StatusBadRequest, "more than 1000"},
				{"bad from", "GET", "/schedules/primary/shifts?from=monday", h.viewer, nil, http.StatusBadRequest, `from "monday"`},
				{"bad at", "GET", "/oncall?at=2026-11-24", h.viewer, nil, http.StatusBadRequest, "RFC 3339"},
				{"bad all", "GET", "/overrides?all=maybe", h.viewer, nil, http.StatusBadRequest, ""},
				{"bad override start", "POST", "/overrides", h.admin, map[string]any{"schedule": "primary", "engineer": "alice", "from": "soon", "to": "2026-11-27T09:00"}, http.StatusBadRequest, "soon"},
				{"override in the past", "POST", "/overrides", h.engineer, map[string]any{"schedule": "primary", "engineer": "alice", "from": "2026-11-01T09:00", "to": "2026-11-02T09:00"}, http.StatusBadRequest, ""},
				{"malformed override ID", "DELETE", "/overrides/seven", h.admin, nil, http.StatusBadRequest, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					p := h.do(tc.method, tc.path, tc.token, tc.body).want(t, tc.status).Problem(t)
					text := p.Detail
					for _, e := range p.Errors {
						text += " | " + e.Location + ": " + e.Message
					}
					if !strings.Contains(text, tc.detail) {
						t.Errorf("problem %q, want %q", text, tc.detail)
					}
				})
			}
			h.unchanged(before, "refused requests")
		})

		// The writes that were refused above, now allowed.
		h.do("DELETE", fmt.Sprintf("/overrides/%d", own.ID), h.engineer, nil).want(t, http.StatusOK).JSON(t, &own)
		h.do("DELETE", fmt.Sprintf("/overrides/%d", admins.ID), h.admin, nil).want(t, http.StatusOK)
		h.do("DELETE", "/schedules/backup", h.admin, nil).want(t, http.StatusOK).JSON(t, &sch)
		if sch.Name != "backup" {
			t.Errorf("removed %+v", sch)
		}
		h.do("DELETE", "/schedules/primary?force=true", h.admin, nil).want(t, http.StatusOK)
		h.do("DELETE", "/schedules/desk?force=true", h.admin, nil).want(t, http.StatusOK)
		h.do("DELETE", "/engineers/bob", h.admin, nil).want(t, http.StatusOK).JSON(t, &got)
		if got.Handle != "bob" {
			t.Errorf("removed %+v", got)
		}
		h.do("GET", "/engineers/bob", h.admin, nil).want(t, http.StatusNotFound)
		h.do("GET", "/overrides?all=true", h.admin, nil).want(t, http.StatusOK).JSON(t, &overrides)
		if len(overrides.Overrides) != 0 {
			t.Errorf("overrides left %+v", overrides)
		}

		events, err := h.srv.Audit.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, e := range events {
			switch e.Actor {
			case "setup":
				continue
			case "token:crm":
				seen = append(seen, e.Action)
			case "token:alice.phone":
				seen = append(seen, "alice:"+e.Action)
			default:
				t.Errorf("event %s by %q", e.Action, e.Actor)
			}
		}
		want := "engineer.add engineer.add engineer.set schedule.add schedule.add schedule.add schedule.set_members " +
			"alice:override.add override.add alice:override.remove override.remove schedule.remove schedule.remove schedule.remove engineer.remove"
		if got := strings.Join(seen, " "); got != want {
			t.Errorf("audit actions\n%s, want\n%s", got, want)
		}
	})
}
