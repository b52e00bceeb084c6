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
	// lax is the PostgreSQL pool whose sessions commit without waiting
	// for the disk (lax.go); nil on SQLite.
	lax *laxPool
}

// pool is a connection pool with its statement cache.
type pool struct {
	x     *sqlx.DB
	stmts *stmtCache
	pg    *pgConnector // nil on SQLite
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
	if db.lax != nil {
		_ = db.lax.close()
	}
	return (&pool{x: db.x, stmts: db.stmts, pg: db.pg}).close()
}

// Ping checks that the database answers, opening a connection if none is
// open; it returns when ctx ends at the latest.
func (db *DB) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

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
