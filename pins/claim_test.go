package pins

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

func TestClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550140")
		removed, _ := f.contact("+17205550141")
		if _, err := f.acc.RemoveContact(ctx, "tester", removed); err != nil {
			t.Fatal(err)
		}

		t.Run("matched", func(t *testing.T) {
			if c := f.claim(id); c != (Claim{SupportID: id}) || c != KnownClaim(id) || c.String() != "support ID "+id {
				t.Fatalf("Claim(%s) = %+v (%s)", id, c, c)
			}
		})
		t.Run("unmatched", func(t *testing.T) {
			for _, entry := range []string{"48213377", pin, removed, "12#4", "", "0000000000000000"} {
				c := f.claim(entry)
				if c.SupportID != "" || !validKey(c.Key) || strings.ContainsAny(c.Key, "0123456789") {
					t.Errorf("Claim(%q) = %+v; want a key of 32 letters a-p, no digits", entry, c)
				}
				if c.String() != "unmatched entry "+c.Key[:8] {
					t.Errorf("String() = %q", c.String())
				}
				if again := f.claim(entry); again != c {
					t.Errorf("Claim(%q) twice: %+v, then %+v", entry, c, again)
				}
			}
			if f.claim("48213377") == f.claim("48213378") {
				t.Error("two entries, one key")
			}
		})
		t.Run("the key depends on the secret", func(t *testing.T) {
			other := &Service{DB: db, Accounts: f.acc, Policy: testPolicy(), Secret: []byte("another secret")}
			random := &Service{DB: db, Accounts: f.acc, Policy: testPolicy()}
			k := f.claim("48213377").Key
			k2, err := other.Claim(ctx, "48213377")
			if err != nil || k2.Key == k {
				t.Fatalf("another secret gave %+v, %v; want another key than %s", k2, err, k)
			}
			r1, _ := random.Claim(ctx, "48213377")
			r2, _ := random.Claim(ctx, "48213377")
			if r1.Key == k || r1.Key == k2.Key || r1 != r2 || !validKey(r1.Key) {
				t.Fatalf("without a secret: %s then %s; want one random-keyed value", r1.Key, r2.Key)
			}
		})
		t.Run("malformed claims", func(t *testing.T) {
			for _, c := range []Claim{{}, {Key: "48213377"}, {Key: "abc"}, {SupportID: id, Key: f.claim("48213377").Key}} {
				if _, r, err := f.svc.Verify(ctx, c, pin, "+14155550140"); !errcode.Is(err, errcode.Invalid) || strings.Contains(err.Error(), "48213377") {
					t.Errorf("Verify(%+v) = %s, %v; want an invalid claim, not quoted", c, r, err)
				}
			}
		})
	})
}

// An unknown support ID answers exactly as a real one does through its
// lockouts, so the answers cannot tell which support IDs exist: five wrong
// PINs heard as Wrong (Revoked, for a contact without a PIN), the sixth
// attempt Locked, heard again when the lock ends, and the next lock twice
// as long. Before entries had lockouts of their own, an unknown ID was
// Wrong for ever.
func TestUnknownLocksLikeKnown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		real, pin := f.contact("+17205550142")
		revoked, _ := f.contact("+17205550143")
		if err := f.svc.Revoke(ctx, "admin", revoked); err != nil {
			t.Fatal(err)
		}
		const unknown = "48213377"
		type subject struct {
			name, entry, pin string
			wrong            Result
		}
		subjects := []subject{
			{"real support ID, wrong PIN", real, wrongPIN(pin), Wrong},
			{"unknown support ID", unknown, pin, Wrong},
			{"contact without a PIN", revoked, pin, Revoked},
		}
		// lockedUntil reads the lock of a subject where it lives: the
		// credential, or the entry's row.
		lockedUntil := func(s subject) *time.Time {
			if s.entry == real {
				return f.cred(real).LockedUntil
			}
			var until *time.Time
			if err := db.Statements(ctx, func(q *store.Q) error {
				c, err := readEntry(ctx, q, f.svc.entryKey(s.entry))
				until = c.LockedUntil
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return until
		}
		var from callers
		// run makes 5 failures and one more attempt for every subject, and
		// returns what each heard and how long each lock lasts.
		run := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			for _, s := range subjects {
				var heard []string
				for range 6 {
					heard = append(heard, string(f.verify(s.entry, s.pin, from.next())))
				}
				until := lockedUntil(s)
				if until == nil {
					t.Fatalf("%s: not locked", s.name)
				}
				out[s.name] = strings.Join(heard, ",") + " for " + until.Sub(f.clock.Now()).String()
			}
			return out
		}
		want := func(wrong Result, d string) string {
			w := string(wrong)
			return strings.Join([]string{w, w, w, w, w, "locked"}, ",") + " for " + d
		}

		first := run()
		for _, s := range subjects {
			if first[s.name] != want(s.wrong, "15m0s") {
				t.Errorf("%s: heard %s; want %s", s.name, first[s.name], want(s.wrong, "15m0s"))
			}
		}
		f.clock.Advance(15*time.Minute - time.Microsecond)
		for _, s := range subjects {
			if r := f.verify(s.entry, s.pin, from.next()); r != Locked {
				t.Errorf("%s: %s just before the lock ends, want Locked", s.name, r)
			}
		}
		f.clock.Advance(time.Microsecond)
		second := run()
		for _, s := range subjects {
			if second[s.name] != want(s.wrong, "30m0s") {
				t.Errorf("%s, second lock: heard %s; want %s", s.name, second[s.name], want(s.wrong, "30m0s"))
			}
		}

		// The audit log tells them apart for an admin (the contact is
		// named), but records the same results.
		evs, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		results := map[string][]string{}
		for _, e := range evs {
			if e.Action != "pin.verify" {
				continue
			}
			who := e.Subject
			if e.SupportID != nil {
				who = *e.SupportID
			}
			r := e.Result
			if r == string(Revoked) {
				r = string(Wrong) // the phone line speaks them alike
			}
			results[who] = append(results[who], r)
		}
		unknownSubject := unmatched(f.svc.entryKey(unknown))
		if a, b := strings.Join(results[real], ","), strings.Join(results[unknownSubject], ","); a != b || len(results[real]) != 13 {
			t.Errorf("audit results:\n real    %s\n unknown %s\nwant the same 13", a, b)
		}
		if a, b := strings.Join(results[real], ","), strings.Join(results[revoked], ","); a != b {
			t.Errorf("audit results:\n real    %s\n no PIN  %s\nwant the same", a, b)
		}

		t.Run("unlock and rotate clear a lock counted without a PIN", func(t *testing.T) {
			if err := f.svc.Unlock(ctx, "admin", revoked); err != nil {
				t.Fatal(err)
			}
			for range 5 {
				f.expect(revoked, pin, from.next(), Revoked, 0, 1)
			}
			f.expect(revoked, pin, from.next(), Locked, 0, 0)
			pin2, err := f.svc.Rotate(ctx, "admin", revoked)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.Revoke(ctx, "admin", revoked); err != nil {
				t.Fatal(err)
			}
			f.expect(revoked, pin2, from.next(), Revoked, 0, 1)
		})
	})
}

// TestUnmatchedEntryLeavesNoDigits keys a contact's PIN at the support-ID
// prompt until the entry locks, then looks for every 4-digit window of it
// in every row of every table and in the log output (debug level). The
// PIN is drawn from the digits 3, 7 and 9 (none of which the test's calling
// number, clock or durations contain in a run of four), so that whatever
// the verifications add cannot match by chance; it is drawn again until
// nothing already stored matches either.
func TestUnmatchedEntryLeavesNoDigits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, _ := f.contact("+17205550144")
		const from = "+14155550142"

		places := func() map[string]string {
			evs, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(evs)
			p := map[string]string{"log output": f.logs.String(), "audit events": string(js)}
			for table, rows := range storetest.Dump(t, db) {
				p["table "+table] = rows
			}
			return p
		}
		windows := func(pin string) []string {
			var w []string
			for i := 0; i+4 <= len(pin); i++ {
				w = append(w, pin[i:i+4])
			}
			return w
		}
		leaks := func(pin string) []string {
			var out []string
			for where, text := range places() {
				for _, w := range windows(pin) {
					if strings.Contains(text, w) {
						out = append(out, where+" holds "+w)
					}
				}
			}
			return out
		}

		var pin string
		for try := 0; ; try++ {
			b := make([]byte, 8)
			for i := range b {
				b[i] = "379"[rand.N(3)]
			}
			pin = string(b)
			hash, err := Hash(pin, f.svc.params())
			if err != nil {
				t.Fatal(err)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE pin_credentials SET hash = ? WHERE contact_id = (SELECT id FROM contacts WHERE support_id = ?)`, hash, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if len(leaks(pin)) == 0 {
				break
			}
			if try == 50 {
				t.Fatal("no PIN found that the database does not already hold by chance")
			}
		}

		f.expect(id, pin, from, OK, 1, 0) // the contact, as they should
		// The contact keys their PIN at the support-ID prompt, again and
		// again: the entry locks like a support ID would.
		for range 5 {
			f.expect(pin, pin, from, Wrong, 0, 1)
		}
		f.expect(pin, pin, from, Locked, 0, 0)
		if c := f.claim(pin); c.Key == "" || strings.ContainsAny(c.String(), "0123456789") {
			t.Fatalf("Claim of the PIN = %+v (%s)", c, c)
		}
		if !strings.Contains(f.logs.String(), "PIN lockout") || !strings.Contains(f.logs.String(), "unmatched entry") {
			t.Fatalf("log lacks the lockout or the unmatched entry:\n%s", f.logs.String())
		}
		if p := places(); !strings.Contains(p["table pin_entries"], f.svc.entryKey(pin)) {
			t.Fatal("table dump misses the entry's row; the dump is not seeing the data")
		}
		if l := leaks(pin); len(l) > 0 {
			t.Errorf("digits of an unmatched entry were kept: %v", l)
		}
	})
}
