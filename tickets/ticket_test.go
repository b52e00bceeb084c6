package tickets_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/sla"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

func fourTier(t *testing.T) *config.Policy {
	t.Helper()
	p, err := config.Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mustAccount adds an account on plan with one named contact and returns
// the account's id and the contact's id.
func mustAccount(t *testing.T, db *store.DB, p *config.Policy, plan string) (accountID, contactID int64) {
	t.Helper()
	ctx := context.Background()
	svc := &accounts.Service{DB: db, Policy: p}
	a, err := svc.AddAccount(ctx, "admin", accounts.NewAccount{Name: "Acme Corp", Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "Jane Doe", Phone: "+17205550100"})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID, c.ID
}

// mustOpen opens a ticket at the database clock's current instant.
func mustOpen(t *testing.T, db *store.DB, p *config.Policy, in tickets.OpenInput) tickets.Ticket {
	t.Helper()
	tk, err := open(db, p, in)
	if err != nil {
		t.Fatalf("Open(%+v): %v", in, err)
	}
	return tk
}

func open(db *store.DB, p *config.Policy, in tickets.OpenInput) (tickets.Ticket, error) {
	var tk tickets.Ticket
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		tk, err = service(db, p).OpenTx(context.Background(), tx, in)
		return err
	})
	return tk, err
}

func mustGet(t *testing.T, db *store.DB, number int64) tickets.Ticket {
	t.Helper()
	tk, err := service(db, config.Default()).Get(context.Background(), number)
	if err != nil {
		t.Fatalf("Get(%d): %v", number, err)
	}
	return tk
}

// service is the tickets service over db with policy p, as a program
// builds it.
func service(db *store.DB, p *config.Policy) *tickets.Service {
	return &tickets.Service{DB: db, Policy: p, Engineers: &oncall.Service{DB: db}, Accounts: &accounts.Service{DB: db, Policy: p}}
}

// mustEngineers adds engineers by handle.
func mustEngineers(t *testing.T, db *store.DB, handles ...string) {
	t.Helper()
	for i, h := range handles {
		_, err := (&oncall.Service{DB: db}).AddEngineer(context.Background(), "admin",
			oncall.NewEngineer{Handle: h, Name: h, Phone: fmt.Sprintf("+1720555%04d", 111+i)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func kinds(evs []tickets.Event) []tickets.EventKind {
	out := make([]tickets.EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func TestOpenStoresThePromise(t *testing.T) {
	def, four := config.Default(), fourTier(t)
	tests := []struct {
		name     string
		policy   *config.Policy
		plan     string
		priority int
		opened   string
		target   string
		clock    string
		due      string
		warn     string
	}{
		{"default premium S1 opened Saturday 2024-06-15 03:00 Denver, 1h on always", def, "premium", 1,
			"2024-06-15T03:00:00-06:00", "1h", "always", "2024-06-15T04:00:00-06:00", "2024-06-15T03:45:00-06:00"},
		{"default standard S1 Friday 2024-06-14 16:00 Denver runs into Monday", def, "standard", 1,
			"2024-06-14T16:00:00-06:00", "4h", "business", "2024-06-17T12:00:00-06:00", "2024-06-17T11:00:00-06:00"},
		{"four-tier standard P2 1bd Wednesday 2025-06-11 13:00 New York", four, "standard", 2,
			"2025-06-11T13:00:00-04:00", "1bd", "business", "2025-06-12T13:00:00-04:00", "2025-06-12T10:45:00-04:00"},
		{"four-tier enterprise P1 2h on always, late evening New York", four, "enterprise", 1,
			"2025-06-11T22:30:00-04:00", "2h", "always", "2025-06-12T00:30:00-04:00", "2025-06-12T00:00:00-04:00"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				acc, contact := mustAccount(t, db, tt.policy, tt.plan)
				storetest.ClockOf(db).Set(mustTime(t, tt.opened))
				opened := mustOpen(t, db, tt.policy, tickets.OpenInput{AccountID: acc, ContactID: &contact, Plan: tt.plan, Priority: tt.priority})
				got := mustGet(t, db, opened.Number)
				if !got.OpenedAt.Equal(mustTime(t, tt.opened)) || got.OpenedAt.Location() != time.UTC {
					t.Errorf("opened_at %v, want %s in UTC", got.OpenedAt, tt.opened)
				}
				if !got.ResponseDue.Equal(mustTime(t, tt.due)) || got.ResponseDue.Location() != time.UTC {
					t.Errorf("response_due %v, want %s in UTC", got.ResponseDue, tt.due)
				}
				if !got.WarnAt.Equal(mustTime(t, tt.warn)) {
					t.Errorf("warn_at %v, want %s", got.WarnAt, tt.warn)
				}
				if got.Target != tt.target || got.Clock != tt.clock || got.Plan != tt.plan || got.Priority != tt.priority {
					t.Errorf("stored %s on %s for %s P%d, want %s on %s", got.Target, got.Clock, got.Plan, got.Priority, tt.target, tt.clock)
				}
				if got.Status != tickets.StatusOpen || got.RespondedAt != nil || got.ResolvedAt != nil {
					t.Errorf("new ticket: status %s responded %v resolved %v", got.Status, got.RespondedAt, got.ResolvedAt)
				}
				if got.ContactID == nil || *got.ContactID != contact || got.AccountID != acc || got.AccountNumber == "" {
					t.Errorf("account %d (%q) contact %v, want %d and %d", got.AccountID, got.AccountNumber, got.ContactID, acc, contact)
				}
				if !slices.Equal(kinds(got.Events), []tickets.EventKind{tickets.EventOpened}) || !strings.Contains(got.Events[0].Detail, "due ") {
					t.Errorf("events %+v, want one opened event", got.Events)
				}
			})
		}
	})
}

func TestPolicyEditDoesNotMoveAPromise(t *testing.T) {
	src, err := os.ReadFile("../config/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	edited, err := config.Parse("edited.yaml", []byte(strings.Replace(string(src),
		"1: {respond_within: 1h, clock: always,", "1: {respond_within: 30m, clock: always,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		def := config.Default()
		acc, _ := mustAccount(t, db, def, "premium")
		storetest.ClockOf(db).Set(mustTime(t, "2026-11-18T10:00:00-07:00"))
		before := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		after := mustOpen(t, db, edited, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		if want := mustTime(t, "2026-11-18T10:30:00-07:00"); !after.ResponseDue.Equal(want) || after.Target != "30m" {
			t.Fatalf("the edit did not take: new ticket due %v (%s), want %v", after.ResponseDue, after.Target, want)
		}
		got := mustGet(t, db, before.Number)
		if want := mustTime(t, "2026-11-18T11:00:00-07:00"); !got.ResponseDue.Equal(want) || got.Target != "1h" ||
			!got.WarnAt.Equal(mustTime(t, "2026-11-18T10:45:00-07:00")) {
			t.Errorf("after the edit the old ticket is due %v (%s, warn %v), want %v (1h)", got.ResponseDue, got.Target, got.WarnAt, want)
		}
	})
}

func TestOpenRejectsBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		def := config.Default()
		acc, _ := mustAccount(t, db, def, "premium")
		_, otherContact := mustAccount(t, db, def, "premium")
		removedGone := int64(987654)
		tests := []struct {
			name string
			in   tickets.OpenInput
			code errcode.Code
			want string
		}{
			{"free plan has no SLA", tickets.OpenInput{AccountID: acc, Plan: "free", Priority: 1}, errcode.Invalid, "plan free has no SLA for any priority"},
			{"premium has no priority 4", tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 4}, errcode.Invalid, "plan premium has no SLA for priority 4 (it has priorities 1, 2, 3)"},
			{"unknown plan", tickets.OpenInput{AccountID: acc, Plan: "gold", Priority: 1}, errcode.Invalid, `unknown plan "gold"`},
			{"priority 0", tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 0}, errcode.Invalid, "priority 0 is not a priority level"},
			{"unknown account", tickets.OpenInput{AccountID: 424242, Plan: "premium", Priority: 1}, errcode.NotFound, "no account with id 424242"},
			{"unknown contact", tickets.OpenInput{AccountID: acc, ContactID: &removedGone, Plan: "premium", Priority: 1}, errcode.NotFound, "no current contact"},
			{"contact of another account", tickets.OpenInput{AccountID: acc, ContactID: &otherContact, Plan: "premium", Priority: 1}, errcode.Invalid, "is not a contact of account"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := open(db, def, tt.in)
				if !errcode.Is(err, tt.code) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Open = %v, want %s %q", err, tt.code, tt.want)
				}
			})
		}
		var n int
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM tickets`)
		}); err != nil || n != 0 {
			t.Fatalf("%d tickets after bad input (err %v), want 0", n, err)
		}
	})
}

func TestAcknowledgeAndResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		svc := service(db, def)
		clock := storetest.ClockOf(db)
		acc, _ := mustAccount(t, db, def, "premium")
		mustEngineers(t, db, "alice", "bob", "carol")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 2})

		t.Run("first response is kept", func(t *testing.T) {
			clock.Set(mustTime(t, "2026-11-18T10:20:00Z"))
			first, changed, err := svc.Acknowledge(ctx, "admin", tk.Number, "alice")
			if err != nil || !changed || first.RespondedAt == nil || first.Responder != "alice" {
				t.Fatalf("Acknowledge = %+v, %t, %v", first, changed, err)
			}
			clock.Set(mustTime(t, "2026-11-18T10:50:00Z"))
			second, changed, err := svc.Acknowledge(ctx, "admin", tk.Number, "bob")
			if err != nil || changed || second.Responder != "alice" || !second.RespondedAt.Equal(mustTime(t, "2026-11-18T10:20:00Z")) {
				t.Fatalf("second Acknowledge = %+v, %t, %v; want alice at 10:20, unchanged", second, changed, err)
			}
			got := mustGet(t, db, tk.Number)
			if got.Responder != "alice" || !got.RespondedAt.Equal(mustTime(t, "2026-11-18T10:20:00Z")) {
				t.Fatalf("stored responder %q at %v", got.Responder, got.RespondedAt)
			}
			if want := []tickets.EventKind{tickets.EventOpened, tickets.EventResponded}; !slices.Equal(kinds(got.Events), want) {
				t.Fatalf("events %v, want %v", kinds(got.Events), want)
			}
			// 2h target on always, answered after 20 minutes: the clock stopped
			// with 1h40m to spare, whatever the time now.
			if r := tickets.Remaining(mustTime(t, "2026-11-19T00:00:00Z"), got, sla.Always()); r != 100*time.Minute {
				t.Fatalf("Remaining after the response = %v, want 1h40m", r)
			}
		})
		t.Run("resolve is idempotent and says by whom", func(t *testing.T) {
			clock.Set(mustTime(t, "2026-11-18T11:00:00Z"))
			r1, changed, err := svc.Resolve(ctx, "dave", tk.Number)
			if err != nil || !changed || r1.Status != tickets.StatusResolved || r1.ResolvedAt == nil {
				t.Fatalf("Resolve = %+v, %t, %v", r1, changed, err)
			}
			clock.Set(mustTime(t, "2026-11-18T12:00:00Z"))
			r2, changed, err := svc.Resolve(ctx, "erin", tk.Number)
			if err != nil || changed || !r2.ResolvedAt.Equal(mustTime(t, "2026-11-18T11:00:00Z")) {
				t.Fatalf("second Resolve = %+v, %t, %v", r2, changed, err)
			}
			got := mustGet(t, db, tk.Number)
			if want := []tickets.EventKind{tickets.EventOpened, tickets.EventResponded, tickets.EventResolved}; !slices.Equal(kinds(got.Events), want) {
				t.Fatalf("events %v, want %v", kinds(got.Events), want)
			}
			if d := got.Events[2].Detail; d != "by dave" {
				t.Errorf("resolved detail %q, want by dave", d)
			}
		})
		t.Run("a ticket resolved without a response cannot get one", func(t *testing.T) {
			other := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 3})
			if _, _, err := svc.Resolve(ctx, "admin", other.Number); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.Acknowledge(ctx, "admin", other.Number, "carol"); !errcode.Is(err, errcode.Conflict) {
				t.Fatalf("Acknowledge of a resolved ticket = %v, want conflict", err)
			}
			if got := mustGet(t, db, other.Number); got.RespondedAt != nil {
				t.Fatalf("responded_at %v", got.RespondedAt)
			}
		})
		t.Run("unknown ticket, unknown engineer, missing responder or actor", func(t *testing.T) {
			if _, err := svc.Get(ctx, 999999); !errcode.Is(err, errcode.NotFound) || !strings.Contains(err.Error(), "no ticket 999999") {
				t.Fatalf("Get = %v", err)
			}
			if _, _, err := svc.Acknowledge(ctx, "admin", 999999, "alice"); !errcode.Is(err, errcode.NotFound) || err.Error() != "no ticket 999999" {
				t.Fatalf("Acknowledge = %v", err)
			}
			if _, _, err := svc.Resolve(ctx, "admin", 999999); !errcode.Is(err, errcode.NotFound) {
				t.Fatalf("Resolve = %v", err)
			}
			open := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 3})
			_, _, err := svc.Acknowledge(ctx, "admin", open.Number, "zed")
			if !errcode.Is(err, errcode.NotFound) || err.Error() != `no engineer "zed"` {
				t.Fatalf("Acknowledge by an unknown engineer = %v", err)
			}
			if _, _, err := svc.Acknowledge(ctx, "admin", open.Number, "  "); !errcode.Is(err, errcode.Invalid) {
				t.Fatalf("Acknowledge without a responder = %v", err)
			}
			if _, _, err := svc.Acknowledge(ctx, "", open.Number, "alice"); !errcode.Is(err, errcode.Invalid) {
				t.Fatalf("Acknowledge without an actor = %v", err)
			}
			if got := mustGet(t, db, open.Number); got.RespondedAt != nil || len(got.Events) != 1 {
				t.Fatalf("a refused acknowledgement changed the ticket: %+v", got)
			}
		})
	})
}

func TestRemaining(t *testing.T) {
	cal := config.Default().Calendar("business")
	tk := tickets.Ticket{ResponseDue: mustTime(t, "2024-06-17T12:00:00-06:00")}
	tests := []struct {
		name string
		now  string
		want time.Duration
	}{
		{"Friday 2024-06-14 16:00 Denver: 4 business hours left", "2024-06-14T16:00:00-06:00", 4 * time.Hour},
		{"Saturday: still 3 hours, the weekend does not count", "2024-06-15T12:00:00-06:00", 3 * time.Hour},
		{"Monday 13:30: 1h30m over", "2024-06-17T13:30:00-06:00", -90 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tickets.Remaining(mustTime(t, tt.now), tk, cal); got != tt.want {
				t.Fatalf("Remaining = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNumbersAreSequential(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		def := config.Default()
		acc, _ := mustAccount(t, db, def, "premium")
		first := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		second := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 2})
		if first.Number != 100001 || second.Number != 100002 {
			t.Fatalf("numbers %d, %d; want 100001, 100002", first.Number, second.Number)
		}
		const n = 50
		var wg sync.WaitGroup
		numbers := make(chan int64, n)
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				tk, err := open(db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 3})
				if err != nil {
					errs <- err
					return
				}
				numbers <- tk.Number
			})
		}
		wg.Wait()
		close(numbers)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var got []int64
		for n := range numbers {
			got = append(got, n)
		}
		slices.Sort(got)
		for i, v := range got {
			if v != 100003+int64(i) {
				t.Fatalf("concurrent numbers %v, want 100003..%d each once", got, 100002+n)
			}
		}
		if len(got) != n {
			t.Fatalf("%d numbers, want %d", len(got), n)
		}
		if tk := mustGet(t, db, 100052); tk.Priority != 3 {
			t.Fatalf("ticket 100052: %+v", tk)
		}
	})
}

func TestOneTicketPerCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := config.Default()
		acct, contact := mustAccount(t, db, p, "premium")
		sid := "CA0123456789abcdef0123456789abcdef"
		first := mustOpen(t, db, p, tickets.OpenInput{AccountID: acct, ContactID: &contact, Plan: "premium", Priority: 1, CallSid: &sid})
		if first.CallSid == nil || *first.CallSid != sid {
			t.Fatalf("CallSid = %v, want %s", first.CallSid, sid)
		}
		_, err := open(db, p, tickets.OpenInput{AccountID: acct, ContactID: &contact, Plan: "premium", Priority: 2, CallSid: &sid})
		if !errcode.Is(err, errcode.Conflict) {
			t.Fatalf("second ticket for one call: %v, want a conflict", err)
		}
		if got := mustGet(t, db, first.Number); got.CallSid == nil || *got.CallSid != sid {
			t.Fatalf("stored CallSid = %v", got.CallSid)
		}
		// Tickets opened by other means carry no call and do not collide.
		mustOpen(t, db, p, tickets.OpenInput{AccountID: acct, Plan: "premium", Priority: 3})
		mustOpen(t, db, p, tickets.OpenInput{AccountID: acct, Plan: "premium", Priority: 3})
	})
}

// An engineer accepting a call is recorded as a whisper event and, the first
// time, as the first response (late ones say so); a second acceptance adds
// its whisper event only, and a ticket resolved meanwhile gets no response.
func TestAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		clock := storetest.ClockOf(db)
		acc, _ := mustAccount(t, db, def, "premium")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		resolved := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		if _, _, err := service(db, def).Resolve(ctx, "admin", resolved.Number); err != nil {
			t.Fatal(err)
		}
		accept := func(id int64, engineer string) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error { return service(db, def).AcceptedTx(ctx, tx, id, engineer) }); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(mustTime(t, "2026-11-18T11:30:00Z")) // half an hour late
		accept(tk.ID, "alice")
		clock.Set(mustTime(t, "2026-11-18T11:40:00Z"))
		accept(tk.ID, "bob")
		got := mustGet(t, db, tk.Number)
		if got.Responder != "alice" || !got.RespondedAt.Equal(mustTime(t, "2026-11-18T11:30:00Z")) {
			t.Fatalf("responder %q at %v, want alice at 11:30", got.Responder, got.RespondedAt)
		}
		want := []tickets.EventKind{tickets.EventOpened, tickets.EventWhisper, tickets.EventResponded, tickets.EventWhisper}
		if !slices.Equal(kinds(got.Events), want) {
			t.Fatalf("events %v, want %v", kinds(got.Events), want)
		}
		if d := got.Events[2].Detail; d != "by alice, after the due time 2026-11-18T11:00:00Z" {
			t.Errorf("responded detail %q", d)
		}
		if d := got.Events[3].Detail; d != "bob accepted" {
			t.Errorf("second whisper detail %q", d)
		}

		accept(resolved.ID, "alice")
		got = mustGet(t, db, resolved.Number)
		if got.RespondedAt != nil || got.Status != tickets.StatusResolved {
			t.Fatalf("resolved ticket responded %v status %s", got.RespondedAt, got.Status)
		}
		if k := kinds(got.Events); k[len(k)-1] != tickets.EventWhisper {
			t.Fatalf("events %v, want the whisper last", k)
		}
	})
}
