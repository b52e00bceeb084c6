package oncall

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkResolve asks about an instant four years after the handoff
// anchor with 20 overrides around it, the shape of a routing decision on a
// long-lived schedule. Cost must not grow with the schedule's age.
func BenchmarkResolve(b *testing.B) {
	at := mustTime(b, "2030-01-09T15:04:05-07:00")
	cases := []struct {
		name  string
		zone  string
		shift time.Duration
		at    time.Time
		// covered puts one of the overrides over at, so the override path runs.
		covered bool
	}{
		{"America/Denver 168h rotation", "America/Denver", 168 * time.Hour, at, false},
		{"America/Denver 168h override", "America/Denver", 168 * time.Hour, at, true},
		{"America/Denver 24h rotation", "America/Denver", 24 * time.Hour, at, false},
		{"Europe/London 12h rotation on DST day", "Europe/London", 12 * time.Hour, mustTime(b, "2030-03-31T12:00:00+01:00"), false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := Schedule{
				Name:     "primary",
				Location: mustLoc(b, c.zone),
				Shift:    c.shift,
				Handoff:  mustCivil(b, "2026-01-05T09:00"),
				Members:  []string{"alice", "bob", "carol", "dave"},
			}
			rng := rand.New(rand.NewPCG(1, 2))
			overrides := make([]Override, 20)
			for i := range overrides {
				// Spread over +-60 days around at, clear of at itself.
				from := c.at.Add(time.Duration(rng.IntN(120*24)-120*24/2)*time.Hour + 2*time.Hour)
				if !from.After(c.at) && from.Add(12*time.Hour).After(c.at) {
					from = from.Add(-12 * time.Hour)
				}
				overrides[i] = Override{ID: int64(i + 1), Schedule: "primary", Engineer: "erin",
					From: from, To: from.Add(10 * time.Hour), CreatedAt: from.Add(-time.Duration(i) * time.Hour)}
			}
			if c.covered {
				overrides[7].From, overrides[7].To = c.at.Add(-time.Hour), c.at.Add(time.Hour)
			}
			if sh, ok := Resolve(s, overrides, c.at); !ok || (sh.Override != nil) != c.covered {
				b.Fatalf("Resolve = %s, %v; want covered by an override: %v", fmtShift(sh), ok, c.covered)
			}
			b.ReportAllocs()
			for b.Loop() {
				Resolve(s, overrides, c.at)
			}
		})
	}
}
