package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		c := h.client()
		// Without a session every page sends the browser to sign in, and back.
		c.get("/no-such-page").want(t, http.StatusNotFound).has(t, "There is no such page here.")
		r := c.get("/?x=1").want(t, http.StatusSeeOther)
		if got := r.location(); got != "/signin?next=%2F%3Fx%3D1" {
			t.Errorf("redirect to %q", got)
		}
		c.get("/signin").want(t, http.StatusOK).has(t, `name="email"`, `name="password"`)

		// A wrong password and an unknown e-mail get the same words.
		before := h.rows()
		wrong := c.post("/signin", url.Values{"email": {"admin@example.com"}, "password": {"not the password at all"}})
		nobody := c.post("/signin", url.Values{"email": {"nobody@example.com"}, "password": {"not the password at all"}})
		for _, p := range []page{wrong, nobody} {
			p.want(t, http.StatusBadRequest).has(t, "The e-mail or the password is wrong").lacks(t, "not the password at all")
		}
		if strings.Replace(wrong.Body, "admin@example.com", "X", -1) != strings.Replace(nobody.Body, "nobody@example.com", "X", -1) {
			t.Error("the refusals differ beyond the e-mail typed")
		}
		_ = before

		// The right password: a session cookie, HttpOnly and SameSite=Lax.
		r = c.post("/signin", url.Values{"email": {"Admin@Example.com"}, "password": {password}, "next": {"/oncall"}}).want(t, http.StatusSeeOther)
		if r.location() != "/oncall" {
			t.Errorf("after sign-in to %q", r.location())
		}
		ck := r.Header.Get("Set-Cookie")
		for _, want := range []string{"supportline_session=", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(ck, want) {
				t.Errorf("cookie %q lacks %s", ck, want)
			}
		}
		if strings.Contains(ck, "Secure") {
			t.Errorf("cookie %q is Secure on an http console", ck)
		}
		d := c.get("/").want(t, http.StatusOK).has(t, "admin@example.com", "No open tickets")
		if got := d.Header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe") {
			t.Errorf("CSP %q", got)
		}
		// Another site's next is not followed.
		r = h.client().post("/signin", url.Values{"email": {"viewer@example.com"}, "password": {password}, "next": {"//evil.example/x"}}).want(t, http.StatusSeeOther)
		if r.location() != "/" {
			t.Errorf("next of another site followed: %q", r.location())
		}

		// Idle for 8 hours: the session has ended.
		h.advance(8 * time.Hour)
		c.get("/").want(t, http.StatusSeeOther)
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	c := h.signedIn("admin@example.com")
	before := h.rows()
	r := c.postFrom("/signout-everywhere", url.Values{}, "https://evil.example", "cross-site").want(t, http.StatusForbidden)
	r.has(t, "another site")
	h.unchanged(before, "a cross-site post")
	c.get("/").want(t, http.StatusOK) // still signed in
}

func TestSignOutEverywhere(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	laptop, phone := h.signedIn("alice@example.com"), h.signedIn("alice@example.com")
	other := h.signedIn("viewer@example.com")
	phone.post("/signout-everywhere", url.Values{}).want(t, http.StatusSeeOther)
	laptop.get("/").want(t, http.StatusSeeOther)
	phone.get("/").want(t, http.StatusSeeOther)
	other.get("/").want(t, http.StatusOK)
}
