package tickets

// An internal test: besides timing Service.List, it prints the query plans
// of the statements List runs (Filter.query), which nothing outside the
// package can see.

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets/ticketstest"
)

// BenchmarkList measures three pages side by side, interleaved in each
// round so that load on the machine hits all of them alike: the first page
// (50) of open tickets sorted by due, the page of the same list half-way
// down it (from a cursor), and the first page of one account's tickets (a
// different account each round). It reports p50 and p99 per case in ms and
// the ratio of deep to first, and logs the query plans.
//
//	SUPPORTLINE_BENCH_TICKETS=1 go test ./tickets/ -run '^$' -bench BenchmarkList -benchtime 1000x
//
// (-bench 'BenchmarkList/sqlite' for one engine.) Seeding (ticketstest.Seed
// at ticketstest.Scale: 100 tickets per account, so 10,000 accounts on
// PostgreSQL and 1,000 on SQLite; a fifth of the tickets open; two opened
// each minute) is setup, outside the timings. api.BenchmarkTicketPages
// measures the same pages through the HTTP API.
func BenchmarkList(b *testing.B) {
	if os.Getenv(ticketstest.EnvBench) == "" {
		b.Skipf("set %s=1 to seed a million tickets and run this", ticketstest.EnvBench)
	}
	for _, e := range []store.Engine{store.Postgres, store.SQLite} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			policy := config.Default()
			n, nAccounts := ticketstest.Scale[e].Tickets, ticketstest.Scale[e].Accounts
			start := time.Now()
			ticketstest.Seed(b, db, n, nAccounts)
			b.Logf("%s: seeded %d tickets on %d accounts in %s", e, n, nAccounts, time.Since(start).Round(time.Millisecond))
			storetest.ClockOf(db).Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
			svc := &Service{DB: db, Policy: policy, Accounts: &accounts.Service{DB: db, Policy: policy}}

			openByDue := Filter{Open: true, Sort: SortDue}
			// The deep cursor: walk half the open list, a thousand at a time.
			deep := openByDue
			for walked := 0; walked < n/5/2; walked += MaxLimit {
				f := deep
				f.Limit = MaxLimit
				page, err := svc.List(ctx, f)
				if err != nil || page.Next == "" {
					b.Fatalf("walk to the middle: %v (after %d)", err, walked)
				}
				deep.Cursor = page.Next
			}
			account := func(i int) Filter { return Filter{AccountNumber: ticketstest.AccountNumber(i, nAccounts)} }
			cases := []struct {
				name string
				f    func(i int) Filter
			}{
				{"first", func(int) Filter { return openByDue }},
				{"deep", func(int) Filter { return deep }},
				{"account", account},
			}
			logPlans(b, db, svc, map[string]Filter{"first": openByDue, "deep": deep, "account": account(0)})

			samples := make([][]time.Duration, len(cases))
			i := 0
			for b.Loop() {
				for c, tc := range cases {
					t0 := time.Now()
					page, err := svc.List(ctx, tc.f(i))
					samples[c] = append(samples[c], time.Since(t0))
					if err != nil || len(page.Tickets) != DefaultLimit {
						b.Fatalf("%s: %d tickets, %v", tc.name, len(page.Tickets), err)
					}
				}
				i++
			}
			p := func(c int, q float64) float64 {
				s := slices.Clone(samples[c])
				slices.Sort(s)
				return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
			}
			for c, tc := range cases {
				b.ReportMetric(p(c, 0.50), tc.name+"-p50-ms")
				b.ReportMetric(p(c, 0.99), tc.name+"-p99-ms")
			}
			b.ReportMetric(p(1, 0.50)/p(0, 0.50), "deep/first-p50")
			b.ReportMetric(p(1, 0.99)/p(0, 0.99), "deep/first-p99")
			b.ReportMetric(0, "ns/op") // the rounds' mean says nothing the percentiles do not
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("%s: %d rounds; load average %s", e, len(samples[0]), strings.TrimSpace(string(load)))
		})
	}
}

// logPlans logs the plan of List's statement for each filter: EXPLAIN
// ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
func logPlans(b *testing.B, db *store.DB, svc *Service, filters map[string]Filter) {
	b.Helper()
	ctx := context.Background()
	for _, name := range []string{"first", "deep", "account"} {
		f := filters[name]
		after, err := f.check()
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var accountID int64
			if f.AccountNumber != "" {
				acc, err := svc.Accounts.AccountTx(ctx, tx, f.AccountNumber)
				if err != nil {
					return err
				}
				accountID = acc.ID
			}
			q, args := f.query(after, accountID, tx.Now)
			if db.Engine() == store.Postgres {
				return tx.Select(ctx, &plan, `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) `+q, args...)
			}
			var rows []struct {
				ID     int    `db:"id"`
				Parent int    `db:"parent"`
				Unused int    `db:"notused"`
				Detail string `db:"detail"`
			}
			if err := tx.Select(ctx, &rows, `EXPLAIN QUERY PLAN `+q, args...); err != nil {
				return err
			}
			for _, r := range rows {
				plan = append(plan, r.Detail)
			}
			return nil
		})
		if err != nil {
			b.Fatalf("explain %s: %v", name, err)
		}
		b.Logf("%s plan of %q:\n\t%s", db.Engine(), name, strings.Join(plan, "\n\t"))
	}
}
