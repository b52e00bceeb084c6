package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

// credentials stands in for pins (which imports accounts) in accounts'
// own tests: it records the contacts it was asked to forget, checks that it
// runs inside the removal's transaction, and fails when told to.
type credentials struct {
	forgot []int64
	fail   error
}

func (c *credentials) ForgetTx(ctx context.Context, tx *store.Tx, contactID int64) error {
	// Inside the removal's transaction the contact is already removed.
	var removed int
	if err := tx.Get(ctx, &removed, `SELECT count(*) FROM contacts WHERE id = ? AND removed_at IS NOT NULL`, contactID); err != nil {
		return err
	}
	if removed != 1 {
		return errors.New("ForgetTx ran outside the removal's transaction")
	}
	if c.fail != nil {
		return c.fail
	}
	c.forgot = append(c.forgot, contactID)
	return nil
}

func ptr(s string) *string { return &s }

func events(t *testing.T, db *store.DB, action string) []audit.Event {
	t.Helper()
	evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func TestRemoveContactForgetsCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		creds := &credentials{}
		svc := &accounts.Service{DB: db, Policy: fourTier(t), Credentials: creds}
		a := mustAccount(t, svc, "Acme", "managed")
		add := func() accounts.Contact {
			c, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "Jane", Phone: "+17205550100"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		t.Run("in the removal's transaction", func(t *testing.T) {
			c := add()
			if _, err := svc.RemoveContact(ctx, "admin", c.SupportID); err != nil {
				t.Fatal(err)
			}
			if len(creds.forgot) != 1 || creds.forgot[0] != c.ID {
				t.Fatalf("forgot %v, want [%d]", creds.forgot, c.ID)
			}
		})
		t.Run("a failed cleanup removes nothing", func(t *testing.T) {
			c := add()
			creds.fail = errors.New("disk on fire")
			defer func() { creds.fail = nil }()
			before := len(events(t, db, "contact.remove"))
			if _, err := svc.RemoveContact(ctx, "admin", c.SupportID); err == nil || !strings.Contains(err.Error(), "disk on fire") {
				t.Fatalf("RemoveContact = %v, want the cleanup's error", err)
			}
			if _, err := svc.Contact(ctx, c.SupportID); err != nil {
				t.Fatalf("contact gone although its PIN was not forgotten: %v", err)
			}
			if n := len(events(t, db, "contact.remove")); n != before {
				t.Fatalf("%d contact.remove events, want %d", n, before)
			}
		})
		t.Run("no Credentials, no removal", func(t *testing.T) {
			c := add()
			bare := &accounts.Service{DB: db, Policy: svc.Policy}
			if _, err := bare.RemoveContact(ctx, "admin", c.SupportID); err == nil || !strings.Contains(err.Error(), "Credentials") {
				t.Fatalf("RemoveContact without Credentials = %v, want an error naming it", err)
			}
			if _, err := svc.Contact(ctx, c.SupportID); err != nil {
				t.Fatalf("removed without forgetting the PIN: %v", err)
			}
		})
	})
}

func TestSetContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := &accounts.Service{DB: db, Policy: fourTier(t), Credentials: &credentials{}}
		a := mustAccount(t, svc, "Acme", "managed")
		c, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "Jane Doe", Phone: "+17205550100", Email: "jane@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		byPhone := func(number string) []accounts.Contact {
			t.Helper()
			var cs []accounts.Contact
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				cs, err = svc.ContactsByPhoneTx(ctx, tx, number)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return cs
		}

		t.Run("only the fields given change", func(t *testing.T) {
			got, changes, err := svc.SetContact(ctx, "alice", c.SupportID, accounts.ContactChange{Phone: ptr("+1 (720) 555-0199")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Phone != "+17205550199" || got.Name != "Jane Doe" || got.Email != "jane@acme.example" || got.SupportID != c.SupportID {
				t.Fatalf("SetContact = %+v", got)
			}
			if len(changes) != 1 || changes[0] != (accounts.Change{Field: "phone", Old: "+17205550100", New: "+17205550199"}) {
				t.Fatalf("changes = %+v", changes)
			}
			stored, err := svc.Contact(ctx, c.SupportID)
			if err != nil || stored.Phone != "+17205550199" || stored.Name != "Jane Doe" || stored.Email != "jane@acme.example" {
				t.Fatalf("stored %+v, %v", stored, err)
			}
			evs := events(t, db, "contact.set")
			if len(evs) != 1 || evs[0].Actor != "alice" || evs[0].Detail != `phone "+17205550100" -> "+17205550199"` ||
				evs[0].SupportID == nil || *evs[0].SupportID != c.SupportID {
				t.Fatalf("audit = %+v", evs)
			}
		})
		t.Run("caller ID matches the new phone at once", func(t *testing.T) {
			if cs := byPhone("+17205550100"); len(cs) != 0 {
				t.Fatalf("old phone still matches %+v", cs)
			}
			if cs := byPhone("+17205550199"); len(cs) != 1 || cs[0].SupportID != c.SupportID {
				t.Fatalf("new phone matches %+v", cs)
			}
		})
		t.Run("name and email, email removed", func(t *testing.T) {
			got, changes, err := svc.SetContact(ctx, "alice", c.SupportID, accounts.ContactChange{Name: ptr("  Jane Roe "), Email: ptr("")})
			if err != nil || got.Name != "Jane Roe" || got.Email != "" || len(changes) != 2 {
				t.Fatalf("SetContact = %+v %+v %v", got, changes, err)
			}
			evs := events(t, db, "contact.set")
			if len(evs) != 2 || evs[1].Detail != `name "Jane Doe" -> "Jane Roe"; email "jane@acme.example" -> ""` {
				t.Fatalf("audit = %+v", evs)
			}
		})
		t.Run("the same values change nothing and are not audited", func(t *testing.T) {
			got, changes, err := svc.SetContact(ctx, "alice", c.SupportID, accounts.ContactChange{Name: ptr("Jane Roe"), Phone: ptr("+17205550199")})
			if err != nil || len(changes) != 0 || got.Name != "Jane Roe" {
				t.Fatalf("SetContact = %+v %+v %v", got, changes, err)
			}
			if n := len(events(t, db, "contact.set")); n != 2 {
				t.Fatalf("%d contact.set events, want 2", n)
			}
		})
		t.Run("bad input", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				id   string
				in   accounts.ContactChange
				code errcode.Code
				want string
			}{
				{"nothing given", c.SupportID, accounts.ContactChange{}, errcode.Invalid, "nothing to change"},
				{"empty name", c.SupportID, accounts.ContactChange{Name: ptr(" ")}, errcode.Invalid, "contact name is required"},
				{"phone not E.164", c.SupportID, accounts.ContactChange{Phone: ptr("7205550100")}, errcode.Invalid, "E.164"},
				{"empty phone", c.SupportID, accounts.ContactChange{Phone: ptr("")}, errcode.Invalid, "phone number is empty"},
				{"bad email", c.SupportID, accounts.ContactChange{Email: ptr("Jane <jane@acme.example>")}, errcode.Invalid, "not an email address"},
				{"malformed support ID", "1234", accounts.ContactChange{Name: ptr("X")}, errcode.Invalid, "must be 8 digits"},
				{"unknown support ID", "99999999", accounts.ContactChange{Name: ptr("X")}, errcode.NotFound, "no contact with support ID 99999999"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, _, err := svc.SetContact(ctx, "alice", tc.id, tc.in)
					if !errcode.Is(err, tc.code) || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("SetContact = %v (%s), want %s %q", err, errcode.CodeOf(err), tc.code, tc.want)
					}
				})
			}
			if n := len(events(t, db, "contact.set")); n != 2 {
				t.Fatalf("refused changes were audited: %d events", n)
			}
		})
		t.Run("a removed contact cannot be changed", func(t *testing.T) {
			if _, err := svc.RemoveContact(ctx, "admin", c.SupportID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.SetContact(ctx, "alice", c.SupportID, accounts.ContactChange{Name: ptr("X")}); !errcode.Is(err, errcode.NotFound) {
				t.Fatalf("SetContact on a removed contact = %v, want not found", err)
			}
		})
	})
}

func TestSetAccountName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		svc := &accounts.Service{DB: db, Policy: fourTier(t), Credentials: &credentials{}}
		a := mustAccount(t, svc, "Acme", "managed")
		clock.Advance(time.Second) // so that updated_at moves

		got, changes, err := svc.SetName(ctx, "alice", a.Number, " Acme Corporation ")
		if err != nil || got.Name != "Acme Corporation" || got.Plan != "managed" || !got.UpdatedAt.After(a.UpdatedAt) {
			t.Fatalf("SetName = %+v, %v", got, err)
		}
		if len(changes) != 1 || changes[0] != (accounts.Change{Field: "name", Old: "Acme", New: "Acme Corporation"}) {
			t.Fatalf("changes = %+v", changes)
		}
		if stored, _ := svc.Account(ctx, a.Number); stored.Name != "Acme Corporation" {
			t.Fatalf("stored name %q", stored.Name)
		}
		evs := events(t, db, "account.set_name")
		if len(evs) != 1 || evs[0].Actor != "alice" || evs[0].Detail != `name "Acme" -> "Acme Corporation"` ||
			evs[0].AccountNumber == nil || *evs[0].AccountNumber != a.Number {
			t.Fatalf("audit = %+v", evs)
		}
		if _, changes, err := svc.SetName(ctx, "alice", a.Number, "Acme Corporation"); err != nil || len(changes) != 0 {
			t.Fatalf("same name: %+v %v", changes, err)
		}
		if n := len(events(t, db, "account.set_name")); n != 1 {
			t.Fatalf("an unchanged name was audited: %d events", n)
		}
		for _, tc := range []struct {
			number, name string
			code         errcode.Code
			want         string
		}{
			{a.Number, "", errcode.Invalid, "account name is required"},
			{a.Number, "a\x07b", errcode.Invalid, "control character"},
			{"12", "X", errcode.Invalid, "6 to 12 digits"},
			{"999999", "X", errcode.NotFound, "no account 999999"},
		} {
			if _, _, err := svc.SetName(ctx, "alice", tc.number, tc.name); !errcode.Is(err, tc.code) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SetName(%q, %q) = %v, want %s %q", tc.number, tc.name, err, tc.code, tc.want)
			}
		}
	})
}
