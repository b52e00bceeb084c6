package accounts_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"supportline/accounts"
	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

func fourTier(t *testing.T) *config.Policy {
	t.Helper()
	p, err := config.Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustAccount(t *testing.T, svc *accounts.Service, name, plan string) accounts.Account {
	t.Helper()
	a, err := svc.AddAccount(context.Background(), "admin", accounts.NewAccount{Name: name, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := &accounts.Service{DB: db, Policy: fourTier(t)}

		t.Run("generated number is numeric and at least 6 digits", func(t *testing.T) {
			a := mustAccount(t, svc, "Acme Corp", "enterprise")
			if !regexp.MustCompile(`^[1-9][0-9]{5,}$`).MatchString(a.Number) {
				t.Fatalf("number %q", a.Number)
			}
			got, err := svc.Account(ctx, a.Number)
			if err != nil || got.Name != "Acme Corp" || got.Plan != "enterprise" {
				t.Fatalf("Account(%s) = %+v, %v", a.Number, got, err)
			}
		})
		t.Run("explicit number, unique", func(t *testing.T) {
			if _, err := svc.AddAccount(ctx, "admin", accounts.NewAccount{Name: "A", Plan: "poc", Number: "555555"}); err != nil {
				t.Fatal(err)
			}
			_, err := svc.AddAccount(ctx, "admin", accounts.NewAccount{Name: "B", Plan: "poc", Number: "555555"})
			if !errcode.Is(err, errcode.Conflict) || !strings.Contains(err.Error(), "555555 is already taken") {
				t.Fatalf("duplicate number: %v", err)
			}
		})
		t.Run("bad input", func(t *testing.T) {
			for _, tc := range []struct {
				in   accounts.NewAccount
				want string
			}{
				{accounts.NewAccount{Name: "", Plan: "poc"}, "account name is required"},
				{accounts.NewAccount{Name: "X", Plan: "gold"}, `unknown plan "gold"`},
				{accounts.NewAccount{Name: "X", Plan: ""}, "a plan is required"},
				{accounts.NewAccount{Name: "X", Plan: "poc", Number: "12345"}, "must be 6 to 12 digits"},
				{accounts.NewAccount{Name: "X", Plan: "poc", Number: "12a456"}, "must be 6 to 12 digits"},
			} {
				_, err := svc.AddAccount(ctx, "admin", tc.in)
				if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("AddAccount(%+v) = %v, want invalid %q", tc.in, err, tc.want)
				}
			}
		})
		t.Run("unknown account", func(t *testing.T) {
			if _, err := svc.Account(ctx, "999999"); !errcode.Is(err, errcode.NotFound) {
				t.Fatalf("Account(999999) = %v, want not found", err)
			}
		})
	})
}

func TestNamedContactLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := &accounts.Service{DB: db, Policy: fourTier(t), Credentials: &credentials{}}
		a := mustAccount(t, svc, "Acme", "enterprise")
		var ids []string
		for i := 1; i <= 4; i++ {
			c, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: fmt.Sprintf("Person %d", i), Phone: fmt.Sprintf("+1720555010%d", i)})
			if err != nil {
				t.Fatalf("contact %d: %v", i, err)
			}
			if !regexp.MustCompile(`^[0-9]{8}$`).MatchString(c.SupportID) {
				t.Fatalf("support ID %q is not 8 digits", c.SupportID)
			}
			ids = append(ids, c.SupportID)
		}
		_, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "Fifth", Phone: "+17205550105"})
		if !errcode.Is(err, errcode.Conflict) || !strings.Contains(err.Error(), "plan enterprise is 4") {
			t.Fatalf("fifth contact: %v, want a conflict naming plan enterprise and 4", err)
		}
		// Downgrading below the count is refused the same way, and nothing changes.
		_, err = svc.SetPlan(ctx, "admin", a.Number, "standard")
		if !errcode.Is(err, errcode.Conflict) || !strings.Contains(err.Error(), "plan standard allows 2") {
			t.Fatalf("set-plan standard: %v, want a conflict naming plan standard and 2", err)
		}
		if got, _ := svc.Account(ctx, a.Number); got.Plan != "enterprise" || got.Contacts != 4 {
			t.Fatalf("after refused set-plan: %+v", got)
		}
		// Removing a contact frees a slot; the removed support ID stops resolving.
		if _, err := svc.RemoveContact(ctx, "admin", ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Contact(ctx, ids[0]); !errcode.Is(err, errcode.NotFound) {
			t.Fatalf("removed contact still found: %v", err)
		}
		if _, err := svc.RemoveContact(ctx, "admin", ids[0]); !errcode.Is(err, errcode.NotFound) {
			t.Fatalf("second removal: %v, want not found", err)
		}
		if _, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "Fifth", Phone: "+17205550105"}); err != nil {
			t.Fatalf("after removal: %v", err)
		}
		// managed is unlimited.
		if _, err := svc.SetPlan(ctx, "admin", a.Number, "managed"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ {
			if _, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "M", Phone: "+17205550199"}); err != nil {
				t.Fatalf("managed contact %d: %v", i, err)
			}
		}
		cs, err := svc.Contacts(ctx, a.Number)
		if err != nil || len(cs) != 10 {
			t.Fatalf("contacts = %d, %v; want 10", len(cs), err)
		}
		// Every change is audited with its actor.
		evs, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range evs {
			if e.Actor != "admin" {
				t.Errorf("event %s has actor %q", e.Action, e.Actor)
			}
			count[e.Action]++
		}
		want := map[string]int{"account.add": 1, "contact.add": 11, "contact.remove": 1, "account.set_plan": 1}
		for k, v := range want {
			if count[k] != v {
				t.Errorf("%s events = %d, want %d (all: %v)", k, count[k], v, count)
			}
		}
		byContact, _ := (&audit.Service{DB: db}).List(ctx, audit.Filter{SupportID: ids[0]})
		if len(byContact) != 2 || byContact[0].Action != "contact.add" || byContact[1].Action != "contact.remove" {
			t.Errorf("events for %s = %+v", ids[0], byContact)
		}
	})
}

func TestConcurrentContactsRespectLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := &accounts.Service{DB: db, Policy: fourTier(t)}
		a := mustAccount(t, svc, "Racy", "enterprise")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "P", Phone: "+17205550100"})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if !errcode.Is(err, errcode.Conflict) {
					t.Errorf("add %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		got, _ := svc.Account(ctx, a.Number)
		if ok != 4 || got.Contacts != 4 {
			t.Fatalf("12 concurrent adds: %d succeeded, %d stored; want exactly 4", ok, got.Contacts)
		}
	})
}

func TestContactInputRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := &accounts.Service{DB: db, Policy: fourTier(t)}
		a := mustAccount(t, svc, "Acme", "managed")
		for _, tc := range []struct {
			in   accounts.NewContact
			want string
		}{
			{accounts.NewContact{AccountNumber: a.Number, Name: "J", Phone: "7205550100"}, "E.164"},
			{accounts.NewContact{AccountNumber: a.Number, Name: "J", Phone: "+1720555O100"}, "E.164 allows only + and digits"},
			{accounts.NewContact{AccountNumber: a.Number, Name: "J", Phone: "+1234"}, "8 to 15 digits"},
			{accounts.NewContact{AccountNumber: a.Number, Name: "J", Phone: ""}, "empty"},
			{accounts.NewContact{AccountNumber: a.Number, Name: "", Phone: "+17205550100"}, "contact name is required"},
			{accounts.NewContact{AccountNumber: a.Number, Name: "J", Phone: "+17205550100", Email: "nope"}, "not an email address"},
		} {
			_, err := svc.AddContact(ctx, "admin", tc.in)
			if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AddContact(%+v) = %v, want invalid %q", tc.in, err, tc.want)
			}
		}
		_, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: "424242", Name: "J", Phone: "+17205550100"})
		if !errcode.Is(err, errcode.NotFound) {
			t.Errorf("unknown account: %v", err)
		}
		if cs, _ := svc.Contacts(ctx, a.Number); len(cs) != 0 {
			t.Errorf("rejected input stored %d contacts", len(cs))
		}
		c, err := svc.AddContact(ctx, "admin", accounts.NewContact{AccountNumber: a.Number, Name: "Jane", Phone: "+1 (720) 555-0100"})
		if err != nil || c.Phone != "+17205550100" {
			t.Fatalf("formatted E.164: %+v %v", c, err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			cs, err := svc.ContactsByPhoneTx(ctx, tx, "+17205550100")
			if err != nil || len(cs) != 1 || cs[0].SupportID != c.SupportID {
				t.Errorf("ContactsByPhone = %+v %v", cs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
