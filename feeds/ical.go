package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	ics "github.com/arran4/golang-ical"
)

// localFormat is a DATE-TIME in local time (RFC 5545 form #3, with TZID).
const localFormat = "20060102T150405"

// render writes shifts as an iCalendar document titled title, stamped at
// now. Each event's times are local with the TZID of its schedule's zone,
// and each zone used gets a VTIMEZONE built from Go's zone data for the
// span of its events, so a calendar application shows a Monday 09:00
// handoff at 09:00 on both sides of a DST change. The library folds lines
// at 75 octets and escapes TEXT values (SUMMARY, DESCRIPTION, TZNAME).
func render(title string, now time.Time, shifts []shift) string {
	cal := ics.NewCalendarFor("Supportline")
	cal.SetProductId("-//Supportline//On-call feed//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(title)
	cal.SetXWRCalName(title)
	// Ask subscribers to come back hourly: overrides change the shifts.
	// (The library's property name already carries ;VALUE=DURATION.)
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")

	type span struct {
		loc      *time.Location
		from, to time.Time
	}
	spans := map[string]*span{}
	for _, sh := range shifts {
		id := sh.Loc.String()
		if sp, ok := spans[id]; !ok {
			spans[id] = &span{sh.Loc, sh.Start, sh.End}
		} else {
			if sh.Start.Before(sp.from) {
				sp.from = sh.Start
			}
			if sh.End.After(sp.to) {
				sp.to = sh.End
			}
		}
	}
	ids := make([]string, 0, len(spans))
	for id := range spans {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sp := spans[id]
		cal.AddVTimezone(vtimezone(sp.loc, sp.from, sp.to))
	}

	for _, sh := range shifts {
		ev := cal.AddEvent(uid(sh))
		ev.SetDtStampTime(now)
		setTime(&ev.ComponentBase, ics.ComponentPropertyDtStart, sh.Start, sh.Loc)
		setTime(&ev.ComponentBase, ics.ComponentPropertyDtEnd, sh.End, sh.Loc)
		ev.SetSummary(fmt.Sprintf("On call for %s: %s", sh.Schedule, sh.Name))
		how := "from the rotation"
		if sh.Override != 0 {
			how = fmt.Sprintf("by override #%d", sh.Override)
		}
		ev.SetDescription(fmt.Sprintf("%s (%s) is on call for schedule %s, %s. Times are in %s.", sh.Name, sh.Engineer, sh.Schedule, how, sh.Loc))
		// A shift is availability, not a meeting: it must not make the
		// engineer look busy to schedulers.
		ev.SetTimeTransparency(ics.TransparencyTransparent)
	}
	// The library ends lines with the OS's newline unless told: RFC 5545
	// wants CRLF everywhere.
	return cal.Serialize(ics.WithNewLineWindows)
}

// setTime sets a DATE-TIME property to t as local time in loc with its
// TZID, or in UTC when t is the second occurrence of a wall-clock time that
// happens twice (the hour a fall-back repeats): RFC 5545 reads such a local
// time as the first occurrence, which would put the shift an hour early.
func setTime(c *ics.ComponentBase, p ics.ComponentProperty, t time.Time, loc *time.Location) {
	if repeatedWall(t.In(loc)) {
		c.SetProperty(p, t.UTC().Format(localFormat+"Z"))
		return
	}
	c.SetProperty(p, t.In(loc).Format(localFormat), ics.WithTZID(loc.String()))
}

// repeatedWall reports whether t's wall clock was also shown earlier, just
// before its zone's offset went back (t is in the repeated stretch of a
// fall-back, or of any backward offset change).
func repeatedWall(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, now := t.Zone()
	_, before := start.Add(-time.Second).Zone()
	back := time.Duration(before-now) * time.Second
	return back > 0 && t.Sub(start) < back
}

// uid names a shift stably across fetches: the same schedule, start,
// engineer and override give the same UID, so a subscriber updates an
// event rather than duplicating it; a shift cut by a new override gets new
// ones for its pieces.
func uid(sh shift) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "supportline shift\x00%s\x00%s\x00%s\x00%d",
		sh.Schedule, sh.Start.UTC().Format(time.RFC3339), sh.Engineer, sh.Override))
	return hex.EncodeToString(sum[:16]) + "@supportline"
}

// vtimezone describes loc over [from, to] from Go's zone data, without
// recurrence rules: one STANDARD or DAYLIGHT sub-component for the offset
// in force at from (its onset is that offset's start, or 1970 for a zone
// that never changed), and one for each change up to to. Listing the
// transitions themselves is exact for any zone and any year, where
// RRULEs would have to guess the rule.
func vtimezone(loc *time.Location, from, to time.Time) *ics.VTimezone {
	tz := ics.NewTimezone(loc.String())
	t := from.In(loc)
	for {
		start, end := t.ZoneBounds()
		tz.Components = append(tz.Components, observance(t, start))
		if end.IsZero() || end.After(to) {
			break
		}
		t = end.In(loc)
	}
	return tz
}

// observance is the sub-component of the offset in force at t, which took
// effect at start (zero: always).
func observance(t, start time.Time) ics.Component {
	name, offset := t.Zone()
	from, onset := offset, "19700101T000000"
	if !start.IsZero() {
		_, from = start.Add(-time.Second).In(t.Location()).Zone()
		// DTSTART is the onset in the local time of the offset before it.
		onset = start.In(time.FixedZone("", from)).Format(localFormat)
	}
	var c *ics.ComponentBase
	var out ics.Component
	if t.IsDST() {
		d := &ics.Daylight{}
		c, out = &d.ComponentBase, d
	} else {
		s := ics.NewStandard()
		c, out = &s.ComponentBase, s
	}
	c.SetProperty(ics.ComponentPropertyDtStart, onset)
	c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(from))
	c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(offset))
	if name != "" {
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzname), name)
	}
	return out
}

// utcOffset writes seconds east of UTC as RFC 5545's UTC-OFFSET: +HHMM, or
// +HHMMSS when there are seconds (old local mean times).
func utcOffset(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	s := sign + pad(secs/3600) + pad(secs/60%60)
	if secs%60 != 0 {
		s += pad(secs % 60)
	}
	return s
}

func pad(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
