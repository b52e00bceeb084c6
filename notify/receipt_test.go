package notify

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

// fourTier is examples/four-tier.yaml: the managed plan sends receipts and
// its times are written in America/New_York.
func fourTier(t *testing.T) *config.Policy {
	t.Helper()
	p, err := config.Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The receipt's due time is the instant in the plan's zone, New York for
// the four-tier managed plan even for Priority 1 on the 24x7 clock, on
// either side of both 2026 DST changes (08 March and 01 November).
func TestReceiptBodyInThePlanZone(t *testing.T) {
	p := fourTier(t)
	for _, tc := range []struct {
		name     string
		due      time.Time
		priority int
		want     string
	}{
		{"before spring forward", time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC), 1, "Sun Mar 8 01:30 EST"},
		{"after spring forward", time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), 1, "Sun Mar 8 03:30 EDT"},
		{"first 01:30 of fall back", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), 1, "Sun Nov 1 01:30 EDT"},
		{"second 01:30 of fall back", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), 1, "Sun Nov 1 01:30 EST"},
		{"business clock, Monday morning", time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC), 3, "Mon Nov 2 09:00 EST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, _ := p.Priority(tc.priority)
			got := ReceiptBody(p, Receipt{Number: 100123, Plan: "managed", Priority: tc.priority, ResponseDue: tc.due, To: "+12125550123"})
			want := "Example Support: ticket 100123 opened, Priority " + strconv.Itoa(tc.priority) + " (" + pr.Name + "). First response due by " + tc.want + "."
			if got != want {
				t.Errorf("body %q\nwant %q", got, want)
			}
		})
	}
	t.Run("the policy's own words", func(t *testing.T) {
		src := strings.Replace(readFile(t, "../examples/four-tier.yaml"), "\nplans:\n",
			"\nprompts:\n  receipt_sms: \"{line} #{ticket}: {priority_word} {level} {name}, due {due}\"\nplans:\n", 1)
		p2, err := config.Parse("custom.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		got := ReceiptBody(p2, Receipt{Number: 100124, Plan: "managed", Priority: 2, ResponseDue: time.Date(2026, 7, 1, 16, 0, 0, 0, time.UTC)})
		if want := "Example Support #100124: Priority 2 High, due Wed Jul 1 12:00 EDT"; got != want {
			t.Errorf("body %q, want %q", got, want)
		}
	})
}

// TextReceiptTx queues one receipt per ticket on a plan that sends them,
// none on a plan that does not, and refuses a phone that is not E.164
// before writing anything.
func TestTextReceiptTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := fourTier(t)
		storetest.ClockOf(db).Set(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC))
		due := time.Date(2026, 11, 18, 17, 0, 0, 0, time.UTC)
		send := func(r Receipt) (bool, error) {
			var ok bool
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				ok, err = TextReceiptTx(ctx, tx, p, r)
				return err
			})
			return ok, err
		}
		r := Receipt{Number: 100123, Plan: "managed", Priority: 1, ResponseDue: due, To: "+12125550123"}
		for i, want := range []bool{true, false} { // the second is a repeat
			if ok, err := send(r); err != nil || ok != want {
				t.Fatalf("send #%d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
		for _, plan := range []string{"enterprise", "standard", "nonesuch"} {
			if ok, err := send(Receipt{Number: 100124, Plan: plan, Priority: 1, ResponseDue: due, To: "+12125550124"}); err != nil || ok {
				t.Errorf("plan %s: %v, %v; want no receipt", plan, ok, err)
			}
		}
		for _, to := range []string{"", "2125550123", "+1 212 555 0123"} {
			if ok, err := send(Receipt{Number: 100125, Plan: "managed", Priority: 1, ResponseDue: due, To: to}); !errcode.Is(err, errcode.Invalid) || ok {
				t.Errorf("phone %q: %v, %v; want errcode.Invalid", to, ok, err)
			}
		}
		ds, err := (&Service{DB: db}).List(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].EventKey != "ticket:100123:receipt" || ds[0].To != "+12125550123" ||
			ds[0].Body != "Example Support: ticket 100123 opened, Priority 1 (Urgent). First response due by Wed Nov 18 12:00 EST." {
			t.Errorf("outbox %+v, want the one receipt of ticket 100123", ds)
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
