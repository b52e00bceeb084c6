package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
	"supportline/store"
	"supportline/store/storetest"
)

func TestAPIAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		revoked := h.token("gone", auth.Admin, "")
		if err := h.srv.Tokens.Revoke(ctx, "setup", "gone"); err != nil {
			t.Fatal(err)
		}
		_, expired, err := h.srv.Tokens.Create(ctx, "setup", auth.NewToken{Name: "brief", Role: auth.Admin, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		storetest.ClockOf(db).Advance(time.Hour) // brief has just expired; the others last 90 days
		before := h.rows()

		create := map[string]any{"name": "Acme", "plan": "poc"}
		for _, tc := range []struct {
			name, auth, challenge string
		}{
			{"no token", "", `Bearer realm="supportline"`},
			{"revoked", revoked, `Bearer realm="supportline", error="invalid_token"`},
			{"expired", expired, `Bearer realm="supportline", error="invalid_token"`},
			{"malformed", "slt_short", `Bearer realm="supportline", error="invalid_token"`},
			{"unknown", "slt_" + strings.Repeat("A", 43), `Bearer realm="supportline", error="invalid_token"`},
			{"not bearer", "Basic " + h.admin, `Bearer realm="supportline", error="invalid_token"`},
			{"bearer without text", "Bearer ", `Bearer realm="supportline", error="invalid_token"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, req := range []struct {
					method, path string
					body         any
				}{
					{"GET", "/accounts", nil},
					{"POST", "/accounts", create},
					{"GET", "/contacts/12345678/pin", nil},
					{"POST", "/contacts/12345678/pin/rotate", nil},
				} {
					r := h.do(req.method, req.path, tc.auth, req.body).want(t, http.StatusUnauthorized)
					if got := r.Header.Get("WWW-Authenticate"); got != tc.challenge {
						t.Errorf("%s %s: WWW-Authenticate %q, want %q", req.method, req.path, got, tc.challenge)
					}
					if p := r.Problem(t); strings.Contains(p.Detail, "revoked at") || strings.Contains(p.Detail, "expired at") {
						t.Errorf("the refusal tells why: %q", p.Detail)
					}
				}
				h.limit.Advance(time.Minute) // keep under the bad-token limit
			})
		}
		if strings.Contains(h.logs.String(), h.admin) || strings.Contains(h.logs.String(), expired) {
			t.Error("a token's text is in the log")
		}

		t.Run("a role that may not", func(t *testing.T) {
			for _, tc := range []struct {
				who, token, method, path string
				body                     any
			}{
				{"viewer", h.viewer, "POST", "/accounts", create},
				{"engineer", h.engineer, "POST", "/accounts", create},
				{"viewer", h.viewer, "GET", "/contacts/12345678/pin", nil},
				{"engineer", h.engineer, "POST", "/contacts/12345678/pin/rotate", nil},
				{"viewer", h.viewer, "PUT", "/accounts/100100/plan", map[string]any{"plan": "poc"}},
				{"viewer", h.viewer, "DELETE", "/contacts/12345678", nil},
			} {
				r := h.do(tc.method, tc.path, tc.token, tc.body).want(t, http.StatusForbidden)
				if p := r.Problem(t); !strings.Contains(p.Detail, "may not") {
					t.Errorf("%s %s %s: %q", tc.who, tc.method, tc.path, p.Detail)
				}
			}
			h.do("GET", "/accounts", h.viewer, nil).want(t, http.StatusOK)
			h.do("GET", "/accounts", h.engineer, nil).want(t, http.StatusOK)
		})
		h.unchanged(before, "refused requests")
	})
}

func TestAPIBadTokensAreSlowedPerAddress(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	h.do("GET", "/accounts", "", nil).want(t, http.StatusUnauthorized) // no token is no guess: not counted
	for i := range 10 {
		h.do("GET", "/accounts", "slt_bad", nil).want(t, http.StatusUnauthorized)
		h.limit.Advance(time.Second)
		_ = i
	}
	// 10 failures in 10 s: the rest of the minute is refused, even with a
	// good token, without looking any token up.
	for _, tok := range []string{"slt_bad", h.admin} {
		r := h.do("GET", "/accounts", tok, nil).want(t, http.StatusTooManyRequests)
		if got := r.Header.Get("Retry-After"); got != "50" {
			t.Errorf("Retry-After %q, want 50 (seconds left of the minute)", got)
		}
		r.Problem(t)
	}
	h.limit.Advance(49 * time.Second)
	h.do("GET", "/accounts", h.admin, nil).want(t, http.StatusTooManyRequests)
	h.limit.Advance(time.Second)
	h.do("GET", "/accounts", h.admin, nil).want(t, http.StatusOK)
	h.do("GET", "/accounts", "slt_bad", nil).want(t, http.StatusUnauthorized)
}

func TestAPIOpenAPIDocument(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite)) // loads and validates the document
	doc := h.srv.OpenAPI()
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["bearer"]; s == nil || s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer scheme %+v", s)
	}
	if len(doc.Security) != 1 {
		t.Errorf("security %v: every operation needs the bearer token", doc.Security)
	}
	ops := 0
	for path, item := range doc.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op == nil {
				continue
			}
			ops++
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s %s declares no 401", method, path)
			}
			if op.RequestBody == nil {
				continue
			}
			s := op.RequestBody.Content["application/json"].Schema
			if s.Ref != "" {
				s = doc.Components.Schemas.Map()[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
			}
			if s.AdditionalProperties != false {
				t.Errorf("%s %s accepts unknown fields", method, path)
			}
		}
	}
	if want := 14 + onCallOperations + ticketOperations + coverageOperations; ops != want {
		t.Errorf("%d operations, want %d", ops, want)
	}
}

func TestAPIInternalErrorsTellNothing(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	h := newHarness(t, db)
	// A failing database: the token check itself fails, which is not the
	// client's fault and not a 401.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r := h.do("GET", "/accounts", h.admin, nil).want(t, http.StatusInternalServerError)
	if p := r.Problem(t); p.Detail != "internal error" || len(p.Errors) != 0 {
		t.Errorf("500 problem %+v", p)
	}
	if strings.Contains(string(r.Body), "sql") || strings.Contains(string(r.Body), "closed") {
		t.Errorf("internal text reached the client: %s", r.Body)
	}
	if !strings.Contains(h.logs.String(), "api: check token") {
		t.Errorf("the failure was not logged: %s", h.logs)
	}
}
