// Package ticketstest seeds the many tickets that the ticket-list
// benchmarks need (tickets.BenchmarkList, api.BenchmarkTicketPages), with
// set-based SQL so that a million rows take seconds. It writes the tables
// directly and imports nothing of package tickets, which imports nothing of
// it: its test benchmarks use it.
package ticketstest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"supportline/store"
)

// EnvBench turns on the benchmarks that seed with Seed: their setup takes
// seconds on SQLite and more on PostgreSQL, so they skip without it.
const EnvBench = "SUPPORTLINE_BENCH_TICKETS"

// Scale is the seeded size per engine that the numbers are for.
var Scale = map[store.Engine]struct{ Tickets, Accounts int }{
	store.Postgres: {1_000_000, 10_000},
	store.SQLite:   {100_000, 1_000},
}

// AccountNumber is the number of the i-th seeded account (from 0; i wraps
// at nAccounts), for a benchmark that asks for a different account each
// round.
func AccountNumber(i, nAccounts int) string { return fmt.Sprint(200000 + 1 + i%nAccounts) }

// Seed inserts nAccounts premium accounts (numbers 200001, ...) and
// nTickets tickets spread over them: priorities 1, 2 and 4 in turn, two
// opened each minute from 2026-01-01 UTC, every fifth open and unanswered,
// the others answered after 20 minutes and resolved after an hour. It
// analyzes the tables after (and vacuums them on PostgreSQL), as a database in use would be. db must have
// no accounts yet (account ids are taken from the first one inserted).
func Seed(tb testing.TB, db *store.DB, nTickets, nAccounts int) {
	tb.Helper()
	SeedOpen(tb, db, nTickets, nAccounts, 5)
}

// SeedOpen is Seed with every openEvery-th ticket open (Seed's is 5): the
// console's dashboard benchmark wants 10,000 open among a million resolved.
func SeedOpen(tb testing.TB, db *store.DB, nTickets, nAccounts, openEvery int) {
	tb.Helper()
	if openEvery < 1 {
		tb.Fatalf("seed: openEvery %d", openEvery)
	}
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
					CASE WHEN i %% OPENEVERY = 0 THEN NULL ELSE o + interval '20 minutes' END,
					CASE WHEN i %% OPENEVERY = 0 THEN '' ELSE 'alice' END,
					CASE WHEN i %% OPENEVERY = 0 THEN 'open' ELSE 'resolved' END,
					CASE WHEN i %% OPENEVERY = 0 THEN NULL ELSE o + interval '1 hour' END
				FROM (SELECT i, CASE i %% 3 WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 4 END AS p,
						timestamptz '2026-01-01Z' + (i / 2) * interval '1 minute' AS o
					FROM generate_series(0, %d) i) s,
					(SELECT min(id) AS a0 FROM accounts) a`, nAccounts, nTickets-1),
			`ANALYZE accounts`,
			// VACUUM as autovacuum would have by now: it sets the visibility
			// map, without which an index-only scan reads the heap too.
			`VACUUM ANALYZE tickets`,
		}
	} else {
		// Times as the Go driver writes them ("2026-01-01 00:00:00+00:00"),
		// so that they compare as text with the values a list binds.
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
					CASE WHEN i %% OPENEVERY = 0 THEN NULL ELSE %s END,
					CASE WHEN i %% OPENEVERY = 0 THEN '' ELSE 'alice' END,
					CASE WHEN i %% OPENEVERY = 0 THEN 'open' ELSE 'resolved' END,
					CASE WHEN i %% OPENEVERY = 0 THEN NULL ELSE %s END
				FROM r`, nTickets-1, nAccounts,
				at(`'+' || o || ' seconds'`), at(`'+' || (o + p * 3600) || ' seconds'`), at(`'+' || (o + p * 2700) || ' seconds'`),
				at(`'+' || (o + 1200) || ' seconds'`), at(`'+' || (o + 3600) || ' seconds'`)),
			`ANALYZE`,
		}
	}
	for _, q := range stmts {
		q = strings.ReplaceAll(q, "OPENEVERY", strconv.Itoa(openEvery))
		// Statements, not one transaction: ANALYZE may not run in one on
		// every engine, and nothing else uses this database meanwhile.
		if err := db.Statements(ctx, func(s *store.Q) error {
			_, err := s.Exec(ctx, q)
			return err
		}); err != nil {
			tb.Fatalf("seed: %v\n%s", err, q)
		}
	}
}
