package api_test

import (
	"net/http"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
)

// A domain refusal of one input field answers, besides the detail, one
// entry of errors locating the field as huma's own validation does: in the
// body, or among the operation's path and query parameters.
func TestAPIInvalidFieldIsLocated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newOnCallHarness(t, db) // with the policy, for the route's questions
		h.do("POST", "/accounts", h.admin, map[string]any{"name": "Acme Corp", "plan": "standard", "number": "100200"}).want(t, http.StatusCreated)
		h.do("POST", "/schedules", h.admin, map[string]any{"name": "primary", "timezone": "America/Denver", "shift": "168h",
			"handoff": "2026-11-16T09:00", "members": []string{"alice"}}).want(t, http.StatusCreated)

		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			location           string // "" for no entry in errors
		}{
			// "call me" passes the body's schema (a string): the refusal is contactinfo.Phone's.
			{"invalid phone on contact add", "POST", "/accounts/100200/contacts", map[string]any{"name": "Dana", "phone": "call me"}, http.StatusBadRequest, "body.phone"},
			{"invalid e-mail on contact add", "POST", "/accounts/100200/contacts", map[string]any{"name": "Dana", "phone": "+17205550100", "email": "dana@"}, http.StatusBadRequest, "body.email"},
			{"blank account name", "POST", "/accounts", map[string]any{"name": " ", "plan": "standard"}, http.StatusBadRequest, "body.name"},
			{"unknown plan", "PUT", "/accounts/100200/plan", map[string]any{"plan": "gold"}, http.StatusBadRequest, "body.plan"},
			{"malformed account number in the path", "POST", "/accounts/12ab/contacts", map[string]any{"name": "Dana", "phone": "+17205550100"}, http.StatusBadRequest, "path.number"},
			{"unknown time zone", "POST", "/schedules", map[string]any{"name": "second", "timezone": "Mars/Olympus", "shift": "24h", "handoff": "2026-11-16T09:00"}, http.StatusBadRequest, "body.timezone"},
			{"override's from", "POST", "/overrides", map[string]any{"schedule": "primary", "engineer": "alice", "from": "soon", "to": "2026-12-01T09:00"}, http.StatusBadRequest, "body.from"},
			{"shifts' from, a query parameter", "GET", "/schedules/primary/shifts?from=soon", nil, http.StatusBadRequest, "query.from"},
			{"route's plan, a query parameter", "GET", "/route/explain?plan=gold&priority=1", nil, http.StatusBadRequest, "query.plan"},
			{"route's priority", "GET", "/route/explain?plan=enterprise&priority=9", nil, http.StatusBadRequest, "query.priority"},
			{"a ticket list's account, by the operation's name for it", "GET", "/tickets?account=12ab", nil, http.StatusBadRequest, "query.account"},
			{"invalid, about no one field", "GET", "/schedules/primary/shifts?n=3&to=2026-12-01T00:00:00Z", nil, http.StatusBadRequest, ""},
			{"a conflict names no location", "POST", "/accounts", map[string]any{"name": "Dup", "plan": "poc", "number": "100200"}, http.StatusConflict, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := h.in(t).do(tc.method, tc.path, h.admin, tc.body).want(t, tc.status).Problem(t)
				if tc.location == "" {
					if len(p.Errors) != 0 {
						t.Fatalf("errors %+v, want none (detail %q)", p.Errors, p.Detail)
					}
					return
				}
				if len(p.Errors) != 1 || p.Errors[0].Location != tc.location || p.Errors[0].Message != p.Detail || p.Detail == "" {
					t.Fatalf("errors %+v with detail %q, want one at %s with the detail's words", p.Errors, p.Detail, tc.location)
				}
			})
		}
	})
}
