package ivr

import (
	"context"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
)

// BenchmarkLoadCall measures what the join in loadCall saves: the call read
// as every webhook reads it (one statement joining accounts, contacts,
// tickets and the roster version) against the same facts read the way each
// owning package would read them (the calls row, then the account, the
// contact, the ticket and the roster version, one statement each), both
// statement at a time as the webhooks read, on PostgreSQL, in five
// alternating rounds:
//
//	go test ./ivr/ -run '^$' -bench BenchmarkLoadCall -benchtime 2000x
func BenchmarkLoadCall(b *testing.B) {
	db := storetest.Open(b, store.Postgres) // skipped without PostgreSQL
	h := newHarness(b, db)
	call := h.diallingCall()
	ctx := context.Background()
	// Rounds alternate the two, so that a machine that slows down or
	// speeds up during the run weighs on both alike.
	for range 5 {
		b.Run("joined", func(b *testing.B) {
			for b.Loop() {
				if _, err := h.srv.readCall(ctx, "bench", call.CallSid); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("split", func(b *testing.B) {
			for b.Loop() {
				if _, err := readCallSplit(ctx, h.srv, call.CallSid); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readCallSplit reads what loadCall reads, one owner's table at a time.
func readCallSplit(ctx context.Context, s *Server, sid string) (Call, error) {
	var c Call
	err := s.lax(ctx, "bench", func(q *store.Q) error {
		if err := q.Get(ctx, &c, `SELECT call_sid, from_number, to_number, step, seq, via_caller_id, support_id, entry_key,
				contact_id, account_id, pin_attempts, misses, priority, ticket_id, route, dial_step, outcome,
				status, duration, created_at, updated_at, ended_at FROM calls WHERE call_sid = ?`, sid); err != nil {
			return err
		}
		var acc struct {
			Plan string `db:"plan"`
			Name string `db:"name"`
		}
		if err := q.Get(ctx, &acc, `SELECT plan, name FROM accounts WHERE id = ?`, *c.AccountID); err != nil {
			return err
		}
		if err := q.Get(ctx, &c.ContactName, `SELECT name FROM contacts WHERE id = ?`, *c.ContactID); err != nil {
			return err
		}
		var t struct {
			Number int64  `db:"number"`
			Target string `db:"target"`
			Clock  string `db:"clock"`
		}
		if err := q.Get(ctx, &t, `SELECT number, target, clock FROM tickets WHERE id = ?`, *c.TicketID); err != nil {
			return err
		}
		return q.Get(ctx, &c.RosterVersion, `SELECT version FROM roster_version WHERE id = 1`)
	})
	c.decodeRoute()
	return c, err
}
