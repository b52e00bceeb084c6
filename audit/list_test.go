package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

func TestQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		// Hourly events from 2026-11-18 15:00 UTC.
		start := time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
		for i, e := range []audit.Event{
			{Actor: "token:crm", Action: "ticket.ack", Subject: "ticket:100001"},
			{Actor: "alice", Action: "ticket.note", Subject: "ticket:100001"},
			{Actor: "token:crm", Action: "ticket.resolve", Subject: "ticket:100002"},
			{Actor: "token:crm", Action: "ticket.reopen", Subject: "ticket:100001"},
		} {
			clock.Set(start.Add(time.Duration(i) * time.Hour))
			if err := db.InTx(ctx, func(tx *store.Tx) error { return audit.Record(ctx, tx, e) }); err != nil {
				t.Fatal(err)
			}
		}
		svc := &audit.Service{DB: db}
		for _, tc := range []struct {
			name string
			q    audit.Filter
			want string
		}{
			{"everything, oldest first", audit.Filter{}, "ticket.ack ticket.note ticket.resolve ticket.reopen"},
			{"by subject", audit.Filter{Subject: "ticket:100001"}, "ticket.ack ticket.note ticket.reopen"},
			{"by actor", audit.Filter{Actor: "token:crm"}, "ticket.ack ticket.resolve ticket.reopen"},
			{"subject and actor", audit.Filter{Subject: "ticket:100001", Actor: "token:crm"}, "ticket.ack ticket.reopen"},
			{"since is inclusive, until exclusive", audit.Filter{Since: start.Add(time.Hour), Until: start.Add(3 * time.Hour)}, "ticket.note ticket.resolve"},
			{"the newest 2", audit.Filter{Limit: 2}, "ticket.resolve ticket.reopen"},
			{"no match", audit.Filter{Actor: "token:nobody"}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				events, err := svc.List(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if events == nil {
					t.Error("nil, want an empty list")
				}
				var got []string
				for _, e := range events {
					got = append(got, e.Action)
				}
				if s := strings.Join(got, " "); s != tc.want {
					t.Errorf("got %q, want %q", s, tc.want)
				}
			})
		}
		for _, tc := range []struct {
			name string
			q    audit.Filter
		}{
			{"negative limit", audit.Filter{Limit: -1}},
			{"limit too large", audit.Filter{Limit: audit.MaxListLimit + 1}},
			{"until before since", audit.Filter{Since: start.Add(time.Hour), Until: start}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := svc.List(ctx, tc.q); !errcode.Is(err, errcode.Invalid) {
					t.Errorf("err %v, want errcode.Invalid", err)
				}
			})
		}
	})
}
