package sla

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // zones must resolve identically on hosts without a zoneinfo database
)

// AlwaysName is the name of the built-in 24x7 calendar returned by [Always].
const AlwaysName = "always"

const (
	minutesPerDay = 24 * 60
	// Year tables for these years are cached; others are rebuilt on demand,
	// which is correct but slower.
	cacheFirstYear = 1970
	cacheYears     = 256
)

// Calendar is a business calendar: an IANA time zone, a set of weekdays, an
// opening and a closing wall-clock time, and holidays. A Calendar is
// immutable after construction and safe for concurrent use; build it with
// [NewCalendar] or [Always] and share the pointer.
type Calendar struct {
	name     string
	zone     string // as given, for String
	loc      *time.Location
	always   bool
	days     [7]bool // indexed by time.Weekday
	open     int     // minutes after local midnight, 0..1439
	close    int     // minutes after local midnight, open+1..1440
	presets  []string
	explicit map[int][]int // year -> days of the year (0-based) of explicit holiday dates
	holidays []string      // as given, for String

	// years caches one window table per year; filled lazily, lock-free.
	years [cacheYears]atomic.Pointer[yearTable]
}

// FieldError reports one bad calendar or target field. Field is one of "tz",
// "days", "open", "close", "holidays" or "target"; Value is the offending
// value as written. The message is short and names the value, so the config
// package can prefix the key path ("calendars.business.tz: ...").
type FieldError struct {
	Field string
	Value string
	msg   string
}

// Error returns the plain message, e.g. `unknown day "mun"`.
func (e *FieldError) Error() string { return e.msg }

func fieldErr(field, value, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Value: value, msg: fmt.Sprintf(format, args...)}
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// weekOrder lists weekdays Monday first, the way people read opening hours.
var weekOrder = [7]time.Weekday{
	time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday,
}

// NewCalendar builds a business calendar. tz is an IANA zone name; days are
// lowercase three-letter weekday names (mon tue wed thu fri sat sun, no
// duplicates, at least one); open and close are "HH:MM" 24h wall-clock times
// with open < close ("24:00" is allowed for close and means the next local
// midnight); holidays are preset names (see [HolidayPresets]) and explicit
// "YYYY-MM-DD" dates, which add to the presets. The first bad field is
// reported as a *[FieldError].
func NewCalendar(name, tz string, days []string, open, close string, holidays []string) (*Calendar, error) {
	loc, err := LoadZone(tz)
	if err != nil {
		return nil, err
	}
	set, err := parseDays(days)
	if err != nil {
		return nil, err
	}
	openMin, closeMin, err := parseHours(open, close)
	if err != nil {
		return nil, err
	}
	c := &Calendar{
		name:     name,
		zone:     tz,
		loc:      loc,
		days:     set,
		open:     openMin,
		close:    closeMin,
		explicit: map[int][]int{},
		holidays: append([]string(nil), holidays...),
	}
	seen := map[string]bool{}
	for _, h := range holidays {
		if seen[h] {
			return nil, fieldErr("holidays", h, "duplicate holiday %q", h)
		}
		seen[h] = true
		preset, date, err := parseHoliday(h)
		if err != nil {
			return nil, err
		}
		if preset != "" {
			c.presets = append(c.presets, preset)
			continue
		}
		y := date.Year()
		c.explicit[y] = append(c.explicit[y], date.YearDay()-1)
	}
	return c, nil
}

var always = &Calendar{
	name:   AlwaysName,
	zone:   "UTC",
	loc:    time.UTC,
	always: true,
	days:   [7]bool{true, true, true, true, true, true, true},
	open:   0,
	close:  minutesPerDay,
}

// Always returns the built-in 24x7 calendar named "always": every day,
// 00:00-24:00 UTC, no holidays. Every target on it is absolute time (see
// [Due]). The same pointer is returned on every call.
func Always() *Calendar { return always }

// LoadZone resolves an IANA time zone name, rejecting "" and "Local" (which
// would silently follow the host's zone). Exposed so config can validate the
// tz field on its own.
func LoadZone(tz string) (*time.Location, error) {
	if tz == "" || tz == "Local" {
		return nil, fieldErr("tz", tz, "unknown time zone %q (want an IANA name such as \"America/Denver\")", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fieldErr("tz", tz, "unknown time zone %q", tz)
	}
	return loc, nil
}

// ValidDays checks a weekday list as [NewCalendar] wants it.
func ValidDays(days []string) error {
	_, err := parseDays(days)
	return err
}

// ValidHours checks an opening and a closing time as [NewCalendar] wants
// them.
func ValidHours(open, close string) error {
	_, _, err := parseHours(open, close)
	return err
}

func parseDays(days []string) ([7]bool, error) {
	var set [7]bool
	if len(days) == 0 {
		return set, fieldErr("days", "", "no business days (want at least one of mon tue wed thu fri sat sun)")
	}
	for _, s := range days {
		wd, ok := dayNames[s]
		if !ok {
			return set, fieldErr("days", s, "unknown day %q (want mon tue wed thu fri sat sun)", s)
		}
		if set[wd] {
			return set, fieldErr("days", s, "duplicate day %q", s)
		}
		set[wd] = true
	}
	return set, nil
}

func parseHours(open, close string) (int, int, error) {
	o, ok := parseClock(open)
	if !ok || o == minutesPerDay {
		return 0, 0, fieldErr("open", open, "invalid open time %q (want HH:MM from 00:00 to 23:59)", open)
	}
	c, ok := parseClock(close)
	if !ok {
		return 0, 0, fieldErr("close", close, "invalid close time %q (want HH:MM from 00:00 to 24:00)", close)
	}
	if o >= c {
		return 0, 0, fieldErr("close", close, "open %q must be before close %q", open, close)
	}
	return o, c, nil
}

// parseClock reads "HH:MM" (exactly two digits each) into minutes after
// midnight; "24:00" is accepted as 1440.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range [4]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	hh := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[3]-'0')*10 + int(s[4]-'0')
	if mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

func formatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Name returns the calendar's name as given to [NewCalendar] ("always" for
// [Always]).
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone; every instant this package
// returns for c is in it.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsAlways reports whether c is the built-in 24x7 calendar, on which
// targets count absolute time.
func (c *Calendar) IsAlways() bool { return c.always }

// WorkdayLength returns close minus open as wall-clock time (9h for
// 08:00-17:00, 24h for always), the length of one "bd". It is nominal: on a
// DST day a window spanning 02:00 is an hour shorter or longer.
func (c *Calendar) WorkdayLength() time.Duration {
	return time.Duration(c.close-c.open) * time.Minute
}

// IsHoliday reports whether the local date of localDate in c's zone is an
// observed holiday of c (a preset's observed date or an explicit date). The
// instant is converted to c's zone first, so pass a local midnight (as
// [Calendar.Holidays] returns) or any instant on the day in question, not a
// UTC midnight; to ask about a bare date use [Calendar.IsHolidayDate].
func (c *Calendar) IsHoliday(localDate time.Time) bool {
	y, m, d := localDate.In(c.loc).Date()
	return c.IsHolidayDate(y, m, d)
}

// IsHolidayDate reports whether the calendar date y-m-d is an observed
// holiday of c, with no time-zone conversion.
func (c *Calendar) IsHolidayDate(y int, m time.Month, d int) bool {
	if c.always {
		return false
	}
	// Normalise out-of-range days the way time.Date does.
	n := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return c.table(n.Year()).hol[n.YearDay()-1]
}

// Holidays returns the observed holidays of c that fall in year, as local
// midnights in c's zone, sorted, explicit dates included. A New Year's Day on
// a Saturday is observed on December 31 and so belongs to the previous year.
func (c *Calendar) Holidays(year int) []time.Time {
	if c.always {
		return nil
	}
	tab := c.table(year)
	var out []time.Time
	for i, h := range tab.hol {
		if h {
			out = append(out, time.Date(year, time.January, 1+i, 0, 0, 0, 0, c.loc))
		}
	}
	return out
}

// IsOpen reports whether t is business time on c.
func (c *Calendar) IsOpen(t time.Time) bool {
	if c.always {
		return true
	}
	p := c.locate(t)
	for _, q := range [3]pos{c.prev(p), p, c.next(p)} {
		if q.contains(t) {
			return true
		}
	}
	return false
}

// NextOpen returns t itself (in c's zone) if it is business time, else the
// next opening instant after t.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if c.always {
		return t.In(c.loc)
	}
	p := c.firstWindowEndingAfter(t)
	if s := p.start(); t.Unix() < s {
		return time.Unix(s, 0).In(c.loc)
	}
	return t.In(c.loc)
}

// String describes the calendar for people, e.g.
// "business (Mon-Fri 09:00-17:00 America/Denver, holidays: us-federal, 2026-12-24)".
func (c *Calendar) String() string {
	if c.always {
		return c.name + " (24x7 UTC)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s %s-%s %s", c.name, c.dayRanges(), formatClock(c.open), formatClock(c.close), c.zone)
	if len(c.holidays) > 0 {
		fmt.Fprintf(&b, ", holidays: %s", strings.Join(c.holidays, ", "))
	}
	b.WriteString(")")
	return b.String()
}

// dayRanges renders the weekday set Monday first, collapsing runs:
// "Mon-Fri", "Mon,Wed-Fri", "Sat-Sun".
func (c *Calendar) dayRanges() string {
	var parts []string
	for i := 0; i < 7; {
		if !c.days[weekOrder[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && c.days[weekOrder[j+1]] {
			j++
		}
		first := weekOrder[i].String()[:3]
		if j == i {
			parts = append(parts, first)
		} else {
			parts = append(parts, first+"-"+weekOrder[j].String()[:3])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
