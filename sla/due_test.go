package sla

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	denver := denverSpec.build(t)
	ny := nySpec.build(t)
	ny8 := ny8Spec.build(t)
	late := lateSpec.build(t)
	full := fullSpec.build(t)
	night := nightSpec.build(t)
	tests := []struct {
		name   string
		c      *Calendar
		opened string
		target string
		want   string
	}{
		// Everyday rules.
		{"Denver Friday 2024-06-14 16:00 plus 4h runs into Monday", denver, "2024-06-14T16:00:00-06:00", "4h", "2024-06-17T12:00:00-06:00"},
		{"Denver Wednesday 2024-06-12 16:59 plus 1h is next day 09:59", denver, "2024-06-12T16:59:00-06:00", "1h", "2024-06-13T09:59:00-06:00"},
		{"Denver Wednesday 2024-06-12 16:00 plus 1h is due at closing", denver, "2024-06-12T16:00:00-06:00", "1h", "2024-06-12T17:00:00-06:00"},
		{"Denver Wednesday 2024-06-12 opened exactly at close", denver, "2024-06-12T17:00:00-06:00", "1h", "2024-06-13T10:00:00-06:00"},
		{"Denver Wednesday 2024-06-12 opened exactly at opening plus 8h", denver, "2024-06-12T09:00:00-06:00", "8h", "2024-06-12T17:00:00-06:00"},
		{"Denver Wednesday 2024-06-12 opened before opening", denver, "2024-06-12T06:15:00-06:00", "45m", "2024-06-12T09:45:00-06:00"},
		{"Denver Monday 2024-06-10 09:00 plus 5bd ends Friday at closing", denver, "2024-06-10T09:00:00-06:00", "5bd", "2024-06-14T17:00:00-06:00"},
		{"Denver Tuesday 2024-06-11 13:00 plus 2bd", denver, "2024-06-11T13:00:00-06:00", "2bd", "2024-06-13T13:00:00-06:00"},
		{"Denver 90m across the night 2024-06-12", denver, "2024-06-12T16:30:00-06:00", "90m", "2024-06-13T10:00:00-06:00"},
		{"New York Wednesday 2025-06-11 16:59 plus 1h", ny, "2025-06-11T16:59:00-04:00", "1h", "2025-06-12T09:59:00-04:00"},
		{"New York Wednesday 2025-06-11 16:00 plus 1h", ny, "2025-06-11T16:00:00-04:00", "1h", "2025-06-11T17:00:00-04:00"},
		{"New York Wednesday 2025-06-11 opened exactly at close", ny, "2025-06-11T17:00:00-04:00", "1h", "2025-06-12T10:00:00-04:00"},
		{"New York 08:00-17:00 Monday 2025-06-09 plus 1bd is 9 business hours", ny8, "2025-06-09T12:00:00-04:00", "1bd", "2025-06-10T12:00:00-04:00"},

		// Holidays.
		{"Denver Saturday 2024-08-31 before Labor Day", denver, "2024-08-31T10:00:00-06:00", "4h", "2024-09-03T13:00:00-06:00"},
		{"New York Saturday 2025-08-30 before Labor Day", ny, "2025-08-30T10:00:00-04:00", "2h", "2025-09-02T11:00:00-04:00"},
		{"Denver Thanksgiving eve 2025-11-26 15:00 plus 4h", denver, "2025-11-26T15:00:00-07:00", "4h", "2025-11-28T11:00:00-07:00"},
		{"New York opened on Thanksgiving 2024-11-28", ny, "2024-11-28T11:00:00-05:00", "1h", "2024-11-29T10:00:00-05:00"},
		{"Denver Independence Day 2026 observed Friday July 3", denver, "2026-07-02T16:00:00-06:00", "2h", "2026-07-06T10:00:00-06:00"},
		{"New York Independence Day 2026 observed Friday July 3", ny, "2026-07-02T16:00:00-04:00", "2h", "2026-07-06T10:00:00-04:00"},
		{"Denver New Year 2028 observed Friday 2027-12-31", denver, "2027-12-30T16:30:00-07:00", "1h", "2028-01-03T09:30:00-07:00"},
		{"New York New Year 2028 observed Friday 2027-12-31", ny, "2027-12-30T16:30:00-05:00", "1h", "2028-01-03T09:30:00-05:00"},
		{"Denver Christmas 2027 observed Friday December 24", denver, "2027-12-23T12:00:00-07:00", "8h", "2027-12-27T12:00:00-07:00"},
		{"New York Christmas 2027 observed Friday December 24", ny, "2027-12-23T12:00:00-05:00", "1bd", "2027-12-27T12:00:00-05:00"},
		{"Denver Veterans Day 2029 observed Monday November 12", denver, "2029-11-09T17:00:00-07:00", "1h", "2029-11-13T10:00:00-07:00"},
		{"New York Veterans Day 2029 observed Monday November 12", ny, "2029-11-09T16:00:00-05:00", "2h", "2029-11-13T10:00:00-05:00"},
		{"New York MLK Day 2025-01-20 after a UTC Saturday that is Friday evening locally", ny, "2025-01-18T02:30:00Z", "1h", "2025-01-21T10:00:00-05:00"},

		// next-business-day.
		{"Denver Friday evening 2024-06-14 next-business-day", denver, "2024-06-14T19:00:00-06:00", "next-business-day", "2024-06-17T17:00:00-06:00"},
		{"Denver Friday morning 2024-06-14 next-business-day is Monday, not today", denver, "2024-06-14T09:30:00-06:00", "next-business-day", "2024-06-17T17:00:00-06:00"},
		{"Denver Friday evening 2024-08-30 next-business-day skips Labor Day", denver, "2024-08-30T19:00:00-06:00", "next-business-day", "2024-09-03T17:00:00-06:00"},
		{"Denver UTC Thursday 2024-06-13T03:00Z is Wednesday locally", denver, "2024-06-13T03:00:00Z", "next-business-day", "2024-06-13T17:00:00-06:00"},
		{"New York Friday evening 2025-06-13 next-business-day", ny, "2025-06-13T18:00:00-04:00", "next-business-day", "2025-06-16T17:00:00-04:00"},
		{"New York Sunday 2025-06-15 next-business-day is Monday", ny, "2025-06-15T12:00:00-04:00", "next-business-day", "2025-06-16T17:00:00-04:00"},
		{"New York late desk Thursday 2025-06-12 next-business-day closes at midnight Monday", late, "2025-06-12T20:00:00-04:00", "next-business-day", "2025-06-16T00:00:00-04:00"},

		// DST on business calendars.
		{"Denver spring-forward weekend 2024-03-08 to 2024-03-11", denver, "2024-03-08T16:00:00-07:00", "2h", "2024-03-11T10:00:00-06:00"},
		{"Denver fall-back weekend 2024-11-01 to 2024-11-04", denver, "2024-11-01T16:30:00-06:00", "1h", "2024-11-04T09:30:00-07:00"},
		{"New York spring-forward Saturday 2025-03-08", ny, "2025-03-08T12:00:00-05:00", "3h", "2025-03-10T12:00:00-04:00"},
		{"New York fall-back Sunday 2025-11-02", ny, "2025-11-02T01:30:00-05:00", "1bd", "2025-11-03T17:00:00-05:00"},
		{"Denver 24h desk spring-forward Sunday 2024-03-10 has 23 business hours", full, "2024-03-10T00:00:00-07:00", "1bd", "2024-03-11T01:00:00-06:00"},
		{"Denver 24h desk fall-back Sunday 2024-11-03 has 25 business hours", full, "2024-11-03T00:00:00-06:00", "1bd", "2024-11-03T23:00:00-07:00"},
		{"Denver 24h desk 1h from 01:30 MST on 2024-03-10", full, "2024-03-10T01:30:00-07:00", "1h", "2024-03-10T03:30:00-06:00"},
		{"Denver night desk 01:00-04:00 spring-forward 2024-03-10 is 2h", night, "2024-03-10T01:00:00-07:00", "3h", "2024-03-11T02:00:00-06:00"},
		{"Denver night desk 01:00-04:00 fall-back 2024-11-03 is 4h", night, "2024-11-03T01:00:00-06:00", "3h", "2024-11-03T03:00:00-07:00"},

		// Leap days.
		{"Denver leap day 2024-02-29", denver, "2024-02-28T16:00:00-07:00", "2h", "2024-02-29T10:00:00-07:00"},
		{"Denver leap day 2028-02-29 with 1bd", denver, "2028-02-28T16:30:00-07:00", "1bd", "2028-02-29T16:30:00-07:00"},
		{"New York leap day 2028-02-29 next-business-day", ny, "2028-02-28T10:00:00-05:00", "next-business-day", "2028-02-29T17:00:00-05:00"},

		// Close at 24:00.
		{"New York late desk Thursday 2025-06-12 23:00 plus 2h resumes Sunday", late, "2025-06-12T23:00:00-04:00", "2h", "2025-06-15T17:00:00-04:00"},
		{"New York late desk Thursday 2025-06-12 22:00 plus 2h is due at midnight", late, "2025-06-12T22:00:00-04:00", "2h", "2025-06-13T00:00:00-04:00"},

		// Always: absolute time, in UTC.
		{"always across spring-forward 2024-03-10 Denver 01:30 MST", Always(), "2024-03-10T01:30:00-07:00", "1h", "2024-03-10T09:30:00Z"},
		{"always across fall-back 2024-11-03 Denver 01:30 MDT", Always(), "2024-11-03T01:30:00-06:00", "1h", "2024-11-03T08:30:00Z"},
		{"always 1bd is 24h across fall-back 2024-11-03 New York", Always(), "2024-11-02T12:00:00-04:00", "1bd", "2024-11-03T16:00:00Z"},
		{"always next-business-day is 24h, Friday 2024-06-14 evening Denver", Always(), "2024-06-14T19:00:00-06:00", "next-business-day", "2024-06-16T01:00:00Z"},
		{"always Saturday 2024-08-31", Always(), "2024-08-31T10:00:00Z", "45m", "2024-08-31T10:45:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opened := mustTime(t, tt.opened)
			target := mustTarget(t, tt.target)
			got := Due(opened, target, tt.c)
			if f := got.Format(time.RFC3339); f != tt.want {
				t.Errorf("Due(%s, %s, %s) = %s, want %s", tt.opened, tt.target, tt.c.Name(), f, tt.want)
			}
			if got.Location() != tt.c.Location() {
				t.Errorf("Due location = %v, want %v", got.Location(), tt.c.Location())
			}
			// Counted must add up to what Due counted, inside business time.
			counted := Counted(opened, target, tt.c)
			var sum time.Duration
			for _, iv := range counted {
				sum += iv.End.Sub(iv.Start)
				if iv.Start.Location() != tt.c.Location() || iv.End.Location() != tt.c.Location() {
					t.Errorf("interval %v not in %v", iv, tt.c.Location())
				}
			}
			if el := Elapsed(opened, got, tt.c); sum != el {
				t.Errorf("Counted sums to %v, Elapsed(opened, due) = %v; intervals %v", sum, el, counted)
			}
			if n := len(counted); n > 0 && !counted[n-1].End.Equal(got) {
				t.Errorf("last counted interval ends %v, due %v", counted[n-1].End, got)
			}
		})
	}
}

func TestAlwaysIsAbsoluteTimeReadInDenver(t *testing.T) {
	// 1h from 01:30 MST on spring-forward day is 03:30 MDT, read in Denver.
	denver, _ := time.LoadLocation("America/Denver")
	got := Due(mustTime(t, "2024-03-10T01:30:00-07:00"), mustTarget(t, "1h"), Always()).In(denver)
	if f := got.Format(time.RFC3339); f != "2024-03-10T03:30:00-06:00" {
		t.Errorf("got %s", f)
	}
}

func TestElapsed(t *testing.T) {
	denver := denverSpec.build(t)
	full := fullSpec.build(t)
	late := lateSpec.build(t)
	sunday := santiagoSundaySpec.build(t)
	tests := []struct {
		name     string
		c        *Calendar
		from, to string
		want     time.Duration
	}{
		{"Santiago Sunday 2024-09-08 from inside the hour before midnight", sunday, "2024-09-07T23:30:00-04:00", "2024-09-08T01:30:00-03:00", time.Hour},
		{"Santiago Sunday 2024-09-08 to inside the hour before midnight", sunday, "2024-09-07T22:00:00-04:00", "2024-09-07T23:30:00-04:00", 30 * time.Minute},
		{"Santiago Sunday 2024-09-08 window runs 24h from Saturday 23:00 local", sunday, "2024-09-07T00:00:00-04:00", "2024-09-09T00:00:00-03:00", 24 * time.Hour},
		{"Denver one business day 2024-06-12", denver, "2024-06-12T00:00:00-06:00", "2024-06-13T00:00:00-06:00", 8 * time.Hour},
		{"Denver reversed span is zero", denver, "2024-06-13T00:00:00-06:00", "2024-06-12T00:00:00-06:00", 0},
		{"Denver weekend 2024-06-15 is zero", denver, "2024-06-14T17:00:00-06:00", "2024-06-17T09:00:00-06:00", 0},
		{"Denver spring-forward weekend 2024-03-08 to 2024-03-11", denver, "2024-03-08T09:00:00-07:00", "2024-03-11T17:00:00-06:00", 16 * time.Hour},
		{"Denver June 2024 has 19 business days (Juneteenth)", denver, "2024-06-01T00:00:00-06:00", "2024-07-01T00:00:00-06:00", 19 * 8 * time.Hour},
		{"Denver 2024 has 251 business days", denver, "2024-01-01T00:00:00-07:00", "2025-01-01T00:00:00-07:00", 251 * 8 * time.Hour},
		{"Denver across New Year 2027-12-30 to 2028-01-04", denver, "2027-12-30T12:00:00-07:00", "2028-01-04T10:00:00-07:00", 5*time.Hour + 8*time.Hour + time.Hour},
		{"Denver within one window, nanoseconds", denver, "2024-06-12T10:00:00.25-06:00", "2024-06-12T10:00:01.5-06:00", 1250 * time.Millisecond},
		{"Denver 24h desk spring-forward day 2024-03-10 is 23h", full, "2024-03-10T00:00:00-07:00", "2024-03-11T00:00:00-06:00", 23 * time.Hour},
		{"Denver 24h desk fall-back day 2024-11-03 is 25h", full, "2024-11-03T00:00:00-06:00", "2024-11-04T00:00:00-07:00", 25 * time.Hour},
		{"New York late desk week of 2025-06-15", late, "2025-06-15T00:00:00-04:00", "2025-06-22T00:00:00-04:00", 5 * 8 * time.Hour},
		{"always counts absolute time across fall-back 2024-11-03", Always(), "2024-11-03T00:00:00-06:00", "2024-11-04T00:00:00-07:00", 25 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := mustTime(t, tt.from), mustTime(t, tt.to)
			if got := Elapsed(from, to, tt.c); got != tt.want {
				t.Errorf("Elapsed = %v, want %v", got, tt.want)
			}
			if to.After(from) {
				if got := Remaining(from, to, tt.c); got != tt.want {
					t.Errorf("Remaining(before) = %v, want %v", got, tt.want)
				}
				if got := Remaining(to, from, tt.c); got != -tt.want {
					t.Errorf("Remaining(after) = %v, want %v", got, -tt.want)
				}
			}
		})
	}
}

func TestCounted(t *testing.T) {
	denver := denverSpec.build(t)
	full := fullSpec.build(t)
	iv := func(a, b string) Interval { return Interval{mustTime(t, a), mustTime(t, b)} }
	tests := []struct {
		name   string
		c      *Calendar
		opened string
		target string
		want   []Interval
	}{
		{"Denver Friday 2024-06-14 16:00 plus 4h", denver, "2024-06-14T16:00:00-06:00", "4h", []Interval{
			iv("2024-06-14T16:00:00-06:00", "2024-06-14T17:00:00-06:00"),
			iv("2024-06-17T09:00:00-06:00", "2024-06-17T12:00:00-06:00"),
		}},
		{"Denver next-business-day from Thursday 2024-06-13 10:00", denver, "2024-06-13T10:00:00-06:00", "next-business-day", []Interval{
			iv("2024-06-13T10:00:00-06:00", "2024-06-13T17:00:00-06:00"),
			iv("2024-06-14T09:00:00-06:00", "2024-06-14T17:00:00-06:00"),
		}},
		{"Denver 24h desk merges midnights across fall-back 2024-11-02", full, "2024-11-02T12:00:00-06:00", "2bd", []Interval{
			iv("2024-11-02T12:00:00-06:00", "2024-11-04T11:00:00-07:00"),
		}},
		{"always is one interval", Always(), "2024-06-14T16:00:00Z", "2bd", []Interval{
			iv("2024-06-14T16:00:00Z", "2024-06-16T16:00:00Z"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Counted(mustTime(t, tt.opened), mustTarget(t, tt.target), tt.c)
			if len(got) != len(tt.want) {
				t.Fatalf("Counted = %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tt.want[i].Start) || !got[i].End.Equal(tt.want[i].End) {
					t.Errorf("interval %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestZeroTargetIsDueAtNextOpening(t *testing.T) {
	denver := denverSpec.build(t)
	opened := mustTime(t, "2024-06-15T10:00:00-06:00") // Saturday
	if got, want := Due(opened, Target{}, denver), mustTime(t, "2024-06-17T09:00:00-06:00"); !got.Equal(want) {
		t.Errorf("Due(zero target) = %v, want %v", got, want)
	}
	if got := Due(opened, Target{}, Always()); !got.Equal(opened) {
		t.Errorf("Due(zero target, always) = %v, want %v", got, opened)
	}
}
