package sla

import (
	"testing"
	"time"
)

// benchOpenings spreads opening instants over weeks, hours and years so the
// benchmarks see weekends, holidays, evenings and year ends, not one hot path.
func benchOpenings(b *testing.B) []time.Time {
	b.Helper()
	var out []time.Time
	t := mustTime(b, "2024-01-01T00:17:00-07:00")
	for range 256 {
		out = append(out, t)
		t = t.Add(172*time.Hour + 37*time.Minute)
	}
	return out
}

func BenchmarkDue(b *testing.B) {
	c := denverSpec.build(b)
	openings := benchOpenings(b)
	for _, ts := range []string{"1h", "8h", "5bd", "next-business-day"} {
		target := mustTarget(b, ts)
		for _, o := range openings { // warm the year tables, as a long-running server would be
			Due(o, target, c)
		}
		b.Run(ts, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				Due(openings[i%len(openings)], target, c)
				i++
			}
		})
	}
}

func BenchmarkElapsed(b *testing.B) {
	c := denverSpec.build(b)
	openings := benchOpenings(b)
	for _, o := range openings {
		Elapsed(o, o.Add(30*24*time.Hour), c)
	}
	b.Run("30days", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			o := openings[i%len(openings)]
			Elapsed(o, o.Add(30*24*time.Hour), c)
			i++
		}
	})
}

// BenchmarkHolidays measures a cold year: building one year's windows and
// holidays, which happens once per calendar and year.
func BenchmarkHolidays(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := denverSpec.build(b)
		c.Holidays(2027)
	}
}
