package audit_test

import (
	"context"
	"strconv"
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

// TestListPage pages through 250 events written as one transaction writes
// them (one to five sharing the transaction's instant), from 2026-11-18
// 15:00 UTC a little over a second apart, with pages that end inside an
// instant: every event comes exactly once, newest first, filters kept.
func TestListPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		start := time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
		clock.Set(start)
		type written struct {
			n     int
			actor string
			at    time.Time
		}
		var all []written // oldest first
		for tx := 0; len(all) < 250; tx++ {
			clock.Advance(time.Second + 1234*time.Microsecond) // sub-second instants survive the cursor
			at := clock.Now().UTC().Truncate(time.Microsecond)
			err := db.InTx(ctx, func(stx *store.Tx) error {
				for range tx%5 + 1 {
					if len(all) == 250 {
						break
					}
					w := written{n: len(all), actor: []string{"alice", "bob", "token:crm"}[len(all)%3], at: at}
					e := audit.Event{Actor: w.actor, Action: "test.step", Subject: "step", Detail: strconv.Itoa(w.n)}
					if err := audit.Record(ctx, stx, e); err != nil {
						return err
					}
					all = append(all, w)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		svc := &audit.Service{DB: db}
		for _, tc := range []struct {
			name  string
			f     audit.Filter
			keeps func(written) bool
		}{
			{"everything, 7 a page", audit.Filter{Limit: 7}, func(written) bool { return true }},
			{"one actor, 4 a page", audit.Filter{Actor: "alice", Limit: 4}, func(w written) bool { return w.actor == "alice" }},
			{"a window by subject, 3 a page", audit.Filter{Subject: "step", Since: all[40].at, Until: all[200].at, Limit: 3},
				func(w written) bool { return !w.at.Before(all[40].at) && w.at.Before(all[200].at) }},
			{"one page for all", audit.Filter{Limit: 250}, func(written) bool { return true }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var want []string
				for i := len(all) - 1; i >= 0; i-- {
					if tc.keeps(all[i]) {
						want = append(want, strconv.Itoa(all[i].n))
					}
				}
				var got []string
				f := tc.f
				for pages := 0; ; pages++ {
					if pages > len(all) {
						t.Fatal("more pages than events")
					}
					p, err := svc.ListPage(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Events) > f.Limit || (p.Next != "" && len(p.Events) != f.Limit) {
						t.Fatalf("page %d: %d events (limit %d), next %q", pages, len(p.Events), f.Limit, p.Next)
					}
					for _, e := range p.Events {
						if e.At.Location() != time.UTC {
							t.Fatalf("event %s at %v, not in UTC", e.Detail, e.At)
						}
						got = append(got, e.Detail)
					}
					if p.Next == "" {
						break
					}
					f.Cursor = p.Next
				}
				if g, w := strings.Join(got, " "), strings.Join(want, " "); g != w {
					t.Errorf("paged (%d events):\n%s\nwant (%d events):\n%s", len(got), g, len(want), w)
				}
			})
		}

		t.Run("List is the page, oldest first", func(t *testing.T) {
			events, err := svc.List(ctx, audit.Filter{Limit: 3})
			if err != nil || len(events) != 3 || events[0].Detail != "247" || events[2].Detail != "249" {
				t.Fatalf("List = %+v, %v; want events 247 to 249", events, err)
			}
		})

		first, err := svc.ListPage(ctx, audit.Filter{Limit: 1})
		if err != nil || first.Next == "" {
			t.Fatalf("first page %+v, %v: want a cursor", first, err)
		}
		for name, cursor := range map[string]string{
			"not base64":       "nonsense!",
			"not JSON":         "bm9uc2Vuc2U",
			"empty object":     store.EncodeCursor(struct{}{}),
			"no id":            store.EncodeCursor(map[string]any{"a": start}),
			"no instant":       store.EncodeCursor(map[string]any{"e": 5}),
			"a ticket list's":  store.EncodeCursor(map[string]any{"s": "opened", "k": start, "i": 5}),
			"a call list's":    store.EncodeCursor(map[string]any{"t": start, "c": "CA" + strings.Repeat("0", 32)}),
			"too long":         first.Next + strings.Repeat("A", 300),
			"two run together": strings.TrimSuffix(first.Next, "=") + store.EncodeCursor(map[string]any{"e": 1}),
		} {
			t.Run("cursor "+name, func(t *testing.T) {
				_, err := svc.ListPage(ctx, audit.Filter{Cursor: cursor})
				if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), "the audit log") {
					t.Errorf("err %v, want errcode.Invalid naming the audit log", err)
				}
				if _, err := svc.List(ctx, audit.Filter{Cursor: cursor}); !errcode.Is(err, errcode.Invalid) {
					t.Errorf("List: err %v, want errcode.Invalid", err)
				}
			})
		}
	})
}
