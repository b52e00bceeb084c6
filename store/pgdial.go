package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Why the PostgreSQL sockets are ours.
//
// lib/pq answers a context that ends during a call by sending a
// CancelRequest on a new connection and then goes on waiting for the
// server's answer on the old one (conn_go18.go, watchCancel). A server that
// hangs without closing its sockets (a SIGSTOPped process, a frozen VM, a
// network that drops packets) never answers, so the call and database/sql,
// which waits for the driver, block as long as the hang lasts: far past a
// webhook's 5 s budget. So the pools dial through pgConnector, which keeps
// the net.Conn under each lib/pq connection, and pgConn sets that socket's
// deadline from the context of every call in progress (and to the past when
// a context is cancelled). A read or write past the deadline fails at once,
// lib/pq returns, and the connection, whose protocol state is now unknown,
// is never handed out again (see pgConn).

// cancelWait bounds a CancelRequest connection of lib/pq from dial to close.
// lib/pq opens one, in a goroutine of its own, for each call whose context
// ends early, and reads it until the server closes it; against a hung
// server that read would never end, and a goroutine and a socket would be
// left behind per interrupted call.
const cancelWait = 3 * time.Second

// closeWait bounds the calls that have no context: closing a statement
// (a round trip) and closing a connection.
const closeWait = 2 * time.Second

// defaultConnectTimeout is lib/pq's connect_timeout unless the URL (or
// PGCONNECT_TIMEOUT) sets one: lib/pq's own default is to wait for ever,
// which would hold a background connection attempt as long as a hang.
const defaultConnectTimeout = "5"

// keepAlive detects a peer that vanished (a host that died, a connection
// a NAT forgot) in about 25 s instead of the kernel's two hours. It does not
// detect a hung server whose kernel still acknowledges: deadlines do.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3}

// pgConnector opens lib/pq connections through pgDialer and wraps each in
// a pgConn.
type pgConnector struct {
	pq *pq.Connector
	// closing is set when the pool closes: its connections' statements are
	// then not closed one round trip at a time (see pgStmt.Close).
	closing atomic.Bool
}

var _ driver.Connector = (*pgConnector)(nil)

// newPGConnector parses dsn (lib/pq reports a bad one here, before any
// connection is tried).
func newPGConnector(dsn string) (*pgConnector, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	c.Dialer(pgDialer{})
	return &pgConnector{pq: c}, nil
}

// Driver returns lib/pq's driver.
func (c *pgConnector) Driver() driver.Driver { return c.pq.Driver() }

// Connect opens a connection; the whole handshake, not only the dial, ends
// when ctx does (lib/pq bounds the handshake by connect_timeout alone).
func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	d := &dialing{}
	if dl, ok := ctx.Deadline(); ok {
		d.limit = dl
	}
	stop := context.AfterFunc(ctx, d.interrupt)
	inner, err := c.pq.Connect(context.WithValue(ctx, dialingKey{}, d))
	interrupted := !stop()
	if err != nil {
		if why := ended(ctx); why != nil {
			return nil, interruptedErr(why, err)
		}
		return nil, err
	}
	nc := d.conn()
	pc, ok := inner.(pqConn)
	if !ok || nc == nil {
		_ = inner.Close()
		return nil, fmt.Errorf("lib/pq connection %T: not the driver this package was written for", inner)
	}
	if interrupted {
		_ = inner.Close()
		return nil, ctx.Err()
	}
	nc.setLimit(time.Time{})
	return &pgConn{inner: pc, nc: nc, pool: c}, nil
}

// dialingKey marks the context of a dial made by pgConnector.Connect; a
// dial without it is lib/pq's CancelRequest connection.
type dialingKey struct{}

// dialing is one Connect in progress: the socket lib/pq dialed last (an
// earlier one, of a host or TLS mode that failed, is closed by lib/pq), the
// Connect context's deadline, and whether that context has ended.
type dialing struct {
	mu          sync.Mutex
	limit       time.Time
	interrupted bool
	nc          *netConn
}

func (d *dialing) add(nc *netConn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nc = nc
	nc.setLimit(d.limit)
	if d.interrupted {
		nc.interrupt()
	}
}

func (d *dialing) interrupt() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.interrupted = true
	if d.nc != nil {
		d.nc.interrupt()
	}
}

func (d *dialing) conn() *netConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.nc
}

// pgDialer is the pq.Dialer of the pools: TCP keepalives on every socket,
// and every socket a netConn.
type pgDialer struct{}

var _ pq.DialerContext = pgDialer{}

func (pgDialer) Dial(network, address string) (net.Conn, error) {
	return pgDialer{}.DialContext(context.Background(), network, address)
}

func (pgDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return pgDialer{}.DialContext(ctx, network, address)
}

func (pgDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d, _ := ctx.Value(dialingKey{}).(*dialing)
	var limit time.Time
	if d == nil {
		// lib/pq's CancelRequest connection: it is dialed with a context of
		// its own (not derived from the call's), so it carries no dialing.
		limit = time.Now().Add(cancelWait)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, limit)
		defer cancel()
	}
	nd := net.Dialer{KeepAliveConfig: keepAlive}
	c, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	nc := &netConn{Conn: c}
	if d == nil {
		nc.setLimit(limit)
	} else {
		d.add(nc)
	}
	return nc, nil
}

// netConn is a socket whose deadline Supportline controls: lib/pq's own
// deadlines (connect_timeout during the handshake, cleared after it) are
// kept but never allowed past limit, and once interrupted every read and
// write fails at once for good.
type netConn struct {
	net.Conn

	mu    sync.Mutex
	asked time.Time // the deadline lib/pq set last, zero for none
	limit time.Time // the earliest deadline of the calls in progress, zero for none
	dead  bool
}

// past is a deadline that has passed: I/O with it fails immediately.
var past = time.Unix(1, 0)

func (c *netConn) clampLocked(t time.Time) time.Time {
	if c.dead {
		return past
	}
	if !c.limit.IsZero() && (t.IsZero() || c.limit.Before(t)) {
		return c.limit
	}
	return t
}

// SetDeadline records lib/pq's deadline and applies it within limit.
func (c *netConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = t
	return c.Conn.SetDeadline(c.clampLocked(t))
}

// SetReadDeadline applies t within limit (lib/pq does not use it; TLS may).
func (c *netConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetReadDeadline(c.clampLocked(t))
}

// SetWriteDeadline applies t within limit (crypto/tls sets one to send its
// close alert).
func (c *netConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(c.clampLocked(t))
}

func (c *netConn) setLimit(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = t
	_ = c.Conn.SetDeadline(c.clampLocked(c.asked))
}

func (c *netConn) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	_ = c.Conn.SetDeadline(past)
}
