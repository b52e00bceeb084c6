package pins

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
)

// testPolicy is the default policy with argon2 costs low enough for -race
// runs (config validation would refuse them; tests build the struct).
func testPolicy() config.PinPolicy {
	p := config.Default().Pins
	p.Argon2 = config.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	p.MaxConcurrentHashes = 2
	return p
}

// fixture is a Service on a fresh database with counted hashes and
// captured logs.
type fixture struct {
	t       testing.TB
	db      *store.DB
	clock   *storetest.Clock
	svc     *Service
	acc     *accounts.Service
	account string
	real    atomic.Int64 // argon2id over a stored hash
	decoy   atomic.Int64 // argon2id over the decoy
	logs    *storetest.LogBuffer
}

func newFixture(t testing.TB, db *store.DB, policy config.PinPolicy) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, clock: storetest.ClockOf(db), logs: &storetest.LogBuffer{}}
	// The wall-clock time of a line is dropped: the secrecy tests search
	// the logs for digits.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	// Each service points at the other (accounts forgets a removed
	// contact's PIN through pins; pins reads contacts through accounts).
	f.svc, f.acc = NewWithAccounts(db, config.Default(), policy,
		slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime})), []byte("test secret"))
	f.svc.Pool = NewPool(policy.MaxConcurrentHashes)
	f.svc.hashed = func(real bool) {
		if real {
			f.real.Add(1)
		} else {
			f.decoy.Add(1)
		}
	}
	a, err := f.acc.AddAccount(context.Background(), "tester", accounts.NewAccount{Name: "Acme Corp", Plan: "premium"})
	if err != nil {
		t.Fatal(err)
	}
	f.account = a.Number
	return f
}

// contact adds a contact with a fresh PIN and returns its support ID and PIN.
func (f *fixture) contact(phone string) (supportID, pin string) {
	f.t.Helper()
	c, err := f.acc.AddContact(context.Background(), "tester",
		accounts.NewContact{AccountNumber: f.account, Name: "Jane Doe", Phone: phone})
	if err != nil {
		f.t.Fatal(err)
	}
	pin, err = f.svc.Rotate(context.Background(), "tester", c.SupportID)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.SupportID, pin
}

// claim runs Claim for what a caller keyed at the support-ID prompt.
func (f *fixture) claim(entry string) Claim {
	f.t.Helper()
	c, err := f.svc.Claim(context.Background(), entry)
	if err != nil {
		f.t.Fatalf("Claim: %v", err)
	}
	return c
}

// verify runs Claim and Verify as the phone line does (entry keyed at the
// support-ID prompt, then pin) and fails the test on an infrastructure
// error.
func (f *fixture) verify(entry, pin, caller string) Result {
	f.t.Helper()
	c, r, err := f.svc.Verify(context.Background(), f.claim(entry), pin, caller)
	if err != nil {
		f.t.Fatalf("Verify: %v", err)
	}
	if (r == OK) != (c.SupportID == entry) {
		f.t.Fatalf("Verify = %s with contact %q; want the contact exactly when OK", r, c.SupportID)
	}
	return r
}

// expect verifies and checks the result and how many real and decoy hashes
// the verification computed.
func (f *fixture) expect(entry, pin, caller string, want Result, real, decoy int64) {
	f.t.Helper()
	r0, d0 := f.real.Load(), f.decoy.Load()
	if got := f.verify(entry, pin, caller); got != want {
		f.t.Fatalf("Verify at %s = %s, want %s", f.clock.Now().Format(time.RFC3339), got, want)
	}
	if r, d := f.real.Load()-r0, f.decoy.Load()-d0; r != real || d != decoy {
		f.t.Fatalf("Verify %s computed %d real and %d decoy hashes, want %d and %d", want, r, d, real, decoy)
	}
}

// cred reads the credential row of a support ID.
func (f *fixture) cred(supportID string) credentialRow {
	f.t.Helper()
	var c *credentialRow
	err := f.db.InTx(context.Background(), func(tx *store.Tx) error {
		ct, err := f.acc.ContactBySupportIDTx(context.Background(), tx, supportID)
		if err != nil {
			return err
		}
		c, err = credential(context.Background(), tx, ct.ID, false)
		if err == nil && c == nil {
			err = errors.New("no credential")
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return *c
}

// numberFailures counts the pin_failures rows of a calling number.
func (f *fixture) numberFailures(caller string) int {
	f.t.Helper()
	var n int
	err := f.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.Get(context.Background(), &n, `SELECT count(*) FROM pin_failures WHERE caller = ?`, CallerKey(caller))
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// wrongPIN returns a PIN that is not pin.
func wrongPIN(pin string) string {
	b := []byte(pin)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}

// accountsContact is another contact on the fixture's account.
func accountsContact(account string) accounts.NewContact {
	return accounts.NewContact{AccountNumber: account, Name: "John Roe", Phone: "+17205550199"}
}
