package oncall_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// TestRosters: the cached roster answers exactly what Snapshot reads, for
// windows at and after the instant it was read; it reads nothing while the
// version is unchanged (proven with a cancelled context, on which any
// query fails); every change (through the store, or SQL typed by hand)
// raises the version and the next call sees the change.
func TestRosters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := weeklyPrimary(t, db)
		mustOverride(t, st, "primary", "dave", "2026-11-18T10:00:00-07:00", "2026-11-18T12:00:00-07:00")
		mustOverride(t, st, "primary", "bob", "2026-11-18T11:00:00-07:00", "2026-11-18T14:00:00-07:00")
		mustOverride(t, st, "primary", "dave", "2026-11-18T12:00:01-07:00", "2026-11-18T13:00:00-07:00")
		mustOverride(t, st, "primary", "alice", "2026-11-19T09:00:00-07:00", "2026-11-19T10:00:00-07:00")

		version := func() int64 {
			var v int64
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) { v, err = oncall.Version(ctx, tx); return err }); err != nil {
				t.Fatal(err)
			}
			return v
		}
		var rosters oncall.Rosters
		cached := func(ctx context.Context, v int64, from, to time.Time) (oncall.Roster, error) {
			var r oncall.Roster
			// Statements outside a transaction: a cache hit must send none.
			err := db.Statements(ctx, func(q *store.Q) (err error) { r, err = rosters.Snapshot(ctx, q, v, from, to); return err })
			return r, err
		}
		fresh := func(from, to time.Time) oncall.Roster {
			var r oncall.Roster
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) { r, err = oncall.Snapshot(ctx, tx, from, to); return err }); err != nil {
				t.Fatal(err)
			}
			return r
		}
		same := func(what string, v int64, from, to time.Time) {
			t.Helper()
			got, err := cached(ctx, v, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if want := fresh(from, to); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: cached roster\n%+v\nwant\n%+v", what, got, want)
			}
		}

		v1 := version()
		at := mustParse(t, "2026-11-18T12:00:00-07:00")
		same("first read", v1, at, at.Add(time.Second))
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		// Later windows come from memory, the overrides in force filtered.
		for _, w := range [][2]string{
			{"2026-11-18T12:00:00-07:00", "2026-11-18T12:00:00-07:00"},
			{"2026-11-18T12:30:00-07:00", "2026-11-18T12:30:01-07:00"},
			{"2026-11-18T13:59:59-07:00", "2026-11-18T14:00:00-07:00"},
			{"2026-11-19T09:30:00-07:00", "2026-11-19T09:30:00-07:00"},
		} {
			from, to := mustParse(t, w[0]), mustParse(t, w[1])
			got, err := cached(cancelled, v1, from, to)
			if err != nil {
				t.Fatalf("window %v read the database: %v", w, err)
			}
			if want := fresh(from, to); !reflect.DeepEqual(got, want) {
				t.Fatalf("window %v: cached\n%+v\nwant\n%+v", w, got.Overrides, want.Overrides)
			}
		}
		// An older version is served by the newer cache.
		if _, err := cached(cancelled, v1-1, at, at); err != nil {
			t.Fatalf("an older version read the database: %v", err)
		}
		// A window before the cached instant, whose overrides may have ended
		// since, is read again.
		if _, err := cached(cancelled, v1, at.Add(-time.Hour), at); err == nil {
			t.Fatal("a window before the cached instant was answered from memory")
		}
		same("earlier window", v1, at.Add(-time.Hour), at)

		// Changes through the store.
		mustOverride(t, st, "primary", "alice", "2026-11-18T11:30:00-07:00", "2026-11-18T12:30:00-07:00")
		v2 := version()
		if v2 <= v1 {
			t.Fatalf("version %d after adding an override, was %d", v2, v1)
		}
		if _, err := cached(cancelled, v2, at, at); err == nil {
			t.Fatal("a new version was answered from memory")
		}
		same("after an override", v2, at, at)
		if _, err := st.SetMembers(ctx, "admin", "primary", []string{"bob", "alice", "dave"}); err != nil {
			t.Fatal(err)
		}
		v3 := version()
		if v3 <= v2 {
			t.Fatalf("version %d after new members, was %d", v3, v2)
		}
		same("after new members", v3, at, at)
		if got, _ := cached(ctx, v3, at, at); !reflect.DeepEqual(got.Schedules["primary"].Members, []string{"bob", "alice", "dave"}) {
			t.Fatalf("members %v", got.Schedules["primary"].Members)
		}

		// A change by hand.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE engineers SET phone = '+17205550199' WHERE handle = 'dave'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		v4 := version()
		if v4 <= v3 {
			t.Fatalf("version %d after an UPDATE by hand, was %d", v4, v3)
		}
		if got, err := cached(ctx, v4, at, at); err != nil || got.Engineers["dave"].Phone != "+17205550199" {
			t.Fatalf("dave's phone after the change: %q, %v", got.Engineers["dave"].Phone, err)
		}
		// Version 0 always reads.
		if _, err := cached(cancelled, 0, at, at); err == nil {
			t.Fatal("version 0 was answered from memory")
		}
	})
}
