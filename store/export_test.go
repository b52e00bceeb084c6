package store

import (
	"database/sql"
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

// WaitPrepares waits for the statement cache's background prepares in
// flight; call it only while nothing else runs statements on db. A
// statement's prepare starts before the statement returns, so afterwards
// the cache holds every statement run before the call that it will hold.
func WaitPrepares(db *DB) {
	if db.stmts != nil {
		db.stmts.running.Wait()
	}
	if db.lax != nil && db.lax.stmts != nil {
		db.lax.stmts.running.Wait()
	}
}

// LaxSQL is the lax pool (PostgreSQL), or nil.
func LaxSQL(db *DB) *sql.DB {
	if db.lax == nil {
		return nil
	}
	return db.lax.x.DB
}

// SetLaxOptions replaces the server options of the lax pool for databases
// opened afterwards, and returns a function that restores them.
func SetLaxOptions(o string) (restore func()) {
	old := laxOptions
	laxOptions = o
	return func() { laxOptions = old }
}
