package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// Wednesday 2026-11-18 10:00 America/Denver, alice on call in primary
// (the premium route's first step), carol in secondary (its last): a
// voicemail and an SLA warning are texted to alice, an escalation and a
// breach to carol, each once however often the event is recorded, with
// the words of ticketTexts; a plan without phone support texts nobody.
func TestTextTicketTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		policy := config.Default()
		clock := storetest.ClockOf(db)
		clock.Set(time.Date(2026, 11, 18, 17, 0, 0, 0, time.UTC))
		seedOnCall(t, db)
		opened := time.Date(2026, 11, 18, 16, 30, 0, 0, time.UTC)
		base := TicketAlert{Number: 100123, Plan: "premium", Priority: 1, AccountNumber: "10042",
			AccountName: "Acme Rockets", Contact: "Pat Premium", OpenedAt: opened, ResponseDue: opened.Add(time.Hour),
			RecordingURL: "https://api.twilio.com/recordings/RE1"}
		send := func(a TicketAlert) (int, error) {
			var n int
			err := db.InTx(ctx, func(tx *store.Tx) error {
				r, err := oncall.Snapshot(ctx, tx, tx.Now, tx.Now)
				if err != nil {
					return err
				}
				n, err = TextTicketTx(ctx, tx, policy, r, a)
				return err
			})
			return n, err
		}
		for _, tc := range []struct {
			kind tickets.EventKind
			to   string
			body string
		}{
			{tickets.EventVoicemail, "+15555550111", "Voicemail on ticket 100123: Severity 1, Acme Rockets (Pat Premium). Listen: https://api.twilio.com/recordings/RE1 Reply ACK 100123"},
			{tickets.EventEscalated, "+15555550113", "ESCALATED ticket 100123 by Acme Rockets (Pat Premium), Severity 1, opened 2026-11-18T16:30:00Z. Reply ACK 100123"},
			{tickets.EventWarning, "+15555550111", "SLA warning: ticket 100123 (account 10042, Severity 1) needs a first response by 2026-11-18T17:30:00Z. Reply ACK 100123"},
			{tickets.EventBreach, "+15555550113", "SLA BREACH: ticket 100123 (account 10042, Severity 1) had no response by 2026-11-18T17:30:00Z. Reply ACK 100123"},
		} {
			t.Run(string(tc.kind), func(t *testing.T) {
				a := base
				a.Kind = tc.kind
				for range 2 { // the second time texts nobody again
					if n, err := send(a); err != nil || n != 1 {
						t.Fatalf("texted %d, %v; want 1", n, err)
					}
				}
				ds, err := (&Service{DB: db}).List(ctx, Filter{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var got []Delivery
				for _, d := range ds {
					if d.EventKey == "ticket:100123:"+string(tc.kind) {
						got = append(got, d)
					}
				}
				if len(got) != 1 || got[0].To != tc.to || got[0].Body != tc.body {
					t.Errorf("outbox %+v, want one to %s: %q", got, tc.to, tc.body)
				}
			})
		}
		t.Run("no phone support", func(t *testing.T) {
			a := base
			a.Kind, a.Plan, a.Number = tickets.EventVoicemail, "standard", 100124
			if n, err := send(a); err != nil || n != 0 {
				t.Errorf("texted %d, %v; want nobody", n, err)
			}
		})
		t.Run("not a ticket text", func(t *testing.T) {
			a := base
			a.Kind = tickets.EventOpened
			if _, err := send(a); !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), `"opened"`) {
				t.Errorf("err = %v, want invalid naming the event", err)
			}
		})
	})
}

// Cut counts UTF-16 code units, as Twilio does, and never splits a
// surrogate pair.
func TestCut(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"fits", "ACK 100123", 10, "ACK 100123"},
		{"cut at a space", "ACK 100123 now", 12, "ACK 100123…"},
		{"an emoji is two units", "ok 😀😀", 6, "ok 😀…"},
		{"no half emoji", "ok 😀😀", 5, "ok…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Cut(tc.in, tc.max)
			if got != tc.want || unitsOf(got) > tc.max {
				t.Errorf("Cut(%q, %d) = %q (%d units), want %q", tc.in, tc.max, got, unitsOf(got), tc.want)
			}
		})
	}
}
