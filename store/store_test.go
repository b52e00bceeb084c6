package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

func TestMigrations(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenUnmigrated(t, e)
			ok, err := db.Migrated(ctx)
			if err != nil || ok {
				t.Fatalf("fresh database: migrated=%v err=%v, want false", ok, err)
			}
			n, err := db.Migrate(ctx)
			if err != nil || n == 0 {
				t.Fatalf("migrate up: applied %d, err %v", n, err)
			}
			if ok, err := db.Migrated(ctx); err != nil || !ok {
				t.Fatalf("after up: migrated=%v err=%v", ok, err)
			}
			// The latest migration must roll back and apply again cleanly.
			if err := db.MigrateDown(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, _ := db.Migrated(ctx); ok {
				t.Fatal("after down: still reports migrated")
			}
			if n, err := db.Migrate(ctx); err != nil || n != 1 {
				t.Fatalf("re-apply latest: applied %d, err %v", n, err)
			}
			st, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st {
				if !s.Applied {
					t.Errorf("migration %d %s not applied", s.Version, s.Name)
				}
			}
			// A second up is a no-op.
			if n, err := db.Migrate(ctx); err != nil || n != 0 {
				t.Fatalf("second up: applied %d, err %v", n, err)
			}
		})
	}
}

func TestTxTimesAndRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A non-UTC argument is stored as the same instant and read back in UTC.
		denver, _ := time.LoadLocation("America/Denver")
		at := time.Date(2026, 3, 8, 1, 30, 0, 0, denver)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				"100001", "Acme", "premium", at, tx.Now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.Get(ctx, &got, `SELECT created_at FROM accounts WHERE number = ?`, "100001")
		})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) {
			t.Fatalf("created_at = %v, want %v", got, at)
		}
		// An error inside the transaction rolls everything back.
		boom := context.Canceled
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				"100002", "Beta", "premium", tx.Now, tx.Now); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("InTx returned %v, want the function's error", err)
		}
		var n int
		_ = db.InTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, `SELECT count(*) FROM accounts`) })
		if n != 1 {
			t.Fatalf("accounts after rollback = %d, want 1", n)
		}
		// Unique violations are recognised on both engines.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				"100001", "Dup", "premium", tx.Now, tx.Now)
			return err
		})
		if !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: %v, want a unique violation", err)
		}
	})
}

func TestOpenRejectsBadURLs(t *testing.T) {
	ctx := context.Background()
	for _, raw := range []string{"file:", "postgres://%zz"} {
		if db, err := store.Open(ctx, raw); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", raw)
		}
	}
}

func TestReadOutsideTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				"100001", "Acme", "premium", tx.Now, tx.Now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var name string
		err = db.NoTx(ctx, func(tx *store.Tx) error {
			if err := tx.RelaxDurability(ctx); err != nil { // a no-op outside a transaction
				return err
			}
			return tx.Get(ctx, &name, `SELECT name FROM accounts WHERE number = ?`, "100001")
		})
		if err != nil || name != "Acme" {
			t.Fatalf("Read = %q, %v; want Acme", name, err)
		}
		if got := storetest.ClockOf(db).Now(); !got.Equal(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)) {
			t.Fatalf("clock = %v", got)
		}
	})
}

// TestPreparedStatements runs the same statements from many transactions
// and outside them at once: results are right before and after the cache
// has prepared them, a small pool (SQLite's four connections) does not
// deadlock while statements are being prepared, a broken statement keeps
// reporting its own error, and a prepared statement survives a schema
// change.
func TestPreparedStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const workers, rounds = 12, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					number := fmt.Sprintf("%03d%03d", w, r)
					err := db.InTx(ctx, func(tx *store.Tx) error {
						if _, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
							number, "Acme "+number, "premium", tx.Now, tx.Now); err != nil {
							return err
						}
						var name string
						if err := tx.Get(ctx, &name, `SELECT name FROM accounts WHERE number = ?`, number); err != nil {
							return err
						}
						if name != "Acme "+number {
							return fmt.Errorf("read %q back as %q", number, name)
						}
						return nil
					})
					if err == nil {
						err = db.NoTx(ctx, func(tx *store.Tx) error {
							var names []string
							if err := tx.Select(ctx, &names, `SELECT name FROM accounts WHERE number LIKE ?`, fmt.Sprintf("%03d%%", w)); err != nil {
								return err
							}
							if len(names) != r+1 {
								return fmt.Errorf("worker %d round %d sees %d of its rows", w, r, len(names))
							}
							return nil
						})
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// The cache prepares in the background; wait for it, then use the
		// prepared statements again.
		deadline := time.Now().Add(10 * time.Second)
		for store.PreparedStatements(db) < 3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := store.PreparedStatements(db); n < 3 {
			t.Fatalf("%d statements prepared; want the 3 this test ran", n)
		}
		count := func() (n int, err error) {
			err = db.InTx(ctx, func(tx *store.Tx) error {
				return tx.Get(ctx, &n, `SELECT count(*) FROM accounts WHERE number LIKE ?`, "0%")
			})
			return n, err
		}
		for range 3 {
			if n, err := count(); err != nil || n != workers*rounds {
				t.Fatalf("count = %d, %v; want %d", n, err, workers*rounds)
			}
		}

		for range 3 {
			err := db.NoTx(ctx, func(tx *store.Tx) error {
				var x int
				return tx.Get(ctx, &x, `SELECT no_such_column FROM accounts`)
			})
			if err == nil || !strings.Contains(err.Error(), "no_such_column") {
				t.Fatalf("broken statement: err = %v; want one naming no_such_column", err)
			}
		}

		if err := db.NoTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `ALTER TABLE accounts ADD COLUMN note TEXT`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := count(); err != nil || n != workers*rounds {
			t.Fatalf("after a schema change: count = %d, %v; want %d", n, err, workers*rounds)
		}
	})
}

// statement_cache=off in the database URL (for poolers that cannot keep
// prepared statements) runs every statement unprepared; on is the default;
// anything else is refused.
func TestStatementCacheSetting(t *testing.T) {
	ctx := context.Background()
	withParam := func(raw, kv string) string {
		if strings.Contains(raw, "?") {
			return raw + "&" + kv
		}
		return raw + "?" + kv
	}
	bases := map[string]string{"sqlite": filepath.Join(t.TempDir(), "cache.db")}
	if os.Getenv(storetest.EnvPostgres) != "" {
		bases["postgres"] = storetest.PostgresURL(t)
	}
	for engine, base := range bases {
		t.Run(engine, func(t *testing.T) {
			use := func(db *store.DB) {
				for i := range 5 {
					var x int
					if err := db.NoTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &x, `SELECT 1 + ?`, i) }); err != nil || x != 1+i {
						t.Fatalf("SELECT 1 + %d = %d, %v", i, x, err)
					}
				}
			}
			on, err := store.Open(ctx, withParam(base, "statement_cache=on"))
			if err != nil {
				t.Fatal(err)
			}
			defer on.Close()
			start := time.Now()
			use(on)
			for store.PreparedStatements(on) == 0 && time.Since(start) < 10*time.Second {
				time.Sleep(time.Millisecond)
			}
			took := time.Since(start)
			if store.PreparedStatements(on) == 0 {
				t.Fatal("statement_cache=on prepared nothing in 10 s")
			}

			off, err := store.Open(ctx, withParam(base, "statement_cache=off"))
			if err != nil {
				t.Fatal(err)
			}
			defer off.Close()
			use(off)
			time.Sleep(2*took + 50*time.Millisecond)
			if n := store.PreparedStatements(off); n != 0 {
				t.Fatalf("statement_cache=off prepared %d statements", n)
			}

			if db, err := store.Open(ctx, withParam(base, "statement_cache=maybe")); err == nil {
				db.Close()
				t.Fatal("statement_cache=maybe accepted")
			} else if !strings.Contains(err.Error(), "statement_cache") {
				t.Fatalf("statement_cache=maybe: %v", err)
			}
		})
	}
}

// A statement whose preparation failed (here: its table did not exist yet,
// as when the database is away for a moment) keeps working unprepared and
// is prepared again after a while.
func TestPrepareRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const q = `SELECT count(*) FROM later`
		count := func() (n int, err error) {
			err = db.NoTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, q) })
			return n, err
		}
		waitFor := func(what string, cond func() bool) {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("waited 10 s for %s", what)
				}
			}
		}
		if _, err := count(); err == nil {
			t.Fatal("counting a missing table succeeded")
		}
		waitFor("the failed preparation", func() bool { return store.PrepareFailed(db, q) })
		if err := db.NoTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `CREATE TABLE later (id INTEGER)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := count(); err != nil || n != 0 {
			t.Fatalf("count = %d, %v; want 0 (unprepared)", n, err)
		}
		if store.IsPrepared(db, q) {
			t.Fatal("prepared again before the retry interval")
		}
		store.ShiftStatementClock(db, 2*time.Minute)
		if n, err := count(); err != nil || n != 0 {
			t.Fatalf("count = %d, %v; want 0", n, err)
		}
		waitFor("the statement to be prepared again", func() bool { return store.IsPrepared(db, q) })
		if n, err := count(); err != nil || n != 0 {
			t.Fatalf("count = %d, %v; want 0 (prepared)", n, err)
		}
	})
}

// TestLax: the Lax view writes and reads the same database through its own
// connections, which on PostgreSQL commit without waiting for the disk while
// the database's own still wait; the view's clock is the database's, its
// transactions still roll back whole, and closing it leaves the database
// open.
func TestLax(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lax := db.Lax()
		insert := func(tx *store.Tx, number string) error {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				number, "Lax "+number, "premium", tx.Now, tx.Now)
			return err
		}
		if err := lax.NoTx(ctx, func(tx *store.Tx) error { return insert(tx, "200001") }); err != nil {
			t.Fatal(err)
		}
		err := lax.InTx(ctx, func(tx *store.Tx) error {
			if err := insert(tx, "200002"); err != nil {
				return err
			}
			return fmt.Errorf("changed my mind")
		})
		if err == nil {
			t.Fatal("InTx returned nil for a failing function")
		}
		var created []time.Time
		err = db.NoTx(ctx, func(tx *store.Tx) error {
			return tx.Select(ctx, &created, `SELECT created_at FROM accounts WHERE number IN ('200001', '200002')`)
		})
		if err != nil || len(created) != 1 || !created[0].Equal(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)) {
			t.Fatalf("rows written through Lax = %v, %v; want one at the frozen clock", created, err)
		}
		if db.Engine() == store.Postgres {
			setting := func(d *store.DB) string {
				var v string
				if err := d.NoTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &v, `SHOW synchronous_commit`) }); err != nil {
					t.Fatal(err)
				}
				return v
			}
			if got := setting(lax); got != "off" {
				t.Errorf("Lax: synchronous_commit = %q, want off", got)
			}
			if got := setting(db); got != "on" {
				t.Errorf("database: synchronous_commit = %q, want on", got)
			}
		}
		if err := lax.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("the database closed with its Lax view: %v", err)
		}
		if err := lax.Ping(ctx); err != nil {
			t.Fatalf("the Lax view closed itself: %v", err)
		}
	})
}

// TestCheckLax: a server that refuses the lax sessions' option leaves Lax
// on the database's own connections (working, durable) with an error that
// says so; one that accepts the connection but not the setting (a pooler
// ignoring startup options) keeps the pool and says its commits are
// durable; a normal server, and SQLite, report nothing.
func TestCheckLax(t *testing.T) {
	ctx := context.Background()
	setting := func(t *testing.T, d *store.DB) string {
		t.Helper()
		var v string
		if err := d.NoTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &v, `SHOW synchronous_commit`) }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.CheckLax(ctx); err != nil {
			t.Fatalf("CheckLax = %v", err)
		}
	})
	for _, tc := range []struct {
		name, options, want, setting string
	}{
		{"refused", "-c synchronous_commit=bogus", "lax connections refused", "on"},
		{"ignored", "-c work_mem=8MB", "commit durably", "on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			restore := store.SetLaxOptions(tc.options)
			db := storetest.Open(t, store.Postgres)
			restore()
			err := db.CheckLax(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckLax = %v, want an error saying %q", err, tc.want)
			}
			if got := setting(t, db.Lax()); got != tc.setting {
				t.Fatalf("Lax after the check: synchronous_commit %q, want %q", got, tc.setting)
			}
			err = db.Lax().NoTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					"300001", "Fallback", "premium", tx.Now, tx.Now)
				return err
			})
			if err != nil {
				t.Fatalf("a write through Lax after the check: %v", err)
			}
		})
	}
}
