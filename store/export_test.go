package store

import "github.com/jmoiron/sqlx"

// PreparedStatements counts the statements the cache holds prepared.
func PreparedStatements(db *DB) int {
	n := 0
	if db.stmts == nil {
		return 0
	}
	db.stmts.m.Range(func(_, v any) bool {
		if _, ok := v.(*sqlx.Stmt); ok {
			n++
		}
		return true
	})
	return n
}
