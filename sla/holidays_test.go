package sla

import (
	"slices"
	"testing"
	"time"

	"github.com/rickar/cal/v2/us"
)

func dates(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format(time.DateOnly)
	}
	return out
}

// The observed federal holidays as published by OPM
// (opm.gov/policy-data-oversight/pay-leave/federal-holidays).
func TestUSFederalMatchesOPM(t *testing.T) {
	opm := map[int][]string{
		2024: {"2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27", "2024-06-19", "2024-07-04",
			"2024-09-02", "2024-10-14", "2024-11-11", "2024-11-28", "2024-12-25"},
		2025: {"2025-01-01", "2025-01-20", "2025-02-17", "2025-05-26", "2025-06-19", "2025-07-04",
			"2025-09-01", "2025-10-13", "2025-11-11", "2025-11-27", "2025-12-25"},
	}
	for _, spec := range []calSpec{denverSpec, nySpec} {
		c := spec.build(t)
		for year, want := range opm {
			t.Run(spec.tz+" "+time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), func(t *testing.T) {
				got := c.Holidays(year)
				if !slices.Equal(dates(got), want) {
					t.Errorf("Holidays(%d)\n got %v\nwant %v", year, dates(got), want)
				}
				for _, h := range got {
					if h.Location() != c.Location() || h.Hour() != 0 || h.Minute() != 0 {
						t.Errorf("%v is not a local midnight in %v", h, c.Location())
					}
				}
			})
		}
	}
}

func TestObservedHolidaysOnWeekends(t *testing.T) {
	denver := denverSpec.build(t)
	tests := []struct {
		name    string
		year    int
		has     []string
		hasNot  []string
		howMany int
	}{
		{"Independence Day 2026 is a Saturday, observed Friday July 3", 2026, []string{"2026-07-03"}, []string{"2026-07-04"}, 11},
		{"Christmas 2027 is a Saturday, observed Friday December 24", 2027, []string{"2027-12-24"}, []string{"2027-12-25"}, 12},
		{"New Year 2028 is a Saturday, observed Friday December 31 2027", 2027, []string{"2027-12-31"}, nil, 12},
		{"2028's own list has no New Year's Day", 2028, []string{"2028-01-17", "2028-12-25"}, []string{"2028-01-01"}, 10},
		{"Veterans Day 2029 is a Sunday, observed Monday November 12", 2029, []string{"2029-11-12"}, []string{"2029-11-11"}, 11},
		{"Juneteenth 2027 is a Saturday, observed Friday June 18", 2027, []string{"2027-06-18"}, []string{"2027-06-19"}, 12},
		{"New Year 2023 is a Sunday, observed Monday January 2", 2023, []string{"2023-01-02"}, []string{"2023-01-01"}, 11},
		{"no Juneteenth before 2021", 2020, nil, []string{"2020-06-19"}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dates(denver.Holidays(tt.year))
			for _, d := range tt.has {
				if !slices.Contains(got, d) {
					t.Errorf("Holidays(%d) lacks %s: %v", tt.year, d, got)
				}
				day := mustTime(t, d+"T12:00:00Z")
				if !denver.IsHolidayDate(day.Date()) {
					t.Errorf("IsHolidayDate(%s) = false", d)
				}
			}
			for _, d := range tt.hasNot {
				if slices.Contains(got, d) {
					t.Errorf("Holidays(%d) has %s: %v", tt.year, d, got)
				}
				day := mustTime(t, d+"T12:00:00Z")
				if denver.IsHolidayDate(day.Date()) {
					t.Errorf("IsHolidayDate(%s) = true", d)
				}
			}
			if len(got) != tt.howMany {
				t.Errorf("Holidays(%d) has %d dates, want %d: %v", tt.year, len(got), tt.howMany, got)
			}
		})
	}
}

func TestExplicitHolidays(t *testing.T) {
	c, err := NewCalendar("business", "America/Denver", weekdays, "09:00", "17:00",
		[]string{"us-federal", "2026-12-24", "2026-07-03", "2026-12-26"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("explicit dates add to the preset, sorted, without duplicates", func(t *testing.T) {
		want := []string{"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
			"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-24", "2026-12-25", "2026-12-26"}
		if got := dates(c.Holidays(2026)); !slices.Equal(got, want) {
			t.Errorf("Holidays(2026)\n got %v\nwant %v", got, want)
		}
	})
	t.Run("an explicit date matches on the local date in America/Denver", func(t *testing.T) {
		// 2026-12-25T03:00Z is 20:00 on December 24 in Denver; 2026-12-24T03:00Z
		// is 20:00 on December 23.
		if !c.IsHoliday(mustTime(t, "2026-12-25T03:00:00Z")) {
			t.Error("Christmas Eve evening, given in UTC, is not a holiday")
		}
		if c.IsHoliday(mustTime(t, "2026-12-24T03:00:00Z")) {
			t.Error("December 23 evening, given in UTC, is a holiday")
		}
		if !c.IsHoliday(time.Date(2026, 12, 24, 0, 0, 0, 0, c.Location())) {
			t.Error("local midnight of 2026-12-24 is not a holiday")
		}
	})
	t.Run("explicit dates only in their year", func(t *testing.T) {
		if c.IsHolidayDate(2027, time.December, 24) != true { // observed Christmas 2027, by the preset
			t.Error("2027-12-24 should be the observed Christmas")
		}
		if c.IsHolidayDate(2025, time.December, 24) {
			t.Error("2025-12-24 is not listed")
		}
	})
}

// rickar/cal's US definitions are an independent statement of the same
// rules; comparing over a century catches a slip in either.
func TestUSFederalAgreesWithRickarCal(t *testing.T) {
	c := denverSpec.build(t)
	for year := 1986; year <= 2100; year++ {
		var want []string
		for _, y := range []int{year, year + 1} {
			for _, h := range us.Holidays {
				if h == us.Juneteenth && y < 2021 {
					continue
				}
				_, obs := h.Calc(y)
				if obs.Year() == year && !slices.Contains(want, obs.Format(time.DateOnly)) {
					want = append(want, obs.Format(time.DateOnly))
				}
			}
		}
		slices.Sort(want)
		if got := dates(c.Holidays(year)); !slices.Equal(got, want) {
			t.Errorf("Holidays(%d)\n got %v\nwant %v", year, got, want)
		}
	}
}
