package feeds_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/feeds"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/web"
)

// world is a database with a roster and a public listener serving feeds.
type world struct {
	db    *store.DB
	oc    *oncall.Service
	feeds *feeds.Service
	srv   *httptest.Server
	log   *storetest.LogBuffer
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	w := &world{db: db, oc: &oncall.Service{DB: db, Policy: config.Default()}, log: &storetest.LogBuffer{}}
	w.feeds = &feeds.Service{DB: db, OnCall: w.oc, PublicURL: "https://support.example.com/"}
	s := web.New(db, slog.New(slog.NewTextHandler(w.log, nil)))
	feeds.Handler{Feeds: w.feeds}.Mount(s.Echo)
	w.srv = httptest.NewServer(s.Echo)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) engineer(t testing.TB, handle, name, phone string) {
	t.Helper()
	if _, err := w.oc.AddEngineer(context.Background(), "admin", oncall.NewEngineer{Handle: handle, Name: name, Phone: phone}); err != nil {
		t.Fatalf("add engineer %s: %v", handle, err)
	}
}

func (w *world) schedule(t testing.TB, name, tz string, shift time.Duration, handoff string, members ...string) {
	t.Helper()
	h, err := oncall.ParseCivil(handoff)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.oc.AddSchedule(context.Background(), "admin", oncall.NewSchedule{Name: name, Timezone: tz, Shift: shift, Handoff: h, Members: members}); err != nil {
		t.Fatalf("add schedule %s: %v", name, err)
	}
}

func (w *world) override(t *testing.T, schedule, engineer, from, to string) {
	t.Helper()
	o, err := w.oc.AddOverride(context.Background(), "admin", oncall.NewOverride{Schedule: schedule, Engineer: engineer, From: from, To: to})
	if err != nil || o.StartedNow {
		t.Fatalf("add override %s %s %s-%s: %v (started now: %v)", schedule, engineer, from, to, err, o.StartedNow)
	}
}

func (w *world) create(t testing.TB, n feeds.NewFeed) (feeds.Feed, string) {
	t.Helper()
	f, token, err := w.feeds.Create(context.Background(), "admin", n)
	if err != nil {
		t.Fatalf("create feed %+v: %v", n, err)
	}
	return f, token
}

// fetch asks the public listener for path with method.
func (w *world) fetch(t *testing.T, method, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// The clock of every test: storetest's 2026-11-18 15:00 UTC (08:00 in
// Denver, MST). The window is 2026-10-21 15:00 UTC to 2027-02-10 15:00
// UTC: it holds Denver's fall-back (2026-11-01 02:00 MDT -> 01:00 MST) and
// London's (2026-10-25 02:00 BST -> 01:00 GMT).
var (
	now    = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
	before = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC) // when the overrides are added
)

// seed builds the roster of the feed tests: three engineers (one whose
// name needs escaping, one whose name needs folding), a weekly Denver
// rotation handing off Mondays 09:00, a daily London one, a Denver
// schedule staffed only by overrides, and overrides in and out of the
// window, two of them starting in an hour a fall-back repeats.
func seed(t *testing.T, w *world) {
	clock := storetest.ClockOf(w.db)
	clock.Set(before)
	w.engineer(t, "alice", "Alice Smith", "+17205550111")
	w.engineer(t, "bob", `Bob O'Brien, Jr.; SRE \ on-call`, "+17205550112")
	w.engineer(t, "carol", "Carolína Ñúñez-Østergård de la Fuente y Ballesteros, night-shift lead of the platform team", "+17205550113")
	w.schedule(t, "primary", "America/Denver", 168*time.Hour, "2026-10-05T09:00", "alice", "bob", "carol")
	w.schedule(t, "secondary", "Europe/London", 24*time.Hour, "2026-10-20T08:00", "carol", "alice")
	w.schedule(t, "desk", "America/Denver", 12*time.Hour, "2026-10-05T08:00")
	w.override(t, "primary", "carol", "2026-10-06T09:00", "2026-10-07T09:00")           // before the window
	w.override(t, "primary", "bob", "2026-10-28T12:00", "2026-11-01T12:00")             // across Denver's fall-back
	w.override(t, "primary", "carol", "2026-11-01T08:30:00Z", "2026-11-01T11:00:00Z")   // starts 01:30 MST, the second 01:30
	w.override(t, "secondary", "alice", "2026-10-25T01:30:00Z", "2026-10-25T06:00:00Z") // starts 01:30 GMT, the second 01:30
	w.override(t, "desk", "alice", "2026-12-24T18:00", "2026-12-26T08:00")              // the only coverage of desk
	w.override(t, "desk", "bob", "2027-03-01T09:00", "2027-03-02T09:00")                // after the window
	w.override(t, "primary", "alice", "2026-10-19T09:00", "2026-10-20T09:00")           // ends before the window, yet cuts the shift in force at its start
	w.override(t, "primary", "carol", "2027-02-12T09:00", "2027-02-13T09:00")           // starts after the window, yet cuts its last shift
	clock.Set(now)
}

// want is what oncall itself says of the shifts of the window: Upcoming
// of each schedule from the window's start, cut where shifts start at or
// after its end; only engineer's when engineer is not "".
func want(t *testing.T, w *world, engineer string, schedules ...string) []oncall.Coverage {
	t.Helper()
	from, to := now.Add(-feeds.Back), now.Add(feeds.Ahead)
	var out []oncall.Coverage
	for _, name := range schedules {
		_, cs, err := w.oc.Upcoming(context.Background(), name, from, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Since.Before(to) && (engineer == "" || c.Engineer == engineer) {
				out = append(out, c)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Since.Equal(out[j].Since) {
			return out[i].Since.Before(out[j].Since)
		}
		return out[i].Schedule < out[j].Schedule
	})
	return out
}

// parsed is a served feed read back with the library's parser.
type parsed struct {
	cal    *ics.Calendar
	events []*ics.VEvent
}

func parse(t *testing.T, body string) parsed {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the feed: %v\n%s", err, body)
	}
	return parsed{cal: cal, events: cal.Events()}
}

func prop(c *ics.ComponentBase, p ics.ComponentProperty) string {
	if v := c.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

// compare checks every event against oncall's shift at the same place:
// start, end, engineer (by name in SUMMARY), schedule, zone; and each
// local time against the feed's own VTIMEZONE.
func compare(t *testing.T, p parsed, want []oncall.Coverage, names map[string]string) {
	t.Helper()
	if len(p.events) != len(want) {
		t.Fatalf("feed has %d events, oncall %d shifts", len(p.events), len(want))
	}
	zones := zonesOf(t, p.cal)
	uids := map[string]bool{}
	for i, ev := range p.events {
		c := want[i]
		start, err := ev.GetStartAt()
		if err != nil {
			t.Fatalf("event %d: DTSTART: %v", i, err)
		}
		end, err := ev.GetEndAt()
		if err != nil {
			t.Fatalf("event %d: DTEND: %v", i, err)
		}
		if !start.Equal(c.Since) || !end.Equal(c.Until) {
			t.Errorf("event %d: %s to %s, oncall says %s to %s (%s, %s)", i, start, end, c.Since, c.Until, c.Schedule, c.Engineer)
		}
		if got, wantSummary := prop(&ev.ComponentBase, ics.ComponentPropertySummary), "On call for "+c.Schedule+": "+names[c.Engineer]; got != wantSummary {
			t.Errorf("event %d: SUMMARY %q, want %q", i, got, wantSummary)
		}
		uid := ev.Id()
		if uid == "" || uids[uid] {
			t.Errorf("event %d: UID %q empty or repeated", i, uid)
		}
		uids[uid] = true
		for _, p := range []ics.ComponentProperty{ics.ComponentPropertyDtStart, ics.ComponentPropertyDtEnd} {
			v := ev.GetProperty(p)
			at := c.Since
			if p == ics.ComponentPropertyDtEnd {
				at = c.Until
			}
			tzid := v.ICalParameters["TZID"]
			if strings.HasSuffix(v.Value, "Z") {
				// Only the second of a repeated wall-clock time is in UTC.
				if len(tzid) != 0 || !repeated(at, c.Timezone) {
					t.Errorf("event %d: %s %s in UTC (TZID %v) but its local time is not repeated", i, p, v.Value, tzid)
				}
				continue
			}
			if len(tzid) != 1 || tzid[0] != c.Timezone {
				t.Errorf("event %d: %s has TZID %v, schedule %s is in %s", i, p, tzid, c.Schedule, c.Timezone)
				continue
			}
			vt, ok := zones[c.Timezone]
			if !ok {
				t.Fatalf("no VTIMEZONE %s", c.Timezone)
			}
			if got, ok := vt.instant(v.Value); !ok || !got.Equal(at) {
				t.Errorf("event %d: %s %s read with the feed's VTIMEZONE is %s (ok %v), want %s", i, p, v.Value, got, ok, at)
			}
		}
	}
}

// repeated reports whether t's wall clock in zone was also shown earlier
// (t is in the hour a fall-back repeats), by asking Go about the instants
// before it.
func repeated(t time.Time, zone string) bool {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return false
	}
	wall := t.In(loc).Format("2006-01-02T15:04:05")
	for d := 15 * time.Minute; d <= 3*time.Hour; d += 15 * time.Minute {
		if t.Add(-d).In(loc).Format("2006-01-02T15:04:05") == wall {
			return true
		}
	}
	return false
}

func TestFeedsMatchOnCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seed(t, w)
		names := map[string]string{}
		es, err := w.oc.Engineers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			names[e.Handle] = e.Name
		}
		_, primary := w.create(t, feeds.NewFeed{Schedule: "primary"})
		_, alice := w.create(t, feeds.NewFeed{Engineer: "alice"})
		_, desk := w.create(t, feeds.NewFeed{Schedule: "desk", Name: "front-desk"})

		t.Run("a schedule's feed is its shifts, overrides applied, in Denver across DST", func(t *testing.T) {
			resp, body := w.fetch(t, http.MethodGet, feeds.Path(primary))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
				t.Fatalf("GET: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			lines(t, body)
			p := parse(t, body)
			compare(t, p, want(t, w, "", "primary"), names)
			// The Monday 09:00 handoff is 09:00 local on both sides of the
			// fall-back; the shift between lasts 169 real hours.
			for _, s := range []string{"DTSTART;TZID=America/Denver:20261026T090000", "DTSTART;TZID=America/Denver:20261102T090000",
				"DTEND;TZID=America/Denver:20261109T090000", "DTSTART:20261101T083000Z", "BEGIN:VTIMEZONE", "TZID:America/Denver",
				"BEGIN:DAYLIGHT", "BEGIN:STANDARD", "DTSTART:20261101T020000", "TZOFFSETFROM:-0600", "TZOFFSETTO:-0700", "TZNAME:MST"} {
				if !strings.Contains(body, s+"\r\n") {
					t.Errorf("feed lacks the line %q", s)
				}
			}
			for _, s := range []string{"20261006T090000", "20270301", "Europe/London"} {
				if strings.Contains(body, s) {
					t.Errorf("feed holds %q, outside the window or another schedule's", s)
				}
			}
		})

		t.Run("an engineer's feed is theirs in every schedule, each in its zone", func(t *testing.T) {
			resp, body := w.fetch(t, http.MethodGet, feeds.Path(alice))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET: %d\n%s", resp.StatusCode, body)
			}
			lines(t, body)
			p := parse(t, body)
			wantShifts := want(t, w, "alice", "desk", "primary", "secondary")
			compare(t, p, wantShifts, names)
			seen := map[string]bool{}
			for _, c := range wantShifts {
				seen[c.Schedule] = true
			}
			if !seen["primary"] || !seen["secondary"] || !seen["desk"] {
				t.Errorf("alice's feed covers %v, want primary, secondary and desk", seen)
			}
			if n := len(zonesOf(t, p.cal)); n != 2 {
				t.Errorf("%d VTIMEZONEs, want Denver and London", n)
			}
		})

		t.Run("a schedule staffed only by overrides shows just them", func(t *testing.T) {
			_, body := w.fetch(t, http.MethodGet, feeds.Path(desk))
			p := parse(t, body)
			compare(t, p, want(t, w, "", "desk"), names)
			if len(p.events) != 1 {
				t.Errorf("desk: %d events, want the one override", len(p.events))
			}
		})

		t.Run("names are escaped and long lines folded, and read back whole", func(t *testing.T) {
			_, body := w.fetch(t, http.MethodGet, feeds.Path(primary))
			if !strings.Contains(body, `Bob O'Brien\, Jr.\; SRE \\ on-call`) {
				t.Errorf("bob's name is not escaped as TEXT:\n%s", body)
			}
			found := false
			for _, ev := range parse(t, body).events {
				if prop(&ev.ComponentBase, ics.ComponentPropertySummary) == "On call for primary: "+names["carol"] {
					found = true
				}
			}
			if !found {
				t.Error("carol's folded SUMMARY does not read back whole")
			}
		})

		t.Run("UIDs are stable across fetches", func(t *testing.T) {
			_, a := w.fetch(t, http.MethodGet, feeds.Path(primary))
			storetest.ClockOf(db).Advance(2 * time.Minute)
			_, b := w.fetch(t, http.MethodGet, feeds.Path(primary))
			storetest.ClockOf(db).Set(now)
			ua, ub := uidsOf(parse(t, a)), uidsOf(parse(t, b))
			if len(ua) == 0 || strings.Join(ua, ",") != strings.Join(ub, ",") {
				t.Errorf("UIDs changed between fetches:\n%v\n%v", ua, ub)
			}
		})

		t.Run("HEAD answers GET's headers without a body", func(t *testing.T) {
			get, body := w.fetch(t, http.MethodGet, feeds.Path(primary))
			head, none := w.fetch(t, http.MethodHead, feeds.Path(primary))
			if head.StatusCode != http.StatusOK || none != "" || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") ||
				head.ContentLength != int64(len(body)) {
				t.Errorf("HEAD: %d, %d bytes, %s, length %d; GET had %d bytes", head.StatusCode, len(none), head.Header.Get("Content-Type"), head.ContentLength, len(body))
			}
		})

		t.Run("the token is never logged", func(t *testing.T) {
			w.fetch(t, http.MethodGet, feeds.Path(primary))
			w.fetch(t, http.MethodPost, feeds.Path(primary))
			logged := w.log.String()
			if !strings.Contains(logged, "/ical/") {
				t.Fatalf("no request logged:\n%s", logged)
			}
			for _, tok := range []string{primary, alice, desk, primary[4:20]} {
				if strings.Contains(logged, tok) {
					t.Errorf("the log holds a token:\n%s", logged)
				}
			}
		})
	})
}

func uidsOf(p parsed) []string {
	var out []string
	for _, ev := range p.events {
		out = append(out, ev.Id())
	}
	return out
}

// lines checks RFC 5545's line form: CRLF endings, at most 75 octets each.
func lines(t *testing.T, body string) {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Error("the feed does not end with CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line %d is %d octets: %.200q", i+1, len(l), l)
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %.200q", i+1, l)
		}
	}
}

func TestFeedBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seed(t, w)
		_, token := w.create(t, feeds.NewFeed{Schedule: "primary"})
		_, gone := w.create(t, feeds.NewFeed{Schedule: "primary", Name: "old"})
		if _, err := w.feeds.Revoke(context.Background(), "admin", "old"); err != nil {
			t.Fatal(err)
		}
		other := feeds.Prefix + strings.Repeat("A", len(token)-len(feeds.Prefix))
		for _, c := range []struct {
			name, method, path string
			status             int
		}{
			{"a valid feed", http.MethodGet, feeds.Path(token), 200},
			{"an unknown token", http.MethodGet, feeds.Path(other), 404},
			{"a revoked token", http.MethodGet, feeds.Path(gone), 404},
			{"a revoked token, HEAD", http.MethodHead, feeds.Path(gone), 404},
			{"a token too short", http.MethodGet, feeds.Path(token[:len(token)-1]), 404},
			{"a token without its prefix", http.MethodGet, feeds.Path(token[4:]), 404},
			{"a token that is not base64url", http.MethodGet, feeds.Path(token[:len(token)-1] + "%21"), 404},
			{"no .ics", http.MethodGet, "/ical/" + token, 404},
			{"another suffix", http.MethodGet, "/ical/" + token + ".ical", 404},
			{"a directory", http.MethodGet, "/ical/", 404},
			{"below a token", http.MethodGet, "/ical/" + token + "/x.ics", 404},
			{"POST", http.MethodPost, feeds.Path(token), 405},
			{"PUT", http.MethodPut, feeds.Path(token), 405},
			{"DELETE", http.MethodDelete, feeds.Path(token), 405},
			{"OPTIONS", http.MethodOptions, feeds.Path(token), 405},
			{"PATCH of an unknown token", http.MethodPatch, feeds.Path(other), 405},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := storetest.Dump(t, db)
				resp, body := w.fetch(t, c.method, c.path)
				if resp.StatusCode != c.status {
					t.Fatalf("%s %s: %d, want %d\n%s", c.method, c.path, resp.StatusCode, c.status, body)
				}
				if c.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("405 without Allow: GET, HEAD (%q)", resp.Header.Get("Allow"))
				}
				if c.status != 200 {
					if strings.Contains(body, "BEGIN:VCALENDAR") || strings.Contains(body, "primary") {
						t.Errorf("a refusal shows something: %q", body)
					}
					if after := storetest.Dump(t, db); !equalDumps(before, after) {
						t.Error("a refused request changed the database")
					}
				}
			})
		}
	})
}

func equalDumps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMalformedTokenIsNotLookedUp: with the database closed, a lookup
// would fail; a token of the wrong shape is refused before one.
func TestMalformedTokenIsNotLookedUp(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	w := newWorld(t, db)
	w.engineer(t, "alice", "Alice Smith", "+17205550111")
	_, token := w.create(t, feeds.NewFeed{Engineer: "alice"})
	db.Close()
	for _, bad := range []string{"", "x", token[:len(token)-1], "slt_" + token[4:], strings.ToUpper(token), token + "A",
		token[:len(token)-1] + "!", // not base64url
		token[:len(token)-1] + "B", // not canonical: the last character's unused bits are set
	} {
		if _, _, err := w.feeds.Calendar(context.Background(), bad); err != feeds.ErrNoFeed {
			t.Errorf("Calendar(%q) on a closed database: %v, want ErrNoFeed without a lookup", bad, err)
		}
	}
	if _, _, err := w.feeds.Calendar(context.Background(), token); err == nil || errcode.CodeOf(err) == errcode.NotFound {
		t.Errorf("a well-formed token on a closed database: %v, want the lookup's failure", err)
	}
}

func TestCreateListRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.engineer(t, "alice", "Alice Smith", "+17205550111")
		w.engineer(t, "bob", "Bob Jones", "+17205550112")
		w.schedule(t, "primary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")
		w.schedule(t, "spare", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")

		f, token := w.create(t, feeds.NewFeed{Schedule: "primary"})
		t.Run("a new feed: named after its schedule, a 256-bit token, only its hash stored, audited", func(t *testing.T) {
			if f.Name != "primary" || f.Schedule == nil || *f.Schedule != "primary" || f.Engineer != nil || f.Shows() != "schedule primary" {
				t.Errorf("created %+v", f)
			}
			if !strings.HasPrefix(token, "slf_") || len(token) != 4+43 {
				t.Errorf("token %q", token)
			}
			if u := w.feeds.URL(token); u != "https://support.example.com/ical/"+token+".ics" {
				t.Errorf("URL %s", u)
			}
			dump := storetest.DumpTable(t, db, "feed_tokens")
			if strings.Contains(dump, token) || strings.Contains(dump, token[4:]) {
				t.Error("the token is stored in clear")
			}
			ev := lastEvent(t, db)
			if ev.Actor != "admin" || ev.Action != "feed.create" || ev.Subject != "feed primary" || !strings.Contains(ev.Detail, "schedule primary") {
				t.Errorf("audit %+v", ev)
			}
			if strings.Contains(ev.Detail, token) {
				t.Error("the audit log holds the token")
			}
		})
		e, _ := w.create(t, feeds.NewFeed{Engineer: "bob", Name: "bob.phone"})

		t.Run("bad input is refused in words, nothing stored", func(t *testing.T) {
			for _, c := range []struct {
				name string
				in   feeds.NewFeed
				code errcode.Code
				msg  string
			}{
				{"neither", feeds.NewFeed{}, errcode.Invalid, "a feed shows one schedule or one engineer: name one of them"},
				{"both", feeds.NewFeed{Schedule: "primary", Engineer: "alice", Name: "x"}, errcode.Invalid, "a feed shows one schedule or one engineer: name one of them"},
				{"unknown schedule", feeds.NewFeed{Schedule: "nope"}, errcode.NotFound, `no schedule "nope"`},
				{"unknown engineer", feeds.NewFeed{Engineer: "zed"}, errcode.NotFound, "zed"},
				{"bad name", feeds.NewFeed{Schedule: "spare", Name: "Spare Feed"}, errcode.Invalid, `a feed name is 1 to 40 of a-z, 0-9, '.', '-' and '_', starting with a letter, not "Spare Feed"`},
				{"a number as name", feeds.NewFeed{Schedule: "spare", Name: "42"}, errcode.Invalid, "starting with a letter"},
				{"name taken", feeds.NewFeed{Schedule: "spare", Name: "primary"}, errcode.Conflict, "a feed named primary exists; choose another name or revoke it first (supportline feed revoke primary)"},
			} {
				t.Run(c.name, func(t *testing.T) {
					before := storetest.Dump(t, db)
					_, tok, err := w.feeds.Create(ctx, "admin", c.in)
					if errcode.CodeOf(err) != c.code || !strings.Contains(errcode.Message(err), c.msg) || tok != "" {
						t.Errorf("Create(%+v): %v (%s), want %s %q", c.in, err, errcode.CodeOf(err), c.code, c.msg)
					}
					if !equalDumps(before, storetest.Dump(t, db)) {
						t.Error("a refused create changed the database")
					}
				})
			}
		})

		t.Run("the list shows what each feed shows, never a token or hash", func(t *testing.T) {
			fs, err := w.feeds.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 2 || fs[0].Name != "bob.phone" || fs[0].Shows() != "engineer bob" || fs[1].Name != "primary" {
				t.Fatalf("list %+v", fs)
			}
			b, _ := json.Marshal(fs)
			if strings.Contains(string(b), token[4:]) || strings.Contains(string(b), "hash") {
				t.Errorf("the list shows a secret: %s", b)
			}
		})

		t.Run("a fetch is recorded, at most once a minute", func(t *testing.T) {
			if _, _, err := w.feeds.Calendar(ctx, token); err != nil {
				t.Fatal(err)
			}
			fs, _ := w.feeds.List(ctx)
			if fs[1].LastFetched == nil || !fs[1].LastFetched.Equal(now) {
				t.Fatalf("last fetched %v, want %s", fs[1].LastFetched, now)
			}
			storetest.ClockOf(db).Advance(30 * time.Second)
			w.feeds.Calendar(ctx, token)
			fs, _ = w.feeds.List(ctx)
			if !fs[1].LastFetched.Equal(now) {
				t.Errorf("written again after 30 s: %v", fs[1].LastFetched)
			}
			storetest.ClockOf(db).Advance(31 * time.Second)
			w.feeds.Calendar(ctx, token)
			fs, _ = w.feeds.List(ctx)
			if !fs[1].LastFetched.Equal(now.Add(61 * time.Second)) {
				t.Errorf("not written after 61 s: %v", fs[1].LastFetched)
			}
			storetest.ClockOf(db).Set(now)
		})

		t.Run("revoke by ID or name; the token stops at once; the name is free again", func(t *testing.T) {
			got, err := w.feeds.Revoke(ctx, "user:admin@example.com", "primary")
			if err != nil || got.ID != f.ID {
				t.Fatalf("revoke primary: %+v %v", got, err)
			}
			if ev := lastEvent(t, db); ev.Actor != "user:admin@example.com" || ev.Action != "feed.revoke" || ev.Subject != "feed primary" {
				t.Errorf("audit %+v", ev)
			}
			if _, _, err := w.feeds.Calendar(ctx, token); err != feeds.ErrNoFeed {
				t.Errorf("revoked token: %v", err)
			}
			if _, err := w.feeds.Revoke(ctx, "admin", "primary"); errcode.CodeOf(err) != errcode.NotFound {
				t.Errorf("revoke twice: %v", err)
			}
			if _, err := w.feeds.Revoke(ctx, "admin", strconv.FormatInt(e.ID, 10)); err != nil {
				t.Errorf("revoke by ID %d: %v", e.ID, err)
			}
			for _, ref := range []string{"nope", "999", "", "Bad Name", "-1"} {
				if _, err := w.feeds.Revoke(ctx, "admin", ref); errcode.CodeOf(err) != errcode.NotFound {
					t.Errorf("revoke %q: %v, want not found", ref, err)
				}
			}
			if fs, _ := w.feeds.List(ctx); len(fs) != 0 {
				t.Errorf("revoked feeds listed: %+v", fs)
			}
			if _, tok, err := w.feeds.Create(ctx, "admin", feeds.NewFeed{Schedule: "primary"}); err != nil || tok == token {
				t.Errorf("the name is not free again: %v", err)
			}
		})

		t.Run("a feed goes with its schedule or engineer", func(t *testing.T) {
			_, spare := w.create(t, feeds.NewFeed{Schedule: "spare"})
			_, ali := w.create(t, feeds.NewFeed{Engineer: "alice"})
			if _, err := w.oc.RemoveSchedule(ctx, "admin", "spare", true); err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.feeds.Calendar(ctx, spare); err != feeds.ErrNoFeed {
				t.Errorf("feed of a removed schedule: %v", err)
			}
			if _, err := w.oc.SetMembers(ctx, "admin", "primary", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := w.oc.RemoveEngineer(ctx, "admin", "alice"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.feeds.Calendar(ctx, ali); err != feeds.ErrNoFeed {
				t.Errorf("feed of a removed engineer: %v", err)
			}
			for _, f := range mustList(t, w) {
				if f.Name == "spare" || f.Name == "alice" {
					t.Errorf("listed after its target went: %+v", f)
				}
			}
		})
	})
}

func mustList(t *testing.T, w *world) []feeds.Feed {
	t.Helper()
	fs, err := w.feeds.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func lastEvent(t *testing.T, db *store.DB) audit.Event {
	t.Helper()
	evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit list: %d events, %v", len(evs), err)
	}
	return evs[len(evs)-1]
}
