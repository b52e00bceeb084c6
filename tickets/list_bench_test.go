package tickets

// An internal test: besides timing Service.List, it prints the query plans
// of the statements List runs (Filter.query), which nothing outside the
// package can see.

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
)

// EnvBenchTickets turns on BenchmarkList, whose setup seeds a million tickets.
const EnvBenchTickets = "SUPPORTLINE_BENCH_TICKETS"

// benchScale is the seeded size per engine: tickets and accounts.
var benchScale = map[store.Engine][2]int{
	store.Postgres: {1_000_000, 10_000},
	store.SQLite:   {100_000, 1_000},
}

// BenchmarkList measures three pages side by side, interleaved in each
// round so that load on the machine hits all of them alike: the first page
// (50) of open tickets sorted by due, the page of the same list half-way
// down it (from a cursor), and the first page of one account's tickets (a
// different account each round). It reports p50 and p99 per case in ms and
// the ratio of deep to first, and logs the query plans.
//
//	SUPPORTLINE_BENCH_TICKETS=1 go test ./tickets/ -run '^$' -bench BenchmarkList -benchtime 1000x
//
// Seeding (set-based SQL; 100 tickets per account, so 10,000 accounts on
// PostgreSQL and 1,000 on SQLite; a fifth of the tickets open; two opened
// each minute) is setup, outside the timings.
func BenchmarkList(b *testing.B) {
	if os.Getenv(EnvBenchTickets) == "" {
		b.Skipf("set %s=1 to seed a million tickets and run this", EnvBenchTickets)
	}
	for _, e := range []store.Engine{store.Postgres, store.SQLite} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			policy := config.Default()
			n, nAccounts := benchScale[e][0], benchScale[e][1]
			start := time.Now()
			seedTickets(b, db, n, nAccounts)
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
			account := func(i int) Filter { return Filter{AccountNumber: fmt.Sprint(200000 + 1 + i%nAccounts)} }
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

// seedTickets inserts nAccounts premium accounts (numbers 200001, ...) and
// n tickets spread over them: priorities 1 to 3 in turn, two opened each
// minute from 2026-01-01 UTC, every fifth open and unanswered, the others
// answered after 20 minutes and resolved after an hour.
func seedTickets(b *testing.B, db *store.DB, n, nAccounts int) {
	b.Helper()
	ctx := context.Background()
	var stmts []string
	if db.Engine() == store.Postgres {
		stmts = []string{
			fmt.Sprintf(`INSERT INTO accounts (number, name, plan, created_at, updated_at)
				SELECT (200000 + i)::text, 'Account ' || i, 'premium', '2025-01-01Z', '2025-01-01Z'
				FROM generate_series(1, %d) i`, nAccounts),
			fmt.Sprintf(`INSERT INTO tickets (account_id, plan, priority, opened_at, target, clock, response_due, warn_at,
					responded_at, responder, status, resolved_at)
				SELECT a0 + i %% %d, 'premium', p, o, p || 'h', 'always', o + p * interval '1 hour', o + p * interval '45 minutes',
					CASE WHEN i %% 5 = 0 THEN NULL ELSE o + interval '20 minutes' END,
					CASE WHEN i %% 5 = 0 THEN '' ELSE 'alice' END,
					CASE WHEN i %% 5 = 0 THEN 'open' ELSE 'resolved' END,
					CASE WHEN i %% 5 = 0 THEN NULL ELSE o + interval '1 hour' END
				FROM (SELECT i, CASE i %% 3 WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 4 END AS p,
						timestamptz '2026-01-01Z' + (i / 2) * interval '1 minute' AS o
					FROM generate_series(0, %d) i) s,
					(SELECT min(id) AS a0 FROM accounts) a`, nAccounts, n-1),
			`ANALYZE accounts`, `ANALYZE tickets`,
		}
	} else {
		// Times as the Go driver writes them ("2026-01-01 00:00:00+00:00"),
		// so that they compare as text with the values List binds.
		at := func(expr string) string {
			return `strftime('%Y-%m-%d %H:%M:%S+00:00', '2026-01-01', ` + expr + `)`
		}
		stmts = []string{
			fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)
				INSERT INTO accounts (number, name, plan, created_at, updated_at)
				SELECT CAST(200000 + i AS TEXT), 'Account ' || i, 'premium', '2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00' FROM s`, nAccounts),
			fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %d),
					r AS (SELECT i, CASE i %% 3 WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 4 END AS p, (i / 2) * 60 AS o FROM s)
				INSERT INTO tickets (account_id, plan, priority, opened_at, target, clock, response_due, warn_at,
					responded_at, responder, status, resolved_at)
				SELECT (SELECT min(id) FROM accounts) + i %% %d, 'premium', p, %s, p || 'h', 'always', %s, %s,
					CASE WHEN i %% 5 = 0 THEN NULL ELSE %s END,
					CASE WHEN i %% 5 = 0 THEN '' ELSE 'alice' END,
					CASE WHEN i %% 5 = 0 THEN 'open' ELSE 'resolved' END,
					CASE WHEN i %% 5 = 0 THEN NULL ELSE %s END
				FROM r`, n-1, nAccounts,
				at(`'+' || o || ' seconds'`), at(`'+' || (o + p * 3600) || ' seconds'`), at(`'+' || (o + p * 2700) || ' seconds'`),
				at(`'+' || (o + 1200) || ' seconds'`), at(`'+' || (o + 3600) || ' seconds'`)),
			`ANALYZE`,
		}
	}
	for _, q := range stmts {
		// Statements, not one transaction: ANALYZE may not run in one on
		// every engine, and nothing else uses this database meanwhile.
		if err := db.Statements(ctx, func(s *store.Q) error {
			_, err := s.Exec(ctx, q)
			return err
		}); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
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
