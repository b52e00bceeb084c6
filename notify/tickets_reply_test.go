package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// A voicemail SMS whose recording URL is as long as the phone line
// accepts (2048 bytes) is cut before its footer: it still ends with the
// reply it expects, within MaxBodyLen.
func TestTicketTextKeepsItsFooter(t *testing.T) {
	a := TicketAlert{Kind: tickets.EventVoicemail, Number: 100123, Priority: 1, AccountName: "Acme", Contact: "Pat",
		RecordingURL: "https://api.twilio.com/" + strings.Repeat("r", 2025)}
	body := a.body(config.Default(), ticketTexts[a.Kind].text)
	if !strings.HasSuffix(body, "… Reply ACK 100123") || unitsOf(body) != MaxBodyLen {
		t.Errorf("body of %d units ends %q", unitsOf(body), body[len(body)-40:])
	}
}

// The last ticket texted to a number: the latest sent SMS about a ticket
// to that number; pending and failed messages, other numbers, and SMS that
// are not ticket texts (a caller's receipt, a shift reminder) do not count.
func TestLastTicketTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		clock.Set(time.Date(2026, 11, 18, 17, 0, 0, 0, time.UTC))
		const alice, bob = "+15555550111", "+15555550112"
		last := func(phone string) (int64, error) {
			var n int64
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				n, err = LastTicketTx(ctx, tx, phone)
				return err
			})
			return n, err
		}
		if _, err := last(alice); !errcode.Is(err, errcode.NotFound) {
			t.Fatalf("empty outbox: %v, want not found", err)
		}
		for _, m := range []struct {
			key, to, status string
		}{
			{"ticket:100100:voicemail", alice, "sent"},
			{"ticket:100101:warning", alice, "sent"}, // the latest that counts
			{"ticket:100102:breach", alice, "pending"},
			{"ticket:100103:escalated", alice, "failed"},
			{"ticket:100104:receipt", alice, "sent"},
			{"shift:primary:42", alice, "sent"},
			{"ticket:100105:voicemail", bob, "sent"},
		} {
			clock.Advance(time.Minute)
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := Enqueue(ctx, tx, Message{EventKey: m.key, To: m.to, Body: "text"}); err != nil {
					return err
				}
				switch m.status {
				case "sent":
					_, err := tx.Exec(ctx, `UPDATE outbox SET status = 'sent', sent_at = ? WHERE event_key = ?`, tx.Now, m.key)
					return err
				case "failed":
					_, err := tx.Exec(ctx, `UPDATE outbox SET status = 'failed' WHERE event_key = ?`, m.key)
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := last(alice); err != nil || n != 100101 {
			t.Errorf("alice's last ticket %d, %v; want 100101", n, err)
		}
		if n, err := last(bob); err != nil || n != 100105 {
			t.Errorf("bob's last ticket %d, %v; want 100105", n, err)
		}
	})
}
