package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

// New does not connect: a PostgreSQL that is not there yet fails Ping,
// Migrated, CheckLax and queries quickly, and once it is there every one
// of them works, the statement cache and the lax pool included.
func TestNewBeforePostgres(t *testing.T) {
	raw, p := storetest.PostgresViaProxy(t)
	p.Refuse()
	db, err := store.New(raw)
	if err != nil {
		t.Fatalf("New with the server down: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	const q = `SELECT 1 + ?`
	down := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"Ping", db.Ping},
		{"Migrated", func(ctx context.Context) error { _, err := db.Migrated(ctx); return err }},
		{"Migrate", func(ctx context.Context) error { _, err := db.Migrate(ctx); return err }},
		{"CheckLax", db.CheckLax},
		{"Statements Get", func(ctx context.Context) error {
			var n int
			return db.Statements(ctx, func(s *store.Q) error { return s.Get(ctx, &n, q, 1) })
		}},
		{"InTx", func(ctx context.Context) error { return db.InTx(ctx, func(*store.Tx) error { return nil }) }},
		{"InTx lax", func(ctx context.Context) error { return db.InTx(ctx, func(*store.Tx) error { return nil }, store.Lax) }},
	}
	for _, op := range down {
		took, err := bounded(t, op.name+" with the server down", 3*time.Second, op.fn)
		if err == nil {
			t.Fatalf("%s succeeded with the server down", op.name)
		}
		if took > slack {
			t.Errorf("%s took %v to fail on a refused connection", op.name, took)
		}
		if op.name == "CheckLax" && strings.Contains(err.Error(), "refused (") {
			t.Errorf("CheckLax took the server being down for a refusal: %v", err)
		}
	}

	p.Accept()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping once the server is up: %v", err)
	}
	if n, err := db.Migrate(ctx); err != nil || n == 0 {
		t.Fatalf("Migrate once the server is up: applied %d, %v", n, err)
	}
	if ok, err := db.Migrated(ctx); err != nil || !ok {
		t.Fatalf("Migrated = %v, %v", ok, err)
	}
	if err := db.CheckLax(ctx); err != nil {
		t.Fatalf("CheckLax once the server is up: %v", err)
	}
	var setting string
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &setting, `SHOW synchronous_commit`) }, store.Lax); err != nil || setting != "off" {
		t.Fatalf("lax InTx: synchronous_commit = %q, %v; want off", setting, err)
	}
	// A statement first tried while the server was down is prepared again
	// once its retry time (retryUnanswered) has passed.
	store.WaitPrepares(db)
	store.ShiftStatementClock(db, 2*time.Second)
	var n int
	if err := db.Statements(ctx, func(s *store.Q) error { return s.Get(ctx, &n, q, 1) }); err != nil || n != 2 {
		t.Fatalf("%s = %d, %v", q, n, err)
	}
	store.WaitPrepares(db)
	if store.PreparedStatements(db) == 0 {
		t.Fatal("a statement first tried while the server was down is not prepared after the server came up")
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"postgress://localhost/supportline", `unknown scheme "postgress://"`},
		{"mysql://app:s3cret@localhost/supportline", `unknown scheme "mysql://"`},
		{"http://example.com/supportline.db", `unknown scheme "http://"`},
		{"postgres://app:s3cret@%zz/supportline", "not a valid URL"},
		{"postgres://localhost/supportline?sslmode=sometimes", "sslmode"},
		{"postgres://localhost/supportline?statement_cache=maybe", "statement_cache"},
		{"file:", "names no file"},
		{"sqlite:?mode=ro", "names no file"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			db, err := store.New(tc.raw)
			if err == nil {
				db.Close()
				t.Fatalf("New(%q) succeeded", tc.raw)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "s3cret") {
				t.Fatalf("New(%q) = %q; want one line saying %q, without the password", tc.raw, msg, tc.want)
			}
		})
	}
}

func TestNewAcceptsURLs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		raw    string
		engine store.Engine
	}{
		{filepath.Join(dir, "a.db"), store.SQLite},
		{"file:" + filepath.Join(dir, "b.db"), store.SQLite},
		{"sqlite:" + filepath.Join(dir, "c.db"), store.SQLite},
		{"sqlite://" + filepath.Join(dir, "d.db"), store.SQLite},
		// Nothing listens on port 1: New does not connect.
		{"postgres://app:s3cret@127.0.0.1:1/supportline?sslmode=disable", store.Postgres},
		{"postgresql://127.0.0.1:1/supportline?sslmode=disable&connect_timeout=2", store.Postgres},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			db, err := store.New(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Engine() != tc.engine {
				t.Fatalf("engine %s, want %s", db.Engine(), tc.engine)
			}
			if strings.Contains(db.String(), "s3cret") {
				t.Fatalf("String() = %q shows the password", db.String())
			}
			if tc.engine == store.Postgres {
				if _, err := bounded(t, "Ping of a closed port", 3*time.Second, db.Ping); err == nil {
					t.Fatal("Ping of a closed port succeeded")
				}
			}
		})
	}
}
