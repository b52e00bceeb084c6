package oncall

import (
	"fmt"
	"time"
)

// civilLayout is the only accepted spelling of a Civil time. It carries no
// zone on purpose: the zone belongs to the schedule, and an offset typed next
// to the handoff would silently disagree with it after the next DST change.
const civilLayout = "YYYY-MM-DDTHH:MM"

// Civil is a wall-clock date and time to the minute, with no zone. A handoff
// is stored as Civil rather than as an instant because "Monday 09:00 in
// Denver" must stay 09:00 across DST changes, which no fixed instant does.
type Civil struct {
	Year   int
	Month  time.Month
	Day    int
	Hour   int
	Minute int
}

// ParseCivil reads "2026-01-05T09:00" (four-digit year, two digits for every
// other field, no seconds, no zone). It is strict so that the CLI and the
// database round-trip the same text, and so that a pasted RFC 3339 instant
// (with an offset) is refused instead of having its offset ignored.
func ParseCivil(s string) (Civil, error) {
	bad := fmt.Errorf("civil time %q: want %s (wall clock, no seconds, no zone)", s, civilLayout)
	if len(s) != len(civilLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' {
		return Civil{}, bad
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return Civil{}, bad
	}
	c := Civil{Year: year, Month: time.Month(month), Day: day, Hour: hour, Minute: minute}
	if err := c.Validate(); err != nil {
		return Civil{}, fmt.Errorf("civil time %q: %w", s, err)
	}
	return c, nil
}

// digits parses ASCII digits only; strconv.Atoi would also take a sign.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// String formats c the way ParseCivil reads it, so stored and printed
// handoffs are the same text.
func (c Civil) String() string {
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d", c.Year, int(c.Month), c.Day, c.Hour, c.Minute)
}

// Validate reports a field out of range. time.Date would quietly normalize
// "February 30" to March 2; a handoff typed that way is a mistake, not a date.
func (c Civil) Validate() error {
	switch {
	case c.Year < 1 || c.Year > 9999:
		return fmt.Errorf("year %d out of range 0001-9999", c.Year)
	case c.Month < time.January || c.Month > time.December:
		return fmt.Errorf("month %d out of range 1-12", int(c.Month))
	case c.Day < 1 || c.Day > daysIn(c.Year, c.Month):
		return fmt.Errorf("day %d out of range for %s %d", c.Day, c.Month, c.Year)
	case c.Hour < 0 || c.Hour > 23:
		return fmt.Errorf("hour %d out of range 0-23", c.Hour)
	case c.Minute < 0 || c.Minute > 59:
		return fmt.Errorf("minute %d out of range 0-59", c.Minute)
	}
	return nil
}

// In returns the instant at which clocks in loc show c. A civil time that
// does not exist (the spring-forward gap) or exists twice (the fall-back
// hour) is resolved by time.Date, which picks one of the two offsets around
// the transition; which one depends on the zone (see Schedule).
func (c Civil) In(loc *time.Location) time.Time {
	return time.Date(c.Year, c.Month, c.Day, c.Hour, c.Minute, 0, 0, loc)
}

// naiveSeconds is c read as if it were UTC: a linear count of wall-clock
// seconds, in which adding a shift is plain addition regardless of DST.
func (c Civil) naiveSeconds() int64 {
	return time.Date(c.Year, c.Month, c.Day, c.Hour, c.Minute, 0, 0, time.UTC).Unix()
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
