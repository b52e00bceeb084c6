package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Durability is whether a commit waits for the disk. It is the one way a
// write says it may be lost in a database crash: a transaction carries one
// (Tx.Durability), and the work that owns a kind of write names its choice
// once, where it opens the transaction or decides what it writes.
type Durability uint8

const (
	// Durable commits return once the change is on disk (PostgreSQL's
	// write-ahead log flushed). The zero value: tickets, responses,
	// voicemails, SMS rows and PIN counters must never be lost.
	Durable Durability = iota
	// Lax commits may return before the flush (PostgreSQL's
	// synchronous_commit off; see InTx and lax.go). A database crash
	// may lose the last fraction of a second of lax commits, never half a
	// transaction, and any durable commit flushes every lax commit before
	// it. For changes whose loss is harmless: a caller moving through the
	// menu hears the step before again. SQLite (WAL, synchronous NORMAL)
	// commits every transaction this way already.
	Lax
)

// String names the durability for logs and test names.
func (d Durability) String() string {
	if d == Lax {
		return "lax"
	}
	return "durable"
}

// Querier runs statements with `?` placeholders: a *Tx inside its
// transaction, or a *Q one statement at a time. Helpers that are right
// either way (a read of one row, a single guarded write) take one; a helper
// that locks rows or needs several statements to agree takes a *Tx.
type Querier interface {
	Engine() Engine
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
	Get(ctx context.Context, dest any, q string, args ...any) error
	Select(ctx context.Context, dest any, q string, args ...any) error
	Insert(ctx context.Context, q string, args ...any) (int64, error)
	RFC3339(expr string) string
	// At is the frozen instant the work began (the Now field).
	At() time.Time
}

var (
	_ Querier = (*Tx)(nil)
	_ Querier = (*Q)(nil)
)

// runner is what Tx and Q share: rebinding, UTC times, the statement cache
// and the frozen clock.
type runner struct {
	ex     execer
	sqltx  *sqlx.Tx // nil outside a transaction
	stmts  *stmtCache
	engine Engine
	// Now is the clock reading taken when the work began, in UTC and
	// truncated to microseconds (PostgreSQL's resolution), so that every row
	// it writes carries the same instant.
	Now time.Time
}

// execer is what statements run on: a transaction, or the pool.
type execer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func (db *DB) runner(ex execer, sqltx *sqlx.Tx, stmts *stmtCache) runner {
	return runner{ex: ex, sqltx: sqltx, stmts: stmts, engine: db.engine, Now: db.Now().UTC().Truncate(time.Microsecond)}
}

// Tx is a transaction with the instant it began. Its query methods take
// `?` placeholders and rebind them for the engine, and store time.Time
// arguments in UTC.
type Tx struct {
	runner
	// Durability is how the transaction commits: Durable unless InTx was
	// given Lax, or the work sets it before returning because what it
	// decided to write may be lost (a refused PIN attempt's audit row).
	Durability Durability
}

// Q runs statements one at a time outside any transaction, each committing
// on its own: for work that is a single statement, or reads that need no
// common snapshot, where BEGIN and COMMIT would be two more round trips on
// a hot path. It has no locking clauses (ForUpdate, SkipLocked): a lock
// taken outside a transaction ends with its statement, so work that locks
// needs a Tx.
type Q struct {
	runner
}

// Statements runs fn with statements outside any transaction, each
// committing on its own: durably, or with d (at most one) Lax on the lax
// pool (on PostgreSQL; see lax.go). Where the lax pool is unusable
// (CheckLax) a lax statement commits durably: a single statement cannot
// skip the flush without a transaction around it.
func (db *DB) Statements(ctx context.Context, fn func(q *Q) error, d ...Durability) error {
	if len(d) > 0 && d[0] == Lax {
		if x, stmts, ok := db.laxConns(); ok {
			return fn(&Q{db.runner(x, nil, stmts)})
		}
	}
	return fn(&Q{db.runner(db.x, nil, db.stmts)})
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also on panic, which is re-raised). The commit is
// durable unless d (at most one) or fn says Lax (see Durability). On
// PostgreSQL a transaction that is lax from the start runs on the lax
// pool, whose sessions already commit that way; one whose work changes
// Tx.Durability, or that cannot use the lax pool, sets synchronous_commit
// for itself just before COMMIT (one more round trip).
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error, d ...Durability) (err error) {
	x, stmts, session := db.x, db.stmts, Durable
	var want Durability
	if len(d) > 0 {
		want = d[0]
	}
	if want == Lax {
		if lx, ls, ok := db.laxConns(); ok {
			x, stmts, session = lx, ls, Lax
		}
	}
	sqltx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{runner: db.runner(sqltx, sqltx, stmts), Durability: want}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if tx.Durability != session && tx.engine == Postgres {
		// Read at commit, so it may come last: a transaction that fails
		// before it got here does not pay the round trip.
		set := "SET LOCAL synchronous_commit TO OFF"
		if tx.Durability == Durable {
			set = "SET LOCAL synchronous_commit TO ON"
		}
		if _, err = sqltx.ExecContext(ctx, set); err != nil {
			return fmt.Errorf("commit %s: %w", tx.Durability, err)
		}
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Engine reports the database engine.
func (r *runner) Engine() Engine { return r.engine }

// At is the frozen instant the work began, Now: for helpers that take a
// Querier.
func (r *runner) At() time.Time { return r.Now }

func (r *runner) prep(q string, args []any) (string, []any) {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC()
		case *time.Time:
			if v != nil {
				u := v.UTC()
				args[i] = u
			}
		}
	}
	return r.ex.Rebind(q), args
}

// Exec runs a statement.
func (r *runner) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = r.prep(q, args)
	if s := r.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return r.ex.ExecContext(ctx, q, args...)
}

// Get scans one row into dest; sql.ErrNoRows when there is none.
func (r *runner) Get(ctx context.Context, dest any, q string, args ...any) error {
	q, args = r.prep(q, args)
	if s := r.stmt(ctx, q); s != nil {
		return s.GetContext(ctx, dest, args...)
	}
	return r.ex.GetContext(ctx, dest, q, args...)
}

// Select scans all rows into the slice dest.
func (r *runner) Select(ctx context.Context, dest any, q string, args ...any) error {
	q, args = r.prep(q, args)
	if s := r.stmt(ctx, q); s != nil {
		return s.SelectContext(ctx, dest, args...)
	}
	return r.ex.SelectContext(ctx, dest, q, args...)
}

// Insert runs an INSERT and returns the new row's id column. The statement
// must not end with a RETURNING clause; Insert adds it (both engines support
// RETURNING).
func (r *runner) Insert(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := r.Get(ctx, &id, q+" RETURNING id", args...)
	return id, err
}

// RFC3339 is an SQL expression that prints the timestamp expression expr
// as Go's time.RFC3339 does in UTC ("2026-11-22T01:20:00Z"), for text built
// in SQL that must read like text built in Go.
func (r *runner) RFC3339(expr string) string {
	if r.engine == Postgres {
		return `to_char((` + expr + `) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
	}
	return `strftime('%Y-%m-%dT%H:%M:%SZ', ` + expr + `)`
}

// ForUpdate is the row-locking clause for read-then-write work on one row
// (e.g. counting an account's contacts before adding one): " FOR UPDATE" on
// PostgreSQL; nothing on SQLite, where the immediate transaction already
// serialises writers.
func (tx *Tx) ForUpdate() string {
	if tx.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// ForShare is the clause that keeps rows read by a transaction from being
// deleted or changed until it ends, while others may read them: " FOR
// SHARE" on PostgreSQL (e.g. the engineers a new schedule names, so that a
// concurrent removal waits and then sees the membership); nothing on SQLite.
func (tx *Tx) ForShare() string {
	if tx.engine == Postgres {
		return " FOR SHARE"
	}
	return ""
}

// SkipLocked is the locking clause for claiming work rows: on PostgreSQL
// "FOR UPDATE SKIP LOCKED", so that replicas never claim the same row; on
// SQLite nothing, because an immediate transaction already holds the
// database's only write lock.
func (tx *Tx) SkipLocked() string {
	if tx.engine == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Marks is n placeholders for a statement, "?, ?, ?" for 3: for an IN list
// or a VALUES row whose length the caller decides.
func Marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
