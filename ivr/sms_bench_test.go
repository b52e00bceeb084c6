package ivr

import (
	"context"
	"slices"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

// BenchmarkSMS measures an SMS command answered through HTTP, signed by
// twiliosim, one at a time, on PostgreSQL: ACK of a fresh ticket (the
// sender's lookup, the claim, the acknowledgement, the reply recorded),
// NOTE, and WHO, after a warm-up. Each reports its p50 and p99 (the goal: p99 under 20 ms):
//
//	go test ./ivr/ -run '^$' -bench BenchmarkSMS -benchtime 300x
func BenchmarkSMS(b *testing.B) {
	db := storetest.Open(b, store.Postgres) // skipped without PostgreSQL
	h := newHarness(b, db)
	// Warm up: the pool's connections prepare their statements on first
	// use (see "statements are prepared once per connection").
	for range 20 {
		tk := h.openTicket()
		for _, body := range []string{"ACK " + itoa(tk.Number), "NOTE " + itoa(tk.Number) + " warm", "WHO"} {
			if _, err := h.sms(alicePhone, body).Send(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name string
		body func(ticket int64) string
	}{
		{"ACK", func(n int64) string { return "ACK " + itoa(n) }},
		{"NOTE", func(n int64) string { return "NOTE " + itoa(n) + " called the customer back" }},
		{"WHO", func(int64) string { return "WHO" }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				b.StopTimer()
				tk := h.openTicket()
				m := h.sms(alicePhone, tc.body(tk.Number))
				b.StartTimer()
				start := time.Now()
				res, err := m.Send(context.Background())
				took = append(took, time.Since(start))
				if err != nil || res.Failed() || len(res.Replies) != 1 {
					b.Fatalf("%v %+v", err, res)
				}
			}
			slices.Sort(took)
			q := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}
