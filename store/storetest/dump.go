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
		out[table] = dumpTable(tb, db, table)
	}
	return out
}

func dumpTable(tb testing.TB, db *store.DB, table string) string {
	tb.Helper()
	rows, err := db.SQL().QueryContext(context.Background(), `SELECT * FROM "`+table+`"`)
	if err != nil {
		tb.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v\t", cols[i], v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("dump %s: %v", table, err)
	}
	return b.String()
}
