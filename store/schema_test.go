package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
)

// Schema reads the migration state without creating anything (goose's own
// checks create their table), and tells none, older and current apart.
func TestSchema(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenUnmigrated(t, e)
			st, err := db.Schema(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !st.None() || st.Current() || len(st.Pending()) != len(st.Known) || len(st.Known) == 0 {
				t.Fatalf("fresh database: %+v", st)
			}
			if tables, err := db.Tables(ctx); err != nil || len(tables) != 0 {
				t.Fatalf("Schema created tables: %v %v", tables, err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			st, err = db.Schema(ctx)
			if err != nil || st.None() || !st.Current() || len(st.Applied) != len(st.Known) {
				t.Fatalf("migrated: %+v %v", st, err)
			}
			tables, err := db.Tables(ctx)
			if err != nil || !slices.Contains(tables, "accounts") || !slices.Contains(tables, "goose_db_version") {
				t.Fatalf("tables after migrating: %v %v", tables, err)
			}
			if err := db.MigrateDown(ctx); err != nil {
				t.Fatal(err)
			}
			st, err = db.Schema(ctx)
			last := st.Known[len(st.Known)-1]
			if err != nil || st.None() || st.Current() || len(st.Pending()) != 1 || st.Pending()[0] != last {
				t.Fatalf("after rolling back %v: %+v %v", last, st, err)
			}
		})
	}
}

func TestMigrationsMatchAcrossEngines(t *testing.T) {
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) == 0 || !slices.Equal(pg, lite) || pg[0] != (store.Migration{Version: 1, Name: "00001_foundation.sql"}) {
		t.Fatalf("postgres %v\nsqlite   %v", pg, lite)
	}
}

func TestSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ url, want string }{
		{"", store.DefaultURL},
		{filepath.Join(dir, "a.db"), filepath.Join(dir, "a.db")},
		{"sqlite:" + filepath.Join(dir, "b.db") + "?_pragma=x", filepath.Join(dir, "b.db")},
		{"file:c.db", "c.db"},
		{":memory:", ""},
		{"postgres://db.internal/supportline", ""},
		{"postgress://db.internal/supportline", ""},
	} {
		if got := store.SQLiteFile(tc.url); got != tc.want {
			t.Errorf("SQLiteFile(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}
