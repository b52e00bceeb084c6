package routing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"supportline/config"
	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/store/storetest"
)

// benchPolicy routes 25 plan priorities (5 plans x 5 levels) to 25
// escalation policies of two steps each, over all 50 schedules, live
// around the clock or in Denver business hours with holidays.
func benchPolicy(tb testing.TB) *config.Policy {
	var b strings.Builder
	b.WriteString(`line: {name: Bench, number: "+17205550100", support_email: s@example.com, emergency_numbers: ["+17205550199"]}
calendars:
  business: {timezone: America/Denver, days: [mon, tue, wed, thu, fri], open: "09:00", close: "17:00", holidays: [us-federal]}
priorities:
`)
	for l := 1; l <= 5; l++ {
		fmt.Fprintf(&b, "  - {level: %d, name: L%d, description: \"Level %d.\"}\n", l, l, l)
	}
	b.WriteString("escalation_policies:\n")
	for i := range 25 {
		fmt.Fprintf(&b, "  p%02d:\n    steps:\n      - {schedule: s%02d, ring: 20s}\n      - {schedule: s%02d, ring: 20s}\n", i, 2*i, 2*i+1)
	}
	b.WriteString("plans:\n")
	for p := range 5 {
		fmt.Fprintf(&b, "  plan%d:\n    phone: true\n    priorities:\n", p)
		for l := 1; l <= 5; l++ {
			live := "always"
			if l > 2 {
				live = "business"
			}
			fmt.Fprintf(&b, "      %d: {respond_within: 1h, clock: always, live: %s, route: p%02d}\n", l, live, p*5+l-1)
		}
	}
	return mustPolicy(tb, b.String())
}

// seedBench stores 200 engineers, 50 schedules in three zones (s00, s01,
// s10, s11, ... without members, so that one escalation policy in five is
// staffed only by overrides and has gaps) and 5,000 overrides over the next 90 days,
// through oncall as an admin would.
func seedBench(tb testing.TB, db *store.DB, now time.Time) {
	ctx := context.Background()
	oc := &oncall.Service{DB: db}
	for i := range 200 {
		if _, err := oc.AddEngineer(ctx, "bench", oncall.NewEngineer{Handle: fmt.Sprintf("eng%03d", i), Name: fmt.Sprintf("Engineer %d", i),
			Phone: fmt.Sprintf("+1720555%04d", i)}); err != nil {
			tb.Fatal(err)
		}
	}
	zones := []string{"America/Denver", "Europe/London", "America/New_York"}
	shifts := []time.Duration{12 * time.Hour, 24 * time.Hour, 168 * time.Hour}
	for s := range 50 {
		var members []string
		if s%10 > 1 {
			for m := range 4 {
				members = append(members, fmt.Sprintf("eng%03d", (s*4+m)%200))
			}
		}
		if _, err := oc.AddSchedule(ctx, "bench", oncall.NewSchedule{Name: fmt.Sprintf("s%02d", s), Timezone: zones[s%3], Shift: shifts[s%3],
			Handoff: oncall.Civil{Year: 2026, Month: time.November, Day: 2, Hour: 9}, Members: members}); err != nil {
			tb.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(50, 5000))
	for i := range 5000 {
		from := now.Add(time.Duration(r.IntN(90*24*60)) * time.Minute)
		if _, err := oc.AddOverride(ctx, "bench", oncall.NewOverride{Schedule: fmt.Sprintf("s%02d", i%50), Engineer: fmt.Sprintf("eng%03d", r.IntN(200)),
			From: from.Format(time.RFC3339), To: from.Add(time.Duration(2+r.IntN(46)) * time.Hour).Format(time.RFC3339)}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkCoverage is `supportline coverage --days 90` with 50 schedules,
// 200 engineers and 5,000 overrides: the read (one transaction) and the
// projection, on each engine; and the projection alone on the roster read
// once.
func BenchmarkCoverage(b *testing.B) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := benchPolicy(b)
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			storetest.ClockOf(db).Set(now)
			seedBench(b, db, now)
			svc := &routing.Service{DB: db, Policy: p}
			ctx := context.Background()
			var gaps int
			b.Run("service 90 days", func(b *testing.B) {
				for b.Loop() {
					c, err := svc.Coverage(ctx, now, 90)
					if err != nil {
						b.Fatal(err)
					}
					gaps = len(c.Gaps)
				}
				b.ReportMetric(float64(gaps), "gaps")
			})
			if e != store.SQLite {
				return
			}
			var in routing.CoverageInput
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				r, err := oncall.Snapshot(ctx, tx, now, now.Add(90*24*time.Hour))
				in = routing.NewCoverageInput(p, now, now.Add(90*24*time.Hour), r)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			b.Run("projection only", func(b *testing.B) {
				for b.Loop() {
					routing.ProjectCoverage(in)
				}
			})
		})
	}
}
