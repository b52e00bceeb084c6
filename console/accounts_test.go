package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/audit"
	"supportline/pins"
	"supportline/store"
	"supportline/store/storetest"
)

var (
	newPinRE    = regexp.MustCompile(`<p class="secret" id="new-pin">([0-9]+)</p>`)
	contactURLR = regexp.MustCompile(`^/contacts/([0-9]{8})\?done=contact-added$`)
)

// redirectsTo fails the test unless p is a 303 to want.
func (p page) redirectsTo(t testing.TB, want string) page {
	t.Helper()
	p.want(t, http.StatusSeeOther)
	if got := p.location(); got != want {
		t.Fatalf("redirect to %q, want %q", got, want)
	}
	return p
}

// fieldError is how the page writes an error next to a field: msg is its
// beginning, or all of it.
func fieldError(msg string) string {
	return `<span class="field-error" role="alert">` + msg
}

func TestAccountPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		admin := h.signedIn("admin@example.com")

		admin.get("/accounts").want(t, http.StatusOK).has(t, "No accounts yet", `action="/accounts"`, "Add an account",
			`<option value="standard">standard: up to 2 contacts, no phone support</option>`, `<option value="poc">poc: 1 contact, no phone support</option>`)
		admin.post("/accounts", url.Values{"name": {"  Acme Corp "}, "plan": {"standard"}, "number": {"100100"}}).
			redirectsTo(t, "/accounts/100100?done=account-added")
		admin.get("/accounts/100100?done=account-added").want(t, http.StatusOK).
			has(t, "Account added.", "Account 100100: Acme Corp", "0 of 2 contacts", "No contacts yet: ",
				`action="/accounts/100100/contacts"`, `action="/accounts/100100/name"`, `action="/accounts/100100/plan"`)
		// A generated number.
		r := admin.post("/accounts", url.Values{"name": {"Globex"}, "plan": {"managed"}}).want(t, http.StatusSeeOther)
		if !regexp.MustCompile(`^/accounts/[1-9][0-9]{5}\?done=account-added$`).MatchString(r.location()) {
			t.Errorf("added Globex: redirect to %q", r.location())
		}

		// A contact, phone typed with separators.
		r = admin.post("/accounts/100100/contacts", url.Values{"contact_name": {"Dana Doe"}, "contact_phone": {"+1 (720) 555-0100"},
			"contact_email": {"dana@example.com"}}).want(t, http.StatusSeeOther)
		m := contactURLR.FindStringSubmatch(r.location())
		if m == nil {
			t.Fatalf("added contact: redirect to %q", r.location())
		}
		id := m[1]
		admin.get("/contacts/"+id+"?done=contact-added").want(t, http.StatusOK).
			has(t, "Contact added", "Dana Doe", "&#43;17205550100", "dana@example.com", "No PIN yet", "Issue a PIN").
			lacks(t, `id="new-pin"`, "Revoke the PIN")
		admin.get("/accounts/100100").want(t, http.StatusOK).has(t, "1 of 2 contacts", `href="/contacts/`+id+`"`, "Dana Doe", "&#43;17205550100")
		admin.get("/accounts").want(t, http.StatusOK).has(t, "Acme Corp", "1 of 2 contacts", "Globex", "0 contacts (no limit)")

		// Search: by name, by number, by a contact's phone.
		admin.get("/accounts?q=acme").want(t, http.StatusOK).has(t, `href="/accounts/100100"`).lacks(t, "Globex")
		admin.get("/accounts?q=10010").want(t, http.StatusOK).has(t, `href="/accounts/100100"`).lacks(t, "Globex")
		admin.get("/accounts?q="+url.QueryEscape("720 555-0100")).want(t, http.StatusOK).
			has(t, "Contacts matching", `href="/contacts/`+id+`"`, `href="/accounts/100100"`).lacks(t, "Globex")
		admin.get("/accounts?q=nothing-like-it").want(t, http.StatusOK).has(t, "No account matches").lacks(t, "Acme Corp", "Globex")

		// Change the contact: name and phone; the e-mail emptied is removed.
		admin.post("/contacts/"+id, url.Values{"name": {"Dana Smith"}, "phone": {"+17205550199"}, "email": {""}}).
			redirectsTo(t, "/contacts/"+id+"?done=contact-changed")
		admin.get("/contacts/"+id).want(t, http.StatusOK).has(t, "Dana Smith", "&#43;17205550199").lacks(t, "dana@example.com")
		admin.post("/contacts/"+id, url.Values{"name": {"Dana Smith"}, "phone": {"+17205550199"}, "email": {""}}).
			redirectsTo(t, "/contacts/"+id+"?done=contact-unchanged")

		// Rotate: the PIN is on the next page only.
		r = admin.post("/contacts/"+id+"/pin/rotate", url.Values{}).redirectsTo(t, "/contacts/"+id+"?done=pin-rotated")
		shown := admin.get(r.location()).want(t, http.StatusOK).
			has(t, "New PIN issued", "Write it down or give it to the contact now: it will not be shown again.",
				`<button type="button" class="secondary" data-copy="new-pin" hidden>Copy</button>`, "Active")
		m = newPinRE.FindStringSubmatch(shown.Body)
		if m == nil {
			t.Fatalf("no new PIN on the page after rotate:\n%s", shown.Body)
		}
		pin := m[1]
		if strings.Contains(r.location(), pin) || strings.Contains(shown.Header.Get("Set-Cookie"), pin) {
			t.Errorf("the PIN is in the redirect or a cookie: %q %q", r.location(), shown.Header.Get("Set-Cookie"))
		}
		admin.get("/contacts/"+id).want(t, http.StatusOK).lacks(t, `id="new-pin"`, pin).has(t, "Active", "Revoke the PIN")
		admin.get("/accounts/100100").want(t, http.StatusOK).lacks(t, pin)
		admin.get("/accounts?q=dana").want(t, http.StatusOK).lacks(t, pin)
		admin.get(r.location()).want(t, http.StatusOK).lacks(t, `id="new-pin"`, pin)
		// The PIN shown is the contact's.
		vctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		claim, err := h.srv.Pins.Claim(vctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, res, err := h.srv.Pins.Verify(vctx, claim, pin, "+17205550199"); err != nil || res != pins.OK {
			t.Errorf("the PIN shown does not verify: %v %v", res, err)
		}
		cancel()

		admin.post("/contacts/"+id+"/pin/revoke", url.Values{}).redirectsTo(t, "/contacts/"+id+"?done=pin-revoked")
		admin.get("/contacts/"+id+"?done=pin-revoked").want(t, http.StatusOK).has(t, "PIN revoked", "Revoked").lacks(t, "Revoke the PIN", pin)
		admin.post("/contacts/"+id+"/pin/unlock", url.Values{}).redirectsTo(t, "/contacts/"+id+"?done=pin-unlocked")
		admin.get("/contacts/"+id+"?done=pin-unlocked").want(t, http.StatusOK).has(t, "Lockout lifted")

		// Rename, change the plan.
		admin.post("/accounts/100100/name", url.Values{"name": {"Acme Inc"}}).redirectsTo(t, "/accounts/100100?done=account-renamed")
		admin.post("/accounts/100100/name", url.Values{"name": {"Acme Inc"}}).redirectsTo(t, "/accounts/100100?done=account-same-name")
		admin.post("/accounts/100100/plan", url.Values{"plan": {"enterprise"}}).redirectsTo(t, "/accounts/100100?done=account-plan")
		admin.get("/accounts/100100").want(t, http.StatusOK).has(t, "Account 100100: Acme Inc", "1 of 4 contacts",
			`<option value="enterprise" selected>`)

		// Remove, confirmed.
		admin.post("/contacts/"+id+"/remove", url.Values{"confirm": {"yes"}}).redirectsTo(t, "/accounts/100100?done=contact-removed")
		admin.get("/accounts/100100?done=contact-removed").want(t, http.StatusOK).has(t, "Contact removed", "0 of 4 contacts").lacks(t, "Dana Smith")
		admin.get("/contacts/"+id).want(t, http.StatusNotFound).has(t, "No contact with support ID "+id)

		// Every change is audited with the user as the actor, and the PIN
		// is nowhere but on that one page.
		events, err := h.srv.Audit.List(context.Background(), audit.Filter{Actor: "user:admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			if !strings.HasPrefix(e.Action, "user.") { // signing in
				actions = append(actions, e.Action)
			}
			if strings.Contains(e.Detail, pin) || strings.Contains(e.Subject, pin) {
				t.Errorf("audit event %s holds the PIN: %+v", e.Action, e)
			}
		}
		want := "account.add account.add contact.add contact.set pin.rotate pin.revoke pin.unlock " +
			"account.set_name account.set_plan contact.remove"
		if got := strings.Join(actions, " "); got != want {
			t.Errorf("audited by user:admin@example.com:\n got %s\nwant %s", got, want)
		}
		if strings.Contains(storetest.DumpTable(t, db, "audit_events"), pin) {
			t.Error("the audit table holds the PIN")
		}
		if strings.Contains(h.logs.String(), pin) {
			t.Errorf("the log holds the PIN:\n%s", h.logs.String())
		}
	})
}

// setupAccount makes account 100100 (standard: 2 contacts at most) with
// one contact, and returns the contact's support ID.
func setupAccount(t *testing.T, h *harness) string {
	t.Helper()
	ctx := context.Background()
	if _, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Acme Corp", Plan: "standard", Number: "100100"}); err != nil {
		t.Fatal(err)
	}
	ct, err := h.srv.Accounts.AddContact(ctx, "setup", accounts.NewContact{AccountNumber: "100100", Name: "Dana Doe", Phone: "+17205550100"})
	if err != nil {
		t.Fatal(err)
	}
	return ct.SupportID
}

func TestAccountFormsRefuseBadInput(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	id := setupAccount(t, h)
	admin := h.signedIn("admin@example.com")

	cases := []struct {
		name   string
		path   string
		form   url.Values
		status int
		has    []string
	}{
		{"account without a name", "/accounts", url.Values{"name": {" "}, "plan": {"standard"}}, 400,
			[]string{fieldError("Account name is required"), `id="name" name="name" type="text" required value=" " aria-invalid="true"`}},
		{"account without a plan", "/accounts", url.Values{"name": {"Initech"}, "plan": {""}}, 400,
			[]string{fieldError("A plan is required (one of: "), `value="Initech"`}},
		{"account on an unknown plan", "/accounts", url.Values{"name": {"Initech"}, "plan": {"gold"}}, 400,
			[]string{fieldError("Unknown plan &#34;gold&#34;")}},
		{"account number with a leading zero", "/accounts", url.Values{"name": {"Initech"}, "plan": {"standard"}, "number": {"012345"}}, 400,
			[]string{fieldError("Account number &#34;012345&#34; must be 6 to 12 digits, not starting with 0")}},
		{"account number taken", "/accounts", url.Values{"name": {"Initech"}, "plan": {"standard"}, "number": {"100100"}}, 409,
			[]string{fieldError("Account number 100100 is already taken")}},

		{"rename to nothing", "/accounts/100100/name", url.Values{"name": {""}}, 400,
			[]string{fieldError("Account name is required"), "Account 100100: Acme Corp"}},
		{"rename an unknown account", "/accounts/999999/name", url.Values{"name": {"X"}}, 404, []string{"No account 999999"}},
		{"rename a malformed account number", "/accounts/12/name", url.Values{"name": {"X"}}, 400,
			[]string{"Account number &#34;12&#34; must be 6 to 12 digits"}},
		{"plan unknown", "/accounts/100100/plan", url.Values{"plan": {"gold"}}, 400, []string{fieldError("Unknown plan &#34;gold&#34;")}},
		{"plan of an unknown account", "/accounts/999999/plan", url.Values{"plan": {"poc"}}, 404, []string{"No account 999999"}},

		{"contact without a name", "/accounts/100100/contacts", url.Values{"contact_name": {""}, "contact_phone": {"+17205550101"}}, 400,
			[]string{fieldError("Contact name is required"), `value="&#43;17205550101"`}},
		{"contact with a bad phone", "/accounts/100100/contacts", url.Values{"contact_name": {"Eve"}, "contact_phone": {"7205550101"}}, 400,
			[]string{fieldError("Phone number &#34;7205550101&#34; must be in E.164 form, starting with &#43; and the country code, e.g. &#43;17205550100")}},
		{"contact with a bad e-mail", "/accounts/100100/contacts", url.Values{"contact_name": {"Eve"}, "contact_phone": {"+17205550101"}, "contact_email": {"Eve <eve@x.example>"}}, 400,
			[]string{fieldError("&#34;Eve &lt;eve@x.example&gt;&#34; is not an email address")}},
		{"contact on an unknown account", "/accounts/999999/contacts", url.Values{"contact_name": {"Eve"}, "contact_phone": {"+17205550101"}}, 404,
			[]string{"No account 999999"}},

		{"change to a bad phone", "/contacts/" + id, url.Values{"name": {"Dana Doe"}, "phone": {"+1720555010x"}, "email": {""}}, 400,
			[]string{fieldError("Phone number &#34;&#43;1720555010x&#34; contains &#39;x&#39;; E.164 allows only &#43; and digits"), `value="&#43;1720555010x"`}},
		{"change to no name", "/contacts/" + id, url.Values{"name": {""}, "phone": {"+17205550100"}}, 400,
			[]string{fieldError("Contact name is required")}},
		{"change to a bad e-mail", "/contacts/" + id, url.Values{"name": {"Dana Doe"}, "email": {"dana@"}}, 400,
			[]string{fieldError("&#34;dana@&#34; is not an email address")}},
		{"change nothing", "/contacts/" + id, url.Values{}, 400, []string{"Nothing to change: give a new name, phone or email"}},
		{"change an unknown contact", "/contacts/12345678", url.Values{"name": {"X"}}, 404, []string{"No contact with support ID 12345678"}},
		{"change a malformed support ID", "/contacts/1234", url.Values{"name": {"X"}}, 400, []string{"Support ID &#34;1234&#34; must be 8 digits"}},

		{"remove without confirming", "/contacts/" + id + "/remove", url.Values{}, 400,
			[]string{fieldError("Tick “yes, remove this contact” to confirm; nothing was removed")}},
		{"remove an unknown contact", "/contacts/12345678/remove", url.Values{"confirm": {"yes"}}, 404, []string{"No contact with support ID 12345678"}},
		{"revoke without a PIN", "/contacts/" + id + "/pin/revoke", url.Values{}, 409,
			[]string{fieldError("Contact " + id + " has no PIN to revoke")}},
		{"rotate for an unknown contact", "/contacts/12345678/pin/rotate", url.Values{}, 404, []string{"No contact with support ID 12345678"}},
		{"unlock an unknown contact", "/contacts/12345678/pin/unlock", url.Values{}, 404, []string{"No contact with support ID 12345678"}},
		{"revoke for an unknown contact", "/contacts/12345678/pin/revoke", url.Values{}, 404, []string{"No contact with support ID 12345678"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.rows()
			admin.post(tc.path, tc.form).want(t, tc.status).has(t, tc.has...)
			h.unchanged(before, tc.name)
		})
	}

	t.Run("pages of unknown things", func(t *testing.T) {
		admin.get("/accounts/999999").want(t, http.StatusNotFound).has(t, "No account 999999")
		admin.get("/contacts/12345678").want(t, http.StatusNotFound).has(t, "No contact with support ID 12345678")
	})

	t.Run("the plan's contact limit", func(t *testing.T) {
		ctx := context.Background()
		if _, err := h.srv.Accounts.AddContact(ctx, "setup", accounts.NewContact{AccountNumber: "100100", Name: "Sam Roe", Phone: "+17205550102"}); err != nil {
			t.Fatal(err)
		}
		admin.get("/accounts/100100").want(t, http.StatusOK).has(t, "2 of 2 contacts", "limit reached")
		before := h.rows()
		admin.post("/accounts/100100/contacts", url.Values{"contact_name": {"Eve"}, "contact_phone": {"+17205550103"}}).
			want(t, http.StatusConflict).
			has(t, fieldError("Account 100100 already has 2 named contacts, the limit of plan standard is 2; remove one first or change the plan"),
				`value="Eve"`)
		admin.post("/accounts/100100/plan", url.Values{"plan": {"poc"}}).want(t, http.StatusConflict).
			has(t, fieldError("Account 100100 has 2 named contacts; plan poc allows 1. Remove 1 contact(s) first"), `<option value="poc" selected>`)
		h.unchanged(before, "refusals at the limit")
	})
}

func TestAccountPagesByRole(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	id := setupAccount(t, h)
	if _, err := h.srv.Pins.Rotate(context.Background(), "setup", id); err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		path string
		form url.Values
	}{
		{"/accounts", url.Values{"name": {"Initech"}, "plan": {"standard"}}},
		{"/accounts/100100/name", url.Values{"name": {"Hacked"}}},
		{"/accounts/100100/plan", url.Values{"plan": {"enterprise"}}},
		{"/accounts/100100/contacts", url.Values{"contact_name": {"Eve"}, "contact_phone": {"+17205550103"}}},
		{"/contacts/" + id, url.Values{"name": {"Hacked"}}},
		{"/contacts/" + id + "/remove", url.Values{"confirm": {"yes"}}},
		{"/contacts/" + id + "/pin/rotate", url.Values{}},
		{"/contacts/" + id + "/pin/revoke", url.Values{}},
		{"/contacts/" + id + "/pin/unlock", url.Values{}},
	}
	forms := []string{`method="post" action="/accounts"`, `action="/accounts/100100/`, `action="/contacts/`, "Add an account", "Add a contact",
		"Rotate", "Revoke", "Unlock", "Remove contact"}
	for _, who := range []struct{ email, role string }{{"viewer@example.com", "viewer"}, {"alice@example.com", "engineer"}} {
		t.Run(who.role, func(t *testing.T) {
			c := h.signedIn(who.email)
			c.get("/accounts").want(t, http.StatusOK).has(t, "Acme Corp", "1 of 2 contacts").lacks(t, forms...)
			c.get("/accounts/100100").want(t, http.StatusOK).has(t, "Dana Doe", "&#43;17205550100").lacks(t, forms...)
			// The PIN's status is an admin's (read_secrets), as in the API.
			c.get("/contacts/"+id).want(t, http.StatusOK).has(t, "Dana Doe", id).lacks(t, append(forms, "Failures", "Active", "PIN")...)
			for _, w := range writes {
				before := h.rows()
				c.post(w.path, w.form).want(t, http.StatusForbidden).has(t, "with role "+who.role+", which may not").lacks(t, "Hacked")
				h.unchanged(before, who.role+" posting "+w.path)
			}
		})
	}
	t.Run("admin", func(t *testing.T) {
		// The same pages show an admin every form, and the PIN's status.
		admin := h.signedIn("admin@example.com")
		admin.get("/accounts").want(t, http.StatusOK).has(t, `action="/accounts"`, "Add an account")
		admin.get("/accounts/100100").want(t, http.StatusOK).has(t, `action="/accounts/100100/contacts"`, "Add a contact")
		admin.get("/contacts/"+id).want(t, http.StatusOK).has(t, "Active", "Failures", `action="/contacts/`+id+`/pin/rotate"`,
			`action="/contacts/`+id+`/pin/revoke"`, `action="/contacts/`+id+`/pin/unlock"`, `action="/contacts/`+id+`/remove"`)
	})
	t.Run("signed out", func(t *testing.T) {
		before := h.rows()
		h.client().post("/contacts/"+id+"/pin/rotate", url.Values{}).want(t, http.StatusUnauthorized)
		h.unchanged(before, "a post without a session")
	})
}

// TestNewPinStaysInItsBrowser: the new PIN travels in a cookie sealed for
// the session that rotated it; another admin's browser, given that
// cookie, shows nothing.
func TestNewPinStaysInItsBrowser(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	id := setupAccount(t, h)
	admin, other := h.signedIn("admin@example.com"), h.signedIn("admin@example.com")
	admin.post("/contacts/"+id+"/pin/rotate", url.Values{}).want(t, http.StatusSeeOther)
	u, _ := url.Parse(h.http.URL + "/contacts/" + id)
	for _, ck := range admin.jar.Cookies(u) {
		if ck.Name == "supportline_once" {
			ck.Path = "/contacts/" + id
			other.jar.SetCookies(u, []*http.Cookie{ck})
		}
	}
	if len(other.jar.Cookies(u)) < 2 {
		t.Fatalf("the other browser lacks the new PIN's cookie: %v", other.jar.Cookies(u))
	}
	other.get("/contacts/"+id).want(t, http.StatusOK).lacks(t, `id="new-pin"`)
	admin.get("/contacts/"+id).want(t, http.StatusOK).has(t, `id="new-pin"`)
}
