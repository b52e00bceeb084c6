package store_test

import (
	"context"
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
