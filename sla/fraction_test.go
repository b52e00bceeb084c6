package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestFraction(t *testing.T) {
	denver := denverSpec.build(t)
	ny8 := ny8Spec.build(t)
	tests := []struct {
		name   string
		c      *Calendar
		opened string
		target string
		f      float64
		want   string
	}{
		{"always 1h at 0.75 is 45 minutes later", Always(), "2024-06-14T16:00:00-06:00", "1h", 0.75, "2024-06-14T22:45:00Z"},
		{"always across spring-forward 2024-03-10 Denver is absolute time", Always(), "2024-03-10T01:30:00-07:00", "2h", 0.5, "2024-03-10T09:30:00Z"},
		{"Denver Friday 2024-06-14 16:00 4h warns Monday 11:00", denver, "2024-06-14T16:00:00-06:00", "4h", 0.75, "2024-06-17T11:00:00-06:00"},
		{"Denver Saturday 2024-08-31 4h warns after Labor Day", denver, "2024-08-31T10:00:00-06:00", "4h", 0.75, "2024-09-03T12:00:00-06:00"},
		{"Denver 0.8 of 4h is exactly 3h12m of business time", denver, "2024-06-12T09:00:00-06:00", "4h", 0.8, "2024-06-12T12:12:00-06:00"},
		{"New York 08:00-17:00 1bd warns at 75% of 9h", ny8, "2025-06-09T08:00:00-04:00", "1bd", 0.75, "2025-06-09T14:45:00-04:00"},
		{"Denver Friday 2024-06-14 09:30 next-business-day counts today's remaining hours", denver, "2024-06-14T09:30:00-06:00", "next-business-day", 0.75, "2024-06-17T13:07:30-06:00"},
		{"f of 0 is the start of counting", denver, "2024-06-15T10:00:00-06:00", "4h", 0, "2024-06-17T09:00:00-06:00"},
		{"f of 1 is the due time", denver, "2024-06-14T16:00:00-06:00", "4h", 1, "2024-06-17T12:00:00-06:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opened := mustTime(t, tt.opened)
			due := Due(opened, mustTarget(t, tt.target), tt.c)
			got := Fraction(opened, due, tt.f, tt.c)
			want := mustTime(t, tt.want)
			if !got.Equal(want) || got.Location() != tt.c.Location() {
				t.Errorf("Fraction = %v, want %v in %v", got, want, tt.c.Location())
			}
		})
	}
}

// For random openings 2024-2030, Fraction is exactly f of the business time
// and never later than the due time.
func TestFractionProperties(t *testing.T) {
	for i, spec := range []calSpec{denverSpec, ny8Spec, lateSpec} {
		c := spec.build(t)
		r := rand.New(rand.NewPCG(75, uint64(i)))
		for range 2000 {
			opened := randInstant(r)
			due := Due(opened, randTarget(r), c)
			f := []float64{0.5, 0.75, 0.9}[r.IntN(3)]
			at := Fraction(opened, due, f, c)
			total := Elapsed(opened, due, c)
			want := time.Duration(float64(total)*f + 0.5)
			if got := Elapsed(opened, at, c); got != want {
				t.Fatalf("%s: Elapsed(%v, Fraction(%v)) = %v, want %v of %v", spec.name, opened, f, got, f, total)
			}
			if at.After(due) || at.Before(opened) {
				t.Fatalf("%s: Fraction %v outside [%v, %v]", spec.name, at, opened, due)
			}
		}
	}
}

func TestNamedHolidays(t *testing.T) {
	c, err := NewCalendar("business", "America/Denver", weekdays, "09:00", "17:00", []string{"us-federal", "2026-12-24", "2026-07-03"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.NamedHolidays(2026)
	plain := c.Holidays(2026)
	if len(got) != len(plain) {
		t.Fatalf("NamedHolidays has %d days, Holidays %d", len(got), len(plain))
	}
	byDate := map[string]string{}
	for i, h := range got {
		if !h.Date.Equal(plain[i]) {
			t.Errorf("day %d: %v, Holidays says %v", i, h.Date, plain[i])
		}
		if h.Name == "" {
			t.Errorf("%v has no name", h.Date)
		}
		byDate[h.Date.Format(time.DateOnly)] = h.Name
	}
	for date, want := range map[string]string{
		"2026-01-01": "New Year's Day",
		"2026-01-19": "Martin Luther King Jr. Day",
		"2026-07-03": "Independence Day (observed); listed date",
		"2026-11-26": "Thanksgiving Day",
		"2026-12-24": "listed date",
		"2026-12-25": "Christmas Day",
	} {
		if byDate[date] != want {
			t.Errorf("%s: %q, want %q", date, byDate[date], want)
		}
	}
	if h := denverSpec.build(t).NamedHolidays(2027); h[len(h)-1].Name != "New Year's Day (observed)" || h[len(h)-1].Date.Format(time.DateOnly) != "2027-12-31" {
		t.Errorf("2027 ends with %+v, want New Year's Day 2028 observed on 2027-12-31", h[len(h)-1])
	}
	if Always().NamedHolidays(2026) != nil {
		t.Error("always has holidays")
	}
}

func BenchmarkFraction(b *testing.B) {
	c := denverSpec.build(b)
	openings := benchOpenings(b)
	target := mustTarget(b, "8h")
	dues := make([]time.Time, len(openings))
	for i, o := range openings {
		dues[i] = Due(o, target, c)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i % len(openings)
		Fraction(openings[j], dues[j], 0.75, c)
		i++
	}
}
