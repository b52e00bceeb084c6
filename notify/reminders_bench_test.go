package notify

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// BenchmarkShiftReminderPass is one pass of the reminder watcher with
// nothing to send, over the coverage numbers: 50 weekly schedules
// of 4 members each (200 engineers who take SMS), 5,000 overrides spread
// over the twelve weeks to come, and a reminder standing for each shift
// in force.
func BenchmarkShiftReminderPass(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			ctx := context.Background()
			clock := storetest.ClockOf(db)
			clock.Set(at(2026, 11, 16, 12, 0, 0))
			roster := &oncall.Service{DB: db}
			for i := range 200 {
				if _, err := roster.AddEngineer(ctx, "bench", oncall.NewEngineer{Handle: fmt.Sprintf("e%03d", i),
					Name: "E", Phone: fmt.Sprintf("+1555560%04d", i)}); err != nil {
					b.Fatal(err)
				}
			}
			h, _ := oncall.ParseCivil("2026-11-02T09:00")
			for s := range 50 {
				members := []string{}
				for m := range 4 {
					members = append(members, fmt.Sprintf("e%03d", s*4+m))
				}
				if _, err := roster.AddSchedule(ctx, "bench", oncall.NewSchedule{Name: fmt.Sprintf("s%02d", s),
					Timezone: "America/Denver", Shift: 168 * time.Hour, Handoff: h, Members: members}); err != nil {
					b.Fatal(err)
				}
			}
			start := at(2026, 11, 17, 0, 0, 0)
			for i := range 5000 {
				from := start.Add(time.Duration(i/50) * 20 * time.Hour)
				if _, err := roster.AddOverride(ctx, "bench", oncall.NewOverride{Schedule: fmt.Sprintf("s%02d", i%50),
					Engineer: fmt.Sprintf("e%03d", (i*7)%200), From: from.Format(time.RFC3339),
					To: from.Add(4 * time.Hour).Format(time.RFC3339)}); err != nil {
					b.Fatal(err)
				}
			}
			r := &Reminders{DB: db, Lead: time.Hour, Log: slog.New(slog.DiscardHandler)}
			// The first pass reminds nobody (every shift in force began days
			// ago); standing rows are what a running server has, so add one
			// per schedule for its shift in force.
			clock.Set(at(2026, 11, 16, 8, 0, 0))
			if n, err := r.Tick(ctx); err != nil || n != 50 {
				b.Fatalf("seeding pass: %d, %v", n, err)
			}
			clock.Set(at(2026, 11, 16, 12, 0, 0))
			b.ResetTimer()
			for b.Loop() {
				if n, err := r.Tick(ctx); err != nil || n != 0 {
					b.Fatalf("pass: %d, %v", n, err)
				}
			}
		})
	}
}
