package tickets_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
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
				if !slices.Equal(numbers(got.Tickets), tt.want) {
					t.Fatalf("List(%+v) = %v, want %v", tt.filter, numbers(got.Tickets), tt.want)
				}
			})
		}

		t.Run("rows carry account number and name, state, UTC times", func(t *testing.T) {
			got, err := svc.List(ctx, tickets.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			byNumber := map[int64]tickets.Listed{}
			for _, l := range got.Tickets {
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

// openMany opens n premium tickets of priority prio on acc at the instant at,
// in one transaction (so they tie on opened_at and on response_due).
func openMany(t *testing.T, db *store.DB, p *config.Policy, acc accounts.Account, at string, prio, n int) []tickets.Ticket {
	t.Helper()
	storetest.ClockOf(db).Set(mustTime(t, at))
	var out []tickets.Ticket
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for range n {
			tk, err := service(db, p).OpenTx(context.Background(), tx, tickets.OpenInput{AccountID: acc.ID, Plan: "premium", Priority: prio})
			if err != nil {
				return err
			}
			out = append(out, tk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestListFilters runs on the default policy (premium: Priority 1 due in 1h,
// 2 in 2h, 3 in 4h, on the always calendar) with tickets opened on Wednesday
// 2026-11-18, UTC, and the list read at 13:30 UTC that day.
func TestListFilters(t *testing.T) {
	p := config.Default()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		svc := service(db, p)
		mustEngineers(t, db, "alice")
		acme := mustNamedAccount(t, db, p, "Acme Corp", "100200")
		globex := mustNamedAccount(t, db, p, "Globex", "100300")
		one := func(acc accounts.Account, at string, prio int) tickets.Ticket {
			return openMany(t, db, p, acc, at, prio, 1)[0]
		}
		// Due: a 11:00, b 12:00 (answered late, 12:10), c 12:00 (answered
		// in time, 11:30), d 14:00 (resolved unanswered at 12:30: in time),
		// e 13:00 (resolved unanswered at 13:20: late), f 15:00 (open).
		a := one(acme, "2026-11-18T10:00:00Z", 1)
		b := one(globex, "2026-11-18T10:00:00Z", 2)
		c := one(acme, "2026-11-18T11:00:00Z", 1)
		d := one(globex, "2026-11-18T12:00:00Z", 2)
		e := one(acme, "2026-11-18T12:00:00Z", 1)
		f := one(globex, "2026-11-18T13:00:00Z", 2)
		at := func(s string) { clock.Set(mustTime(t, s)) }
		at("2026-11-18T11:30:00Z")
		if _, _, err := svc.Acknowledge(ctx, "admin", c.Number, "alice"); err != nil {
			t.Fatal(err)
		}
		at("2026-11-18T12:10:00Z")
		if _, _, err := svc.Acknowledge(ctx, "admin", b.Number, "alice"); err != nil {
			t.Fatal(err)
		}
		at("2026-11-18T12:30:00Z")
		if _, _, err := svc.Resolve(ctx, "admin", d.Number); err != nil {
			t.Fatal(err)
		}
		at("2026-11-18T13:20:00Z")
		if _, _, err := svc.Resolve(ctx, "admin", e.Number); err != nil {
			t.Fatal(err)
		}
		at("2026-11-18T13:30:00Z")
		n := func(ts ...tickets.Ticket) []int64 {
			out := make([]int64, len(ts))
			for i, t := range ts {
				out[i] = t.Number
			}
			return out
		}
		tm := func(s string) time.Time { return mustTime(t, s) }
		tests := []struct {
			name   string
			filter tickets.Filter
			want   []int64
		}{
			// Ties on opened_at (a and b, d and e) go by id, newest first.
			{"all, newest first", tickets.Filter{}, n(f, e, d, c, b, a)},
			{"sort opened is the default", tickets.Filter{Sort: tickets.SortOpened}, n(f, e, d, c, b, a)},
			{"sort due, soonest first, ties by id", tickets.Filter{Sort: tickets.SortDue}, n(a, b, c, e, d, f)},
			{"open", tickets.Filter{Open: true}, n(f, c, b, a)},
			{"open by due", tickets.Filter{Open: true, Sort: tickets.SortDue}, n(a, b, c, f)},
			{"priority 2", tickets.Filter{Priority: 2}, n(f, d, b)},
			{"priority 1 of acme", tickets.Filter{Priority: 1, AccountNumber: "100200"}, n(e, c, a)},
			// a: open, unanswered, due 11:00 (late now); b: answered 12:10,
			// due 12:00; e: resolved 13:20 unanswered, due 13:00.
			{"breached: late now, answered late, resolved late", tickets.Filter{Breached: true}, n(e, b, a)},
			{"breached and open", tickets.Filter{Breached: true, Open: true}, n(b, a)},
			{"breached by due", tickets.Filter{Breached: true, Sort: tickets.SortDue}, n(a, b, e)},
			{"due before is strict", tickets.Filter{DueBefore: tm("2026-11-18T12:00:00Z")}, n(a)},
			{"due before 13:00:01", tickets.Filter{DueBefore: tm("2026-11-18T13:00:01Z"), Sort: tickets.SortDue}, n(a, b, c, e)},
			{"due before in another zone", tickets.Filter{DueBefore: tm("2026-11-18T05:00:01-07:00")}, n(c, b, a)},
			{"opened from (inclusive)", tickets.Filter{OpenedFrom: tm("2026-11-18T12:00:00Z")}, n(f, e, d)},
			{"opened to (exclusive)", tickets.Filter{OpenedTo: tm("2026-11-18T12:00:00Z")}, n(c, b, a)},
			{"opened between", tickets.Filter{OpenedFrom: tm("2026-11-18T11:00:00Z"), OpenedTo: tm("2026-11-18T13:00:00Z")}, n(e, d, c)},
			{"everything at once", tickets.Filter{Open: true, AccountNumber: "100300", Priority: 2, Breached: true,
				DueBefore: tm("2026-11-18T13:00:00Z"), OpenedFrom: tm("2026-11-18T09:00:00Z"), OpenedTo: tm("2026-11-18T11:00:00Z"), Sort: tickets.SortDue}, n(b)},
			{"nothing matches", tickets.Filter{Priority: 3}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.List(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if got.Tickets == nil || got.Next != "" {
					t.Errorf("page: tickets %v, next %q", got.Tickets, got.Next)
				}
				if !slices.Equal(numbers(got.Tickets), tt.want) && len(tt.want)+len(got.Tickets) > 0 {
					t.Fatalf("List(%+v) = %v, want %v", tt.filter, numbers(got.Tickets), tt.want)
				}
			})
		}
	})
}

// walk reads every page of f, limit tickets at a time, and fails on a page
// longer than limit or a last page with a cursor.
func walk(t *testing.T, svc *tickets.Service, f tickets.Filter, limit int) (all []int64, pages int) {
	t.Helper()
	f.Limit = limit
	for {
		page, err := svc.List(context.Background(), f)
		if err != nil {
			t.Fatalf("page %d of %+v: %v", pages+1, f, err)
		}
		pages++
		if len(page.Tickets) > limit || (page.Next != "" && len(page.Tickets) != limit) {
			t.Fatalf("page %d: %d tickets with limit %d, next %q", pages, len(page.Tickets), limit, page.Next)
		}
		all = append(all, numbers(page.Tickets)...)
		if page.Next == "" {
			return all, pages
		}
		if pages > 1000 {
			t.Fatal("no end of pages")
		}
		f.Cursor = page.Next
	}
}

// TestListPages opens 40 tickets on Wednesday 2026-11-18, UTC, in groups
// that tie on the opened instant and on the due instant (a Priority 1 at
// 11:00 is due when a Priority 2 at 10:00 is), resolves some, and walks the
// pages of every order and filter at several page sizes.
func TestListPages(t *testing.T) {
	p := config.Default()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db, p)
		acme := mustNamedAccount(t, db, p, "Acme Corp", "100200")
		globex := mustNamedAccount(t, db, p, "Globex", "100300")
		var all []tickets.Ticket
		all = append(all, openMany(t, db, p, acme, "2026-11-18T10:00:00Z", 2, 7)...)
		all = append(all, openMany(t, db, p, globex, "2026-11-18T11:00:00Z", 1, 9)...)
		all = append(all, openMany(t, db, p, acme, "2026-11-18T11:00:00Z", 3, 5)...)
		all = append(all, openMany(t, db, p, globex, "2026-11-18T09:00:00Z", 3, 6)...)
		all = append(all, openMany(t, db, p, acme, "2026-11-18T12:00:00.123456Z", 1, 13)...)
		storetest.ClockOf(db).Set(mustTime(t, "2026-11-18T12:30:00Z"))
		for i := 0; i < len(all); i += 3 {
			if _, _, err := svc.Resolve(ctx, "admin", all[i].Number); err != nil {
				t.Fatal(err)
			}
		}
		// The expected orders, computed here from the tickets' own fields.
		byOpened := slices.Clone(all)
		slices.SortFunc(byOpened, func(x, y tickets.Ticket) int {
			if c := y.OpenedAt.Compare(x.OpenedAt); c != 0 {
				return c
			}
			return int(y.ID - x.ID)
		})
		byDue := slices.Clone(all)
		slices.SortFunc(byDue, func(x, y tickets.Ticket) int {
			if c := x.ResponseDue.Compare(y.ResponseDue); c != 0 {
				return c
			}
			return int(x.ID - y.ID)
		})
		resolved := map[int64]bool{}
		for i := 0; i < len(all); i += 3 {
			resolved[all[i].Number] = true
		}
		keep := func(ts []tickets.Ticket, ok func(tickets.Ticket) bool) []int64 {
			var out []int64
			for _, t := range ts {
				if ok(t) {
					out = append(out, t.Number)
				}
			}
			return out
		}
		every := func(tickets.Ticket) bool { return true }
		open := func(t tickets.Ticket) bool { return !resolved[t.Number] }
		acmeOnly := func(t tickets.Ticket) bool { return t.AccountID == acme.ID }
		cases := []struct {
			name   string
			filter tickets.Filter
			want   []int64
		}{
			{"all by opened", tickets.Filter{}, keep(byOpened, every)},
			{"all by due", tickets.Filter{Sort: tickets.SortDue}, keep(byDue, every)},
			{"open by opened", tickets.Filter{Open: true}, keep(byOpened, open)},
			{"open by due", tickets.Filter{Open: true, Sort: tickets.SortDue}, keep(byDue, open)},
			{"one account by opened", tickets.Filter{AccountNumber: "100200"}, keep(byOpened, acmeOnly)},
			{"one account's open by due", tickets.Filter{AccountNumber: "100200", Open: true, Sort: tickets.SortDue},
				keep(byDue, func(t tickets.Ticket) bool { return acmeOnly(t) && open(t) })},
		}
		for _, tc := range cases {
			for _, limit := range []int{1, 2, 5, 7, 13, 40, 41, tickets.MaxLimit} {
				t.Run(fmt.Sprintf("%s, %d a page", tc.name, limit), func(t *testing.T) {
					got, pages := walk(t, svc, tc.filter, limit)
					if !slices.Equal(got, tc.want) {
						t.Fatalf("pages (%d) = %v\nwant %v", pages, got, tc.want)
					}
					if want := max(1, (len(tc.want)+limit-1)/limit); pages != want {
						t.Errorf("%d pages, want %d", pages, want)
					}
				})
			}
		}

		t.Run("a ticket opened between pages appears on none of the later ones", func(t *testing.T) {
			first, err := svc.List(ctx, tickets.Filter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			late := openMany(t, db, p, globex, "2026-11-18T12:40:00Z", 1, 1)[0]
			rest, _ := walk(t, svc, tickets.Filter{Cursor: first.Next}, 10)
			got := append(numbers(first.Tickets), rest...)
			if want := keep(byOpened, every); !slices.Equal(got, want) {
				t.Fatalf("pages = %v\nwant %v (without %d)", got, want, late.Number)
			}
		})
	})
}

// TestListRefusesBadInput runs on a database with three tickets opened on
// Wednesday 2026-11-18 10:00 UTC.
func TestListRefusesBadInput(t *testing.T) {
	p := config.Default()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db, p)
		acme := mustNamedAccount(t, db, p, "Acme Corp", "100200")
		openMany(t, db, p, acme, "2026-11-18T10:00:00Z", 1, 3)
		byOpened, err := svc.List(ctx, tickets.Filter{Limit: 1})
		if err != nil || byOpened.Next == "" {
			t.Fatalf("first page: %+v, %v", byOpened, err)
		}
		byDue, err := svc.List(ctx, tickets.Filter{Limit: 1, Sort: tickets.SortDue})
		if err != nil || byDue.Next == "" {
			t.Fatalf("first page by due: %+v, %v", byDue, err)
		}
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		tests := []struct {
			name   string
			filter tickets.Filter
			words  string
		}{
			{"limit below zero", tickets.Filter{Limit: -1}, "limit must be 1 to 1000, not -1"},
			{"limit over the maximum", tickets.Filter{Limit: tickets.MaxLimit + 1}, "limit must be 1 to 1000, not 1001"},
			{"priority 9", tickets.Filter{Priority: 9}, "priority 9 is not a priority level (1 to 8)"},
			{"priority -1", tickets.Filter{Priority: -1}, "priority -1 is not a priority level (1 to 8)"},
			{"unknown sort", tickets.Filter{Sort: "number"}, `sort "number" is not one of opened (newest first), due (soonest due first)`},
			{"opened window backwards", tickets.Filter{OpenedFrom: mustTime(t, "2026-11-18T12:00:00Z"), OpenedTo: mustTime(t, "2026-11-18T12:00:00Z")},
				"opened from 2026-11-18T12:00:00Z must be before opened to 2026-11-18T12:00:00Z"},
			{"cursor of the due sort used for opened", tickets.Filter{Cursor: byDue.Next},
				"cursor is for tickets sorted by due, not by opened; start again without it or sort by due"},
			{"cursor of the opened sort used for due", tickets.Filter{Cursor: byOpened.Next, Sort: tickets.SortDue},
				"cursor is for tickets sorted by opened, not by due; start again without it or sort by opened"},
			{"cursor not base64", tickets.Filter{Cursor: "not a cursor!"}, `cursor "not a cursor!" is not one a ticket list gave out; start again without it`},
			{"cursor padded", tickets.Filter{Cursor: byOpened.Next + "="}, "is not one a ticket list gave out"},
			{"cursor not JSON", tickets.Filter{Cursor: b64("opened,2026,1")}, "is not one a ticket list gave out"},
			{"cursor with an unknown field", tickets.Filter{Cursor: b64(`{"s":"opened","k":"2026-11-18T10:00:00Z","i":1,"x":1}`)}, "is not one a ticket list gave out"},
			{"cursor without an id", tickets.Filter{Cursor: b64(`{"s":"opened","k":"2026-11-18T10:00:00Z"}`)}, "is not one a ticket list gave out"},
			{"cursor without a key", tickets.Filter{Cursor: b64(`{"s":"opened","i":2}`)}, "is not one a ticket list gave out"},
			{"cursor of an unknown sort", tickets.Filter{Cursor: b64(`{"s":"number","k":"2026-11-18T10:00:00Z","i":2}`), Sort: "number"}, `sort "number" is not one of`},
			{"cursor naming an unknown sort", tickets.Filter{Cursor: b64(`{"s":"number","k":"2026-11-18T10:00:00Z","i":2}`)}, "is not one a ticket list gave out"},
			{"cursor with trailing data", tickets.Filter{Cursor: b64(`{"s":"opened","k":"2026-11-18T10:00:00Z","i":2}{}`)}, "is not one a ticket list gave out"},
			{"cursor too long", tickets.Filter{Cursor: strings.Repeat("A", 300)}, `cursor "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA..." is not one`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.List(ctx, tt.filter)
				if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tt.words) {
					t.Fatalf("List(%+v) = %v, want invalid: %q", tt.filter, err, tt.words)
				}
			})
		}

		t.Run("a hand-made cursor in the right shape is followed", func(t *testing.T) {
			// Not a secret: a cursor only says where to start.
			page, err := svc.List(ctx, tickets.Filter{Cursor: b64(`{"s":"opened","k":"2026-11-18T10:00:00Z","i":3}`)})
			if err != nil || len(page.Tickets) != 2 || page.Next != "" {
				t.Fatalf("page: %+v, %v", page, err)
			}
		})
	})
}

// TestListLimits opens 55 tickets on Wednesday 2026-11-18 10:00 UTC.
func TestListLimits(t *testing.T) {
	p := config.Default()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := service(db, p)
		acme := mustNamedAccount(t, db, p, "Acme Corp", "100200")
		openMany(t, db, p, acme, "2026-11-18T10:00:00Z", 1, 55)
		for _, tt := range []struct {
			limit, want int
			next        bool
		}{{0, tickets.DefaultLimit, true}, {1, 1, true}, {54, 54, true}, {55, 55, false}, {tickets.MaxLimit, 55, false}} {
			t.Run(fmt.Sprintf("limit %d", tt.limit), func(t *testing.T) {
				page, err := svc.List(ctx, tickets.Filter{Limit: tt.limit})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Tickets) != tt.want || (page.Next != "") != tt.next {
					t.Fatalf("limit %d: %d tickets, next %q; want %d, next %v", tt.limit, len(page.Tickets), page.Next, tt.want, tt.next)
				}
			})
		}
	})
}
