package sla

import (
	"time"
)

// PresetUSFederal names the US federal holidays as OPM observes them.
const PresetUSFederal = "us-federal"

// HolidayPresets returns the holiday preset names a calendar may list.
func HolidayPresets() []string { return []string{PresetUSFederal} }

// ValidHoliday checks one entry of a calendar's holiday list: a preset name
// (see [HolidayPresets]) or a valid "YYYY-MM-DD" date. The error is a
// *[FieldError] with Field "holidays".
func ValidHoliday(s string) error {
	_, _, err := parseHoliday(s)
	return err
}

// parseHoliday returns either the preset name or the explicit date (at UTC
// midnight; only its calendar date matters).
func parseHoliday(s string) (preset string, date time.Time, err error) {
	for _, p := range HolidayPresets() {
		if s == p {
			return p, time.Time{}, nil
		}
	}
	if looksLikeDate(s) {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return "", time.Time{}, fieldErr("holidays", s, "invalid holiday date %q (no such day)", s)
		}
		return "", d, nil
	}
	return "", time.Time{}, fieldErr("holidays", s, "unknown holiday preset or date %q", s)
}

// looksLikeDate reports whether s has the shape NNNN-NN-NN, so that
// "2026-02-30" gets a message about the date rather than about presets.
func looksLikeDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return false
			}
		} else if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// holidayDays returns the days of year y (0-based, sorted, possibly with
// duplicates) that are observed holidays of c.
func (c *Calendar) holidayDays(y int) []int {
	var out []int
	for _, p := range c.presets {
		if p == PresetUSFederal {
			out = append(out, usFederal(y)...)
		}
	}
	return append(out, c.explicit[y]...)
}

// usFederal returns the days of year y (0-based) on which a US federal
// holiday is observed, in date order.
func usFederal(y int) []int {
	named := usFederalNamed(y)
	out := make([]int, len(named))
	for i, h := range named {
		out[i] = h.day
	}
	return out
}

// namedDay is an observed holiday: a day of the year (0-based) and its name.
type namedDay struct {
	day  int
	name string
}

// usFederalNamed returns the US federal holidays observed in year y, in date
// order, with their names ("(observed)" added when a weekend moved them). The
// current rules apply to every year, except that Martin Luther King Jr. Day
// starts in 1986 and Juneteenth in 2021; earlier years are not historically
// exact (Monday-holiday rules changed in 1971), which no SLA needs.
func usFederalNamed(y int) []namedDay {
	out := make([]namedDay, 0, 12)
	add := func(t time.Time, name string) {
		if t.Year() == y {
			out = append(out, namedDay{t.YearDay() - 1, name})
		}
	}
	fixed := func(y int, m time.Month, d int, name string) {
		t := observed(y, m, d)
		if t.Month() != m || t.Day() != d {
			name += " (observed)"
		}
		add(t, name)
	}
	fixed(y, time.January, 1, "New Year's Day")
	if y >= 1986 {
		add(nthWeekday(y, time.January, time.Monday, 3), "Martin Luther King Jr. Day")
	}
	add(nthWeekday(y, time.February, time.Monday, 3), "Washington's Birthday")
	add(lastWeekday(y, time.May, time.Monday), "Memorial Day")
	if y >= 2021 {
		fixed(y, time.June, 19, "Juneteenth National Independence Day")
	}
	fixed(y, time.July, 4, "Independence Day")
	add(nthWeekday(y, time.September, time.Monday, 1), "Labor Day")
	add(nthWeekday(y, time.October, time.Monday, 2), "Columbus Day")
	fixed(y, time.November, 11, "Veterans Day")
	add(nthWeekday(y, time.November, time.Thursday, 4), "Thanksgiving Day")
	fixed(y, time.December, 25, "Christmas Day")
	// Next year's New Year's Day on a Saturday is observed on December 31 of y.
	fixed(y+1, time.January, 1, "New Year's Day")
	return out
}

// observed moves a fixed-date holiday off the weekend: Saturday to the
// Friday before, Sunday to the Monday after.
func observed(y int, m time.Month, d int) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch t.Weekday() {
	case time.Saturday:
		return t.AddDate(0, 0, -1)
	case time.Sunday:
		return t.AddDate(0, 0, 1)
	}
	return t
}

// nthWeekday returns the n-th (1-based) wd of month m in year y.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) time.Time {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	shift := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, shift+7*(n-1))
}

// lastWeekday returns the last wd of month m in year y.
func lastWeekday(y int, m time.Month, wd time.Weekday) time.Time {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
	shift := (int(last.Weekday()) - int(wd) + 7) % 7
	return last.AddDate(0, 0, -shift)
}
