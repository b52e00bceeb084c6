package routing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"supportline/errcode"
	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/store/storetest"
)

// Service.Coverage on both engines: random rotations and overrides stored
// through oncall (so times go through each engine's columns and zones are
// read back by name), projected from the frozen clock's now over a window
// that holds the US fall-back (2026-11-01) and Thanksgiving, and compared
// minute by minute with the reference on the rows as oncall lists them.
func TestServiceCoverage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := mustPolicy(t, coveragePolicy)
		now := mustTime(t, "2026-10-28T10:17:00-06:00")
		storetest.ClockOf(db).Set(now)
		oc := &oncall.Service{DB: db, Policy: p}
		for i, h := range []string{"alice", "bob", "carol"} {
			if _, err := oc.AddEngineer(ctx, "test", oncall.NewEngineer{Handle: h, Name: h, Phone: fmt.Sprintf("+1720555012%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		r := rand.New(rand.NewPCG(15, 5))
		zones := []string{"America/Denver", "Europe/London", "America/New_York"}
		for i, name := range []string{"primary", "secondary", "desk"} {
			h := now.Add(time.Duration(r.IntN(6*24*60)-2*24*60) * time.Minute).In(mustLoc(t, zones[i]))
			members := []string{"alice", "bob", "carol"}[:r.IntN(3)]
			handoff := oncall.Civil{Year: h.Year(), Month: h.Month(), Day: h.Day(), Hour: h.Hour(), Minute: h.Minute()}
			if _, err := oc.AddSchedule(ctx, "test", oncall.NewSchedule{Name: name, Timezone: zones[i],
				Shift: []time.Duration{8 * time.Hour, 24 * time.Hour, 168 * time.Hour}[r.IntN(3)], Handoff: handoff, Members: members}); err != nil {
				t.Fatal(err)
			}
			for range 6 {
				from := now.Add(time.Duration(r.IntN(12*24*60)) * time.Minute)
				if _, err := oc.AddOverride(ctx, "test", oncall.NewOverride{Schedule: name, Engineer: []string{"alice", "bob", "carol"}[r.IntN(3)],
					From: from.Format(time.RFC3339), To: from.Add(time.Duration(60+r.IntN(36*60)) * time.Minute).Format(time.RFC3339)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		svc := &routing.Service{DB: db, Policy: p}
		got, err := svc.Coverage(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got.Days != 10 || !got.From.Equal(now) || !got.To.Equal(now.Add(240*time.Hour)) {
			t.Errorf("window %s to %s (%d days), want 10 days from %s", got.From, got.To, got.Days, now)
		}

		// The reference reads the rows another way: oncall's list methods.
		in := routing.CoverageInput{Policy: p, From: now, To: now.Add(240 * time.Hour),
			Schedules: map[string]oncall.Schedule{}, Engineers: map[string]routing.Engineer{}}
		scheds, err := oc.Schedules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scheds {
			in.Schedules[s.Name] = s.Schedule
		}
		ovs, err := oc.Overrides(ctx, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ovs {
			in.Overrides = append(in.Overrides, o.Override)
		}
		engs, err := oc.Engineers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range engs {
			in.Engineers[e.Handle] = routing.Engineer{Handle: e.Handle, Name: e.Name, Phone: e.Phone, SMS: e.SMS}
		}
		if len(got.Gaps) == 0 {
			t.Fatal("no gaps: the roster proves nothing")
		}
		checkGaps(t, p, in, got, bruteGaps(p, in))
		if len(got.Schedules) == 0 || got.Schedules[0].Problem != routing.IssueMissing || got.Schedules[0].Schedule != "ghost" {
			t.Errorf("schedule issues %+v, want ghost missing first", got.Schedules)
		}

		for _, days := range []int{0, -1, 367} {
			if _, err := svc.Coverage(ctx, now, days); !errcode.Is(err, errcode.Invalid) {
				t.Errorf("days %d: %v, want errcode.Invalid", days, err)
			}
		}
	})
}
