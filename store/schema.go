package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/pressly/goose/v3"

	"supportline/migrations"
)

// versionTable is goose's record of applied migrations (its default name;
// provider sets no other).
const versionTable = "goose_db_version"

// Migration is one migration this binary carries.
type Migration struct {
	Version int64  `json:"version"`
	Name    string `json:"name"`
}

// Migrations lists the migrations this binary carries for engine, oldest
// first. It reads only the embedded files.
func Migrations(engine Engine) ([]Migration, error) {
	dir := "postgres"
	if engine == SQLite {
		dir = "sqlite"
	}
	names, err := fs.Glob(migrations.FS, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return nil, fmt.Errorf("migration file %s: %w", n, err)
		}
		out = append(out, Migration{Version: v, Name: path.Base(n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SchemaState is how a database's schema compares with this binary's
// migrations.
type SchemaState struct {
	// Known are this binary's migrations, oldest first.
	Known []Migration
	// Applied are the versions the database records as applied, ascending;
	// it may hold versions this binary does not know (a newer binary
	// migrated it).
	Applied []int64
}

// None reports whether the database has no Supportline schema at all: no
// record of migrations, or a record with nothing applied.
func (s SchemaState) None() bool { return len(s.Applied) == 0 }

// Pending lists this binary's migrations that the database lacks.
func (s SchemaState) Pending() []Migration {
	have := make(map[int64]bool, len(s.Applied))
	for _, v := range s.Applied {
		have[v] = true
	}
	var out []Migration
	for _, m := range s.Known {
		if !have[m.Version] {
			out = append(out, m)
		}
	}
	return out
}

// Current reports whether every migration of this binary is applied. A
// database migrated by a newer binary is current for this one too: its
// migrations only add, and replicas of two releases share one database
// during a rolling upgrade.
func (s SchemaState) Current() bool { return len(s.Pending()) == 0 }

// Schema reads which migrations the database has applied without creating
// or changing anything, unlike goose's status and pending checks, which
// create their version table first. The CLI's read-only commands ask it so
// that pointing one at the wrong database leaves that database as it was.
func (db *DB) Schema(ctx context.Context) (SchemaState, error) {
	known, err := Migrations(db.engine)
	if err != nil {
		return SchemaState{}, err
	}
	st := SchemaState{Known: known}
	exists, err := db.tableExists(ctx, versionTable)
	if err != nil || !exists {
		return st, err
	}
	var rows []struct {
		Version int64 `db:"version_id"`
		Applied bool  `db:"is_applied"`
	}
	// Oldest first, so that a later row of a version (goose once recorded
	// a rollback as a row with is_applied false) decides its state.
	if err := db.x.SelectContext(ctx, &rows, "SELECT version_id, is_applied FROM "+versionTable+" ORDER BY id"); err != nil {
		return st, fmt.Errorf("read %s: %w", versionTable, err)
	}
	state := map[int64]bool{}
	for _, r := range rows {
		state[r.Version] = r.Applied
	}
	for v, applied := range state {
		if applied && v > 0 { // goose records a version 0 when it creates its table
			st.Applied = append(st.Applied, v)
		}
	}
	sort.Slice(st.Applied, func(i, j int) bool { return st.Applied[i] < st.Applied[j] })
	return st, nil
}

// Tables lists the tables of the database (on PostgreSQL, of the current
// schema), by name. The CLI asks it before it migrates a SQLite file that
// has no Supportline schema, so that it never adds its tables to another
// program's file, and tests ask it to prove that a command created nothing.
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if db.engine == Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
	}
	var names []string
	if err := db.x.SelectContext(ctx, &names, q); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return names, nil
}

func (db *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.engine == Postgres {
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int
	if err := db.x.GetContext(ctx, &n, q, name); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// SQLiteFile returns the file a SQLite database URL names, and "" for a
// PostgreSQL URL, an in-memory database or a URL New would refuse. A
// command that must not create a database checks that the file exists
// first: opening SQLite creates a missing file.
func SQLiteFile(rawURL string) string {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	engine, _, display, err := parseURL(rawURL)
	if err != nil || engine != SQLite {
		return ""
	}
	file := display[len("sqlite:"):]
	if file == ":memory:" {
		return ""
	}
	return file
}
