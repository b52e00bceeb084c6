package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"supportline/store"
)

// contact set and account set-name change only what they are given,
// refuse bad input with exit 2, and are audited with the actor; contact
// remove takes the contact's PIN with it.
func TestContactSetAndAccountSetName(t *testing.T) {
	cl := newCLI(t)
	c := cl
	c.mustRun("account", "add", "--name", "Acme Corp", "--plan", "premium", "--number", "100200")
	var added struct {
		SupportID string `json:"support_id"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("contact", "add", "--account", "100200", "--name", "Jane Doe",
		"--phone", "+17205550100", "--email", "jane@acme.example", "--json")), &added); err != nil || added.SupportID == "" {
		t.Fatalf("contact add --json: %v", err)
	}
	id := added.SupportID

	t.Run("contact set changes the flags given", func(t *testing.T) {
		c := &cli{t: t, db: cl.db}
		out := c.mustRun("contact", "set", id, "--phone", "+1 720 555 0199")
		if want := "contact " + id + ` updated: phone "+17205550100" -> "+17205550199"` + "\n"; out != want {
			t.Fatalf("contact set: %q, want %q", out, want)
		}
		var got struct {
			Name, Phone, Email string
			Changed            []struct{ Field, Old, New string }
		}
		out = c.mustRun("contact", "set", id, "--name", "Jane Roe", "--email", "", "--json")
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.Name != "Jane Roe" || got.Phone != "+17205550199" ||
			got.Email != "" || len(got.Changed) != 2 || got.Changed[0].Field != "name" || got.Changed[1].Old != "jane@acme.example" {
			t.Fatalf("contact set --json: %q (%v)", out, err)
		}
		if out := c.mustRun("contact", "set", id, "--name", "Jane Roe"); !strings.Contains(out, "nothing changed") {
			t.Fatalf("an unchanged name: %q", out)
		}
		if out := c.mustRun("contact", "list", "--account", "100200"); !strings.Contains(out, "Jane Roe") || !strings.Contains(out, "+17205550199") {
			t.Fatalf("contact list after set: %q", out)
		}
	})

	t.Run("account set-name", func(t *testing.T) {
		c := &cli{t: t, db: cl.db}
		if out := c.mustRun("account", "set-name", "100200", "--name", "Acme Corporation"); out != `account 100200 renamed: name "Acme Corp" -> "Acme Corporation"`+"\n" {
			t.Fatalf("account set-name: %q", out)
		}
		if out := c.mustRun("account", "show", "100200"); !strings.Contains(out, "Account 100200: Acme Corporation") {
			t.Fatalf("account show after set-name: %q", out)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		c := &cli{t: t, db: cl.db}
		for _, tt := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"contact", "set", id}, 2, "needs at least one of --name, --phone, --email"},
			{[]string{"contact", "set", "--name", "X"}, 2, "needs a support ID"},
			{[]string{"contact", "set", id, "--phone", "720-555-0100"}, 2, "E.164"},
			{[]string{"contact", "set", id, "--phone", ""}, 2, "phone number is empty"},
			{[]string{"contact", "set", id, "--name", ""}, 2, "contact name is required"},
			{[]string{"contact", "set", id, "--email", "jane at acme"}, 2, "not an email address"},
			{[]string{"contact", "set", "12ab", "--name", "X"}, 2, "must be 8 digits"},
			{[]string{"contact", "set", "00000000", "--name", "X"}, 3, "no contact with support ID 00000000"},
			{[]string{"account", "set-name", "100200"}, 2, "needs --name NAME"},
			{[]string{"account", "set-name", "--name", "X"}, 2, "needs an account number"},
			{[]string{"account", "set-name", "100200", "--name", " "}, 2, "account name is required"},
			{[]string{"account", "set-name", "424242", "--name", "X"}, 3, "no account 424242"},
		} {
			code, out, errs := c.run(tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.msg) || out != "" {
				t.Errorf("%v: %d %q %q; want exit %d and %q", tt.args, code, out, errs, tt.code, tt.msg)
			}
		}
	})

	t.Run("audited with the actor and what changed", func(t *testing.T) {
		c := &cli{t: t, db: cl.db}
		var evs []struct{ Actor, Action, Detail string }
		if err := json.Unmarshal([]byte(c.mustRun("audit", "list", "--json")), &evs); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			if e.Action == "contact.set" || e.Action == "account.set_name" {
				got = append(got, e.Actor+" "+e.Action+" "+e.Detail)
			}
		}
		want := []string{
			`tester contact.set phone "+17205550100" -> "+17205550199"`,
			`tester contact.set name "Jane Doe" -> "Jane Roe"; email "jane@acme.example" -> ""`,
			`tester account.set_name name "Acme Corp" -> "Acme Corporation"`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("contact remove forgets the PIN", func(t *testing.T) {
		c := &cli{t: t, db: cl.db}
		c.mustRun("pin", "rotate", "--contact", id)
		if n := credentials(t, c); n != 1 {
			t.Fatalf("%d PIN credentials after rotate, want 1", n)
		}
		c.mustRun("contact", "remove", id)
		if n := credentials(t, c); n != 0 {
			t.Fatalf("%d PIN credentials after the removal, want 0", n)
		}
		if code, _, errs := c.run("pin", "status", "--contact", id); code != 3 || !strings.Contains(errs, "no contact") {
			t.Fatalf("pin status of a removed contact: %d %q", code, errs)
		}
	})
}

// credentials counts the rows of pin_credentials in the CLI's database.
func credentials(t *testing.T, c *cli) int {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Statements(ctx, func(q *store.Q) error {
		return q.Get(ctx, &n, `SELECT count(*) FROM pin_credentials`)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
