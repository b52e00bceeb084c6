package pins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

// concurrently runs n verifications at once, each with a deadline of
// timeout (the phone webhook's budget), and counts their results.
func concurrently(t *testing.T, f *fixture, n int, timeout time.Duration, claim Claim, pin string) map[Result]int {
	t.Helper()
	var mu sync.Mutex
	results := map[Result]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c, r, err := f.svc.Verify(ctx, claim, pin, fmt.Sprintf("+1303555%04d", i))
			if err != nil {
				t.Errorf("Verify: %v", err)
				return
			}
			if (r == OK) != (c.SupportID == claim.SupportID && c.SupportID != "") {
				t.Errorf("Verify = %s with contact %q", r, c.SupportID)
			}
			mu.Lock()
			results[r]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return results
}

// overlap makes hashing slow (a real hash under load takes tens of
// milliseconds), so that attempts really are in flight together, and
// records the most that were.
type overlap struct{ now, peak atomic.Int64 }

func (o *overlap) slow(d time.Duration) func() {
	return func() {
		n := o.now.Add(1)
		for p := o.peak.Load(); n > p && !o.peak.CompareAndSwap(p, n); p = o.peak.Load() {
		}
		time.Sleep(d)
		o.now.Add(-1)
	}
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.Statements(context.Background(), func(q *store.Q) error {
		return q.Get(context.Background(), &n, `SELECT count(*) FROM `+table)
	}); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// Twenty callers of one contact key the right PIN at the same instant (a
// shared desk line, a retrying client): all get in. Before reservations
// were told apart from failures, those beyond max_failures heard Locked.
func TestConcurrentRightPIN(t *testing.T) {
	for _, tc := range []struct {
		name string
		slow time.Duration
	}{{"cheap hashes", 0}, {"slow hashes", 40 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				p := testPolicy()
				p.MaxConcurrentHashes = 4
				f := newFixture(t, db, p)
				id, pin := f.contact("+17205550120")
				var o overlap
				if tc.slow > 0 {
					f.svc.beforeHash = o.slow(tc.slow)
				}
				results := concurrently(t, f, 20, 5*time.Second, KnownClaim(id), pin)
				if results[OK] != 20 {
					t.Errorf("results %v; want 20 OK", results)
				}
				if tc.slow > 0 && o.peak.Load() < 2 {
					t.Errorf("at most %d attempt(s) in flight at once; the test needs them to overlap", o.peak.Load())
				}
				if r := f.real.Load(); r != 20 {
					t.Errorf("%d real hashes, want 20", r)
				}
				if c := f.cred(id); c.Failures != 0 || c.LockedUntil != nil {
					t.Errorf("credential: failures=%d locked_until=%v; want 0, never locked", c.Failures, c.LockedUntil)
				}
				if n, m := f.count("pin_failures"), f.count("pin_attempts"); n != 0 || m != 0 {
					t.Errorf("%d calling-number failures and %d reservations left; want none", n, m)
				}
			})
		})
	}
}

// Fifty callers key a wrong PIN for one contact at once, within a phone
// webhook's deadline and with slow hashes: exactly max_failures PINs are
// compared, the contact is locked, and every other caller hears Locked or
// (when the deadline came first) Busy, without a hash.
func TestConcurrentWrongWithDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := testPolicy()
		p.MaxConcurrentHashes = 4
		f := newFixture(t, db, p)
		id, pin := f.contact("+17205550121")
		var o overlap
		f.svc.beforeHash = o.slow(20 * time.Millisecond)
		results := concurrently(t, f, 50, 5*time.Second, KnownClaim(id), wrongPIN(pin))
		if results[Wrong] != 5 || results[Locked]+results[Busy] != 45 {
			t.Errorf("results %v; want 5 Wrong, the other 45 Locked or Busy", results)
		}
		if r, d := f.real.Load(), f.decoy.Load(); r != 5 || d != 0 {
			t.Errorf("hashes: %d real, %d decoy; want exactly 5 real", r, d)
		}
		c := f.cred(id)
		if c.Failures != 5 || c.Lockouts != 1 || c.LockedUntil == nil || !c.LockedUntil.Equal(f.clock.Now().Add(15*time.Minute)) {
			t.Errorf("credential: failures=%d lockouts=%d locked_until=%v; want 5, 1, now+15m", c.Failures, c.Lockouts, c.LockedUntil)
		}
		if n := f.count("pin_failures"); n != 5 {
			t.Errorf("%d calling-number failures, want 5", n)
		}
	})
}

var errKilled = errors.New("process killed after reserving")

// A process killed between reserving and settling leaves its reservation
// behind. It holds room for reservationTTL (so the next callers wait, and
// hear Busy rather than Locked), is never counted as a failure, and then
// expires; Prune deletes it, and so does Unlock.
func TestCrashedReservationExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550122")
		other, otherPIN := f.contact("+17205550123")
		var from callers
		crash := func(claim Claim, pin, caller string) {
			t.Helper()
			f.svc.afterReserve = func() error { return errKilled }
			defer func() { f.svc.afterReserve = nil }()
			if _, _, err := f.svc.Verify(ctx, claim, pin, caller); !errors.Is(err, errKilled) {
				t.Fatalf("Verify = %v, want the simulated crash", err)
			}
		}
		// short is a caller with a short deadline: they wait for room, and
		// hear Busy when none comes.
		short := func(claim Claim, pin, caller string) Result {
			t.Helper()
			sctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
			defer cancel()
			_, r, err := f.svc.Verify(sctx, claim, pin, caller)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			return r
		}

		t.Run("a contact's room", func(t *testing.T) {
			for range 5 {
				crash(KnownClaim(id), pin, from.next())
			}
			if st, err := f.svc.Status(ctx, id); err != nil || st.Failures != 0 || st.InFlight != 5 || st.State != StateActive {
				t.Fatalf("Status = %+v, %v; want 0 failures, 5 in flight, active", st, err)
			}
			r0 := f.real.Load()
			if r := short(KnownClaim(id), pin, from.next()); r != Busy {
				t.Fatalf("with the room held by dead attempts: %s, want Busy", r)
			}
			f.clock.Advance(reservationTTL - time.Microsecond)
			if r := short(KnownClaim(id), pin, from.next()); r != Busy {
				t.Fatalf("just before the reservations expire: %s, want Busy", r)
			}
			if f.real.Load() != r0 {
				t.Fatal("a Busy attempt was hashed")
			}
			f.clock.Advance(time.Microsecond)
			f.expect(id, pin, from.next(), OK, 1, 0)
			if c := f.cred(id); c.Failures != 0 || c.LockedUntil != nil {
				t.Fatalf("credential: failures=%d locked_until=%v; want 0, unlocked", c.Failures, c.LockedUntil)
			}
			if n := f.count("pin_failures"); n != 0 {
				t.Fatalf("%d calling-number failures; dead attempts must not count", n)
			}
		})
		t.Run("a calling number's room", func(t *testing.T) {
			const x = "+14155550130"
			for i := range 10 {
				crash(f.claim(fmt.Sprintf("5000%04d", i)), pin, x)
			}
			if r := short(KnownClaim(other), otherPIN, x); r != Busy {
				t.Fatalf("number's room held by dead attempts: %s, want Busy", r)
			}
			f.clock.Advance(reservationTTL)
			f.expect(other, otherPIN, x, OK, 1, 0)
			if n := f.numberFailures(x); n != 0 {
				t.Fatalf("calling number has %d failures, want 0", n)
			}
		})
		t.Run("Prune deletes expired reservations", func(t *testing.T) {
			if n := f.count("pin_attempts"); n != 15 {
				t.Fatalf("%d reservations before Prune, want the 15 expired ones", n)
			}
			if _, err := f.svc.Prune(ctx); err != nil {
				t.Fatal(err)
			}
			if n := f.count("pin_attempts"); n != 0 {
				t.Fatalf("%d reservations after Prune, want 0", n)
			}
		})
		t.Run("Unlock gives the room back", func(t *testing.T) {
			for range 5 {
				crash(KnownClaim(id), pin, from.next())
			}
			if err := f.svc.Unlock(ctx, "admin", id); err != nil {
				t.Fatal(err)
			}
			if e := lastEvent(t, db); !strings.Contains(e.Detail, "5 attempt(s) in flight") {
				t.Fatalf("unlock detail %q", e.Detail)
			}
			if st, err := f.svc.Status(ctx, id); err != nil || st.InFlight != 0 {
				t.Fatalf("Status = %+v, %v; want nothing in flight", st, err)
			}
			f.expect(id, pin, from.next(), OK, 1, 0)
		})
	})
}

// The outcome is recorded within the caller's deadline, retried when the
// database refuses it; what cannot be recorded is not counted, and its
// reservation expires.
func TestSettleFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550124")
		var from callers
		failFirst := func(n int, also func()) *atomic.Int64 {
			var calls atomic.Int64
			f.svc.settleHook = func() error {
				if c := calls.Add(1); c <= int64(n) || n < 0 {
					if also != nil && c == 1 {
						also()
					}
					return errors.New("database outage")
				}
				return nil
			}
			return &calls
		}
		defer func() { f.svc.settleHook = nil }()

		t.Run("outage through the deadline", func(t *testing.T) {
			calls := failFirst(-1, nil)
			dctx, cancel := context.WithTimeout(ctx, 800*time.Millisecond)
			defer cancel()
			events := f.count("audit_events")
			c, r, err := f.svc.Verify(dctx, KnownClaim(id), pin, from.next())
			f.svc.settleHook = nil
			if err == nil || c.ID != 0 {
				t.Fatalf("Verify = %s, %v with contact %d; want an error and no contact", r, err, c.ID)
			}
			if calls.Load() < 2 {
				t.Fatalf("the settle was tried %d time(s), want retries", calls.Load())
			}
			if cr := f.cred(id); cr.Failures != 0 {
				t.Fatalf("failures = %d for a right PIN whose outcome was lost", cr.Failures)
			}
			if n := f.count("pin_failures"); n != 0 {
				t.Fatalf("%d calling-number failures, want 0", n)
			}
			if n := f.count("audit_events"); n != events {
				t.Fatalf("%d audit events written by a settle that failed", n-events)
			}
			if st, _ := f.svc.Status(ctx, id); st.InFlight != 1 {
				t.Fatalf("in flight = %d, want the 1 unsettled reservation", st.InFlight)
			}
			f.clock.Advance(reservationTTL)
			if st, _ := f.svc.Status(ctx, id); st.InFlight != 0 || st.Failures != 0 {
				t.Fatalf("after the TTL: %+v; want nothing in flight, no failures", st)
			}
			f.expect(id, pin, from.next(), OK, 1, 0)
		})
		t.Run("a wrong PIN retried is counted once", func(t *testing.T) {
			failFirst(2, nil)
			f.expect(id, wrongPIN(pin), from.next(), Wrong, 1, 0)
			f.svc.settleHook = nil
			if c := f.cred(id); c.Failures != 1 {
				t.Fatalf("failures = %d, want 1", c.Failures)
			}
			if n := f.count("pin_failures"); n != 1 {
				t.Fatalf("%d calling-number failures, want 1", n)
			}
			f.expect(id, pin, from.next(), OK, 1, 0)
			if c := f.cred(id); c.Failures != 0 {
				t.Fatalf("failures = %d after success", c.Failures)
			}
		})
		t.Run("a hang-up does not stop the settle", func(t *testing.T) {
			hctx, hangUp := context.WithTimeout(ctx, 5*time.Second)
			defer hangUp()
			failFirst(1, hangUp)
			_, r, err := f.svc.Verify(hctx, KnownClaim(id), wrongPIN(pin), from.next())
			f.svc.settleHook = nil
			if err != nil || r != Wrong {
				t.Fatalf("Verify after a hang-up during the settle = %s, %v; want Wrong, recorded", r, err)
			}
			if c := f.cred(id); c.Failures != 1 {
				t.Fatalf("failures = %d, want 1", c.Failures)
			}
		})
	})
}
