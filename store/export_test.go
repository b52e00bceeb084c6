package store

import (
	"time"

	"github.com/jmoiron/sqlx"
)

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

// PrepareFailed reports whether preparing q failed and waits for a retry.
func PrepareFailed(db *DB, q string) bool {
	v, ok := db.stmts.m.Load(q)
	if !ok {
		return false
	}
	n, isNo := v.(noStmt)
	return isNo && !n.retry.IsZero()
}

// IsPrepared reports whether q is prepared.
func IsPrepared(db *DB, q string) bool {
	v, _ := db.stmts.m.Load(q)
	_, ok := v.(*sqlx.Stmt)
	return ok
}

// ShiftStatementClock moves the statement cache's clock by d.
func ShiftStatementClock(db *DB, d time.Duration) {
	db.stmts.now = func() time.Time { return time.Now().Add(d) }
}

// SetLaxOptions replaces the server options of the lax pool for databases
// opened afterwards, and returns a function that restores them.
func SetLaxOptions(o string) (restore func()) {
	old := laxOptions
	laxOptions = o
	return func() { laxOptions = old }
}
