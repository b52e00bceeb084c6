package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/tickets/ticketstest"
)

// BenchmarkPages measures what a signed-in admin waits for, over HTTP on
// loopback (so an upper bound of server time): the dashboard with 10,000
// open tickets and 50 calls in progress, and a ticket's page, on two
// databases side by side, interleaved in each round: one with only the
// open tickets, one with a million resolved tickets beside them (100,000
// on SQLite). The dashboard must not cost more with the resolved ones.
//
//	SUPPORTLINE_BENCH_TICKETS=1 go test ./console/ -run '^$' -bench BenchmarkPages -benchtime 300x -v
//
// Seeding is setup, outside the timings.
func BenchmarkPages(b *testing.B) {
	if os.Getenv(ticketstest.EnvBench) == "" {
		b.Skipf("set %s=1 to seed a million tickets and run this", ticketstest.EnvBench)
	}
	resolved := map[store.Engine]int{store.Postgres: 1_000_000, store.SQLite: 100_000}
	const open = 10_000
	for _, e := range []store.Engine{store.Postgres, store.SQLite} {
		b.Run(string(e), func(b *testing.B) {
			type side struct {
				name   string
				h      *harness
				c      *client
				ticket string
				times  map[string][]time.Duration
			}
			var sides []*side
			for _, n := range []int{0, resolved[e]} {
				h := newHarness(b, storetest.Open(b, e))
				start := time.Now()
				// Every (n/open+1)-th of n+open tickets is open: open of them.
				ticketstest.SeedOpen(b, h.db, open+n, 1_000, n/open+1)
				h.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
				seedLiveCalls(b, h, 50)
				b.Logf("%s: seeded %d open and %d resolved tickets, 50 calls in progress, in %s", e, open, n, time.Since(start).Round(time.Millisecond))
				page, err := h.srv.Tickets.List(context.Background(), tickets.Filter{Open: true, Sort: tickets.SortDue, Limit: 1})
				if err != nil || len(page.Tickets) != 1 {
					b.Fatalf("no open ticket: %v", err)
				}
				s := &side{name: fmt.Sprintf("%d resolved", n), h: h, c: h.signedIn("viewer@example.com"),
					ticket: fmt.Sprintf("/tickets/%d", page.Tickets[0].Number), times: map[string][]time.Duration{}}
				s.c.get("/").want(b, http.StatusOK).has(b, "more open tickets")
				s.c.get(s.ticket).want(b, http.StatusOK)
				sides = append(sides, s)
			}
			b.ResetTimer()
			for range b.N {
				for _, s := range sides {
					for _, path := range []string{"/", s.ticket} {
						start := time.Now()
						r := s.c.get(path)
						s.times[path] = append(s.times[path], time.Since(start))
						if r.Status != http.StatusOK {
							b.Fatalf("%s: %d", path, r.Status)
						}
					}
				}
			}
			b.StopTimer()
			q := func(d []time.Duration, p float64) float64 {
				d = slices.Clone(d)
				slices.Sort(d)
				return float64(d[int(float64(len(d)-1)*p)]) / float64(time.Millisecond)
			}
			for _, s := range sides {
				dash, tk := s.times["/"], s.times[s.ticket]
				b.Logf("%s %s: dashboard p50 %.2f ms p99 %.2f ms; ticket page p50 %.2f ms p99 %.2f ms",
					e, s.name, q(dash, .5), q(dash, .99), q(tk, .5), q(tk, .99))
			}
			few, many := sides[0].times["/"], sides[1].times["/"]
			b.Logf("%s dashboard with/without resolved: p50 %.2f, p99 %.2f", e, q(many, .5)/q(few, .5), q(many, .99)/q(few, .99))
			b.ReportMetric(q(many, .99), "dashboard-p99-ms")
			b.ReportMetric(q(sides[1].times[sides[1].ticket], .99), "ticket-p99-ms")
		})
	}
}

// seedLiveCalls inserts n calls in progress, started in the last minutes,
// half of them with a verified caller.
func seedLiveCalls(b *testing.B, h *harness, n int) {
	b.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	for i := range n {
		err := h.db.InTx(ctx, func(tx *store.Tx) error {
			var account any
			if i%2 == 0 {
				account = h.firstAccount(b, tx)
			}
			_, err := tx.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, account_id, created_at, updated_at)
				VALUES (?, ?, '+12125550100', 'menu', ?, ?, ?)`,
				fmt.Sprintf("CA%032x", i+1), fmt.Sprintf("+1555555%04d", i), account, now.Add(-time.Duration(i)*time.Second), now)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func (h *harness) firstAccount(b *testing.B, tx *store.Tx) int64 {
	var id int64
	if err := tx.Get(context.Background(), &id, `SELECT min(id) FROM accounts`); err != nil {
		b.Fatal(err)
	}
	return id
}
