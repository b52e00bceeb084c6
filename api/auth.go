package api

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
)

// principalKey is the request context key of the caller's auth.Principal.
type principalKey struct{}

// actionKey is the operation metadata key of the auth.Action it needs.
const actionKey = "supportline-action"

// The limit of bad tokens from one address: after badTokenLimit refused
// tokens within badTokenWindow, the address gets 429 until the window
// ends. Tokens have 256 random bits, so this does not protect them from
// guessing; it keeps a misconfigured or hostile client from turning every
// request into a database lookup.
const (
	badTokenLimit  = 10
	badTokenWindow = time.Minute
)

// The WWW-Authenticate answers (RFC 6750): without a token, and for a
// token that does not work.
const (
	challenge        = `Bearer realm="supportline"`
	challengeInvalid = `Bearer realm="supportline", error="invalid_token"`
)

// authenticate is the middleware of every operation: the address's limit
// first, then the bearer token, then the operation's action against the
// token's role. Only the principal goes on; the token's text is never
// logged, and why a token was refused goes to the log, not the client.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	addr := remoteHost(ctx.RemoteAddr())
	if wait, blocked := s.limiter.blocked(addr); blocked {
		ctx.SetHeader("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		_ = huma.WriteErr(s.api, ctx, http.StatusTooManyRequests, "too many requests with a bad token from this address; try again later")
		return
	}
	header := ctx.Header("Authorization")
	if header == "" {
		ctx.SetHeader("WWW-Authenticate", challenge)
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "a bearer token is required: Authorization: Bearer slt_...")
		return
	}
	text, bearer := bearerToken(header)
	p, err := auth.Principal{}, errors.New("not a bearer token")
	if bearer {
		p, err = s.Tokens.Authenticate(ctx.Context(), text)
		if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			s.log().ErrorContext(ctx.Context(), "api: check token", "err", err)
			_ = huma.WriteErr(s.api, ctx, http.StatusInternalServerError, internalMessage)
			return
		}
	}
	if err != nil {
		s.limiter.fail(addr)
		s.log().WarnContext(ctx.Context(), "api: token refused", "remote", addr, "reason", err.Error(), "path", ctx.URL().Path)
		ctx.SetHeader("WWW-Authenticate", challengeInvalid)
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "the token is malformed, unknown, expired or revoked")
		return
	}
	action, _ := ctx.Operation().Metadata[actionKey].(auth.Action)
	if action == "" || !p.Allows(action) {
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, fmt.Sprintf("token %s has role %s, which may not %s", p.Name, p.Role, auth.Describe(action)))
		return
	}
	next(huma.WithValue(ctx, principalKey{}, p))
}

// bearerToken is the token text of an Authorization header and whether
// its scheme is Bearer (RFC 6750: the scheme in any case).
func bearerToken(header string) (string, bool) {
	scheme, text, _ := strings.Cut(header, " ")
	return strings.TrimLeft(text, " "), strings.EqualFold(scheme, "Bearer")
}

// remoteHost is the address without its port: one client opens many
// connections. Behind a reverse proxy every client is the proxy's address.
func remoteHost(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// limiter counts refused tokens per address in fixed windows, in memory:
// a restart forgets them, which is fine for slowing a client down.
type limiter struct {
	now    func() time.Time
	max    int
	window time.Duration

	mu     sync.Mutex
	byAddr map[string]*failures
}

type failures struct {
	start time.Time // of the window
	n     int
}

func newLimiter(now func() time.Time, max int, window time.Duration) *limiter {
	return &limiter{now: now, max: max, window: window, byAddr: map[string]*failures{}}
}

// blocked reports whether addr has used up its failures in the current
// window, and how long until that window ends.
func (l *limiter) blocked(addr string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.byAddr[addr]
	if f == nil {
		return 0, false
	}
	left := f.start.Add(l.window).Sub(l.now())
	if left <= 0 {
		delete(l.byAddr, addr)
		return 0, false
	}
	return left, f.n >= l.max
}

// fail counts one refused token from addr.
func (l *limiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.byAddr) > 10000 { // many addresses: forget the ended windows
		for a, f := range l.byAddr {
			if !now.Before(f.start.Add(l.window)) {
				delete(l.byAddr, a)
			}
		}
	}
	f := l.byAddr[addr]
	if f == nil || !now.Before(f.start.Add(l.window)) {
		f = &failures{start: now}
		l.byAddr[addr] = f
	}
	f.n++
}
