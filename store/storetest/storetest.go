// Package storetest opens fresh databases for tests: a new SQLite file per
// test, and a new PostgreSQL schema per test when SUPPORTLINE_TEST_POSTGRES
// names a server. With CI=true a PostgreSQL test that cannot run fails
// instead of skipping, so a green CI always includes PostgreSQL.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"supportline/store"
)

// EnvPostgres names the environment variable holding the PostgreSQL URL used
// by tests, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgres = "SUPPORTLINE_TEST_POSTGRES"

// Each runs fn as a subtest on a fresh, migrated SQLite database and on a
// fresh, migrated PostgreSQL schema.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database of the given engine, closed and
// removed when the test ends. Its clock is a frozen Clock (see ClockOf).
func Open(tb testing.TB, e store.Engine) *store.DB {
	tb.Helper()
	db := OpenUnmigrated(tb, e)
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", e, err)
	}
	return db
}

// OpenURL opens and migrates the database at rawURL (a fresh one, such as
// PostgresViaProxy returns) with a frozen Clock, closed when the test ends.
func OpenURL(tb testing.TB, rawURL string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), rawURL)
	if err != nil {
		tb.Fatalf("open %s: %v", rawURL, err)
	}
	freeze(tb, db)
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db
}

// SQLiteFile is the file of a SQLite database this package opened, for a
// test that opens it a second time (another process holding its lock).
func SQLiteFile(tb testing.TB, db *store.DB) string {
	tb.Helper()
	f, ok := files.Load(db)
	if !ok {
		tb.Fatal("not a SQLite database opened by storetest")
	}
	return f.(string)
}

var files sync.Map // *store.DB -> SQLite file path

// freeze gives db a frozen clock and closes it when the test ends.
func freeze(tb testing.TB, db *store.DB) {
	clock := NewClock(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC))
	db.Now = clock.Now
	clocks.Store(db, clock)
	tb.Cleanup(func() { db.Close() })
}

// OpenUnmigrated is Open without applying migrations.
func OpenUnmigrated(tb testing.TB, e store.Engine) *store.DB {
	tb.Helper()
	ctx := context.Background()
	var raw string
	switch e {
	case store.SQLite:
		raw = filepath.Join(tb.TempDir(), "test.db")
	case store.Postgres:
		raw = postgresSchema(tb)
	default:
		tb.Fatalf("unknown engine %q", e)
	}
	db, err := store.Open(ctx, raw)
	if err != nil {
		tb.Fatalf("open %s: %v", e, err)
	}
	freeze(tb, db)
	if e == store.SQLite {
		files.Store(db, raw)
	}
	return db
}

var clocks sync.Map // *store.DB -> *Clock

// ClockOf returns the frozen clock of a database opened by this package.
func ClockOf(db *store.DB) *Clock {
	c, _ := clocks.Load(db)
	return c.(*Clock)
}

// PostgresURL returns the base URL for PostgreSQL tests, skipping the test
// when none is configured (failing instead when CI=true).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		unavailable(tb, EnvPostgres+" is not set")
	}
	return base
}

func postgresSchema(tb testing.TB) string {
	tb.Helper()
	base := PostgresURL(tb)
	ctx := context.Background()
	admin, err := store.Open(ctx, base)
	if err != nil {
		unavailable(tb, err.Error())
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.SQL().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = admin.SQL().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL is required when CI=true: %s", why)
	}
	tb.Skipf("PostgreSQL tests skipped: %s (set %s)", why, EnvPostgres)
}

// Clock is a frozen clock for tests, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock frozen at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the frozen instant.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set freezes the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
