package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"supportline/auth"
	"supportline/config"
	"supportline/console"
	"supportline/domain"
	"supportline/oncall"
	"supportline/pins"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/web"
)

// harness is the admin listener with the console mounted, on a fresh
// database with a frozen clock, and users of each role.
type harness struct {
	t    testing.TB
	db   *store.DB
	srv  *console.Server
	http *httptest.Server
	logs *storetest.LogBuffer
	// clock is the database's frozen clock.
	clock *storetest.Clock
	// web is both listeners; the console is on web.Admin, served by http.
	web *web.Server
}

// password is every test user's password.
const password = "plum ferry gravel kettle"

// cheap are argon2id costs that keep tests fast; production uses
// pins.DefaultParams.
var cheap = pins.Params{MemoryKiB: 8, Time: 1, Threads: 1}

func testPolicy(t testing.TB) *config.Policy {
	t.Helper()
	p, err := config.Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	ctx := context.Background()
	pol := testPolicy(t)
	logs := &storetest.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := domain.New(db, pol, log, nil, "")
	svc.Users = &auth.Users{DB: db, Engineers: svc.OnCall, Params: cheap}
	h := &harness{t: t, db: db, logs: logs, clock: storetest.ClockOf(db)}
	h.srv = &console.Server{Services: *svc, Log: log}
	w := web.New(db, log)
	h.web = w
	if err := h.srv.Mount(w.Admin); err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(w.Admin)
	t.Cleanup(h.http.Close)
	if _, err := svc.OnCall.AddEngineer(ctx, "setup", oncall.NewEngineer{Handle: "alice", Name: "Alice", Phone: "+17205550111"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.NewUser{
		{Email: "admin@example.com", Role: auth.Admin},
		{Email: "viewer@example.com", Role: auth.Viewer},
		{Email: "alice@example.com", Role: auth.Engineer, Engineer: "alice"},
	} {
		h.addUser(u)
	}
	return h
}

// addUser adds a user whose password is password.
func (h *harness) addUser(n auth.NewUser) {
	h.t.Helper()
	ctx := context.Background()
	_, link, err := h.srv.Users.Add(ctx, "setup", n)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.srv.Users.SetPassword(ctx, link.Text, password); err != nil {
		h.t.Fatal(err)
	}
}

// client is a browser without a browser: a cookie jar and no redirects
// followed, so that tests see every answer.
type client struct {
	h   *harness
	jar http.CookieJar
	c   *http.Client
}

// page is one answer.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signedIn is a client signed in as email.
func (h *harness) signedIn(email string) *client {
	h.t.Helper()
	c := h.client()
	r := c.post("/signin", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: %d %s", email, r.Status, r.Body)
	}
	return c
}

func (c *client) do(req *http.Request) page {
	c.h.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.h.t.Fatal(err)
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (c *client) get(path string) page {
	c.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.h.http.URL+path, nil)
	if err != nil {
		c.h.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form as a same-origin browser would (Sec-Fetch-Site:
// same-origin, Origin of the console).
func (c *client) post(path string, form url.Values) page {
	c.h.t.Helper()
	return c.postFrom(path, form, c.h.http.URL, "same-origin")
}

// postFrom sends a form as if from origin, with Sec-Fetch-Site site (""
// sends neither header: a client that is not a browser).
func (c *client) postFrom(path string, form url.Values, origin, site string) page {
	c.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.h.http.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if site != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", site)
	}
	return c.do(req)
}

// want fails the test unless p has status.
func (p page) want(t testing.TB, status int) page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d:\n%s", p.Status, status, p.Body)
	}
	return p
}

// has fails the test unless the page's text holds every one of texts
// (HTML-escaped, as the page writes it).
func (p page) has(t testing.TB, texts ...string) page {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Errorf("the page lacks %q:\n%s", s, p.Body)
		}
	}
	return p
}

// lacks fails the test when the page holds any of texts.
func (p page) lacks(t testing.TB, texts ...string) page {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Errorf("the page has %q:\n%s", s, p.Body)
		}
	}
	return p
}

// location is where a redirect sends the browser.
func (p page) location() string { return p.Header.Get("Location") }

// rows is everything stored but what merely reading a page may write
// (sessions' last use, tokens' last use): what a refused form must leave
// as it was.
func (h *harness) rows() map[string]string {
	h.t.Helper()
	d := storetest.Dump(h.t, h.db)
	delete(d, "console_sessions")
	delete(d, "api_tokens")
	return d
}

// unchanged fails the test when rows differ from before.
func (h *harness) unchanged(before map[string]string, what string) {
	h.t.Helper()
	for table, rows := range h.rows() {
		if before[table] != rows {
			h.t.Errorf("%s changed table %s:\nbefore: %s\nafter:  %s", what, table, before[table], rows)
		}
	}
}

// advance moves the database clock.
func (h *harness) advance(d time.Duration) { h.clock.Advance(d) }
