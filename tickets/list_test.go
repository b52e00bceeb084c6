package tickets_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

func mustNamedAccount(t *testing.T, db *store.DB, p *config.Policy, name, number string) accounts.Account {
	t.Helper()
	svc := &accounts.Service{DB: db, Policy: p}
	a, err := svc.AddAccount(context.Background(), "admin", accounts.NewAccount{Name: name, Plan: "premium", Number: number})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func numbers(ls []tickets.Listed) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.Number
	}
	return out
}

// TestList runs on the default policy with premium Priority 1 tickets (1h on
// the always calendar) opened on Wednesday 2026-11-18, UTC.
func TestList(t *testing.T) {
	p := config.Default()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		acme := mustNamedAccount(t, db, p, "Acme Corp", "100200")
		globex := mustNamedAccount(t, db, p, "Globex", "100300")
		openAt := func(acc accounts.Account, at string) tickets.Ticket {
			clock.Set(mustTime(t, at))
			return mustOpen(t, db, p, tickets.OpenInput{AccountID: acc.ID, Plan: "premium", Priority: 1})
		}
		t1 := openAt(acme, "2026-11-18T10:00:00Z")
		t2 := openAt(globex, "2026-11-18T11:00:00Z")
		t3 := openAt(acme, "2026-11-18T12:00:00Z")
		// Opened last but with the earliest clock: newest means latest
		// opened, not highest number.
		t0 := openAt(globex, "2026-11-18T09:00:00Z")

		svc := service(db, p)
		mustEngineers(t, db, "alice")
		clock.Set(mustTime(t, "2026-11-18T12:30:00Z"))
		if _, _, err := svc.Acknowledge(ctx, "admin", t1.Number, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Resolve(ctx, "admin", t2.Number); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			filter tickets.Filter
			want   []int64
		}{
			{"all, newest opened first", tickets.Filter{}, []int64{t3.Number, t2.Number, t1.Number, t0.Number}},
			{"open keeps answered but unresolved tickets", tickets.Filter{Open: true}, []int64{t3.Number, t1.Number, t0.Number}},
			{"one account", tickets.Filter{AccountNumber: "100200"}, []int64{t3.Number, t1.Number}},
			{"open tickets of one account", tickets.Filter{Open: true, AccountNumber: "100300"}, []int64{t0.Number}},
			{"limit keeps the newest", tickets.Filter{Limit: 2}, []int64{t3.Number, t2.Number}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.List(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(numbers(got), tt.want) {
					t.Fatalf("List(%+v) = %v, want %v", tt.filter, numbers(got), tt.want)
				}
			})
		}

		t.Run("rows carry account number and name, state, UTC times", func(t *testing.T) {
			got, err := svc.List(ctx, tickets.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			byNumber := map[int64]tickets.Listed{}
			for _, l := range got {
				byNumber[l.Number] = l
				if l.OpenedAt.Location() != time.UTC || l.ResponseDue.Location() != time.UTC {
					t.Errorf("ticket %d: times not in UTC: %v %v", l.Number, l.OpenedAt, l.ResponseDue)
				}
				if l.Events != nil {
					t.Errorf("ticket %d: List filled events", l.Number)
				}
			}
			r1, r2, r3 := byNumber[t1.Number], byNumber[t2.Number], byNumber[t3.Number]
			if r1.AccountNumber != "100200" || r1.AccountName != "Acme Corp" || byNumber[t0.Number].AccountName != "Globex" {
				t.Errorf("accounts: %q %q, %q", r1.AccountNumber, r1.AccountName, byNumber[t0.Number].AccountName)
			}
			if r1.Responder != "alice" || r1.RespondedAt == nil || !r1.RespondedAt.Equal(mustTime(t, "2026-11-18T12:30:00Z")) || r1.Status != tickets.StatusOpen {
				t.Errorf("responded ticket: %+v", r1.Ticket)
			}
			if r2.Status != tickets.StatusResolved || r2.ResolvedAt == nil || r2.RespondedAt != nil {
				t.Errorf("resolved ticket: %+v", r2.Ticket)
			}
			if !r3.ResponseDue.Equal(mustTime(t, "2026-11-18T13:00:00Z")) || r3.Target != "1h" || r3.Clock != "always" {
				t.Errorf("promise of ticket %d: due %v target %s clock %s", r3.Number, r3.ResponseDue, r3.Target, r3.Clock)
			}
		})

		t.Run("bad and unknown accounts are errors, not empty lists", func(t *testing.T) {
			if _, err := svc.List(ctx, tickets.Filter{AccountNumber: "999999"}); !errcode.Is(err, errcode.NotFound) {
				t.Errorf("unknown account: %v, want not found", err)
			}
			if _, err := svc.List(ctx, tickets.Filter{AccountNumber: "acme"}); !errcode.Is(err, errcode.Invalid) {
				t.Errorf("non-numeric account: %v, want invalid", err)
			}
			// What a valid account number is, is the accounts domain's rule:
			// "12" is a number, but no account's.
			if _, err := svc.List(ctx, tickets.Filter{AccountNumber: "12"}); !errcode.Is(err, errcode.Invalid) ||
				err.Error() != `account number "12" must be 6 to 12 digits` {
				t.Errorf("short account number: %v, want invalid in the accounts' words", err)
			}
		})

		t.Run("a limit below zero is refused", func(t *testing.T) {
			if _, err := svc.List(ctx, tickets.Filter{Limit: -1}); !errcode.Is(err, errcode.Invalid) {
				t.Errorf("limit -1: %v, want invalid", err)
			}
		})
	})
}
