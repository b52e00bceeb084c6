package storetest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between the code under test and a server, which
// fails the way servers fail: Freeze is a hung server (SIGSTOPped: its
// connections stay open and new ones are accepted, but nothing is
// answered), Refuse a stopped one (connections refused, open ones closed),
// DropAll a network that resets connections. Its methods are safe for
// concurrent use.
type Proxy struct {
	tb     testing.TB
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener       // nil while refusing
	frozen bool               // gate is open (blocks) while frozen
	gate   chan struct{}      // closed while forwarding
	links  map[*link]struct{} // open connections
	wg     sync.WaitGroup     // accept loops and links
}

// link is one proxied connection.
type link struct {
	client net.Conn

	mu      sync.Mutex
	server  net.Conn // nil until the proxy forwards
	dropped bool
	done    chan struct{} // closed when dropped
}

// NewProxy listens on 127.0.0.1 (a free port) and forwards to target, a
// host:port. It is closed when the test ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	gate := make(chan struct{})
	close(gate)
	p := &Proxy{tb: tb, target: target, addr: ln.Addr().String(), gate: gate, links: map[*link]struct{}{}}
	p.serve(ln)
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port; it stays the same across Refuse and Accept.
func (p *Proxy) Addr() string { return p.addr }

// Freeze stops forwarding in both directions. Connections stay open and new
// ones are accepted; what is sent waits, as in the socket buffers of a
// stopped process, until Thaw.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen = true
		p.gate = make(chan struct{})
	}
}

// Thaw forwards again, what waited first.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.gate)
	}
}

// Refuse closes the listener, so that connecting fails at once, and closes
// every open connection.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	p.drop(false)
}

// Accept listens again, on the same address, after Refuse. Call it from
// the test's goroutine.
func (p *Proxy) Accept() {
	p.tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.tb.Fatalf("proxy: listen again: %v", err)
	}
	p.serveLocked(ln)
}

// DropAll resets every open connection (new ones are still accepted).
func (p *Proxy) DropAll() { p.drop(true) }

// Close refuses connections and waits for the proxy's goroutines.
func (p *Proxy) Close() {
	p.Refuse()
	p.wg.Wait()
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveLocked(ln)
}

func (p *Proxy) serveLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go p.acceptLoop(ln)
}

func (p *Proxy) acceptLoop(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		l := &link{client: c, done: make(chan struct{})}
		p.mu.Lock()
		if p.ln != ln { // refused meanwhile
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.forward(l)
	}
}

// wait blocks while the proxy is frozen; false when l was dropped.
func (p *Proxy) wait(l *link) bool {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	select {
	case <-gate:
		return true
	case <-l.done:
		return false
	}
}

// forward connects to the target (not before a thaw: a stopped server
// does not accept) and copies both ways.
func (p *Proxy) forward(l *link) {
	defer p.wg.Done()
	defer p.close(l, false)
	if !p.wait(l) {
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	l.mu.Lock()
	if l.dropped {
		l.mu.Unlock()
		_ = s.Close()
		return
	}
	l.server = s
	l.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { p.pump(l, l.client, s) })
	p.pump(l, s, l.client)
	wg.Wait()
}

// pump copies src to dst, holding what it read while the proxy is frozen.
func (p *Proxy) pump(l *link, dst, src net.Conn) {
	defer p.close(l, false)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait(l) {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) drop(reset bool) {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		p.close(l, reset)
	}
}

// close closes both sides of l, with a TCP reset when reset is set.
func (p *Proxy) close(l *link, reset bool) {
	l.mu.Lock()
	if l.dropped {
		l.mu.Unlock()
		return
	}
	l.dropped = true
	close(l.done)
	s := l.server
	l.mu.Unlock()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
	for _, c := range []net.Conn{l.client, s} {
		if c == nil {
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok && reset {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}

// PostgresViaProxy returns the URL of a fresh PostgreSQL schema (as Open
// uses) whose connections go through a new Proxy, and the proxy. It skips
// the test when no PostgreSQL is configured (fails when CI=true).
func PostgresViaProxy(tb testing.TB) (rawURL string, p *Proxy) {
	tb.Helper()
	u, err := url.Parse(postgresSchema(tb))
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || host[0] == '/' {
		tb.Fatalf("%s must name a TCP host to test through a proxy", EnvPostgres)
	}
	if port == "" {
		port = "5432"
	}
	p = NewProxy(tb, net.JoinHostPort(host, port))
	u.Host = p.Addr()
	return u.String(), p
}
