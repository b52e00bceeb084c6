package routing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportline/errcode"
	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/store/storetest"
)

// Service.Explain is Decide on what the database holds at the instant asked
// about, on both engines: the answer `route explain` and the API give.
func TestServiceExplain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		policy := loadCatalog(t, "four-tier")
		oc := &oncall.Service{DB: db, Policy: policy}
		for _, e := range []oncall.NewEngineer{
			{Handle: "alice", Name: "Alice Ng", Phone: "+17205550111"},
			{Handle: "bob", Name: "Bob Li", Phone: "+17205550112"},
		} {
			if _, err := oc.AddEngineer(ctx, "test", e); err != nil {
				t.Fatal(err)
			}
		}
		handoff, err := oncall.ParseCivil("2026-11-16T09:00")
		if err != nil {
			t.Fatal(err)
		}
		// alice's week from Monday 2026-11-16 09:00 New York, then bob's.
		if _, err := oc.AddSchedule(ctx, "test", oncall.NewSchedule{Name: "primary", Timezone: "America/New_York",
			Shift: 168 * time.Hour, Handoff: handoff, Members: []string{"alice", "bob"}}); err != nil {
			t.Fatal(err)
		}
		svc := &routing.Service{DB: db, Policy: policy}

		for _, tc := range []struct {
			name, plan string
			priority   int
			at         string
			kind       routing.Kind
			steps      string
		}{
			{"urgent in alice's week", "enterprise", 1, "2026-11-18T15:00:00-05:00", routing.Live, "alice"},
			{"urgent in bob's week: the roster is read at the instant", "enterprise", 1, "2026-11-24T15:00:00-05:00", routing.Live, "bob"},
			{"high on a Saturday", "managed", 2, "2026-11-28T15:00:00-05:00", routing.Voicemail, ""},
			{"no phone support", "poc", 1, "2026-11-24T15:00:00-05:00", routing.Refuse, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				at := mustTime(t, tc.at)
				got, err := svc.Explain(ctx, tc.plan, tc.priority, at)
				if err != nil {
					t.Fatal(err)
				}
				var want routing.Route
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					roster, err := oncall.Snapshot(ctx, tx, at, at)
					if err != nil {
						return err
					}
					want, err = routing.Decide(routing.NewInput(policy, tc.plan, tc.priority, at, roster))
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if got.Explain() != want.Explain() {
					t.Errorf("Explain\n%s, want Decide's\n%s", got.Explain(), want.Explain())
				}
				var handles []string
				for _, s := range got.Steps {
					handles = append(handles, s.Handle)
				}
				if got.Kind != tc.kind || strings.Join(handles, ",") != tc.steps {
					t.Errorf("%s %v, want %s %s", got.Kind, handles, tc.kind, tc.steps)
				}
			})
		}

		if _, err := svc.Explain(ctx, "gold", 1, mustTime(t, "2026-11-24T15:00:00-05:00")); !errcode.Is(err, errcode.Invalid) {
			t.Errorf("unknown plan: %v, want errcode.Invalid", err)
		}
	})
}
