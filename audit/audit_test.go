package audit_test

import (
	"context"
	"testing"
	"time"

	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

func TestRecordAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := storetest.ClockOf(db)
		start := time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
		for i, action := range []string{"a.one", "a.two", "a.three"} {
			clock.Set(start.Add(time.Duration(i) * time.Hour))
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return audit.Record(ctx, tx, audit.Event{Actor: "admin", Action: action, Subject: "s", Result: "ok"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// An event needs an actor and an action; nothing is written without.
		err := db.InTx(ctx, func(tx *store.Tx) error { return audit.Record(ctx, tx, audit.Event{Action: "x"}) })
		if err == nil {
			t.Fatal("an event without an actor was accepted")
		}
		all, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
		if err != nil || len(all) != 3 || all[0].Action != "a.one" || all[2].Action != "a.three" {
			t.Fatalf("List = %+v, %v; want three events oldest first", all, err)
		}
		if !all[1].At.Equal(start.Add(time.Hour)) || all[1].At.Location() != time.UTC {
			t.Fatalf("At = %v, want %v in UTC", all[1].At, start.Add(time.Hour))
		}
		since, _ := (&audit.Service{DB: db}).List(ctx, audit.Filter{Since: start.Add(time.Hour)})
		if len(since) != 2 || since[0].Action != "a.two" {
			t.Fatalf("Since = %+v, want the last two", since)
		}
		newest, _ := (&audit.Service{DB: db}).List(ctx, audit.Filter{Limit: 1})
		if len(newest) != 1 || newest[0].Action != "a.three" {
			t.Fatalf("Limit 1 = %+v, want the newest", newest)
		}
		if _, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{Limit: -1}); !errcode.Is(err, errcode.Invalid) {
			t.Fatalf("Limit -1: %v, want invalid", err)
		}
	})
}
