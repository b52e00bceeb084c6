package pins

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
)

// benchEngines runs fn on SQLite, and on PostgreSQL when
// SUPPORTLINE_TEST_POSTGRES is set.
func benchEngines(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			if e == store.Postgres && os.Getenv(storetest.EnvPostgres) == "" {
				b.Skip(storetest.EnvPostgres + " is not set")
			}
			fn(b, storetest.Open(b, e))
		})
	}
}

// benchPolicy is the default policy (argon2id m=19456,t=2,p=1) with limits
// raised so that repeated wrong PINs neither lock the contact nor throttle
// the number.
func benchPolicy() config.PinPolicy {
	p := config.Default().Pins
	p.MaxFailures = 1 << 30
	p.MaxFailuresPerNumberPerHour = 1 << 30
	return p
}

// BenchmarkVerify measures one caller's verification end to end: both
// transactions, the audit event and (except for locked and throttled) one
// argon2id hash with the default parameters.
func BenchmarkVerify(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		f := newFixture(b, db, benchPolicy())
		id, pin := f.contact("+17205550100")
		locked, lockedPIN := f.contact("+17205550101")
		until := f.clock.Now().Add(1000 * time.Hour)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE pin_credentials SET locked_until = ? WHERE contact_id = (SELECT id FROM contacts WHERE support_id = ?)`, until, locked)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		run := func(name, entry, pin, from string, want Result) {
			b.Run(name, func(b *testing.B) {
				// The phone line claims at the support-ID prompt, a webhook
				// before the PIN's.
				claim := f.claim(entry)
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					_, r, err := f.svc.Verify(ctx, claim, pin, from)
					lat = append(lat, time.Since(t0))
					if err != nil || r != want {
						b.Fatalf("Verify = %s, %v; want %s", r, err, want)
					}
				}
				b.ReportMetric(quantileMs(lat, 0.50), "p50-ms")
				b.ReportMetric(quantileMs(lat, 0.99), "p99-ms")
			})
		}
		run("right", id, pin, "+14155550100", OK)
		run("wrong", id, wrongPIN(pin), "+14155550101", Wrong)
		run("unknown-id", "48213377", pin, "+14155550102", Wrong)
		run("locked", locked, lockedPIN, "+14155550103", Locked)
		// An unmatched entry locked as a contact would be.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO pin_entries (entry_key, failures, lockouts, locked_until) VALUES (?, 5, 1, ?)`,
				f.svc.entryKey("48213378"), until)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		run("locked-entry", "48213378", pin, "+14155550105", Locked)
		// One failure reaches a limit of 1, then every attempt is refused.
		f.svc.Policy.MaxFailuresPerNumberPerHour = 1
		if r := f.verify("48213377", pin, "+14155550104"); r != Wrong {
			b.Fatalf("setting up the throttle: %s", r)
		}
		run("throttled", id, pin, "+14155550104", Locked)
	})
}

// BenchmarkVerifyConcurrent50 has 50 callers, each a different contact on a
// different number, verifying the right PIN at once through one Service
// (pool of GOMAXPROCS slots): the busy line of BenchmarkPoolConcurrent50,
// with the database work included. Compare verifications/s with
// BenchmarkVerify/right's rate x min(slots, cpu-cores).
func BenchmarkVerifyConcurrent50(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		const callers = 50
		ctx := context.Background()
		p := benchPolicy()
		p.MaxConcurrentHashes = 0
		f := newFixture(b, db, p)
		ids, pins := make([]string, callers), make([]string, callers)
		for i := range callers {
			ids[i], pins[i] = f.contact(fmt.Sprintf("+1720555%04d", i))
		}
		lat := make([]time.Duration, b.N)
		var next atomic.Int64
		stop, peakc := make(chan struct{}), make(chan uint64)
		go sampleMemory(stop, peakc)
		b.ResetTimer()
		cpu0, cpuOK := processCPU()
		start := time.Now()
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				from := fmt.Sprintf("+1415555%04d", c)
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N) {
						return
					}
					t0 := time.Now()
					_, r, err := f.svc.Verify(ctx, KnownClaim(ids[c]), pins[c], from)
					lat[i] = time.Since(t0)
					if err != nil || r != OK {
						b.Errorf("Verify = %s, %v", r, err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		cpu1, _ := processCPU()
		b.StopTimer()
		close(stop)
		peak := <-peakc
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "verifications/s")
		b.ReportMetric(quantileMs(lat, 0.50), "p50-ms")
		b.ReportMetric(quantileMs(lat, 0.99), "p99-ms")
		b.ReportMetric(float64(f.svc.pool().Slots()), "slots")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		if cpuOK {
			b.ReportMetric((cpu1-cpu0).Seconds()/elapsed.Seconds(), "cpu-cores")
		}
		if hwm, ok := rssHighWater(); ok {
			b.ReportMetric(float64(hwm)/(1<<20), "rss-hwm-MiB")
		}
	})
}

// quantileMs is the q-quantile of lat (nearest rank), in milliseconds.
func quantileMs(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	lat = slices.Clone(lat)
	slices.Sort(lat)
	i := int(q*float64(len(lat))+0.999999) - 1
	return float64(lat[max(i, 0)]) / float64(time.Millisecond)
}
