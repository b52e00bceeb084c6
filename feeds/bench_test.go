package feeds_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"supportline/feeds"
	"supportline/store"
	"supportline/store/storetest"
)

// BenchmarkCalendar renders an engineer's feed across 50 schedules of 12h
// shifts (about 11,000 shifts looked at, 1,100 listed) and one schedule's
// feed, on each engine.
func BenchmarkCalendar(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			t := b
			w := newWorld(t, db)
			for i := range 10 {
				w.engineer(t, fmt.Sprintf("e%d", i), fmt.Sprintf("Engineer %d", i), fmt.Sprintf("+1720555%04d", i))
			}
			for i := range 50 {
				w.schedule(t, fmt.Sprintf("s%02d", i), "America/Denver", 12*time.Hour, "2026-01-05T09:00", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9")
			}
			_, eng := w.create(t, feeds.NewFeed{Engineer: "e3"})
			_, sch := w.create(t, feeds.NewFeed{Schedule: "s07"})
			for _, c := range []struct{ name, token string }{{"engineer", eng}, {"schedule", sch}} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, _, err := w.feeds.Calendar(context.Background(), c.token); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
