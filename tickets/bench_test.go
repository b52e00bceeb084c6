package tickets_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// BenchmarkTick measures one watcher pass on both engines: "idle" over
// 10,000 open tickets of which none is due (the cost paid every interval),
// and "due" over 500 overdue tickets, recording 1,000 events per pass
// (without and with an OnEvent handler).
func BenchmarkTick(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			policy := config.Default()
			acc, err := (&accounts.Service{DB: db, Policy: policy}).AddAccount(ctx, "bench", accounts.NewAccount{Name: "Acme Corp", Plan: "premium"})
			if err != nil {
				b.Fatal(err)
			}
			svc := &tickets.Service{DB: db, Policy: policy, Engineers: &oncall.Service{DB: db}, Accounts: &accounts.Service{DB: db, Policy: policy}}
			clock := storetest.ClockOf(db)
			start := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
			openMany := func(n int, at time.Time) {
				clock.Set(at)
				err := db.InTx(ctx, func(tx *store.Tx) error {
					for range n {
						if _, err := svc.OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: "premium", Priority: 1}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			openMany(500, start)                  // due 11:00
			openMany(10000, start.Add(time.Hour)) // due 12:00
			w := &tickets.Watcher{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

			b.Run("idle", func(b *testing.B) {
				clock.Set(start.Add(30 * time.Minute))
				for b.Loop() {
					if n, err := w.Tick(ctx); err != nil || n != 0 {
						b.Fatalf("Tick = %d, %v", n, err)
					}
				}
			})
			for _, name := range []string{"due", "due+OnEvent"} {
				b.Run(name, func(b *testing.B) {
					w := *w
					if name == "due+OnEvent" { // savepoint per event, as with the SMS outbox
						w.OnEvent = func(context.Context, *store.Tx, tickets.Event, tickets.Ticket) error { return nil }
					}
					clock.Set(start.Add(90 * time.Minute))
					for b.Loop() {
						b.StopTimer()
						err := db.InTx(ctx, func(tx *store.Tx) error {
							_, err := tx.Exec(ctx, `DELETE FROM ticket_events WHERE kind IN ('warning', 'breach')`)
							return err
						})
						if err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						if n, err := w.Tick(ctx); err != nil || n != 1000 {
							b.Fatal(fmt.Sprintf("Tick = %d, %v; want 1000 events", n, err))
						}
					}
				})
			}
		})
	}
}
