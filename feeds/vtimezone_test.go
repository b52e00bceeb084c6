package feeds_test

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"supportline/feeds"
)

// rules is a VTIMEZONE read back as RFC 5545 says a reader must: each
// observance takes effect at its onset (DTSTART, a local time in its
// TZOFFSETFROM) and holds until the next; before the first, the first's
// TZOFFSETFROM holds. It knows nothing of Go's zone data, so agreeing with
// Go is a test of what the feed says, not of the code that said it.
type rules []observance

type observance struct {
	onset    time.Time // UTC
	from, to int       // seconds east of UTC
	daylight bool      // a DAYLIGHT sub-component, not a STANDARD one
}

// zonesOf reads every VTIMEZONE of cal by TZID.
func zonesOf(t *testing.T, cal *ics.Calendar) map[string]rules {
	t.Helper()
	out := map[string]rules{}
	for _, tz := range cal.Timezones() {
		id := prop(&tz.ComponentBase, ics.ComponentPropertyTzid)
		var rs rules
		for _, sub := range tz.Components {
			var c *ics.ComponentBase
			daylight := false
			switch sub := sub.(type) {
			case *ics.Standard:
				c = &sub.ComponentBase
			case *ics.Daylight:
				c, daylight = &sub.ComponentBase, true
			default:
				t.Fatalf("VTIMEZONE %s holds a %T", id, sub)
			}
			naive, err := time.Parse("20060102T150405", prop(c, ics.ComponentPropertyDtStart))
			if err != nil {
				t.Fatalf("VTIMEZONE %s: DTSTART: %v", id, err)
			}
			from := offset(t, prop(c, ics.ComponentProperty(ics.PropertyTzoffsetfrom)))
			to := offset(t, prop(c, ics.ComponentProperty(ics.PropertyTzoffsetto)))
			rs = append(rs, observance{onset: naive.Add(-time.Duration(from) * time.Second), from: from, to: to, daylight: daylight})
		}
		if len(rs) == 0 {
			t.Fatalf("VTIMEZONE %s has no STANDARD or DAYLIGHT", id)
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].onset.Before(rs[j].onset) })
		out[id] = rs
	}
	return out
}

func offset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		t.Fatalf("UTC offset %q", s)
	}
	n := func(i int) int {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil {
			t.Fatalf("UTC offset %q", s)
		}
		return v
	}
	secs := n(1)*3600 + n(3)*60
	if len(s) == 7 {
		secs += n(5)
	}
	if s[0] == '-' {
		secs = -secs
	}
	return secs
}

// at is the offset in force at u.
func (rs rules) at(u time.Time) int {
	off := rs[0].from
	for _, o := range rs {
		if o.onset.After(u) {
			break
		}
		off = o.to
	}
	return off
}

// instant reads a local DATE-TIME: the first instant showing that wall
// clock; false for a wall clock the zone skips.
func (rs rules) instant(local string) (time.Time, bool) {
	naive, err := time.Parse("20060102T150405", local)
	if err != nil {
		return time.Time{}, false
	}
	var best time.Time
	found := false
	for _, o := range rs {
		for _, off := range []int{o.from, o.to} {
			u := naive.Add(-time.Duration(off) * time.Second)
			if rs.at(u) == off && (!found || u.Before(best)) {
				best, found = u, true
			}
		}
	}
	return best, found
}

// TestVTimezoneAgreesWithGo describes zones over windows that hold their
// oddities (DST both ways, a 30-minute DST, DST abolished, a skipped day,
// none at all) and reads every quarter hour back through the description.
func TestVTimezoneAgreesWithGo(t *testing.T) {
	for _, c := range []struct {
		zone     string
		from, to string
	}{
		{"America/Denver", "2026-10-21T00:00:00Z", "2027-04-01T00:00:00Z"},
		{"Europe/London", "2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"},
		{"Australia/Lord_Howe", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z"},
		{"America/Sao_Paulo", "2018-06-01T00:00:00Z", "2020-06-01T00:00:00Z"}, // DST ended for good in 2019
		{"Pacific/Apia", "2011-12-01T00:00:00Z", "2012-01-31T00:00:00Z"},      // skipped 2011-12-30
		{"Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"},
		{"UTC", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"America/St_Johns", "2026-03-01T00:00:00Z", "2026-11-30T00:00:00Z"}, // -03:30
	} {
		t.Run(c.zone, func(t *testing.T) {
			loc, err := time.LoadLocation(c.zone)
			if err != nil {
				t.Fatal(err)
			}
			from, _ := time.Parse(time.RFC3339, c.from)
			to, _ := time.Parse(time.RFC3339, c.to)
			cal := ics.NewCalendar()
			cal.AddVTimezone(feeds.VTimezone(loc, from, to))
			body := cal.Serialize()
			back, err := ics.ParseCalendar(strings.NewReader(body))
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, body)
			}
			rs := zonesOf(t, back)[c.zone]
			if rs == nil {
				t.Fatalf("no VTIMEZONE %s:\n%s", c.zone, body)
			}
			for _, o := range rs {
				if at := o.onset.Add(time.Second); at.After(from) && o.daylight != at.In(loc).IsDST() {
					t.Errorf("the observance from %s is DAYLIGHT %v, Go says DST %v", o.onset, o.daylight, at.In(loc).IsDST())
				}
			}
			for u := from; !u.After(to); u = u.Add(15 * time.Minute) {
				_, goOff := u.In(loc).Zone()
				if got := rs.at(u); got != goOff {
					t.Fatalf("at %s the feed says offset %d s, Go %d s\n%s", u, got, goOff, body)
				}
				local := u.In(loc).Format("20060102T150405")
				got, ok := rs.instant(local)
				if !ok || got.After(u) || (!got.Equal(u) && !repeated(u, c.zone)) {
					t.Fatalf("%s (%s) read back as %s (ok %v)", local, u, got, ok)
				}
			}
		})
	}
}
