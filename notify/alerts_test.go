package notify

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// seedOnCall adds alice, on call all week in primary (the default premium
// route's first step), and carol in secondary (its last).
func seedOnCall(t *testing.T, db *store.DB) *oncall.Service {
	t.Helper()
	ctx := context.Background()
	roster := &oncall.Service{DB: db}
	for _, e := range []oncall.NewEngineer{
		{Handle: "alice", Name: "Alice", Phone: "+15555550111"},
		{Handle: "carol", Name: "Carol", Phone: "+15555550113"},
	} {
		if _, err := roster.AddEngineer(ctx, "test", e); err != nil {
			t.Fatal(err)
		}
	}
	handoff, _ := oncall.ParseCivil("2026-01-05T09:00")
	for name, who := range map[string]string{"primary": "alice", "secondary": "carol"} {
		if _, err := roster.AddSchedule(ctx, "test", oncall.NewSchedule{Name: name, Timezone: "America/Denver",
			Shift: 168 * time.Hour, Handoff: handoff, Members: []string{who}}); err != nil {
			t.Fatal(err)
		}
	}
	return roster
}

// With the default catalog, a premium Severity 1 ticket warns (to the
// engineer on call in primary) at 45 minutes and breaches (to the engineer
// on call in secondary, the oncall policy's last step) at 1 hour.
func TestSLAAlertsTextTheRightEngineers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		policy := config.Default()
		clock := storetest.ClockOf(db)
		// Wednesday 2026-11-18 10:00 America/Denver.
		clock.Set(time.Date(2026, 11, 18, 17, 0, 0, 0, time.UTC))
		roster := seedOnCall(t, db)
		accts := &accounts.Service{DB: db, Policy: policy}
		acc, err := accts.AddAccount(ctx, "test", accounts.NewAccount{Name: "Acme", Plan: "premium"})
		if err != nil {
			t.Fatal(err)
		}
		var tk tickets.Ticket
		err = db.InTx(ctx, func(tx *store.Tx) (err error) {
			tk, err = (&tickets.Service{DB: db, Policy: policy, Engineers: roster, Accounts: accts}).OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: "premium", Priority: 1})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		w := &tickets.Watcher{DB: db, OnEvent: SLAAlerts(policy)}
		outbox := func() []Delivery {
			ds, err := (&Service{DB: db}).List(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}
		clock.Advance(44 * time.Minute)
		if _, err := w.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := outbox(); len(got) != 0 {
			t.Fatalf("before the warning point: %d SMS", len(got))
		}
		clock.Advance(time.Minute)
		if _, err := w.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		got := outbox()
		if len(got) != 1 || got[0].To != "+15555550111" || !strings.Contains(got[0].Body, "SLA warning") ||
			!strings.Contains(got[0].Body, acc.Number) {
			t.Fatalf("warning SMS = %+v, want one to alice naming the account", got)
		}
		// The warning reaches Twilio's API as a well-formed request.
		fake := newFakeTwilio(t)
		wantTick(t, &Worker{DB: db, Sender: fake.sender(t), Log: discard}, 1, 0)
		reqs := fake.seen()
		if len(reqs) != 1 || reqs[0].Form.Get("To") != "+15555550111" || reqs[0].Form.Get("From") != testFrom ||
			!strings.Contains(reqs[0].Form.Get("Body"), "SLA warning") || !reqs[0].BasicAuth || reqs[0].User != testAccountSid {
			t.Fatalf("Twilio saw %+v, want one SLA warning to alice from %s", reqs, testFrom)
		}
		clock.Advance(15 * time.Minute)
		if _, err := w.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		got = outbox()
		if len(got) != 2 {
			t.Fatalf("after the due time: %d SMS, want 2 (warning, breach once)", len(got))
		}
		var breach Delivery
		for _, d := range got {
			if strings.Contains(d.Body, "BREACH") {
				breach = d
			}
		}
		if breach.To != "+15555550113" || !strings.Contains(breach.Body, strconv.FormatInt(tk.Number, 10)) {
			t.Fatalf("breach SMS = %+v, want one to carol (last step)", breach)
		}
	})
}
