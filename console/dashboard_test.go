package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

func TestDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		acc, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Acme", Plan: "enterprise"})
		if err != nil {
			t.Fatal(err)
		}
		// Two open tickets, one of them long overdue, and a call keying its PIN.
		var late, soon tickets.Ticket
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if late, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: acc.Plan, Priority: 1}); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, account_id, created_at, updated_at)
				VALUES (?, '+15555550100', '+12125550100', 'pin', ?, ?, ?)`, fmt.Sprintf("CA%032x", 7), acc.ID, tx.Now, tx.Now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		h.advance(3 * time.Hour) // P1 promises 2h: late is overdue
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			soon, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: acc.Plan, Priority: 1})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		p := h.signedIn("viewer@example.com").get("/").want(t, http.StatusOK)
		p.has(t,
			fmt.Sprintf(`href="/tickets/%d"`, late.Number), fmt.Sprintf(`href="/tickets/%d"`, soon.Number),
			`<span class="badge overdue">Overdue</span>`, "overdue by 1h",
			`class="countdown" data-due="`+soon.ResponseDue.UTC().Format(time.RFC3339)+`"`,
			"keying the PIN", "Acme", `data-label="For">3h<`,
			"No schedules yet",
		)
		// Overdue first: soonest due first.
		if i, j := strings.Index(p.Body, fmt.Sprintf("/tickets/%d", late.Number)), strings.Index(p.Body, fmt.Sprintf("/tickets/%d", soon.Number)); i > j {
			t.Error("the later-due ticket comes first")
		}
	})
}
