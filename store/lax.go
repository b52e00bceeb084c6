package store

// Lax commits on PostgreSQL (see Durability) run on a second pool whose
// sessions have synchronous_commit off from the start (the options startup
// parameter), so that a lax transaction costs no extra round trip and a
// lax statement needs no transaction at all. Measured on 2026-12-01 with
// BenchmarkCall paced, both ways in one run, alternating: one pool that
// sets the durability per transaction was 22-34% slower at p50
// (docs/performance.md, "Durability: one pool or two").

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// laxPool is the lax pool and whether it is unusable: the server refused
// its sessions, or a pooler ignored their option (see CheckLax). An
// unusable pool stays open, unused, until Close: work that took it a
// moment before may still be using it.
type laxPool struct {
	pool
	unusable atomic.Bool
}

// laxOptions are the server options of the lax pool's sessions.
var laxOptions = "-c synchronous_commit=off"

// laxDSN is dsn with laxOptions added to whatever server options the URL
// already sets.
func laxDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // Open already parsed it; not reached
	}
	q := u.Query()
	q.Set("options", strings.TrimSpace(q.Get("options")+" "+laxOptions))
	u.RawQuery = q.Encode()
	return u.String()
}

// CheckLax connects the lax pool once. If the server refuses its session
// option (a pooler that rejects the options startup parameter, such as
// PgBouncer unless `options` is in its ignore_startup_parameters), or
// accepts the connection but ignores the option, lax work uses the
// database's own connections from then on: a lax transaction sets
// synchronous_commit for itself (one more round trip) and a lax statement
// commits durably. Slower, nothing lost. The error says why; it is nil
// when the lax pool works or there is none. A database that cannot be
// reached says nothing about the option: the pool is kept and the error
// says to check again later. Safe to call while db is in use.
func (db *DB) CheckLax(ctx context.Context) error {
	lax := db.lax
	if lax == nil || lax.unusable.Load() {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var setting string
	err := lax.x.GetContext(pctx, &setting, `SHOW synchronous_commit`)
	if err == nil && setting == "off" {
		return nil
	}
	if err == nil {
		lax.unusable.Store(true)
		return fmt.Errorf("the lax connections have synchronous_commit %s (a pooler ignores the options startup parameter); menu moves use the durable connections", setting)
	}
	if !db.laxRefused(pctx, err) {
		return fmt.Errorf("lax connections not checked, the database did not let them in (%w); check again later", err)
	}
	lax.unusable.Store(true)
	return fmt.Errorf("lax connections refused (%w); menu moves use the durable connections", err)
}

// laxRefused reports whether err, from the lax pool, is the server refusing
// its sessions rather than the database being away: the server answered
// with an error that is not about its own state (too many connections,
// starting up, shutting down), and an ordinary connection opens now.
func (db *DB) laxRefused(ctx context.Context, err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || db.pg == nil {
		return false
	}
	switch class := string(pqErr.Code)[:min(2, len(pqErr.Code))]; class {
	case "53", "57": // insufficient resources; operator intervention
		return false
	}
	c, err := db.pg.Connect(ctx)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// laxConns is the lax pool and its statement cache, or false when there
// is none (SQLite) or it is unusable (CheckLax).
func (db *DB) laxConns() (*sqlx.DB, *stmtCache, bool) {
	if db.lax != nil && !db.lax.unusable.Load() {
		return db.lax.x, db.lax.stmts, true
	}
	return nil, nil, false
}
