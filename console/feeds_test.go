package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/feeds"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// withFeeds gives the harness's console a feeds service (the lead's
// harness predates it) and a schedule to show.
func withFeeds(t *testing.T, h *harness, public string) {
	t.Helper()
	h.srv.Feeds = &feeds.Service{DB: h.db, OnCall: h.srv.OnCall, PublicURL: public}
	hand, _ := oncall.ParseCivil("2026-11-16T09:00")
	if _, err := h.srv.OnCall.AddSchedule(context.Background(), "setup", oncall.NewSchedule{Name: "primary", Timezone: "America/Denver",
		Shift: 168 * time.Hour, Handoff: hand, Members: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
}

var feedURL = regexp.MustCompile(`https://support\.example\.com/ical/slf_[A-Za-z0-9_-]{43}\.ics`)

func TestFeedsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		withFeeds(t, h, "https://support.example.com")
		admin := h.signedIn("admin@example.com")

		admin.get("/feeds").want(t, http.StatusOK).has(t, "No feeds yet: create one with the form below", "Create a feed",
			`<option value="schedule:primary"`, `<option value="engineer:alice"`)

		var link string
		t.Run("create: the URL is shown once, after the redirect, and works", func(t *testing.T) {
			r := admin.post("/feeds", url.Values{"shows": {"schedule:primary"}})
			r.want(t, http.StatusSeeOther)
			if loc := r.location(); loc != "/feeds?done=feed-created" {
				t.Fatalf("redirect to %q", loc)
			}
			if strings.Contains(r.location(), "slf_") {
				t.Fatal("the token is in the redirect")
			}
			p := admin.get(r.location()).want(t, http.StatusOK).has(t, "Feed created.", "The new feed's URL", "it will not be shown again", "schedule <a href=\"/oncall/primary\">primary</a>")
			link = feedURL.FindString(p.Body)
			if link == "" {
				t.Fatalf("no feed URL on the page:\n%s", p.Body)
			}
			admin.get("/feeds").want(t, http.StatusOK).lacks(t, link, "slf_", "The new feed's URL")
			token := strings.TrimSuffix(strings.TrimPrefix(link, "https://support.example.com/ical/"), ".ics")
			f, doc, err := h.srv.Feeds.Calendar(context.Background(), token)
			if err != nil || f.Name != "primary" || !strings.Contains(string(doc), "BEGIN:VCALENDAR") {
				t.Fatalf("the shown URL does not work: %v", err)
			}
			evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			last := evs[len(evs)-1]
			if last.Actor != "user:admin@example.com" || last.Action != "feed.create" {
				t.Errorf("audit %+v", last)
			}
			if strings.Contains(h.logs.String(), token) {
				t.Error("the token is in the log")
			}
		})

		t.Run("bad input: the domain's words next to the field, nothing stored", func(t *testing.T) {
			for _, c := range []struct {
				name   string
				form   url.Values
				status int
				words  string
			}{
				{"nothing chosen", url.Values{"shows": {""}}, 400, "A feed shows one schedule or one engineer: name one of them"},
				{"an unknown schedule", url.Values{"shows": {"schedule:nope"}}, 404, "No schedule &#34;nope&#34;"},
				{"an unknown engineer", url.Values{"shows": {"engineer:zed"}}, 404, "zed"},
				{"a bad name", url.Values{"shows": {"engineer:alice"}, "name": {"My Feed"}}, 400, "A feed name is 1 to 40 of a-z"},
				{"a taken name", url.Values{"shows": {"engineer:alice"}, "name": {"primary"}}, 409, "A feed named primary exists"},
			} {
				t.Run(c.name, func(t *testing.T) {
					before := h.rows()
					p := admin.post("/feeds", c.form).want(t, c.status).has(t, c.words, `class="field-error"`)
					if c.form.Get("name") != "" {
						p.has(t, `value="`+c.form.Get("name")+`"`)
					}
					h.unchanged(before, c.name)
				})
			}
		})

		t.Run("a viewer reads the list but has no buttons, and a forged post is refused", func(t *testing.T) {
			viewer := h.signedIn("viewer@example.com")
			viewer.get("/feeds").want(t, http.StatusOK).has(t, "primary", "schedule").lacks(t, "Create a feed", "Revoke primary", "slf_")
			fs, _ := h.srv.Feeds.List(context.Background())
			before := h.rows()
			viewer.post("/feeds", url.Values{"shows": {"schedule:primary"}, "name": {"mine"}}).want(t, http.StatusForbidden)
			viewer.post("/feeds/"+itoa(fs[0].ID)+"/revoke", nil).want(t, http.StatusForbidden)
			h.unchanged(before, "a viewer's forged posts")
		})

		t.Run("revoke: gone from the list, the URL stops; an unknown one is a 404 page", func(t *testing.T) {
			fs, _ := h.srv.Feeds.List(context.Background())
			before := h.rows()
			admin.post("/feeds/999/revoke", nil).want(t, http.StatusNotFound).has(t, "No feed &#34;999&#34;")
			admin.post("/feeds/x y/revoke", nil).want(t, http.StatusNotFound)
			h.unchanged(before, "revoking unknown feeds")
			r := admin.post("/feeds/"+itoa(fs[0].ID)+"/revoke", nil).want(t, http.StatusSeeOther)
			admin.get(r.location()).want(t, http.StatusOK).has(t, "Feed revoked", "No feeds yet")
			token := strings.TrimSuffix(strings.TrimPrefix(link, "https://support.example.com/ical/"), ".ics")
			if _, _, err := h.srv.Feeds.Calendar(context.Background(), token); err != feeds.ErrNoFeed {
				t.Errorf("revoked URL: %v", err)
			}
		})
	})
}

// Without SUPPORTLINE_PUBLIC_URL the page shows the path and says how the
// URL is formed.
func TestFeedsPageWithoutPublicURL(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	withFeeds(t, h, "")
	admin := h.signedIn("admin@example.com")
	r := admin.post("/feeds", url.Values{"shows": {"engineer:alice"}, "name": {"alice.phone"}}).want(t, http.StatusSeeOther)
	p := admin.get(r.location()).want(t, http.StatusOK).has(t, "SUPPORTLINE_PUBLIC_URL is not set", "engineer alice", "alice.phone")
	if !regexp.MustCompile(`>/ical/slf_[A-Za-z0-9_-]{43}\.ics<`).MatchString(p.Body) {
		t.Errorf("no path on the page:\n%s", p.Body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
