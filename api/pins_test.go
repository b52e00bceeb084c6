package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"supportline/accounts"
	"supportline/audit"
	"supportline/pins"
	"supportline/store"
	"supportline/store/storetest"
)

func TestAPIPins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		if _, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Acme", Plan: "standard", Number: "100200"}); err != nil {
			t.Fatal(err)
		}
		c, err := h.srv.Accounts.AddContact(ctx, "setup", accounts.NewContact{AccountNumber: "100200", Name: "Dana", Phone: "+17205550100"})
		if err != nil {
			t.Fatal(err)
		}
		path := "/contacts/" + c.SupportID + "/pin"

		var st pins.Status
		h.do("GET", path, h.admin, nil).want(t, http.StatusOK).JSON(t, &st)
		if st.State != pins.StateNone {
			t.Errorf("before rotate: %+v", st)
		}
		before := h.rows()
		h.do("POST", path+"/revoke", h.admin, nil).want(t, http.StatusConflict).Problem(t)
		h.do("POST", path+"/rotate", h.viewer, nil).want(t, http.StatusForbidden)
		h.do("GET", path, h.viewer, nil).want(t, http.StatusForbidden)
		h.do("GET", path, h.engineer, nil).want(t, http.StatusForbidden)
		h.do("POST", "/contacts/00000000/pin/rotate", h.admin, nil).want(t, http.StatusNotFound)
		h.do("POST", "/contacts/1234/pin/unlock", h.admin, nil).want(t, http.StatusBadRequest)
		h.do("POST", path+"/rotate", h.admin, `{"pin": "123456"}`).want(t, http.StatusBadRequest) // no body is declared: a PIN cannot be chosen
		h.unchanged(before, "refused PIN requests")

		r := h.do("POST", path+"/rotate", h.admin, nil).want(t, http.StatusOK)
		var rotated struct {
			SupportID string `json:"support_id"`
			PIN       string `json:"pin"`
		}
		r.JSON(t, &rotated)
		if rotated.SupportID != c.SupportID || len(rotated.PIN) < 4 {
			t.Fatalf("rotate: %s", r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		if _, res, err := h.srv.Pins.Verify(ctx, pins.KnownClaim(c.SupportID), rotated.PIN, "+17205550100"); err != nil || res != pins.OK {
			t.Errorf("the rotated PIN does not verify: %s %v", res, err)
		}

		for _, step := range []struct{ method, path, state string }{
			{"GET", path, pins.StateActive},
			{"POST", path + "/revoke", pins.StateRevoked},
			{"POST", path + "/unlock", pins.StateRevoked}, // unlock lifts a lockout, not a revocation
			{"GET", path, pins.StateRevoked},
		} {
			r := h.do(step.method, step.path, h.admin, nil).want(t, http.StatusOK)
			r.JSON(t, &st)
			if st.State != step.state {
				t.Errorf("%s %s: state %s, want %s", step.method, step.path, st.State, step.state)
			}
			if strings.Contains(string(r.Body), rotated.PIN) {
				t.Errorf("%s %s shows the PIN: %s", step.method, step.path, r.Body)
			}
		}
		if strings.Contains(h.logs.String(), rotated.PIN) {
			t.Error("the PIN is in the log")
		}
		for table, rows := range storetest.Dump(t, db) {
			if strings.Contains(rows, rotated.PIN) {
				t.Errorf("table %s holds the PIN's digits", table)
			}
		}
		var actors []string
		events, err := h.srv.Audit.List(ctx, audit.Filter{SupportID: c.SupportID})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if strings.HasPrefix(e.Action, "pin.") && e.Action != "pin.verify" {
				actors = append(actors, e.Action+"/"+e.Actor)
			}
		}
		if got := strings.Join(actors, " "); got != "pin.rotate/token:crm pin.revoke/token:crm pin.unlock/token:crm" {
			t.Errorf("PIN audit: %s", got)
		}
	})
}
