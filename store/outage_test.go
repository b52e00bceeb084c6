package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

// slack is how long past its deadline a call may take before the tests
// call it hung. It is generous on purpose (the machine is shared): the
// tests log the times they measure and assert only that calls return.
const slack = 2 * time.Second

// bounded runs fn with a context whose deadline is d away, logs how long it
// took, and fails the test if fn has not returned d+slack later.
func bounded(t *testing.T, name string, d time.Duration, fn func(ctx context.Context) error) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		took := time.Since(start)
		t.Logf("%s: %v after %v", name, err, took.Round(time.Millisecond))
		return took, err
	case <-time.After(d + slack):
		t.Fatalf("%s: still running %v past its %v deadline", name, slack, d)
		return 0, nil
	}
}

// openViaProxy opens a fresh, migrated PostgreSQL schema through a proxy,
// with one account.
func openViaProxy(t *testing.T, params string) (*store.DB, *storetest.Proxy) {
	t.Helper()
	ctx := context.Background()
	raw, p := storetest.PostgresViaProxy(t)
	if params != "" {
		raw += "&" + params
	}
	db, err := store.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Thaw()
		db.Close()
	})
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.Statements(ctx, func(q *store.Q) error {
		_, err := q.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			"100001", "Acme", "premium", q.Now, q.Now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

// pqGoroutines counts the goroutines running lib/pq code (its CancelRequest
// watchers, connections being opened).
func pqGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/lib/pq.") {
			n++
		}
	}
	return n
}

// A hung PostgreSQL (the proxy frozen: connections open, nothing answered)
// fails every kind of call when its context ends, on the statement cache's
// prepared statements and on fresh ones, in and out of transactions, on
// both pools (durable and lax), on established connections and on new ones; leaves no lib/pq
// goroutine behind for long; and once it answers again every call works.
func TestFrozenPostgres(t *testing.T) {
	db, p := openViaProxy(t, "")
	const byNumber = `SELECT name FROM accounts WHERE number = ?`
	fresh := 0
	ops := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"InTx", func(ctx context.Context) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				var name string
				if err := tx.Get(ctx, &name, byNumber, "100001"); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `UPDATE accounts SET updated_at = ? WHERE number = ?`, tx.Now, "100001")
				return err
			})
		}},
		{"Statements Get", func(ctx context.Context) error {
			var name string
			return db.Statements(ctx, func(q *store.Q) error { return q.Get(ctx, &name, byNumber, "100001") })
		}},
		{"Statements Get of a new statement", func(ctx context.Context) error {
			fresh++
			var n int
			return db.Statements(ctx, func(q *store.Q) error {
				return q.Get(ctx, &n, fmt.Sprintf(`SELECT count(*) + %d FROM accounts`, fresh))
			})
		}},
		{"Statements Exec", func(ctx context.Context) error {
			return db.Statements(ctx, func(q *store.Q) error {
				_, err := q.Exec(ctx, `UPDATE accounts SET name = ? WHERE number = ?`, "Acme", "100001")
				return err
			})
		}},
		{"Statements Select", func(ctx context.Context) error {
			var names []string
			return db.Statements(ctx, func(q *store.Q) error { return q.Select(ctx, &names, `SELECT name FROM accounts ORDER BY id`) })
		}},
		{"lax Statements Exec", func(ctx context.Context) error {
			return db.Statements(ctx, func(q *store.Q) error {
				_, err := q.Exec(ctx, `UPDATE accounts SET updated_at = ? WHERE number = ?`, q.Now, "100001")
				return err
			}, store.Lax)
		}},
		{"lax InTx", func(ctx context.Context) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				var name string
				return tx.Get(ctx, &name, byNumber, "100001")
			}, store.Lax)
		}},
		{"InTx turned lax", func(ctx context.Context) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				tx.Durability = store.Lax
				_, err := tx.Exec(ctx, `UPDATE accounts SET updated_at = ? WHERE number = ?`, tx.Now, "100001")
				return err
			})
		}},
		{"Ping", db.Ping},
	}
	run := func(d time.Duration, wantErr bool) (worst time.Duration) {
		t.Helper()
		for _, op := range ops {
			took, err := bounded(t, op.name, d, op.fn)
			switch {
			case wantErr && !errors.Is(err, context.DeadlineExceeded):
				t.Errorf("%s: %v, want an error that is context.DeadlineExceeded", op.name, err)
			case !wantErr && err != nil:
				t.Errorf("%s: %v", op.name, err)
			}
			worst = max(worst, took)
		}
		return worst
	}
	// Warm both pools and let the statement caches prepare what they will.
	for range 3 {
		run(5*time.Second, false)
	}
	store.WaitPrepares(db)
	if n := store.PreparedStatements(db); n < 4 {
		t.Fatalf("%d statements prepared, want at least 4", n)
	}

	p.Freeze()
	const budget = 300 * time.Millisecond
	// The first round meets the pooled connections, the second new ones
	// (the broken connections were discarded) that the hung server never
	// lets in.
	for round := range 2 {
		worst := run(budget, true)
		t.Logf("frozen, round %d: slowest call returned %v after its %v deadline", round+1, (worst - budget).Round(time.Millisecond), budget)
	}
	start := time.Now()
	for pqGoroutines() > 0 {
		if time.Since(start) > 10*time.Second {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			var stuck []string
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "github.com/lib/pq.") {
					stuck = append(stuck, g)
				}
			}
			t.Fatalf("%d goroutines still in lib/pq 10 s after the calls returned:\n%s", len(stuck), strings.Join(stuck, "\n\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("frozen: no goroutine left in lib/pq %v after the last call returned", time.Since(start).Round(time.Millisecond))

	p.Thaw()
	for range 2 {
		run(5*time.Second, false)
	}
	// The statement cache prepares in the background, on a connection of
	// its own for a moment: wait for it.
	store.WaitPrepares(db)
	for _, pool := range []*sql.DB{db.SQL(), store.LaxSQL(db)} {
		if st := pool.Stats(); st.InUse != 0 {
			t.Errorf("after the thaw, %d connections are still in use: %+v", st.InUse, st)
		}
	}
	t.Logf("after the thaw: %+v", db.SQL().Stats())

	// Closing the database while the server hangs does not wait for it
	// (the pooled connections hold prepared statements).
	p.Freeze()
	if _, err := bounded(t, "Close while frozen", 0, func(context.Context) error { return db.Close() }); err != nil {
		t.Fatal(err)
	}
}

// A connection interrupted in the middle of a transaction is never used
// again: with a pool of one connection, the next transaction runs on
// another server session, and reads its own answers (not the late answers
// of the interrupted one).
func TestFrozenTransactionNotReused(t *testing.T) {
	// Without the statement cache, whose background prepares would share
	// the single connection.
	db, p := openViaProxy(t, "statement_cache=off")
	ctx := context.Background()
	db.SQL().SetMaxOpenConns(1)
	store.LaxSQL(db).SetMaxOpenConns(1)
	for _, d := range []store.Durability{store.Durable, store.Lax} {
		pid := func() (pid int) {
			t.Helper()
			err := db.InTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &pid, `SELECT pg_backend_pid()`) }, d)
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		before := pid()
		_, err := bounded(t, "a transaction frozen after its first statement", 300*time.Millisecond, func(ctx context.Context) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				var n int
				if err := tx.Get(ctx, &n, `SELECT count(*) FROM accounts`); err != nil {
					return err
				}
				p.Freeze()
				_, err := tx.Exec(ctx, `UPDATE accounts SET name = ? WHERE number = ?`, "Frozen", "100001")
				return err
			}, d)
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("InTx = %v, want context.DeadlineExceeded", err)
		}
		p.Thaw()
		if after := pid(); after == before {
			t.Fatalf("the interrupted connection (server pid %d) was used again", before)
		}
		for i := range 20 {
			var got int
			err := db.InTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &got, `SELECT CAST(? AS INTEGER)`, i) }, d)
			if err != nil || got != i {
				t.Fatalf("SELECT %d after the thaw = %d, %v", i, got, err)
			}
		}
		var name string
		if err := db.Statements(ctx, func(q *store.Q) error {
			return q.Get(ctx, &name, `SELECT name FROM accounts WHERE number = ?`, "100001")
		}, d); err != nil || name != "Acme" {
			t.Fatalf("name = %q, %v; want the interrupted update rolled back", name, err)
		}
	}
}

// Many transactions and statements at once while the server hangs for
// longer than their deadlines: none outlives its deadline by much, none
// ever reads another's answer (a connection whose call was interrupted
// would deliver the late answer to its next user), and after the thaw
// every call succeeds.
func TestFrozenUnderLoad(t *testing.T) {
	db, p := openViaProxy(t, "")
	const workers, deadline, freeze = 24, 500 * time.Millisecond, 3 * time.Second
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		slowest  time.Duration
	)
	check := func(what string, got, want int) error {
		if got != want {
			t.Errorf("%s read %d, want %d: an answer meant for another call", what, got, want)
		}
		return nil
	}
	for w := range workers {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				v := w*1_000_000 + i
				d := store.Durable
				if i%3 == 0 {
					d = store.Lax
				}
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				start := time.Now()
				var err error
				if i%2 == 0 {
					err = db.InTx(ctx, func(tx *store.Tx) error {
						var got int
						if err := tx.Get(ctx, &got, `SELECT CAST(? AS INTEGER)`, v); err != nil {
							return err
						}
						check("a transaction's first statement", got, v)
						if _, err := tx.Exec(ctx, `UPDATE accounts SET updated_at = ? WHERE number = ?`, tx.Now, "100001"); err != nil {
							return err
						}
						if err := tx.Get(ctx, &got, `SELECT CAST(? AS INTEGER) + 1`, v); err != nil {
							return err
						}
						return check("a transaction's last statement", got, v+1)
					}, d)
				} else {
					var got []int
					err = db.Statements(ctx, func(q *store.Q) error {
						return q.Select(ctx, &got, `SELECT CAST(? AS INTEGER) UNION ALL SELECT CAST(? AS INTEGER)`, v, v+2)
					}, d)
					if err == nil && (len(got) != 2 || got[0] != v || got[1] != v+2) {
						t.Errorf("a statement outside transactions read %v, want [%d %d]", got, v, v+2)
					}
				}
				took := time.Since(start)
				cancel()
				mu.Lock()
				slowest = max(slowest, took)
				if err != nil {
					failures++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	p.Freeze()
	time.Sleep(freeze)
	p.Thaw()
	time.Sleep(time.Second)
	stop.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(deadline + slack):
		t.Fatalf("workers still running %v after being stopped", deadline+slack)
	}
	t.Logf("under load: %d calls failed (during the freeze); the slowest took %v with a %v deadline", failures, slowest.Round(time.Millisecond), deadline)
	if slowest > deadline+slack {
		t.Errorf("a call took %v with a %v deadline", slowest, deadline)
	}
	if failures == 0 {
		t.Error("no call failed during a freeze longer than their deadlines")
	}

	ctx := context.Background()
	for i := range 50 {
		for _, d := range []store.Durability{store.Durable, store.Lax} {
			var got int
			err := db.InTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &got, `SELECT CAST(? AS INTEGER)`, i) }, d)
			if err != nil || got != i {
				t.Fatalf("after the thaw: SELECT %d = %d, %v", i, got, err)
			}
		}
	}
}

// A stopped server (the proxy refusing) fails a Ping at once; a started one
// answers again; connections reset under the pool are replaced.
func TestRefusedPostgres(t *testing.T) {
	db, p := openViaProxy(t, "")
	p.Refuse()
	took, err := bounded(t, "Ping while refused", 5*time.Second, db.Ping)
	if err == nil {
		t.Fatal("Ping succeeded while the server refuses connections")
	}
	if took > slack {
		t.Errorf("Ping took %v to report a refused connection", took)
	}
	p.Accept()
	ctx := context.Background()
	// Once in a while (1 run in 3 under -race, seen here) the first Ping
	// after the restart still meets a connection the restart broke and
	// answers driver.ErrBadConn; the next one must work.
	if _, err := bounded(t, "Ping after Accept", 5*time.Second, db.Ping); err != nil {
		t.Logf("first Ping after Accept: %v", err)
		if _, err := bounded(t, "second Ping after Accept", 5*time.Second, db.Ping); err != nil {
			t.Fatal(err)
		}
	}
	p.DropAll()
	var name string
	if err := db.Statements(ctx, func(q *store.Q) error {
		return q.Get(ctx, &name, `SELECT name FROM accounts WHERE number = ?`, "100001")
	}); err != nil || name != "Acme" {
		t.Fatalf("after reset connections: name = %q, %v", name, err)
	}
}

// A statement or transaction that waits for SQLite's write lock, held by
// another connection (here another pool on the same file, as another
// process would), gives up when its context ends rather than after the
// busy timeout (10 s), and works once the lock is released.
// modernc.org/sqlite (v1.61) does this itself: its busy handler watches the
// context of the call in progress. This test keeps it so.
func TestSQLiteBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	holder, err := other.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	insert := func(number string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			return db.Statements(ctx, func(q *store.Q) error {
				_, err := q.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					number, "Acme", "premium", q.Now, q.Now)
				return err
			})
		}
	}
	const budget = 300 * time.Millisecond
	for _, op := range []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"InTx (BEGIN IMMEDIATE)", func(ctx context.Context) error { return db.InTx(ctx, func(*store.Tx) error { return nil }) }},
		{"Statements INSERT", insert("100001")},
		{"lax InTx", func(ctx context.Context) error { return db.InTx(ctx, func(*store.Tx) error { return nil }, store.Lax) }},
	} {
		took, err := bounded(t, op.name+" while another connection writes", budget, op.fn)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want context.DeadlineExceeded", op.name, err)
		}
		if took > budget+700*time.Millisecond {
			t.Errorf("%s took %v with a %v deadline", op.name, took, budget)
		}
	}
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := bounded(t, "InTx after the lock is released", 5*time.Second, func(ctx context.Context) error {
		return db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				"100002", "Beta", "premium", tx.Now, tx.Now)
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := bounded(t, "Statements INSERT after the lock is released", 5*time.Second, insert("100003")); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Statements(ctx, func(q *store.Q) error { return q.Get(ctx, &n, `SELECT count(*) FROM accounts`) }); err != nil || n != 2 {
		t.Fatalf("accounts = %d, %v; want the 2 written after the lock was released", n, err)
	}
}
