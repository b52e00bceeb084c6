package store_test

import (
	"context"
	"database/sql"
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
		err = db.Statements(ctx, func(q *store.Q) error {
			return q.Get(ctx, &name, `SELECT name FROM accounts WHERE number = ?`, "100001")
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
						err = db.Statements(ctx, func(q *store.Q) error {
							var names []string
							if err := q.Select(ctx, &names, `SELECT name FROM accounts WHERE number LIKE ?`, fmt.Sprintf("%03d%%", w)); err != nil {
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
		store.WaitPrepares(db)
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
			err := db.Statements(ctx, func(q *store.Q) error {
				var x int
				return q.Get(ctx, &x, `SELECT no_such_column FROM accounts`)
			})
			if err == nil || !strings.Contains(err.Error(), "no_such_column") {
				t.Fatalf("broken statement: err = %v; want one naming no_such_column", err)
			}
		}

		if err := db.Statements(ctx, func(q *store.Q) error {
			_, err := q.Exec(ctx, `ALTER TABLE accounts ADD COLUMN note TEXT`)
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
					if err := db.Statements(ctx, func(q *store.Q) error { return q.Get(ctx, &x, `SELECT 1 + ?`, i) }); err != nil || x != 1+i {
						t.Fatalf("SELECT 1 + %d = %d, %v", i, x, err)
					}
				}
			}
			on, err := store.Open(ctx, withParam(base, "statement_cache=on"))
			if err != nil {
				t.Fatal(err)
			}
			defer on.Close()
			use(on)
			store.WaitPrepares(on)
			if store.PreparedStatements(on) == 0 {
				t.Fatal("statement_cache=on prepared nothing")
			}

			off, err := store.Open(ctx, withParam(base, "statement_cache=off"))
			if err != nil {
				t.Fatal(err)
			}
			defer off.Close()
			use(off)
			store.WaitPrepares(off) // none to wait for: what would prepare has started by now
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
			err = db.Statements(ctx, func(s *store.Q) error { return s.Get(ctx, &n, q) })
			return n, err
		}
		if _, err := count(); err == nil {
			t.Fatal("counting a missing table succeeded")
		}
		store.WaitPrepares(db)
		if !store.PrepareFailed(db, q) {
			t.Fatal("preparing a statement on a missing table did not fail")
		}
		if err := db.Statements(ctx, func(s *store.Q) error {
			_, err := s.Exec(ctx, `CREATE TABLE later (id INTEGER)`)
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
		store.WaitPrepares(db)
		if !store.IsPrepared(db, q) {
			t.Fatal("not prepared again after the retry interval")
		}
		if n, err := count(); err != nil || n != 0 {
			t.Fatalf("count = %d, %v; want 0 (prepared)", n, err)
		}
	})
}

// TestDurability: a transaction commits durably unless InTx is given Lax
// (on PostgreSQL: on the lax pool) or the work sets Tx.Durability to Lax
// (synchronous_commit off for that transaction only), and back; statements
// outside transactions commit durably unless given Lax; a lax transaction
// still rolls back whole. A deferred trigger records the setting each
// commit used. SQLite commits the same rows.
func TestDurability(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pg := db.Engine() == store.Postgres
		if pg {
			for _, q := range []string{
				`CREATE TABLE commit_log (number TEXT NOT NULL, setting TEXT NOT NULL)`,
				`CREATE FUNCTION log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					INSERT INTO commit_log VALUES (NEW.number, current_setting('synchronous_commit'));
					RETURN NULL;
				END $$`,
				`CREATE CONSTRAINT TRIGGER accounts_logged AFTER INSERT ON accounts
					DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_commit()`,
			} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		insert := func(r interface {
			Exec(context.Context, string, ...any) (sql.Result, error)
			At() time.Time
		}, number string) error {
			_, err := r.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				number, "Account "+number, "premium", r.At(), r.At())
			return err
		}
		steps := []struct {
			number, want string
			run          func(number string) error
		}{
			{"200001", "on", func(n string) error { return db.InTx(ctx, func(tx *store.Tx) error { return insert(tx, n) }) }},
			{"200002", "off", func(n string) error {
				return db.InTx(ctx, func(tx *store.Tx) error { return insert(tx, n) }, store.Lax)
			}},
			{"200003", "off", func(n string) error {
				return db.InTx(ctx, func(tx *store.Tx) error {
					if err := insert(tx, n); err != nil {
						return err
					}
					tx.Durability = store.Lax // decided after the write
					return nil
				})
			}},
			{"200004", "on", func(n string) error { return db.Statements(ctx, func(q *store.Q) error { return insert(q, n) }) }},
			{"200005", "on", func(n string) error {
				return db.InTx(ctx, func(tx *store.Tx) error { return insert(tx, n) }, store.Durable)
			}},
			{"200006", "off", func(n string) error {
				return db.Statements(ctx, func(q *store.Q) error { return insert(q, n) }, store.Lax)
			}},
			{"200007", "on", func(n string) error {
				return db.InTx(ctx, func(tx *store.Tx) error {
					tx.Durability = store.Durable // changed its mind before writing
					return insert(tx, n)
				}, store.Lax)
			}},
		}
		for _, s := range steps {
			if err := s.run(s.number); err != nil {
				t.Fatalf("insert %s: %v", s.number, err)
			}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := insert(tx, "200009"); err != nil {
				return err
			}
			return fmt.Errorf("changed my mind")
		}, store.Lax)
		if err == nil || err.Error() != "changed my mind" {
			t.Fatalf("a failing lax transaction returned %v", err)
		}
		var numbers []string
		if err := db.Statements(ctx, func(q *store.Q) error {
			return q.Select(ctx, &numbers, `SELECT number FROM accounts ORDER BY number`)
		}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(numbers, " "); got != "200001 200002 200003 200004 200005 200006 200007" {
			t.Fatalf("accounts %s; want the seven committed, not the one rolled back", got)
		}
		if !pg {
			return
		}
		var log []struct {
			Number  string `db:"number"`
			Setting string `db:"setting"`
		}
		if err := db.Statements(ctx, func(q *store.Q) error {
			return q.Select(ctx, &log, `SELECT number, setting FROM commit_log ORDER BY number`)
		}); err != nil {
			t.Fatal(err)
		}
		if len(log) != len(steps) {
			t.Fatalf("commit log %+v", log)
		}
		for i, s := range steps {
			if log[i].Number != s.number || log[i].Setting != s.want {
				t.Errorf("account %s committed with synchronous_commit %s, want %s", log[i].Number, log[i].Setting, s.want)
			}
		}
		// SET LOCAL ended with its transaction: no pooled connection of
		// either pool changed its sessions' setting.
		for _, d := range []store.Durability{store.Durable, store.Lax} {
			want := map[store.Durability]string{store.Durable: "on", store.Lax: "off"}[d]
			for range 8 {
				var v string
				if err := db.Statements(ctx, func(q *store.Q) error { return q.Get(ctx, &v, `SHOW synchronous_commit`) }, d); err != nil || v != want {
					t.Fatalf("a pooled %s connection has synchronous_commit %q (%v), want %s", d, v, err, want)
				}
			}
		}
	})
}

// TestCheckLax: a server that refuses the lax sessions' option, or a
// pooler that ignores it, leaves lax work on the database's own
// connections with an error that says so: a lax transaction then sets its
// own synchronous_commit, a lax statement commits durably, and both work.
// A normal server, and SQLite, report nothing.
func TestCheckLax(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.CheckLax(ctx); err != nil {
			t.Fatalf("CheckLax = %v", err)
		}
	})
	for _, tc := range []struct{ name, options, want string }{
		{"refused", "-c synchronous_commit=bogus", "lax connections refused"},
		{"ignored", "-c work_mem=8MB", "pooler ignores"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			restore := store.SetLaxOptions(tc.options)
			db := storetest.Open(t, store.Postgres)
			restore()
			err := db.CheckLax(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckLax = %v, want an error saying %q", err, tc.want)
			}
			var inTx, statement string
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					"300001", "Fallback", "premium", tx.Now, tx.Now); err != nil {
					return err
				}
				return tx.Get(ctx, &inTx, `SHOW synchronous_commit`)
			}, store.Lax); err != nil {
				t.Fatalf("a lax transaction after the check: %v", err)
			}
			if err := db.Statements(ctx, func(q *store.Q) error {
				return q.Get(ctx, &statement, `SHOW synchronous_commit`)
			}, store.Lax); err != nil {
				t.Fatalf("a lax statement after the check: %v", err)
			}
			if inTx != "on" || statement != "on" {
				t.Fatalf("after the check: synchronous_commit %s in a lax transaction before its commit, %s for a lax statement; want the durable connections (on)", inTx, statement)
			}
		})
	}
}
