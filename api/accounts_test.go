package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"supportline/accounts"
	"supportline/audit"
	"supportline/store"
	"supportline/store/storetest"
)

func TestAPIAccountsAndContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()

		var acc accounts.Account
		h.do("POST", "/accounts", h.admin, map[string]any{"name": "Acme Corp", "plan": "poc", "number": "100200"}).
			want(t, http.StatusCreated).JSON(t, &acc)
		if acc.Number != "100200" || acc.Name != "Acme Corp" || acc.Plan != "poc" || acc.Contacts != 0 {
			t.Fatalf("created %+v", acc)
		}
		var gen accounts.Account
		h.do("POST", "/accounts", h.admin, map[string]any{"name": "Beta", "plan": "standard"}).want(t, http.StatusCreated).JSON(t, &gen)
		if len(gen.Number) < 6 {
			t.Errorf("generated number %q", gen.Number)
		}
		var list struct{ Accounts []accounts.Account }
		h.do("GET", "/accounts", h.viewer, nil).want(t, http.StatusOK).JSON(t, &list)
		if len(list.Accounts) != 2 || list.Accounts[0].Name != "Acme Corp" || list.Accounts[1].Name != "Beta" {
			t.Errorf("list %+v", list)
		}
		var got accounts.Account
		h.do("GET", "/accounts/100200", h.viewer, nil).want(t, http.StatusOK).JSON(t, &got)
		if got.Number != "100200" {
			t.Errorf("get %+v", got)
		}

		h.do("PUT", "/accounts/100200/name", h.admin, map[string]any{"name": "Acme Inc"}).want(t, http.StatusOK).JSON(t, &got)
		h.do("PUT", "/accounts/100200/plan", h.admin, map[string]any{"plan": "standard"}).want(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Acme Inc" || got.Plan != "standard" {
			t.Errorf("after rename and plan: %+v", got)
		}

		var c accounts.Contact
		h.do("POST", "/accounts/100200/contacts", h.admin, map[string]any{"name": "Dana Doe", "phone": "+1 720 555 0100"}).
			want(t, http.StatusCreated).JSON(t, &c)
		if len(c.SupportID) != 8 || c.Phone != "+17205550100" || c.AccountNumber != "100200" {
			t.Fatalf("contact %+v", c)
		}
		var c2 accounts.Contact
		h.do("POST", "/accounts/100200/contacts", h.admin, map[string]any{"name": "Eli", "phone": "+17205550101", "email": "eli@example.com"}).
			want(t, http.StatusCreated).JSON(t, &c2)

		var changed struct {
			Contact accounts.Contact
			Changes []accounts.Change
		}
		h.do("PATCH", "/contacts/"+c.SupportID, h.admin, map[string]any{"email": "dana@example.com"}).want(t, http.StatusOK).JSON(t, &changed)
		if changed.Contact.Email != "dana@example.com" || len(changed.Changes) != 1 || changed.Changes[0].Field != "email" {
			t.Errorf("change %+v", changed)
		}
		h.do("PATCH", "/contacts/"+c.SupportID, h.admin, map[string]any{"email": "dana@example.com"}).want(t, http.StatusOK).JSON(t, &changed)
		if len(changed.Changes) != 0 {
			t.Errorf("the same value is a change: %+v", changed.Changes)
		}
		var contacts struct{ Contacts []accounts.Contact }
		h.do("GET", "/accounts/100200/contacts", h.viewer, nil).want(t, http.StatusOK).JSON(t, &contacts)
		if len(contacts.Contacts) != 2 {
			t.Errorf("contacts %+v", contacts)
		}
		h.do("GET", "/contacts/"+c2.SupportID, h.viewer, nil).want(t, http.StatusOK)

		t.Run("refused requests change nothing", func(t *testing.T) {
			before := h.rows()
			for _, tc := range []struct {
				name, method, path string
				body               any
				status             int
				detail             string // in the problem's detail or its errors
			}{
				{"contact limit", "POST", "/accounts/100200/contacts", map[string]any{"name": "Fay", "phone": "+17205550102"}, http.StatusConflict, "limit of plan standard is 2"},
				{"plan below contacts", "PUT", "/accounts/100200/plan", map[string]any{"plan": "poc"}, http.StatusConflict, "Remove 1 contact(s) first"},
				{"duplicate number", "POST", "/accounts", map[string]any{"name": "Dup", "plan": "poc", "number": "100200"}, http.StatusConflict, "already taken"},
				{"unknown account", "GET", "/accounts/999999", nil, http.StatusNotFound, "no account 999999"},
				{"unknown account's contacts", "GET", "/accounts/999999/contacts", nil, http.StatusNotFound, "no account 999999"},
				{"contact on unknown account", "POST", "/accounts/999999/contacts", map[string]any{"name": "X", "phone": "+17205550103"}, http.StatusNotFound, "no account 999999"},
				{"rename unknown", "PUT", "/accounts/999999/name", map[string]any{"name": "X"}, http.StatusNotFound, "no account"},
				{"unknown contact", "GET", "/contacts/00000000", nil, http.StatusNotFound, "00000000"},
				{"change unknown contact", "PATCH", "/contacts/00000000", map[string]any{"name": "X"}, http.StatusNotFound, "00000000"},
				{"remove unknown contact", "DELETE", "/contacts/00000000", nil, http.StatusNotFound, "00000000"},
				{"malformed number", "GET", "/accounts/12ab", nil, http.StatusBadRequest, "6 to 12 digits"},
				{"malformed support ID", "GET", "/contacts/12", nil, http.StatusBadRequest, ""},
				{"unknown plan", "POST", "/accounts", map[string]any{"name": "X", "plan": "gold"}, http.StatusBadRequest, `unknown plan "gold"`},
				{"no plan", "POST", "/accounts", map[string]any{"name": "X", "plan": ""}, http.StatusBadRequest, "a plan is required"},
				{"missing field", "POST", "/accounts", map[string]any{"name": "X"}, http.StatusBadRequest, "plan"},
				{"bad phone", "POST", "/accounts/100200/contacts", map[string]any{"name": "X", "phone": "call me"}, http.StatusBadRequest, "phone"},
				{"nothing to change", "PATCH", "/contacts/" + c.SupportID, map[string]any{}, http.StatusBadRequest, "nothing to change"},
				{"unknown field", "POST", "/accounts", map[string]any{"name": "X", "plan": "poc", "owner": "me"}, http.StatusBadRequest, "unexpected property"},
				{"unknown field in a change", "PATCH", "/contacts/" + c.SupportID, map[string]any{"nickname": "D"}, http.StatusBadRequest, "unexpected property"},
				{"wrong type", "POST", "/accounts", map[string]any{"name": 42, "plan": "poc"}, http.StatusBadRequest, "expected string"},
				{"wrong type in a change", "PATCH", "/contacts/" + c.SupportID, map[string]any{"phone": true}, http.StatusBadRequest, "expected string"},
				{"malformed JSON", "POST", "/accounts", `{"name": "X", "plan": `, http.StatusBadRequest, ""},
				{"not an object", "POST", "/accounts", `["X"]`, http.StatusBadRequest, ""},
				{"no body", "PUT", "/accounts/100200/name", nil, http.StatusBadRequest, ""},
				{"body too large", "POST", "/accounts", `{"name": "` + strings.Repeat("x", 70<<10) + `", "plan": "poc"}`, http.StatusRequestEntityTooLarge, "64 KiB"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					p := h.do(tc.method, tc.path, h.admin, tc.body).want(t, tc.status).Problem(t)
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

		var removed accounts.Contact
		h.do("DELETE", "/contacts/"+c2.SupportID, h.admin, nil).want(t, http.StatusOK).JSON(t, &removed)
		if removed.RemovedAt == nil {
			t.Errorf("removed %+v", removed)
		}
		h.do("GET", "/contacts/"+c2.SupportID, h.admin, nil).want(t, http.StatusNotFound)

		events, err := h.srv.Audit.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, e := range events {
			if e.Actor == "setup" { // the harness's engineer and tokens
				continue
			}
			if e.Actor != "token:crm" {
				t.Errorf("event %s by %q, want token:crm", e.Action, e.Actor)
			}
			seen = append(seen, e.Action)
		}
		want := "account.add account.add account.set_name account.set_plan contact.add contact.add contact.set contact.remove"
		if got := strings.Join(seen, " "); got != want {
			t.Errorf("audit actions %s, want %s", got, want)
		}
	})
}

func TestAPIUnknownPathsAreProblems(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	res, err := http.Get(h.http.URL + "/api/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown path: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// A declared Content-Length over the limit is refused by the
	// listener's body limit before huma reads it: a problem too.
	req, _ := http.NewRequest("POST", h.http.URL+"/api/v1/accounts", strings.NewReader(fmt.Sprintf(`{"name":"%s","plan":"poc"}`, strings.Repeat("x", 65<<10))))
	req.Header.Set("Authorization", "Bearer "+h.admin)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("too large: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
