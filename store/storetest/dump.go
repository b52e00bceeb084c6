package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"supportline/store"
)

// Dump returns every column of every row of every table of the test's
// database (or PostgreSQL schema) as text, one line per row, by table: for
// tests that search everything stored for something that must not be
// there (a PIN's digits).
func Dump(tb testing.TB, db *store.DB) map[string]string {
	tb.Helper()
	ctx := context.Background()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	if db.Engine() == store.SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	var tables []string
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		tb.Fatalf("dump: list tables: %v", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		tb.Fatalf("dump: found only tables %v", tables)
	}
	out := make(map[string]string, len(tables))
	for _, table := range tables {
		out[table] = DumpTable(tb, db, table)
	}
	return out
}

// DumpTable is one table of Dump: every column of every row as text, one
// line per row.
func DumpTable(tb testing.TB, db *store.DB, table string) string {
	tb.Helper()
	cols, rows := Rows(tb, db, table)
	var b strings.Builder
	for _, row := range rows {
		for i, v := range row {
			fmt.Fprintf(&b, "%s=%v\t", cols[i], v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Rows returns the column names of table and every row's values as the
// driver gives them, but text as string (never []byte).
func Rows(tb testing.TB, db *store.DB, table string) (cols []string, rows [][]any) {
	tb.Helper()
	r, err := db.SQL().QueryContext(context.Background(), `SELECT * FROM "`+table+`"`)
	if err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	defer r.Close()
	cols, _ = r.Columns()
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			tb.Fatalf("read %s: %v", table, err)
		}
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				vals[i] = string(bs)
			}
		}
		rows = append(rows, vals)
	}
	if err := r.Err(); err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	return cols, rows
}
