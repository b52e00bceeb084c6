// Package store opens the database (PostgreSQL through lib/pq, or embedded
// SQLite through modernc.org/sqlite), applies the embedded migrations and
// runs work in transactions that carry a frozen clock.
//
// Only this package knows which SQL driver is in use. Domain packages write
// portable SQL with `?` placeholders; Tx rebinds them for the engine.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"  // PostgreSQL driver "postgres"
	"modernc.org/sqlite" // SQLite driver "sqlite" (pure Go)
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names the database engine behind a DB.
type Engine string

// The engines Supportline runs on.
const (
	Postgres Engine = "postgres"
	SQLite   Engine = "sqlite"
)

// DefaultURL is the store used when no DATABASE_URL is given: an embedded
// SQLite file in the working directory.
const DefaultURL = "./supportline.db"

// DB is an open database with its engine and clock.
type DB struct {
	x      *sqlx.DB
	engine Engine
	// Now is the clock. Tests freeze or advance it; production uses time.Now.
	Now func() time.Time
	// display is the URL with any password removed, for logs.
	display string
	stmts   *stmtCache
	// pg opens the PostgreSQL connections of x; nil on SQLite.
	pg *pgConnector
	// lax is the PostgreSQL pool whose commits do not wait for the disk
	// (see Lax); nil on SQLite and on a view.
	lax *laxPool
	// view marks a DB returned by Lax: it shares its pool with the DB it
	// came from, which alone closes it.
	view bool
}

// pool is a connection pool with its statement cache.
type pool struct {
	x     *sqlx.DB
	stmts *stmtCache
	pg    *pgConnector // nil on SQLite
}

// laxPool is the lax pool and whether the server refused its sessions
// (see CheckLax). A refused pool stays open, unused, until Close: a view
// taken from Lax a moment before may still be using it.
type laxPool struct {
	pool
	refused atomic.Bool
}

// Open is New followed by a Ping of at most 5 s: for the CLI, which has
// nothing to do without the database.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	db, err := New(rawURL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.display, err)
	}
	return db, nil
}

// New checks rawURL and builds the connection pools without connecting, so
// that a server can start (and answer what it can without the database)
// before the database is reachable; connections are opened on first use
// and again after any failure, so nothing needs rebuilding once the
// database appears. A postgres:// or postgresql:// URL selects PostgreSQL;
// a file path, or a file: or sqlite: URL, selects SQLite; any other
// scheme:// is refused (a typo such as postgress:// would otherwise name a
// SQLite file). An empty rawURL is DefaultURL.
func New(rawURL string) (*DB, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	engine, dsn, display, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	dsn, prepare, err := statementCacheSetting(dsn)
	if err != nil {
		return nil, err
	}
	main, err := openPool(engine, dsn, prepare)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", display, err)
	}
	db := &DB{x: main.x, engine: engine, Now: time.Now, display: display, stmts: main.stmts, pg: main.pg}
	if engine == Postgres {
		lax, err := openPool(engine, laxDSN(dsn), prepare)
		if err != nil {
			main.close()
			return nil, fmt.Errorf("database URL %s: %w", display, err)
		}
		db.lax = &laxPool{pool: *lax}
	}
	return db, nil
}

// openPool builds a pool for dsn; it connects on first use. PostgreSQL
// connections go through pgConnector, which bounds every call by its
// context (see pgdial.go).
func openPool(engine Engine, dsn string, prepare bool) (*pool, error) {
	p := &pool{}
	if engine == SQLite {
		x, err := sqlx.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		// One writer at a time is SQLite's nature; immediate transactions
		// plus a busy timeout make writers queue instead of failing. A small
		// pool still lets readers run beside a writer under WAL. A wait for
		// the write lock ends with its context: modernc.org/sqlite's busy
		// handler watches it (TestSQLiteBusy).
		x.SetMaxOpenConns(4)
		p.x = x
	} else {
		c, err := newPGConnector(dsn)
		if err != nil {
			return nil, err
		}
		p.x = sqlx.NewDb(sql.OpenDB(c), "postgres")
		p.pg = c
		sizePostgresPool(p.x)
	}
	if prepare {
		p.stmts = newStmtCache(p.x)
	}
	return p, nil
}

func (p *pool) close() error {
	if p.stmts != nil {
		p.stmts.close()
	}
	if p.pg != nil {
		p.pg.closing.Store(true)
	}
	return p.x.Close()
}

func sizePostgresPool(x *sqlx.DB) {
	x.SetMaxOpenConns(20)
	x.SetMaxIdleConns(20) // as many as may be open: a burst must not close and redial connections
	x.SetConnMaxIdleTime(5 * time.Minute)
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

// CheckLax connects the lax pool (see Lax) once. If the server refuses its
// session option (a pooler that rejects the options startup parameter,
// such as PgBouncer unless `options` is in its ignore_startup_parameters),
// Lax uses the database's own connections from then on: slower commits,
// nothing lost. The error says why; it is nil when the lax pool works or
// there is none. A database that cannot be reached says nothing about the
// option: the pool is kept and the error says to check again later. Safe
// to call while db is in use.
func (db *DB) CheckLax(ctx context.Context) error {
	lax := db.lax
	if lax == nil || lax.refused.Load() {
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
		// A pooler that ignores the option: the pool works but commits
		// durably; keep it, it costs nothing.
		return fmt.Errorf("the lax connections have synchronous_commit %s (a pooler ignores the options startup parameter); menu moves commit durably", setting)
	}
	if !db.laxRefused(pctx, err) {
		return fmt.Errorf("lax connections not checked, the database did not let them in (%w); check again later", err)
	}
	lax.refused.Store(true)
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

// Lax returns a view of db for work whose loss in a database crash is
// harmless: on PostgreSQL its statements and transactions run on a second
// pool of connections that commit without waiting for the write-ahead log
// to reach the disk (synchronous_commit off), which on a virtual disk is
// most of the cost of a small write. PostgreSQL still never applies half a
// transaction; a crash may only lose the last fraction of a second of lax
// commits. On SQLite (already committing without a sync per transaction,
// in WAL mode) the view uses the database's own connections. Closing the
// view does nothing; close the database.
func (db *DB) Lax() *DB {
	v := *db
	if db.lax != nil && !db.lax.refused.Load() {
		v.x, v.stmts, v.pg = db.lax.x, db.lax.stmts, db.lax.pg
	}
	v.lax, v.view = nil, true
	return &v
}

// urlScheme matches the start of a URL with an authority, "scheme://".
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

func parseURL(raw string) (engine Engine, dsn, display string, err error) {
	scheme := ""
	if m := urlScheme.FindStringSubmatch(raw); m != nil {
		scheme = strings.ToLower(m[1])
	}
	switch scheme {
	case "postgres", "postgresql":
		return parsePostgresURL(raw)
	case "", "sqlite", "file":
	default:
		return "", "", "", fmt.Errorf("database URL: unknown scheme %q: use postgres:// (or postgresql://) for PostgreSQL, or a file path (or a file: or sqlite: URL) for SQLite", scheme+"://")
	}
	path := strings.TrimPrefix(raw, "sqlite://")
	path = strings.TrimPrefix(path, "sqlite:")
	path = strings.TrimPrefix(path, "file:")
	var query url.Values
	if i := strings.IndexByte(path, '?'); i >= 0 {
		query, err = url.ParseQuery(path[i+1:])
		if err != nil {
			return "", "", "", fmt.Errorf("database URL %q: bad query: %w", raw, err)
		}
		path = path[:i]
	} else {
		query = url.Values{}
	}
	if path == "" {
		return "", "", "", fmt.Errorf("database URL %q names no file", raw)
	}
	// Each connection gets these; they are not persistent settings.
	query.Add("_pragma", "busy_timeout(10000)")
	query.Add("_pragma", "foreign_keys(1)")
	query.Add("_pragma", "synchronous(NORMAL)")
	if path != ":memory:" {
		query.Add("_pragma", "journal_mode(WAL)")
	}
	query.Set("_txlock", "immediate")
	query.Set("_time_format", "sqlite")
	return SQLite, "file:" + path + "?" + query.Encode(), "sqlite:" + path, nil
}

func parsePostgresURL(raw string) (engine Engine, dsn, display string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, password included: keep only why.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", "", "", fmt.Errorf("database URL is not a valid URL: %w", err)
	}
	display = u.Redacted()
	q := u.Query()
	// One round trip per parameterised statement instead of two
	// (prepare, then execute): lib/pq sends Parse, Bind and Execute
	// together when parameters go in binary mode.
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	// lib/pq waits for ever for a connection by default; a connection
	// attempt in the background (database/sql opens some) would then wait
	// as long as a hung server.
	if !q.Has("connect_timeout") && os.Getenv("PGCONNECT_TIMEOUT") == "" {
		q.Set("connect_timeout", defaultConnectTimeout)
	}
	u.RawQuery = q.Encode()
	return Postgres, u.String(), display, nil
}

// Engine reports the database engine.
func (db *DB) Engine() Engine { return db.engine }

// String names the store for logs, without credentials.
func (db *DB) String() string { return db.display }

// SQL returns the underlying *sql.DB (for migrations and health checks).
func (db *DB) SQL() *sql.DB { return db.x.DB }

// Close closes the database.
func (db *DB) Close() error {
	if db.view {
		return nil
	}
	if db.lax != nil {
		_ = db.lax.close()
	}
	return (&pool{x: db.x, stmts: db.stmts, pg: db.pg}).close()
}

// Ping checks that the database answers, opening a connection if none is
// open; it returns when ctx ends at the latest.
func (db *DB) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

// Tx is a transaction with the instant it began. Its query methods take
// `?` placeholders and rebind them for the engine, and store time.Time
// arguments in UTC.
type Tx struct {
	tx     execer
	stmts  *stmtCache
	engine Engine
	// Now is the clock reading taken when the transaction began, in UTC and
	// truncated to microseconds (PostgreSQL's resolution), so that every row
	// a transaction writes carries the same instant.
	Now time.Time
}

// execer is what a Tx runs statements on: a transaction, or the pool for
// NoTx.
type execer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// NoTx runs fn with statements outside any transaction, each committing on
// its own: for work that is a single statement, or reads that need no
// common snapshot, where BEGIN and COMMIT would be two more round trips on
// a hot path. ForUpdate, SkipLocked and RelaxDurability mean nothing here.
func (db *DB) NoTx(ctx context.Context, fn func(tx *Tx) error) error {
	return fn(&Tx{tx: db.x, stmts: db.stmts, engine: db.engine, Now: db.Now().UTC().Truncate(time.Microsecond)})
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also on panic, which is re-raised).
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqltx, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqltx, stmts: db.stmts, engine: db.engine, Now: db.Now().UTC().Truncate(time.Microsecond)}
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
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Engine reports the database engine of the transaction.
func (tx *Tx) Engine() Engine { return tx.engine }

func (tx *Tx) prep(q string, args []any) (string, []any) {
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
	return tx.tx.Rebind(q), args
}

// Exec runs a statement.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = tx.prep(q, args)
	if s := tx.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, q, args...)
}

// Get scans one row into dest; sql.ErrNoRows when there is none.
func (tx *Tx) Get(ctx context.Context, dest any, q string, args ...any) error {
	q, args = tx.prep(q, args)
	if s := tx.stmt(ctx, q); s != nil {
		return s.GetContext(ctx, dest, args...)
	}
	return tx.tx.GetContext(ctx, dest, q, args...)
}

// Select scans all rows into the slice dest.
func (tx *Tx) Select(ctx context.Context, dest any, q string, args ...any) error {
	q, args = tx.prep(q, args)
	if s := tx.stmt(ctx, q); s != nil {
		return s.SelectContext(ctx, dest, args...)
	}
	return tx.tx.SelectContext(ctx, dest, q, args...)
}

// Insert runs an INSERT and returns the new row's id column. The statement
// must not end with a RETURNING clause; Insert adds it (both engines support
// RETURNING).
func (tx *Tx) Insert(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := tx.Get(ctx, &id, q+" RETURNING id", args...)
	return id, err
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// answered reports whether err is the database's own answer (a PostgreSQL
// or SQLite error) rather than a failure to reach it or a call cut short.
func answered(err error) bool {
	var pqErr *pq.Error
	var liteErr *sqlite.Error
	return errors.As(err, &pqErr) || errors.As(err, &liteErr)
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

// Marks is n placeholders for a statement, "?, ?, ?" for 3: for an IN list
// or a VALUES row whose length the caller decides.
func Marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
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

// RelaxDurability lets the transaction commit without waiting for its WAL
// flush (PostgreSQL's synchronous_commit off, for this transaction only).
// Use it only where losing the last fraction of a second of such commits
// in a database crash is acceptable, e.g. the audit row of a refused
// attempt that changed nothing else. A no-op on SQLite.
func (tx *Tx) RelaxDurability(ctx context.Context) error {
	if tx.engine != Postgres {
		return nil
	}
	if _, inTx := tx.tx.(*sqlx.Tx); !inTx {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, "SET LOCAL synchronous_commit TO OFF")
	return err
}

// RFC3339 is an SQL expression that prints the timestamp expression expr
// as Go's time.RFC3339 does in UTC ("2026-11-22T01:20:00Z"), for text built
// in SQL that must read like text built in Go.
func (tx *Tx) RFC3339(expr string) string {
	if tx.engine == Postgres {
		return `to_char((` + expr + `) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
	}
	return `strftime('%Y-%m-%dT%H:%M:%SZ', ` + expr + `)`
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
