package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

// mustEnqueue enqueues messages in one committed transaction and returns
// what Enqueue reported for each.
func mustEnqueue(t *testing.T, db *store.DB, msgs ...Message) []bool {
	t.Helper()
	var out []bool
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		out = nil
		for _, m := range msgs {
			ok, err := Enqueue(context.Background(), tx, m)
			if err != nil {
				return err
			}
			out = append(out, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return out
}

// allRows returns the outbox in id order.
func allRows(t *testing.T, db *store.DB) []Delivery {
	t.Helper()
	var out []Delivery
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.Select(context.Background(), &out, `SELECT `+deliveryColumns+` FROM outbox ORDER BY id`)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range out {
		out[i].normalize()
	}
	return out
}

// onlyRow returns the outbox's single row.
func onlyRow(t *testing.T, db *store.DB) Delivery {
	t.Helper()
	rows := allRows(t, db)
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1: %+v", len(rows), rows)
	}
	return rows[0]
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func TestEnqueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := storetest.ClockOf(db).Now()
		warnAlice := Message{EventKey: "ticket:100123:warning", To: "+17205550111", Body: "Ticket 100123 (Acme, Severity 1) warns: due 15:30Z"}

		t.Run("a committed message is pending and due at once", func(t *testing.T) {
			if got := mustEnqueue(t, db, warnAlice); !got[0] {
				t.Fatal("Enqueue reported a duplicate in an empty outbox")
			}
			r := onlyRow(t, db)
			if r.EventKey != warnAlice.EventKey || r.To != warnAlice.To || r.Body != warnAlice.Body ||
				r.Status != Pending || r.Attempts != 0 || !r.NextAttemptAt.Equal(now) || !r.CreatedAt.Equal(now) ||
				r.ClaimedUntil != nil || r.SentAt != nil || r.ErrorCode != nil || r.ProviderSID != "" {
				t.Fatalf("row = %+v", r)
			}
		})

		t.Run("the same event and recipient is stored once", func(t *testing.T) {
			again := warnAlice
			again.Body = "a second wording"
			got := mustEnqueue(t, db, again, Message{EventKey: warnAlice.EventKey, To: "+17205550122", Body: "to Bob"})
			if got[0] || !got[1] {
				t.Fatalf("Enqueue reported %v, want [false true]", got)
			}
			rows := allRows(t, db)
			if len(rows) != 2 || rows[0].Body != warnAlice.Body || rows[1].To != "+17205550122" {
				t.Fatalf("rows = %+v", rows)
			}
		})

		t.Run("a duplicate leaves the caller's transaction usable", func(t *testing.T) {
			// On PostgreSQL a failed INSERT would abort the transaction.
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if ok, err := Enqueue(ctx, tx, warnAlice); err != nil || ok {
					return errors.Join(err, errors.New("duplicate not reported"))
				}
				_, err := Enqueue(ctx, tx, Message{EventKey: "ticket:100124:warning", To: "+17205550111", Body: "next"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(allRows(t, db)); n != 3 {
				t.Fatalf("outbox has %d rows, want 3", n)
			}
		})

		t.Run("a rolled-back transaction leaves nothing", func(t *testing.T) {
			boom := errors.New("the event failed")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := Enqueue(ctx, tx, Message{EventKey: "ticket:100125:breach", To: "+17205550111", Body: "breach"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx = %v", err)
			}
			for _, r := range allRows(t, db) {
				if r.EventKey == "ticket:100125:breach" {
					t.Fatalf("rolled-back message stored: %+v", r)
				}
			}
		})

		t.Run("invalid input is refused", func(t *testing.T) {
			for _, m := range []Message{
				{EventKey: "", To: "+17205550111", Body: "x"},
				{EventKey: "k", To: "720-555-0111", Body: "x"},
				{EventKey: "k", To: "+17205550111", Body: " \n "},
			} {
				err := db.InTx(ctx, func(tx *store.Tx) error { _, err := Enqueue(ctx, tx, m); return err })
				if !errcode.Is(err, errcode.Invalid) {
					t.Errorf("Enqueue(%+v) = %v, want an invalid-input error", m, err)
				}
			}
		})

		t.Run("long bodies are cut to 1600 with an ellipsis", func(t *testing.T) {
			long := strings.Repeat("word ", 500)       // 2500 characters
			emoji := strings.Repeat("\U0001F6A8", 900) // 1800 UTF-16 units
			mustEnqueue(t, db,
				Message{EventKey: "long", To: "+17205550111", Body: long},
				Message{EventKey: "emoji", To: "+17205550111", Body: emoji})
			for _, r := range allRows(t, db) {
				if r.EventKey != "long" && r.EventKey != "emoji" {
					continue
				}
				if n := utf16Len(r.Body); n > MaxBodyLen || n < MaxBodyLen-2 || !strings.HasSuffix(r.Body, "…") {
					t.Errorf("%s body: %d UTF-16 units, ends %q", r.EventKey, n, r.Body[len(r.Body)-8:])
				}
			}
		})
	})
}

func TestFitBody(t *testing.T) {
	exact := strings.Repeat("a", MaxBodyLen)
	if got := fitBody(exact); got != exact {
		t.Errorf("a body of exactly %d characters was changed", MaxBodyLen)
	}
	over := exact + "b"
	got := fitBody(over)
	if utf16Len(got) != MaxBodyLen || !strings.HasSuffix(got, "a…") {
		t.Errorf("%d characters -> %d, ending %q", len(over), utf16Len(got), got[len(got)-5:])
	}
}

func TestList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustEnqueue(t, db,
			Message{EventKey: "e1", To: "+17205550111", Body: "one"},
			Message{EventKey: "e2", To: "+17205550111", Body: "two"},
			Message{EventKey: "e3", To: "+17205550111", Body: "three"})
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE outbox SET status = 'failed', error_code = 21211, error = 'Invalid' WHERE event_key = 'e2'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		all, err := (&Service{DB: db}).List(ctx, Filter{})
		if err != nil || len(all) != 3 || all[0].EventKey != "e3" || all[2].EventKey != "e1" {
			t.Fatalf("List = %+v, %v; want e3, e2, e1", all, err)
		}
		failed, err := (&Service{DB: db}).List(ctx, Filter{FailedOnly: true})
		if err != nil || len(failed) != 1 || failed[0].EventKey != "e2" || failed[0].ErrorCode == nil || *failed[0].ErrorCode != 21211 {
			t.Fatalf("List failed = %+v, %v", failed, err)
		}
		two, err := (&Service{DB: db}).List(ctx, Filter{Limit: 2})
		if err != nil || len(two) != 2 || two[1].EventKey != "e2" {
			t.Fatalf("List limit 2 = %+v, %v", two, err)
		}
		if _, err := (&Service{DB: db}).List(ctx, Filter{Limit: -1}); !errcode.Is(err, errcode.Invalid) {
			t.Fatalf("negative limit: %v", err)
		}
	})
}
