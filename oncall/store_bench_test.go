package oncall_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// BenchmarkSnapshot reads the roster for one routing decision (the window
// [at, at]) from a database holding 30 engineers, 10 schedules and 2,000
// overrides, nearly all in the two years before at (history) and a few
// weeks' worth after it: what the phone line does per call.
func BenchmarkSnapshot(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			st := &oncall.Service{DB: db}
			for i := range 30 {
				mustEngineer(b, st, fmt.Sprintf("eng%02d", i), fmt.Sprintf("+1720555%04d", i))
			}
			for s := range 10 {
				mustSchedule(b, st, fmt.Sprintf("sched%d", s), "America/Denver", 168*time.Hour, "2025-01-06T09:00",
					fmt.Sprintf("eng%02d", s), fmt.Sprintf("eng%02d", s+10), fmt.Sprintf("eng%02d", s+20))
			}
			start := mustParse(b, "2025-01-01T00:00:00Z")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				for i := range 2000 {
					from := start.Add(time.Duration(i) * 9 * time.Hour)
					if _, err := tx.Exec(ctx, `INSERT INTO overrides (schedule_id, engineer_id, starts_at, ends_at, created_at, created_by)
						VALUES ((SELECT id FROM schedules WHERE name = ?), (SELECT id FROM engineers WHERE handle = ?), ?, ?, ?, 'bench')`,
						fmt.Sprintf("sched%d", i%10), fmt.Sprintf("eng%02d", i%30), from, from.Add(6*time.Hour), tx.Now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			at := mustParse(b, "2026-10-01T12:00:00Z")
			for b.Loop() {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					r, err := oncall.Snapshot(ctx, tx, at, at)
					if err == nil && len(r.Schedules) != 10 {
						err = fmt.Errorf("snapshot has %d schedules", len(r.Schedules))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
