package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sync"
	"time"
)

// pqConn is what lib/pq's connection implements and pgConn relies on;
// Connect refuses a connection that lacks any of it rather than silently
// losing a feature (binary parameters go through CheckNamedValue).
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// pgConn is a lib/pq connection whose calls cannot outlive their contexts.
//
// Each call registers its context while it uses the socket: a statement
// until it returns, a query until its rows are closed (Next and Close read
// the socket), a transaction from BEGIN until COMMIT or ROLLBACK (so that
// every statement in it is bounded by the transaction's context too). The
// socket's deadline is the earliest deadline among them, and a context
// that ends sets it to the past. A call that fails because its context
// ended leaves the connection broken: the server may still send the rest of
// its answer, which the next caller would read as theirs. A broken
// connection fails every further call at once, and reports itself invalid
// (IsValid, ResetSession), so database/sql closes it instead of pooling it.
type pgConn struct {
	inner pqConn
	nc    *netConn
	pool  *pgConnector

	mu     sync.Mutex
	calls  []*call
	broken error // the context error that interrupted a call; nil while usable
}

var (
	_ pqConn                                = (*pgConn)(nil)
	_ driver.Tx                             = (*pgTx)(nil)
	_ driver.StmtExecContext                = (*pgStmt)(nil)
	_ driver.StmtQueryContext               = (*pgStmt)(nil)
	_ driver.RowsNextResultSet              = (*pgRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*pgRows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*pgRows)(nil)
	_ driver.RowsColumnTypeLength           = (*pgRows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*pgRows)(nil)
)

// call is a context registered on a pgConn.
type call struct {
	ctx  context.Context
	stop func() bool
}

// begin registers ctx for a call about to use the socket.
func (c *pgConn) begin(ctx context.Context) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, c.brokenErr()
	}
	k := &call{ctx: ctx}
	c.calls = append(c.calls, k)
	c.applyLocked()
	k.stop = context.AfterFunc(ctx, func() { c.interrupt(ctx.Err()) })
	return k, nil
}

// end unregisters k once its call is over and returns the call's error,
// turned into the context's error when the context interrupted it.
func (c *pgConn) end(k *call, err error) error {
	k.stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	err = c.settleLocked(err)
	c.calls = slices.DeleteFunc(c.calls, func(o *call) bool { return o == k })
	if c.broken == nil {
		c.applyLocked()
	}
	return err
}

// settle is end for a call that goes on (rows after a failed Next).
func (c *pgConn) settle(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settleLocked(err)
}

func (c *pgConn) settleLocked(err error) error {
	if c.broken == nil {
		// A failure once a registered deadline has passed is that deadline
		// (the socket's can fire a moment before the context's own timer).
		// A context that is done when its call ends breaks the connection
		// even if the call succeeded: lib/pq may have sent a CancelRequest
		// that the server would apply to whatever runs next on it.
		for _, o := range c.calls {
			if why := ended(o.ctx); why != nil && (err != nil || o.ctx.Err() != nil) {
				c.broken = why
				break
			}
		}
		if c.broken == nil {
			return err
		}
		c.nc.interrupt()
	}
	if err == nil || err == io.EOF {
		return err
	}
	return interruptedErr(c.broken, err)
}

// interrupt breaks the connection when a registered context ends.
func (c *pgConn) interrupt(why error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.broken = why
	}
	c.nc.interrupt()
}

func (c *pgConn) applyLocked() {
	var limit time.Time
	for _, k := range c.calls {
		if dl, ok := k.ctx.Deadline(); ok && (limit.IsZero() || dl.Before(limit)) {
			limit = dl
		}
	}
	c.nc.setLimit(limit)
}

// brokenErr is what a call on a broken connection returns: driver.ErrBadConn,
// so that database/sql retries it on another connection where it can
// (nothing was sent).
func (c *pgConn) brokenErr() error {
	return fmt.Errorf("%w: interrupted earlier (%w)", driver.ErrBadConn, c.broken)
}

// closing runs fn, a call without a context (closing a statement or the
// connection), bounded by closeWait; on a broken connection the socket
// fails at once.
func (c *pgConn) closing(fn func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	k, err := c.begin(ctx)
	if err != nil {
		return fn()
	}
	return c.end(k, fn())
}

// Prepare implements driver.Conn.
func (c *pgConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

// PrepareContext implements driver.ConnPrepareContext.
func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	k, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	s, err := c.inner.PrepareContext(ctx, q)
	if err = c.end(k, err); err != nil {
		return nil, err
	}
	ps, ok := s.(pqStmt)
	if !ok {
		_ = c.closing(s.Close)
		return nil, fmt.Errorf("lib/pq statement %T: not the driver this package was written for", s)
	}
	return &pgStmt{c: c, inner: ps}, nil
}

// Close implements driver.Conn.
func (c *pgConn) Close() error { return c.closing(c.inner.Close) }

// Begin implements driver.Conn.
func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx. The transaction's context stays
// registered until COMMIT or ROLLBACK, which have no context of their own.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	k, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.end(k, err)
	}
	return &pgTx{c: c, inner: tx, k: k}, nil
}

// QueryContext implements driver.QueryerContext.
func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	k, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.inner.QueryContext(ctx, q, args)
	if err != nil {
		return nil, c.end(k, err)
	}
	return &pgRows{c: c, inner: r, k: k}, nil
}

// ExecContext implements driver.ExecerContext.
func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	k, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.inner.ExecContext(ctx, q, args)
	if err = c.end(k, err); err != nil {
		return nil, err
	}
	return res, nil
}

// Ping implements driver.Pinger.
func (c *pgConn) Ping(ctx context.Context) error {
	k, err := c.begin(ctx)
	if err != nil {
		return err
	}
	return c.end(k, c.inner.Ping(ctx))
}

// ResetSession implements driver.SessionResetter: database/sql calls it
// before reusing a connection, and discards one that answers ErrBadConn.
func (c *pgConn) ResetSession(ctx context.Context) error {
	c.mu.Lock()
	broken := c.broken != nil
	c.mu.Unlock()
	if broken {
		return driver.ErrBadConn
	}
	return c.inner.ResetSession(ctx)
}

// IsValid implements driver.Validator: database/sql asks it when a call
// hands the connection back, and closes an invalid one.
func (c *pgConn) IsValid() bool {
	c.mu.Lock()
	broken := c.broken != nil
	c.mu.Unlock()
	return !broken && c.inner.IsValid()
}

// CheckNamedValue implements driver.NamedValueChecker (lib/pq's encodes
// binary parameters and slices).
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.inner.CheckNamedValue(nv)
}

// pgTx is a transaction whose context stays registered until it ends.
type pgTx struct {
	c     *pgConn
	inner driver.Tx
	k     *call
}

// Commit implements driver.Tx.
func (t *pgTx) Commit() error { return t.c.end(t.k, t.inner.Commit()) }

// Rollback implements driver.Tx. database/sql calls it from a goroutine of
// its own when the transaction's context ends; the socket then fails at
// once and the connection is discarded, which the server takes as a
// rollback.
func (t *pgTx) Rollback() error { return t.c.end(t.k, t.inner.Rollback()) }

// pqStmt is what lib/pq's prepared statement implements.
type pqStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// pgStmt is a prepared statement of a pgConn.
//
// lib/pq's statement calls get a context that never ends
// (context.WithoutCancel): on an ended context lib/pq's statement-level
// watcher sends a CancelRequest and makes the call wait for it
// (stmt.watchCancel's finish), which against a hung server is the whole of
// cancelWait past the caller's deadline. The socket deadline interrupts the
// call instead, and the connection is discarded; inside a transaction
// lib/pq's transaction-level watcher still sends a CancelRequest, in the
// background.
type pgStmt struct {
	c     *pgConn
	inner pqStmt
}

// Close implements driver.Stmt: a round trip on lib/pq, except when the
// pool is closing. database/sql then closes each connection's statements
// one by one before the connection, which against a hung server would cost
// closeWait per connection; the server drops a session's statements with
// the session anyway.
func (s *pgStmt) Close() error {
	if s.c.pool.closing.Load() {
		return nil
	}
	return s.c.closing(s.inner.Close)
}

// NumInput implements driver.Stmt.
func (s *pgStmt) NumInput() int { return s.inner.NumInput() }

// Exec implements driver.Stmt; database/sql uses ExecContext.
func (s *pgStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

// Query implements driver.Stmt; database/sql uses QueryContext.
func (s *pgStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

// ExecContext implements driver.StmtExecContext.
func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	k, err := s.c.begin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.inner.ExecContext(context.WithoutCancel(ctx), args)
	if err = s.c.end(k, err); err != nil {
		return nil, err
	}
	return res, nil
}

// QueryContext implements driver.StmtQueryContext.
func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	k, err := s.c.begin(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.inner.QueryContext(context.WithoutCancel(ctx), args)
	if err != nil {
		return nil, s.c.end(k, err)
	}
	return &pgRows{c: s.c, inner: r, k: k}, nil
}

func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// pgRows keeps its query's context registered until it is closed: lib/pq
// reads the rows from the socket in Next and reads the rest in Close.
type pgRows struct {
	c      *pgConn
	inner  driver.Rows
	k      *call
	closed bool
}

// Columns implements driver.Rows.
func (r *pgRows) Columns() []string { return r.inner.Columns() }

// Close implements driver.Rows.
func (r *pgRows) Close() error {
	err := r.inner.Close()
	if r.closed {
		return err
	}
	r.closed = true
	return r.c.end(r.k, err)
}

// Next implements driver.Rows.
func (r *pgRows) Next(dest []driver.Value) error {
	err := r.inner.Next(dest)
	if err == nil || err == io.EOF {
		return err
	}
	return r.c.settle(err)
}

// HasNextResultSet implements driver.RowsNextResultSet.
func (r *pgRows) HasNextResultSet() bool {
	n, ok := r.inner.(driver.RowsNextResultSet)
	return ok && n.HasNextResultSet()
}

// NextResultSet implements driver.RowsNextResultSet.
func (r *pgRows) NextResultSet() error {
	if n, ok := r.inner.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}

// ColumnTypeScanType implements driver.RowsColumnTypeScanType.
func (r *pgRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.inner.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

// ColumnTypeDatabaseTypeName implements driver.RowsColumnTypeDatabaseTypeName.
func (r *pgRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.inner.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

// ColumnTypeLength implements driver.RowsColumnTypeLength.
func (r *pgRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.inner.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

// ColumnTypePrecisionScale implements driver.RowsColumnTypePrecisionScale.
func (r *pgRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.inner.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// ended is ctx's error, or DeadlineExceeded once its deadline has passed
// even if its timer has not fired yet.
func ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// interruptedError is a call cut short because its context ended: it is
// the context's error (errors.Is) with the driver's error as detail. It
// does not unwrap to driver.ErrBadConn, which lib/pq reports for a failed
// socket: database/sql would retry the call elsewhere although it may have
// reached the server.
type interruptedError struct {
	why, err error
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("%v (database call interrupted: %v)", e.why, e.err)
}

func (e *interruptedError) Unwrap() []error {
	if errors.Is(e.err, driver.ErrBadConn) {
		return []error{e.why}
	}
	return []error{e.why, e.err}
}

func interruptedErr(why, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &interruptedError{why: why, err: err}
}
