package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxCachedStmts bounds the statement cache. The code has a fixed set of
// statements (a few hundred at most); the bound only guards against a
// caller that builds statement text from data.
const maxCachedStmts = 1000

// stmtCache keeps one prepared statement per distinct query text, so that
// the database parses and plans each statement once per connection instead
// of on every execution. On PostgreSQL planning dominates short statements:
// the PIN pre-check's read takes ~0.35 ms planned each time and ~0.09 ms
// prepared (measured on the 2-vCPU development machine).
//
// A statement's first use runs unprepared and prepares it in the background
// on a pooled connection: preparing in the caller's place could wait for a
// free connection while the caller's transaction holds one, and with a
// small pool (SQLite's four) every connection could be held that way.
// Inside a transaction, database/sql re-prepares the cached statement on
// the transaction's own connection the first time it meets that connection
// and keeps it there for later transactions.
type stmtCache struct {
	x *sqlx.DB
	m sync.Map // query text -> *sqlx.Stmt, or noStmt while preparing or when preparing failed
	n atomic.Int64

	// Background prepares stop when the database closes: close cancels
	// them and waits, so none opens a connection (or, on SQLite, a file)
	// after Close has returned.
	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
	stop    context.Context
	cancel  context.CancelFunc

	now func() time.Time // for retryPrepare; tests move it
}

func newStmtCache(x *sqlx.DB) *stmtCache {
	c := &stmtCache{x: x, now: time.Now}
	c.stop, c.cancel = context.WithCancel(context.Background())
	return c
}

// close stops preparing and waits for prepares in flight.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.running.Wait()
}

// noStmt marks a query that runs unprepared: while it is being prepared
// (retry zero), or until retry after preparing it failed. A failure may be
// the database being away for a moment, so it is tried again later; a
// statement that cannot be prepared at all reports its real error from the
// unprepared run each time.
type noStmt struct{ retry time.Time }

// retryPrepare is how long a query whose preparation the database refused
// runs unprepared before it is prepared again; retryUnanswered is that time
// when the database did not answer at all (not reachable yet, or hung), so
// that statements are prepared soon after it comes back.
const (
	retryPrepare    = time.Minute
	retryUnanswered = time.Second
)

// get returns the prepared statement for q, or nil when q must run
// unprepared this time.
func (c *stmtCache) get(q string) *sqlx.Stmt {
	v, ok := c.m.Load(q)
	switch {
	case !ok:
		if c.n.Add(1) > maxCachedStmts {
			c.n.Add(-1)
			return nil
		}
		if _, loaded := c.m.LoadOrStore(q, noStmt{}); loaded {
			c.n.Add(-1)
			return nil
		}
	default:
		if s, ok := v.(*sqlx.Stmt); ok {
			return s
		}
		failed := v.(noStmt)
		if failed.retry.IsZero() || c.now().Before(failed.retry) || !c.m.CompareAndSwap(q, v, noStmt{}) {
			return nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.running.Add(1)
	go c.prepare(q)
	return nil
}

// prepareWait bounds a background prepare, one round trip: against a hung
// database it holds a goroutine and a pooled connection until then.
const prepareWait = 5 * time.Second

func (c *stmtCache) prepare(q string) {
	defer c.running.Done()
	ctx, cancel := context.WithTimeout(c.stop, prepareWait)
	defer cancel()
	s, err := c.x.PreparexContext(ctx, q)
	if err != nil {
		retry := retryPrepare
		if !answered(err) {
			retry = retryUnanswered
		}
		c.m.Store(q, noStmt{retry: c.now().Add(retry)})
		return
	}
	c.m.Store(q, s)
}

// stmt returns q prepared for r's connection (its transaction's, or any
// of the pool's), or nil to run it unprepared.
func (r *runner) stmt(ctx context.Context, q string) *sqlx.Stmt {
	if r.stmts == nil {
		return nil
	}
	s := r.stmts.get(q)
	if s == nil {
		return nil
	}
	if r.sqltx != nil {
		return r.sqltx.StmtxContext(ctx, s)
	}
	return s
}

// statementCacheSetting takes Supportline's own `statement_cache` parameter
// out of a driver DSN (the drivers would pass it to the server, which
// refuses unknown settings) and reports whether statements are prepared:
// yes unless it is "off", for poolers that cannot keep prepared statements
// across transactions (PgBouncer in transaction mode before 1.21).
func statementCacheSetting(dsn string) (string, bool, error) {
	i := strings.IndexByte(dsn, '?')
	if i < 0 {
		return dsn, true, nil
	}
	q, err := url.ParseQuery(dsn[i+1:])
	if err != nil || !q.Has("statement_cache") {
		return dsn, true, nil // the driver reports a bad query itself
	}
	v := q.Get("statement_cache")
	q.Del("statement_cache")
	rest := dsn[:i]
	if len(q) > 0 {
		rest += "?" + q.Encode()
	}
	switch v {
	case "on":
		return rest, true, nil
	case "off":
		return rest, false, nil
	}
	return "", false, fmt.Errorf("database URL: statement_cache=%q: use on or off", v)
}
