package pins

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"supportline/accounts"
	"supportline/store"
	"supportline/store/storetest"
)

// Removing a contact (accounts) forgets their PIN (pins) in the same
// transaction: the hash is gone, and what is kept on purpose (the entry's
// lock under the support ID's key, the calling number's failures) still
// counts.
func TestRemoveContactForgetsPIN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550100")
		keep, keepPIN := f.contact("+17205550101")
		const from = "+14155550100"
		f.expect(id, wrongPIN(pin), from, Wrong, 1, 0)
		if n := f.count("pin_credentials"); n != 2 {
			t.Fatalf("%d credentials before, want 2", n)
		}

		if _, err := f.acc.RemoveContact(ctx, "tester", id); err != nil {
			t.Fatal(err)
		}
		if got := storetest.DumpTable(t, db, "pin_credentials"); strings.Count(got, "\n") != 1 || !strings.Contains(got, "argon2id") {
			t.Fatalf("pin_credentials after the removal:\n%s\nwant only the other contact's", got)
		}
		if c := f.cred(keep); c.Hash == "" {
			t.Fatal("the other contact's PIN went too")
		}
		if n := f.numberFailures(from); n != 1 {
			t.Fatalf("the calling number's failures = %d, want the 1 it made", n)
		}
		// The removed ID is an unmatched entry now: its right PIN gets the
		// decoy hash and Wrong, and its failures lock under the ID's key.
		f.expect(id, pin, from, Wrong, 0, 1)
		for i := 1; i < f.svc.Policy.MaxFailures; i++ {
			f.expect(id, pin, fmt.Sprintf("+141555502%02d", i), Wrong, 0, 1)
		}
		f.expect(id, pin, "+14155550300", Locked, 0, 0)
		f.expect(keep, keepPIN, from, OK, 1, 0)
	})
}

// ForgetTx is what accounts calls; a contact without a PIN is no error,
// and one call forgets one contact's credential only.
func TestForgetTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		a, _ := f.contact("+17205550100")
		b, _ := f.contact("+17205550101")
		none, err := f.acc.AddContact(ctx, "tester", accounts.NewContact{AccountNumber: f.account, Name: "No PIN", Phone: "+17205550102"})
		if err != nil {
			t.Fatal(err)
		}
		ca, err := f.acc.Contact(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := f.svc.ForgetTx(ctx, tx, none.ID); err != nil {
				return err
			}
			return f.svc.ForgetTx(ctx, tx, ca.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := f.count("pin_credentials"); n != 1 {
			t.Fatalf("%d credentials left, want 1", n)
		}
		if st, err := f.svc.Status(ctx, b); err != nil || st.State != StateActive {
			t.Fatalf("the other contact's PIN: %+v, %v", st, err)
		}
	})
}

// A Service without Accounts cannot name a contact: every way in fails
// with an error saying so, rather than treating every caller as unknown.
func TestServiceNeedsAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+17205550100")
		bare := &Service{DB: db, Policy: testPolicy(), Secret: []byte("test secret")}
		want := "no Accounts"
		if _, err := bare.Claim(ctx, id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Claim = %v", err)
		}
		if _, _, err := bare.Verify(ctx, KnownClaim(id), pin, "+14155550100"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Verify = %v", err)
		}
		if _, err := bare.Rotate(ctx, "tester", id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Rotate = %v", err)
		}
		if _, err := bare.Status(ctx, id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Status = %v", err)
		}
		if got := f.cred(id); got.Failures != 0 {
			t.Errorf("a refused call counted %d failures", got.Failures)
		}
	})
}
