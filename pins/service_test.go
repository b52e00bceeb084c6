package pins

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

// The clock of every database opened by storetest starts frozen at
// 2026-11-18T15:00:00Z (UTC); the tests below only move it forward.

// callers hands out a fresh calling number per attempt, for tests about the
// contact's lockout that must not trip the per-number throttle.
type callers struct{ n int }

func (c *callers) next() string {
	c.n++
	return fmt.Sprintf("+1303555%04d", c.n)
}

func TestContactLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550100")
		bad := wrongPIN(pin)
		var from callers

		// wrongUntilLocked makes the 5 failures that lock the contact and
		// checks the lock's length.
		wrongUntilLocked := func(want time.Duration, lockouts int) {
			t.Helper()
			for i := 1; i <= 4; i++ {
				f.expect(id, bad, from.next(), Wrong, 1, 0)
				if c := f.cred(id); c.Failures != i || (c.LockedUntil != nil && c.LockedUntil.After(f.clock.Now())) {
					t.Fatalf("after %d failures: failures=%d locked_until=%v", i, c.Failures, c.LockedUntil)
				}
			}
			f.expect(id, bad, from.next(), Wrong, 1, 0) // the 5th still answers Wrong, and locks
			c := f.cred(id)
			if c.LockedUntil == nil || !c.LockedUntil.Equal(f.clock.Now().Add(want)) || c.Lockouts != lockouts || c.Failures != 5 {
				t.Fatalf("after 5th failure: locked_until=%v lockouts=%d failures=%d; want now+%s, %d, 5",
					c.LockedUntil, c.Lockouts, c.Failures, want, lockouts)
			}
		}

		t.Run("locked after 5 failures", func(t *testing.T) {
			wrongUntilLocked(15*time.Minute, 1)
			// The right PIN is refused without computing any hash.
			f.expect(id, pin, from.next(), Locked, 0, 0)
			f.expect(id, bad, from.next(), Locked, 0, 0)
			// The refusal's audit row (written in SQL by the pre-check)
			// prints the lock's end as the reserve path does, in RFC 3339.
			until := f.clock.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339)
			if e := lastEvent(t, f.db); e.Detail != "contact locked until "+until {
				t.Fatalf("refusal detail %q, want contact locked until %s", e.Detail, until)
			}
		})
		t.Run("unlocked after 15m", func(t *testing.T) {
			f.clock.Advance(15*time.Minute - time.Microsecond)
			f.expect(id, pin, from.next(), Locked, 0, 0)
			f.clock.Advance(time.Microsecond)
			f.expect(id, pin, from.next(), OK, 1, 0)
			if c := f.cred(id); c.Failures != 0 || c.Lockouts != 1 {
				t.Fatalf("after success: failures=%d lockouts=%d, want 0 and 1 (doubling kept)", c.Failures, c.Lockouts)
			}
		})
		t.Run("second lockout 30m", func(t *testing.T) {
			wrongUntilLocked(30*time.Minute, 2)
		})
		t.Run("a new run starts when a lock ends", func(t *testing.T) {
			// No success in between: the ended lock's run is over, so the
			// next failure is the first of a new run.
			f.clock.Advance(30 * time.Minute)
			f.expect(id, bad, from.next(), Wrong, 1, 0)
			if c := f.cred(id); c.Failures != 1 {
				t.Fatalf("first failure after the lock: failures=%d, want 1", c.Failures)
			}
			f.expect(id, pin, from.next(), OK, 1, 0)
		})
		t.Run("doubling capped at 24h", func(t *testing.T) {
			want := time.Hour
			for lockouts := 3; lockouts <= 10; lockouts++ {
				wrongUntilLocked(want, lockouts)
				f.clock.Advance(want)
				want = min(2*want, 24*time.Hour)
			}
		})
		t.Run("success resets the count", func(t *testing.T) {
			for range 4 {
				f.expect(id, bad, from.next(), Wrong, 1, 0)
			}
			f.expect(id, pin, from.next(), OK, 1, 0)
			if c := f.cred(id); c.Failures != 0 {
				t.Fatalf("failures after success = %d", c.Failures)
			}
			for range 4 {
				f.expect(id, bad, from.next(), Wrong, 1, 0)
			}
			f.expect(id, pin, from.next(), OK, 1, 0)
		})
		t.Run("doubling kept by a success within 24h of a lock", func(t *testing.T) {
			wrongUntilLocked(24*time.Hour, 11)
		})
		t.Run("doubling reset by a success 24h after the last lock", func(t *testing.T) {
			f.clock.Advance(24 * time.Hour)             // the lock ends
			f.clock.Advance(24*time.Hour - time.Second) // not yet 24h quiet
			f.expect(id, pin, from.next(), OK, 1, 0)
			if c := f.cred(id); c.Lockouts != 11 {
				t.Fatalf("lockouts = %d, want 11 kept", c.Lockouts)
			}
			f.clock.Advance(time.Second)
			f.expect(id, pin, from.next(), OK, 1, 0)
			if c := f.cred(id); c.Lockouts != 0 {
				t.Fatalf("lockouts = %d, want 0 after 24h without a lock", c.Lockouts)
			}
			wrongUntilLocked(15*time.Minute, 1)
		})
	})
}

func TestNumberThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, testPolicy())
		a, pinA := f.contact("+17205550101")
		b, pinB := f.contact("+17205550102")
		c, pinC := f.contact("+17205550103")
		const x, y = "+14155550199", "+14155550198"

		t.Run("11th failure in the hour refused whatever the support ID", func(t *testing.T) {
			for range 4 {
				f.expect(a, wrongPIN(pinA), x, Wrong, 1, 0)
				f.expect(b, wrongPIN(pinB), x, Wrong, 1, 0)
			}
			f.expect("99999999", pinC, x, Wrong, 0, 1) // unknown ID
			f.expect("12ab", pinC, x, Wrong, 0, 1)     // malformed ID
			if n := f.numberFailures(x); n != 10 {
				t.Fatalf("failures of %s = %d, want 10", x, n)
			}
			f.expect(c, pinC, x, Locked, 0, 0) // right PIN, fresh contact, no hash
			f.expect("99999999", pinC, x, Locked, 0, 0)
			if cr := f.cred(c); cr.Failures != 0 {
				t.Fatalf("refused attempt counted against the contact: failures=%d", cr.Failures)
			}
			// Refused attempts are not failures: they do not extend the
			// window.
			if n := f.numberFailures(x); n != 10 {
				t.Fatalf("failures of %s = %d after refusals, want 10", x, n)
			}
			f.expect(c, pinC, y, OK, 1, 0) // another number is not affected
		})
		t.Run("allowed again after the window", func(t *testing.T) {
			f.clock.Advance(time.Hour - time.Microsecond)
			f.expect(c, pinC, x, Locked, 0, 0)
			f.clock.Advance(time.Microsecond)
			f.expect(c, pinC, x, OK, 1, 0)
		})
		// Unknown support IDs, each tried once: an unknown ID locks after
		// 5 failures as a real one does (TestUnknownLocksLikeKnown).
		var unknown callers
		t.Run("the window slides", func(t *testing.T) {
			f.clock.Advance(2 * time.Hour)
			for range 5 {
				f.expect(unknown.next()[4:], pinA, x, Wrong, 0, 1)
			}
			f.clock.Advance(30 * time.Minute)
			for range 5 {
				f.expect(unknown.next()[4:], pinA, x, Wrong, 0, 1)
			}
			f.clock.Advance(29 * time.Minute)
			f.expect(a, pinA, x, Locked, 0, 0)
			f.clock.Advance(time.Minute) // the first five leave the window
			for range 5 {
				f.expect(unknown.next()[4:], pinA, x, Wrong, 0, 1)
			}
			f.expect(a, pinA, x, Locked, 0, 0)
		})
		t.Run("withheld numbers share one bucket", func(t *testing.T) {
			f.clock.Advance(2 * time.Hour)
			for i, from := range []string{"", "anonymous", "Restricted", "+266696687", "+7378742833", "+86282452253", "+2562533", "+8656696", "not a number", "ANONYMOUS"} {
				f.expect(unknown.next()[4:], pinA, from, Wrong, 0, 1)
				if n := f.numberFailures(AnonymousCaller); n != i+1 {
					t.Fatalf("anonymous bucket after %q: %d failures, want %d", from, n, i+1)
				}
			}
			f.expect(a, pinA, "anonymous", Locked, 0, 0)
			f.expect(a, pinA, "", Locked, 0, 0)
			f.expect(a, pinA, "+1 (720) 555-0101", OK, 1, 0)
		})
	})
}

func TestCallerKey(t *testing.T) {
	for in, want := range map[string]string{
		"+17205550100":       "+17205550100",
		" +1 (720) 555-0100": "+17205550100",
		"":                   AnonymousCaller,
		"anonymous":          AnonymousCaller,
		"Restricted":         AnonymousCaller,
		"+266696687":         AnonymousCaller,
		"+7378742833":        AnonymousCaller,
		"+86282452253":       AnonymousCaller,
		"7205550100":         AnonymousCaller,
		"client:alice":       AnonymousCaller,
	} {
		if got := CallerKey(in); got != want {
			t.Errorf("CallerKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnknownSupportID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, testPolicy())
		removed, pin := f.contact("+17205550104")
		if _, err := f.acc.RemoveContact(context.Background(), "tester", removed); err != nil {
			t.Fatal(err)
		}
		const from = "+14155550100"
		tests := []struct{ name, id string }{
			{"unknown", "48213377"},
			{"malformed", "12#4"},
			{"removed contact", removed},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Same work as a wrong PIN: one hash, of the policy's cost.
				f.expect(tt.id, pin, from, Wrong, 0, 1)
				if n := f.numberFailures(from); n != i+1 {
					t.Fatalf("failures of the calling number = %d, want %d", n, i+1)
				}
				// The audit shows a few letters of the entry's key, no digit.
				subject := "unmatched entry " + f.svc.entryKey(tt.id)[:8]
				e := lastEvent(t, db)
				if e.Action != "pin.verify" || e.Result != "wrong" || e.ContactID != nil || e.Subject != subject || e.Caller != from || e.Actor != "caller" {
					t.Fatalf("audit event = %+v, want subject %q", e, subject)
				}
				// A removed contact's support ID, claimed before the removal,
				// counts under the same key as the entry typed after it.
				if tt.id == removed {
					if _, r, err := f.svc.Verify(context.Background(), KnownClaim(removed), pin, from); err != nil || r != Wrong {
						t.Fatalf("Verify(claim of a removed contact) = %s, %v", r, err)
					}
					if e := lastEvent(t, db); e.Subject != subject || e.ContactID != nil {
						t.Fatalf("audit event = %+v, want subject %q", e, subject)
					}
				}
			})
		}
	})
}

func lastEvent(t *testing.T, db *store.DB) audit.Event {
	t.Helper()
	evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{Limit: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit list: %v %v", evs, err)
	}
	return evs[0]
}

func TestBusyConsumesNoAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := testPolicy()
		p.MaxConcurrentHashes = 1
		f := newFixture(t, db, p)
		id, pin := f.contact("+17205550105")
		const from = "+14155550101"
		f.expect(id, wrongPIN(pin), from, Wrong, 1, 0)

		// Fill the only slot, then have the caller hang up just before
		// asking for it.
		release := make(chan struct{})
		var held sync.WaitGroup
		held.Add(1)
		go func() {
			_ = f.svc.Pool.Do(context.Background(), func() { held.Done(); <-release })
		}()
		held.Wait()
		for _, tt := range []struct{ name, id string }{{"known contact", id}, {"unknown support ID", "48213377"}} {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				f.svc.beforeHash = cancel
				defer func() { f.svc.beforeHash = nil }()
				r0, d0 := f.real.Load(), f.decoy.Load()
				_, r, err := f.svc.Verify(ctx, f.claim(tt.id), pin, from)
				if err != nil || r != Busy {
					t.Fatalf("Verify = %s, %v; want Busy", r, err)
				}
				if f.real.Load() != r0 || f.decoy.Load() != d0 {
					t.Fatal("a hash was computed for a Busy attempt")
				}
				if c := f.cred(id); c.Failures != 1 {
					t.Fatalf("failures = %d, want 1 (Busy consumes no attempt)", c.Failures)
				}
				if n := f.numberFailures(from); n != 1 {
					t.Fatalf("calling number failures = %d, want 1", n)
				}
				if e := lastEvent(t, db); e.Result != "busy" {
					t.Fatalf("audit event = %+v, want a busy one", e)
				}
			})
		}
		close(release)
		f.expect(id, pin, from, OK, 1, 0)
	})
}

func TestRevokeAndRotate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550106")
		const from = "+14155550102"

		t.Run("rotate invalidates the old PIN at once", func(t *testing.T) {
			pin2, err := f.svc.Rotate(ctx, "admin", id)
			if err != nil || len(pin2) != 8 || pin2 == pin {
				t.Fatalf("Rotate = %q, %v", pin2, err)
			}
			f.expect(id, pin, from, Wrong, 1, 0)
			f.expect(id, pin2, from, OK, 1, 0)
			pin = pin2
		})
		t.Run("revoked PIN verifies as Revoked after a decoy hash", func(t *testing.T) {
			if err := f.svc.Revoke(ctx, "admin", id); err != nil {
				t.Fatal(err)
			}
			f.expect(id, pin, from, Revoked, 0, 1)
			f.expect(id, wrongPIN(pin), from, Revoked, 0, 1)
			if st, err := f.svc.Status(ctx, id); err != nil || st.State != StateRevoked || !st.Revoked || st.RevokedAt == nil {
				t.Fatalf("Status = %+v, %v", st, err)
			}
			if err := f.svc.Revoke(ctx, "admin", id); err != nil {
				t.Fatalf("second revoke: %v", err)
			}
			if e := lastEvent(t, db); e.Action != "pin.revoke" || e.Actor != "admin" || e.Detail != "PIN was already revoked" {
				t.Fatalf("audit event = %+v", e)
			}
		})
		t.Run("rotate after revoke", func(t *testing.T) {
			pin2, err := f.svc.Rotate(ctx, "admin", id)
			if err != nil {
				t.Fatal(err)
			}
			f.expect(id, pin, from, Wrong, 1, 0)
			f.expect(id, pin2, from, OK, 1, 0)
			if e := lastEvent(t, db); e.Action != "pin.verify" || e.Result != "ok" || e.ContactID == nil {
				t.Fatalf("audit event = %+v", e)
			}
		})
		t.Run("contact that never had a PIN", func(t *testing.T) {
			c, err := f.acc.AddContact(ctx, "tester", accountsContact(f.account))
			if err != nil {
				t.Fatal(err)
			}
			f.expect(c.SupportID, pin, from, Revoked, 0, 1)
			if err := f.svc.Revoke(ctx, "admin", c.SupportID); !errcode.Is(err, errcode.Conflict) {
				t.Fatalf("revoke without a PIN: %v, want a conflict", err)
			}
			if st, err := f.svc.Status(ctx, c.SupportID); err != nil || st.State != StateNone || st.RotatedAt != nil {
				t.Fatalf("Status = %+v, %v", st, err)
			}
		})
		t.Run("bad support IDs", func(t *testing.T) {
			for _, bad := range []string{"", "1234", "abcdefgh"} {
				if _, err := f.svc.Rotate(ctx, "admin", bad); !errcode.Is(err, errcode.Invalid) {
					t.Errorf("Rotate(%q) = %v, want invalid", bad, err)
				}
			}
			if _, err := f.svc.Rotate(ctx, "admin", "48213377"); !errcode.Is(err, errcode.NotFound) {
				t.Errorf("Rotate(unknown) = %v, want not found", err)
			}
			for _, op := range []func(context.Context, string, string) error{f.svc.Revoke, f.svc.Unlock} {
				if err := op(ctx, "admin", "48213377"); !errcode.Is(err, errcode.NotFound) {
					t.Errorf("admin op on unknown = %v, want not found", err)
				}
			}
		})
		t.Run("removing the contact deletes the credential", func(t *testing.T) {
			if _, err := f.acc.RemoveContact(ctx, "tester", id); err != nil {
				t.Fatal(err)
			}
			var n int
			_ = db.InTx(ctx, func(tx *store.Tx) error {
				return tx.Get(ctx, &n, `SELECT count(*) FROM pin_credentials pc JOIN contacts c ON c.id = pc.contact_id WHERE c.support_id = ?`, id)
			})
			if n != 0 {
				t.Fatalf("%d credential rows left for a removed contact", n)
			}
		})
	})
}

func TestExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := testPolicy()
		p.MaxAge, p.MaxAgeDuration = "2160h", 2160*time.Hour
		f := newFixture(t, db, p)
		rotated := f.clock.Now()
		id, pin := f.contact("+17205550107")
		const from = "+14155550103"

		f.clock.Advance(2160*time.Hour - time.Microsecond)
		f.expect(id, pin, from, OK, 1, 0)
		f.clock.Advance(time.Microsecond)
		// Right or wrong, the answer is Expired after the same decoy work,
		// so it reveals nothing about the PIN.
		f.expect(id, pin, from, Expired, 0, 1)
		f.expect(id, wrongPIN(pin), from, Expired, 0, 1)
		if c := f.cred(id); c.Failures != 0 {
			t.Fatalf("expired attempts counted against the contact: %d", c.Failures)
		}
		st, err := f.svc.Status(ctx, id)
		if err != nil || st.State != StateExpired || st.ExpiresAt == nil || !st.ExpiresAt.Equal(rotated.Add(2160*time.Hour)) {
			t.Fatalf("Status = %+v, %v", st, err)
		}
		pin2, err := f.svc.Rotate(ctx, "admin", id)
		if err != nil {
			t.Fatal(err)
		}
		f.expect(id, pin2, from, OK, 1, 0)
	})
}

func TestRehashWhenParamsChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, testPolicy()) // m=64,t=1,p=1
		id, pin := f.contact("+17205550108")
		old := f.cred(id).Hash
		if !strings.HasPrefix(old, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("stored %q", old[:28])
		}
		raised := testPolicy()
		raised.Argon2.MemoryKiB, raised.Argon2.Time = 128, 2
		f.svc.Policy = raised
		const from = "+14155550104"

		f.expect(id, wrongPIN(pin), from, Wrong, 1, 0)
		if h := f.cred(id).Hash; h != old {
			t.Fatal("a wrong PIN re-hashed the credential")
		}
		f.expect(id, pin, from, OK, 1, 0)
		h := f.cred(id).Hash
		if !strings.HasPrefix(h, "$argon2id$v=19$m=128,t=2,p=1$") {
			t.Fatalf("after success under new params, stored hash starts %q", h[:30])
		}
		if e := lastEvent(t, db); e.Detail != "re-hashed with current parameters" {
			t.Fatalf("audit detail = %q", e.Detail)
		}
		f.expect(id, pin, from, OK, 1, 0)
		if f.cred(id).Hash != h {
			t.Fatal("re-hashed again although the parameters match")
		}
	})
}

func TestUnlockAndStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		const own, other = "+17205550109", "+14155550105"
		id, pin := f.contact(own)
		for range 5 {
			f.expect(id, wrongPIN(pin), own, Wrong, 1, 0)
		}
		for _, id := range []string{"33333331", "33333332", "33333333", "33333334", "33333335"} {
			f.expect(id, pin, own, Wrong, 0, 1)
		}
		f.expect("33333336", pin, other, Wrong, 0, 1)
		st, err := f.svc.Status(ctx, id)
		if err != nil || st.State != StateLocked || st.Failures != 5 || st.Lockouts != 1 ||
			st.LockedUntil == nil || !st.LockedUntil.Equal(f.clock.Now().Add(15*time.Minute)) {
			t.Fatalf("Status = %+v, %v", st, err)
		}
		f.expect(id, pin, own, Locked, 0, 0)

		if err := f.svc.Unlock(ctx, "admin", id); err != nil {
			t.Fatal(err)
		}
		st, err = f.svc.Status(ctx, id)
		if err != nil || st.State != StateActive || st.Failures != 0 || st.Lockouts != 0 || st.LockedUntil != nil {
			t.Fatalf("Status after unlock = %+v, %v", st, err)
		}
		if n := f.numberFailures(own); n != 0 {
			t.Fatalf("own number still has %d failures", n)
		}
		if n := f.numberFailures(other); n != 1 {
			t.Fatalf("another number's failure against another ID was forgotten: %d", n)
		}
		if e := lastEvent(t, db); e.Action != "pin.unlock" || e.Actor != "admin" || !strings.Contains(e.Detail, "10 calling-number failure(s)") {
			t.Fatalf("audit event = %+v", e)
		}
		f.expect(id, pin, own, OK, 1, 0)
	})
}

// TestConcurrentWrongAttempts has 50 callers (on 50 numbers) key a wrong PIN
// for one contact at the same instant. Each attempt must be counted, so the
// contact ends exactly locked: MaxFailures hashes, MaxFailures Wrong, the
// rest Locked.
func TestConcurrentWrongAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 50
		p := testPolicy()
		p.MaxConcurrentHashes = 4
		f := newFixture(t, db, p)
		id, pin := f.contact("+17205550110")
		bad := wrongPIN(pin)

		var wrong, locked atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, r, err := f.svc.Verify(context.Background(), KnownClaim(id), bad, fmt.Sprintf("+1303555%04d", i))
				switch {
				case err != nil:
					t.Errorf("Verify: %v", err)
				case r == Wrong:
					wrong.Add(1)
				case r == Locked:
					locked.Add(1)
				default:
					t.Errorf("Verify = %s", r)
				}
			})
		}
		close(start)
		wg.Wait()
		if wrong.Load() != 5 || locked.Load() != n-5 {
			t.Errorf("results: %d Wrong, %d Locked; want 5 and %d", wrong.Load(), locked.Load(), n-5)
		}
		if r, d := f.real.Load(), f.decoy.Load(); r != 5 || d != 0 {
			t.Errorf("hashes: %d real, %d decoy; want exactly 5 real", r, d)
		}
		c := f.cred(id)
		if c.Failures != 5 || c.Lockouts != 1 || c.LockedUntil == nil || !c.LockedUntil.Equal(f.clock.Now().Add(15*time.Minute)) {
			t.Errorf("credential: failures=%d lockouts=%d locked_until=%v; want 5, 1, now+15m", c.Failures, c.Lockouts, c.LockedUntil)
		}
		var rows, events int
		_ = db.InTx(context.Background(), func(tx *store.Tx) error {
			if err := tx.Get(context.Background(), &rows, `SELECT count(*) FROM pin_failures`); err != nil {
				return err
			}
			return tx.Get(context.Background(), &events, `SELECT count(*) FROM audit_events WHERE action = 'pin.verify'`)
		})
		if rows != 5 || events != n {
			t.Errorf("%d calling-number failures and %d audit events; want 5 and %d", rows, events, n)
		}
		f.expect(id, pin, "+14155550106", Locked, 0, 0)
	})
}

// TestConcurrentSameNumber has one calling number try 50 unknown support IDs
// at once: exactly MaxFailuresPerNumberPerHour of them are hashed and
// answered Wrong, the rest refused.
func TestConcurrentSameNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n, from = 50, "+14155550107"
		p := testPolicy()
		p.MaxConcurrentHashes = 4
		f := newFixture(t, db, p)
		var wrong, locked atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, r, err := f.svc.Verify(context.Background(), f.claim(fmt.Sprintf("9000%04d", i)), "48291736", from)
				switch {
				case err != nil:
					t.Errorf("Verify: %v", err)
				case r == Wrong:
					wrong.Add(1)
				case r == Locked:
					locked.Add(1)
				default:
					t.Errorf("Verify = %s", r)
				}
			})
		}
		close(start)
		wg.Wait()
		if wrong.Load() != 10 || locked.Load() != n-10 || f.decoy.Load() != 10 {
			t.Errorf("%d Wrong, %d Locked, %d decoy hashes; want 10, %d, 10", wrong.Load(), locked.Load(), f.decoy.Load(), n-10)
		}
		if got := f.numberFailures(from); got != 10 {
			t.Errorf("calling number failures = %d, want 10", got)
		}
	})
}

func TestCorruptStoredHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550112")
		// A planted row asking for 1 GiB per hash: refused as corrupt
		// without computing it, answered and counted as a wrong PIN.
		planted := "$argon2id$v=19$m=1048576,t=2,p=1$c3VwcG9ydGxpbmVzYWx0MQ$cfTQmCpjc6eT8px2VmbYkGJPByaQZZaJIDQG2UP+628"
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE pin_credentials SET hash = ? WHERE contact_id = (SELECT id FROM contacts WHERE support_id = ?)`, planted, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		f.expect(id, pin, "+14155550109", Wrong, 0, 1)
		if c := f.cred(id); c.Failures != 1 {
			t.Fatalf("failures = %d, want 1", c.Failures)
		}
		logs := f.logs.String()
		if !strings.Contains(logs, "stored PIN hash is corrupt") || strings.Contains(logs, "cfTQmCpjc6") {
			t.Fatalf("log = %q; want the corruption reported without the stored string", logs)
		}
		// Rotating repairs it.
		pin2, err := f.svc.Rotate(ctx, "admin", id)
		if err != nil {
			t.Fatal(err)
		}
		f.expect(id, pin2, "+14155550109", OK, 1, 0)
	})
}

// Prune removes every throttle row older than the hour and keeps the
// rest: successes leave a calling number's row behind, failures their
// rows, and neither may outlive the window for long.
func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550100")
		// More than a batch of old rows, as calls over a day leave them.
		old := f.clock.Now().Add(-3 * time.Hour)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range 1203 {
				caller := fmt.Sprintf("+1415555%04d", i)
				if _, err := tx.Exec(ctx, `INSERT INTO pin_callers (caller, last_attempt_at) VALUES (?, ?)`, caller, old); err != nil {
					return err
				}
				if i%2 == 0 {
					if _, err := tx.Exec(ctx, `INSERT INTO pin_failures (caller, at) VALUES (?, ?)`, caller, old); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		f.verify(id, pin, "+14155559999")           // recent: kept
		f.verify(id, wrongPIN(pin), "+14155559998") // recent failure: kept
		// Reservations: expired ones go, a live one stays. Entries: kept
		// while locked or until idle for max_lockout (24h).
		now := f.clock.Now()
		key := func(s string) string { return f.svc.entryKey(s) }
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for i, at := range []time.Time{now.Add(-reservationTTL), now.Add(-time.Hour), now.Add(-reservationTTL + time.Second)} {
				if _, err := tx.Exec(ctx, `INSERT INTO pin_attempts (started_at, caller, entry_key) VALUES (?, ?, ?)`, at, "+14155559997", key(fmt.Sprint(i))); err != nil {
					return err
				}
			}
			day, recent := now.Add(-24*time.Hour), now.Add(-24*time.Hour+time.Second)
			for _, e := range []struct {
				entry             string
				until, lastFailed *time.Time
			}{
				{"idle a day", &day, &day},                   // goes
				{"never failed", nil, nil},                   // goes
				{"failed in the last day", nil, &recent},     // stays
				{"locked until a moment ago", &recent, &day}, // stays
			} {
				if _, err := tx.Exec(ctx, `INSERT INTO pin_entries (entry_key, failures, locked_until, last_attempt_at) VALUES (?, 1, ?, ?)`,
					key(e.entry), e.until, e.lastFailed); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		count := func(table string) (n int) {
			if err := db.Statements(ctx, func(q *store.Q) error {
				return q.Get(ctx, &n, `SELECT count(*) FROM `+table)
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("pin_callers"); n <= 1000 {
			t.Fatalf("%d calling numbers before Prune; the test needs more than a batch", n)
		}
		n, err := f.svc.Prune(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if callers, failures := count("pin_callers"), count("pin_failures"); callers != 2 || failures != 1 {
			t.Fatalf("after Prune (%d deleted): %d calling numbers, %d failures; want the 2 and 1 of the last hour", n, callers, failures)
		}
		if attempts, entries := count("pin_attempts"), count("pin_entries"); attempts != 1 || entries != 2 {
			t.Fatalf("after Prune: %d reservations, %d entries; want the 1 live and the 2 recent", attempts, entries)
		}
		if n, err := f.svc.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("second Prune = %d, %v; want 0", n, err)
		}
	})
}
