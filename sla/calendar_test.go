package sla

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	weekdays = []string{"mon", "tue", "wed", "thu", "fri"}
	allDays  = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
)

// calSpec describes a test calendar in plain values, so the brute-force
// reference can judge business time without the code under test.
type calSpec struct {
	name, tz    string
	days        []string
	open, close string
	holidays    []string
}

var (
	// The standard support desk: 09:00-17:00 Mountain with federal holidays.
	denverSpec = calSpec{"business", "America/Denver", weekdays, "09:00", "17:00", []string{"us-federal"}}
	nySpec     = calSpec{"east", "America/New_York", weekdays, "09:00", "17:00", []string{"us-federal"}}
	ny8Spec    = calSpec{"east-early", "America/New_York", weekdays, "08:00", "17:00", nil}
	sixDaySpec = calSpec{"six-day", "America/Chicago", []string{"mon", "tue", "wed", "thu", "fri", "sat"}, "08:00", "20:00", []string{"us-federal", "2026-12-24", "2028-12-26"}}
	lateSpec   = calSpec{"late", "America/New_York", []string{"sun", "mon", "tue", "wed", "thu"}, "16:00", "24:00", []string{"2025-12-24"}}
	fullSpec   = calSpec{"round-the-clock-denver", "America/Denver", allDays, "00:00", "24:00", nil}
	nightSpec  = calSpec{"night", "America/Denver", allDays, "01:00", "04:00", nil}
	// Santiago springs forward at local midnight: the Sunday window starts at
	// 23:00 Saturday local. It keeps the ±1-day lookups honest.
	santiagoSpec = calSpec{"santiago", "America/Santiago", []string{"fri", "sat", "sun"}, "00:00", "24:00", nil}
	// Sunday only: its 2024-09-08 window starts at 23:00 Saturday local.
	santiagoSundaySpec = calSpec{"santiago-sunday", "America/Santiago", []string{"sun"}, "00:00", "24:00", nil}
)

func (s calSpec) build(tb testing.TB) *Calendar {
	tb.Helper()
	c, err := NewCalendar(s.name, s.tz, s.days, s.open, s.close, s.holidays)
	if err != nil {
		tb.Fatalf("NewCalendar(%s): %v", s.name, err)
	}
	return c
}

// mustTime parses an RFC 3339 instant; tests spell every instant out.
func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustTarget(tb testing.TB, s string) Target {
	tb.Helper()
	t, err := ParseTarget(s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestNewCalendarRejectsBadFields(t *testing.T) {
	tests := []struct {
		name        string
		tz          string
		days        []string
		open, close string
		holidays    []string
		field, msg  string
	}{
		{"misspelt zone", "America/Denvr", weekdays, "09:00", "17:00", nil, "tz", `unknown time zone "America/Denvr"`},
		{"empty zone", "", weekdays, "09:00", "17:00", nil, "tz", `unknown time zone "" (want an IANA name such as "America/Denver")`},
		{"host-local zone", "Local", weekdays, "09:00", "17:00", nil, "tz", `unknown time zone "Local" (want an IANA name such as "America/Denver")`},
		{"unknown day", "America/Denver", []string{"mon", "mun"}, "09:00", "17:00", nil, "days", `unknown day "mun" (want mon tue wed thu fri sat sun)`},
		{"capitalised day", "America/Denver", []string{"Mon"}, "09:00", "17:00", nil, "days", `unknown day "Mon" (want mon tue wed thu fri sat sun)`},
		{"duplicate day", "America/Denver", []string{"mon", "tue", "mon"}, "09:00", "17:00", nil, "days", `duplicate day "mon"`},
		{"no days", "America/Denver", nil, "09:00", "17:00", nil, "days", `no business days (want at least one of mon tue wed thu fri sat sun)`},
		{"open after close", "America/Denver", weekdays, "09:00", "08:00", nil, "close", `open "09:00" must be before close "08:00"`},
		{"open equals close", "America/Denver", weekdays, "09:00", "09:00", nil, "close", `open "09:00" must be before close "09:00"`},
		{"one-digit hour", "America/Denver", weekdays, "9:00", "17:00", nil, "open", `invalid open time "9:00" (want HH:MM from 00:00 to 23:59)`},
		{"open at 24:00", "America/Denver", weekdays, "24:00", "24:00", nil, "open", `invalid open time "24:00" (want HH:MM from 00:00 to 23:59)`},
		{"close past 24:00", "America/Denver", weekdays, "09:00", "24:30", nil, "close", `invalid close time "24:30" (want HH:MM from 00:00 to 24:00)`},
		{"close with seconds", "America/Denver", weekdays, "09:00", "17:00:00", nil, "close", `invalid close time "17:00:00" (want HH:MM from 00:00 to 24:00)`},
		{"minute 60", "America/Denver", weekdays, "09:60", "17:00", nil, "open", `invalid open time "09:60" (want HH:MM from 00:00 to 23:59)`},
		{"misspelt preset", "America/Denver", weekdays, "09:00", "17:00", []string{"us-fedral"}, "holidays", `unknown holiday preset or date "us-fedral"`},
		{"no such date", "America/Denver", weekdays, "09:00", "17:00", []string{"2026-02-30"}, "holidays", `invalid holiday date "2026-02-30" (no such day)`},
		{"US-style date", "America/Denver", weekdays, "09:00", "17:00", []string{"12/24/2026"}, "holidays", `unknown holiday preset or date "12/24/2026"`},
		{"duplicate holiday", "America/Denver", weekdays, "09:00", "17:00", []string{"us-federal", "us-federal"}, "holidays", `duplicate holiday "us-federal"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCalendar("business", tt.tz, tt.days, tt.open, tt.close, tt.holidays)
			if err == nil {
				t.Fatalf("NewCalendar accepted it: %v", c)
			}
			if err.Error() != tt.msg {
				t.Errorf("message\n got %s\nwant %s", err, tt.msg)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("want *FieldError for field %q, got %#v", tt.field, err)
			}
		})
	}
}

func TestFieldValidatorsMatchNewCalendar(t *testing.T) {
	if _, err := LoadZone("America/Denvr"); err == nil || err.Error() != `unknown time zone "America/Denvr"` {
		t.Errorf("LoadZone: %v", err)
	}
	if loc, err := LoadZone("America/New_York"); err != nil || loc.String() != "America/New_York" {
		t.Errorf("LoadZone(America/New_York) = %v, %v", loc, err)
	}
	if err := ValidDays([]string{"mon", "mun"}); err == nil || err.Error() != `unknown day "mun" (want mon tue wed thu fri sat sun)` {
		t.Errorf("ValidDays: %v", err)
	}
	if err := ValidDays(weekdays); err != nil {
		t.Errorf("ValidDays(mon-fri): %v", err)
	}
	if err := ValidHours("09:00", "08:00"); err == nil || err.Error() != `open "09:00" must be before close "08:00"` {
		t.Errorf("ValidHours: %v", err)
	}
	for _, ok := range []string{"00:00", "23:59"} {
		if err := ValidHours(ok, "24:00"); err != nil {
			t.Errorf("ValidHours(%s, 24:00): %v", ok, err)
		}
	}
	for _, ok := range []string{"us-federal", "2026-12-24", "2028-02-29"} {
		if err := ValidHoliday(ok); err != nil {
			t.Errorf("ValidHoliday(%q): %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"us-fedral":  `unknown holiday preset or date "us-fedral"`,
		"2027-02-29": `invalid holiday date "2027-02-29" (no such day)`,
		"":           `unknown holiday preset or date ""`,
	} {
		if err := ValidHoliday(in); err == nil || err.Error() != want {
			t.Errorf("ValidHoliday(%q) = %v, want %s", in, err, want)
		}
	}
	if got := HolidayPresets(); len(got) != 1 || got[0] != "us-federal" {
		t.Errorf("HolidayPresets() = %v", got)
	}
}

func TestCalendarDescribesItself(t *testing.T) {
	tests := []struct {
		name string
		spec calSpec
		want string
		len  time.Duration
	}{
		{"Denver weekdays with holidays", calSpec{"business", "America/Denver", weekdays, "09:00", "17:00", []string{"us-federal", "2026-12-24"}},
			"business (Mon-Fri 09:00-17:00 America/Denver, holidays: us-federal, 2026-12-24)", 8 * time.Hour},
		{"New York 08:00-17:00 no holidays", ny8Spec, "east-early (Mon-Fri 08:00-17:00 America/New_York)", 9 * time.Hour},
		{"days out of order and split", calSpec{"odd", "Europe/London", []string{"fri", "mon", "thu", "wed"}, "10:00", "12:30", nil},
			"odd (Mon,Wed-Fri 10:00-12:30 Europe/London)", 150 * time.Minute},
		{"weekend to midnight", calSpec{"weekend", "UTC", []string{"sun", "sat"}, "18:00", "24:00", nil},
			"weekend (Sat-Sun 18:00-24:00 UTC)", 6 * time.Hour},
		{"every day round the clock", fullSpec, "round-the-clock-denver (Mon-Sun 00:00-24:00 America/Denver)", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.spec.build(t)
			if got := c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := c.WorkdayLength(); got != tt.len {
				t.Errorf("WorkdayLength() = %v, want %v", got, tt.len)
			}
			if c.Name() != tt.spec.name || c.Location().String() != tt.spec.tz || c.IsAlways() {
				t.Errorf("Name/Location/IsAlways = %q %v %v", c.Name(), c.Location(), c.IsAlways())
			}
		})
	}
	t.Run("always", func(t *testing.T) {
		a := Always()
		if a != Always() {
			t.Error("Always() should return one shared calendar")
		}
		if a.Name() != "always" || !a.IsAlways() || a.Location() != time.UTC || a.WorkdayLength() != 24*time.Hour {
			t.Errorf("Always() = %q %v %v %v", a.Name(), a.IsAlways(), a.Location(), a.WorkdayLength())
		}
		if got := a.String(); got != "always (24x7 UTC)" {
			t.Errorf("String() = %q", got)
		}
		if hs := a.Holidays(2026); len(hs) != 0 {
			t.Errorf("Holidays(2026) = %v, want none", hs)
		}
		newYear := mustTime(t, "2026-01-01T12:00:00Z")
		if a.IsHoliday(newYear) || !a.IsOpen(newYear) || !a.NextOpen(newYear).Equal(newYear) {
			t.Error("always must be open on New Year's Day")
		}
	})
}

func TestIsOpenAndNextOpen(t *testing.T) {
	denver := denverSpec.build(t)
	late := lateSpec.build(t)
	night := nightSpec.build(t)
	sunday := santiagoSundaySpec.build(t)
	tests := []struct {
		name     string
		c        *Calendar
		at       string
		open     bool
		nextOpen string
	}{
		{"Santiago Sunday window 2024-09-08 starts at Saturday 23:00 local", sunday, "2024-09-07T22:30:00-04:00", false, "2024-09-07T23:00:00-04:00"},
		{"Santiago Saturday 2024-09-07 23:30 belongs to Sunday's window", sunday, "2024-09-07T23:30:00-04:00", true, "2024-09-07T23:30:00-04:00"},
		{"Denver Wednesday 2024-06-12 at opening", denver, "2024-06-12T09:00:00-06:00", true, "2024-06-12T09:00:00-06:00"},
		{"Denver Wednesday 2024-06-12 a nanosecond before opening", denver, "2024-06-12T08:59:59.999999999-06:00", false, "2024-06-12T09:00:00-06:00"},
		{"Denver Wednesday 2024-06-12 last nanosecond", denver, "2024-06-12T16:59:59.999999999-06:00", true, "2024-06-12T16:59:59.999999999-06:00"},
		{"Denver Wednesday 2024-06-12 at closing", denver, "2024-06-12T17:00:00-06:00", false, "2024-06-13T09:00:00-06:00"},
		{"Denver Friday 2024-06-14 evening", denver, "2024-06-14T18:00:00-06:00", false, "2024-06-17T09:00:00-06:00"},
		{"Denver Thanksgiving 2025-11-27 noon", denver, "2025-11-27T12:00:00-07:00", false, "2025-11-28T09:00:00-07:00"},
		{"Denver observed Independence Day 2026-07-03", denver, "2026-07-03T10:00:00-06:00", false, "2026-07-06T09:00:00-06:00"},
		{"Denver given in UTC 2024-06-13T02:00Z is Wednesday evening", denver, "2024-06-13T02:00:00Z", false, "2024-06-13T09:00:00-06:00"},
		{"Denver given in UTC 2024-06-12T22:00Z is Wednesday afternoon", denver, "2024-06-12T22:00:00Z", true, "2024-06-12T16:00:00-06:00"},
		{"New York late desk Thursday 2025-06-12 23:59", late, "2025-06-12T23:59:00-04:00", true, "2025-06-12T23:59:00-04:00"},
		{"New York late desk Friday 2025-06-13 midnight", late, "2025-06-13T00:00:00-04:00", false, "2025-06-15T16:00:00-04:00"},
		{"New York late desk Christmas Eve 2025-12-24", late, "2025-12-24T17:00:00-05:00", false, "2025-12-25T16:00:00-05:00"},
		{"Denver night desk spring-forward 2024-03-10 03:30 MDT", night, "2024-03-10T03:30:00-06:00", true, "2024-03-10T03:30:00-06:00"},
		{"Denver night desk fall-back 2024-11-03 second 01:30 MST", night, "2024-11-03T01:30:00-07:00", true, "2024-11-03T01:30:00-07:00"},
		{"Denver night desk 2024-11-03 04:00 MST", night, "2024-11-03T04:00:00-07:00", false, "2024-11-04T01:00:00-07:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := mustTime(t, tt.at)
			if got := tt.c.IsOpen(at); got != tt.open {
				t.Errorf("IsOpen = %v, want %v", got, tt.open)
			}
			got := tt.c.NextOpen(at)
			if f := got.Format(time.RFC3339Nano); f != tt.nextOpen {
				t.Errorf("NextOpen = %s, want %s", f, tt.nextOpen)
			}
			if got.Location() != tt.c.Location() {
				t.Errorf("NextOpen location = %v, want %v", got.Location(), tt.c.Location())
			}
		})
	}
}

func TestCalendarIsSafeForConcurrentFirstUse(t *testing.T) {
	c := denverSpec.build(t)
	at := mustTime(t, "2027-03-01T10:00:00-07:00")
	want := mustTime(t, "2027-03-02T10:00:00-07:00")
	done := make(chan time.Time)
	for range 8 {
		go func() { done <- Due(at, Target{Kind: BusinessDays, N: 1}, c) }()
	}
	for range 8 {
		if got := <-done; !got.Equal(want) {
			t.Errorf("Due = %v, want %v", got, want)
		}
	}
}

func TestStringNamesEveryField(t *testing.T) {
	c := sixDaySpec.build(t)
	for _, part := range []string{"six-day", "Mon-Sat", "08:00-20:00", "America/Chicago", "us-federal", "2026-12-24", "2028-12-26"} {
		if !strings.Contains(c.String(), part) {
			t.Errorf("String() = %q lacks %q", c, part)
		}
	}
}
