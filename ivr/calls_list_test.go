package ivr

import (
	"context"
	"fmt"
	"testing"
	"time"

	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
)

func TestCallsList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Seven calls on 2026-11-18 (UTC), the last two at the same instant:
		// the CallSid breaks the tie.
		base := time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
		var want []string // newest first
		for i := range 7 {
			at := base.Add(time.Duration(min(i, 5)) * time.Minute)
			db.Now = func() time.Time { return at }
			sid := fmt.Sprintf("CA%032x", i+1)
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := insertCall(ctx, tx, Call{CallSid: sid, From: "+17205550100", To: "+17205550000", Step: StepSupportID})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want = append([]string{sid}, want...)
		}
		calls := &Calls{DB: db}

		all, err := calls.List(ctx, CallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if all.Next != "" || len(all.Calls) != 7 {
			t.Fatalf("one page of all: %d calls, next %q", len(all.Calls), all.Next)
		}
		for i, c := range all.Calls {
			if c.CallSid != want[i] {
				t.Errorf("call %d is %s, want %s", i, c.CallSid, want[i])
			}
		}
		if got := all.Calls[6].Started; !got.Equal(base) || got.Location() != time.UTC {
			t.Errorf("oldest started %v, want %v in UTC", got, base)
		}

		t.Run("pages of 2 give the same list", func(t *testing.T) {
			var got []string
			f := CallFilter{Limit: 2}
			for pages := 0; ; pages++ {
				if pages > 4 {
					t.Fatal("more pages than calls")
				}
				p, err := calls.List(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range p.Calls {
					got = append(got, c.CallSid)
				}
				if p.Next == "" {
					break
				}
				f.Cursor = p.Next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("paged %v, want %v", got, want)
			}
		})

		for _, tc := range []struct {
			name string
			f    CallFilter
		}{
			{"limit too large", CallFilter{Limit: MaxListLimit + 1}},
			{"negative limit", CallFilter{Limit: -1}},
			{"cursor not base64", CallFilter{Cursor: "not a cursor!"}},
			{"cursor of something else", CallFilter{Cursor: "eyJzIjoib3BlbmVkIn0"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := calls.List(ctx, tc.f); !errcode.Is(err, errcode.Invalid) {
					t.Errorf("err %v, want errcode.Invalid", err)
				}
			})
		}
	})
}
