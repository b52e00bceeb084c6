package sla

import (
	"strings"
	"time"
)

// ExplicitHolidayName names a holiday that a calendar lists as a date
// ("2026-12-24") rather than through a preset.
const ExplicitHolidayName = "listed date"

// Holiday is one observed holiday of a calendar.
type Holiday struct {
	// Date is the local midnight of the observed day, in the calendar's zone.
	Date time.Time
	// Name is the holiday's name ("Independence Day (observed)" when a
	// weekend moved it), or [ExplicitHolidayName] for a listed date. A day
	// that is both gets both names, joined by "; ".
	Name string
}

// NamedHolidays returns the same days as [Calendar.Holidays], each with its
// name, for people checking a calendar by eye.
func (c *Calendar) NamedHolidays(year int) []Holiday {
	if c.always {
		return nil
	}
	names := map[int][]string{}
	for _, p := range c.presets {
		if p == PresetUSFederal {
			for _, h := range usFederalNamed(year) {
				names[h.day] = append(names[h.day], h.name)
			}
		}
	}
	for _, d := range c.explicit[year] {
		names[d] = append(names[d], ExplicitHolidayName)
	}
	days := c.Holidays(year)
	out := make([]Holiday, len(days))
	for i, d := range days {
		out[i] = Holiday{Date: d, Name: strings.Join(names[d.YearDay()-1], "; ")}
	}
	return out
}
