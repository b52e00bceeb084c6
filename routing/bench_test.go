package routing_test

import (
	"testing"
	"time"

	"supportline/config"
	"supportline/oncall"
	"supportline/routing"
)

// BenchmarkDecide routes a premium Severity 1 call (two escalation steps)
// with 200 overrides loaded, the shape of one decision on the phone line
// after the store has read the roster.
func BenchmarkDecide(b *testing.B) {
	p := config.Default()
	at := mustTime(b, "2026-11-21T03:00:00-07:00")
	var ov []oncall.Override
	for i := range 200 {
		from := at.Add(time.Duration(i-100) * 24 * time.Hour)
		ov = append(ov, oncall.Override{ID: int64(i + 1), Schedule: []string{"primary", "secondary"}[i%2], Engineer: "dave",
			From: from.Add(2 * time.Hour), To: from.Add(8 * time.Hour), CreatedAt: from})
	}
	in := routing.Input{Policy: p, Plan: "premium", Priority: 1, At: at, Schedules: roster(b), Overrides: ov, Engineers: engineers}
	for _, c := range []struct {
		name     string
		priority int
	}{{"premium S1 live", 1}, {"premium S2 voicemail", 2}} {
		b.Run(c.name, func(b *testing.B) {
			in.Priority = c.priority
			for b.Loop() {
				if _, err := routing.Decide(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
