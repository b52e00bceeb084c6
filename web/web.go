// Package web builds the two HTTP servers every route hangs on: the Twilio
// listener, which must be reachable from the internet and serves only the
// phone line's webhooks, the calendar feeds and the health endpoints, and
// the admin listener, which need not be and serves the metrics, the admin
// API and the console. Both have the same middleware: recovery, request ids, a body
// limit, structured request logs and Prometheus metrics counted into one
// registry; health and readiness endpoints, JSON errors from error codes,
// and a graceful shutdown. The phone line (package ivr) mounts its routes
// on Server.Echo; the admin faces mount theirs on Server.Admin.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"supportline/errcode"
	"supportline/store"
)

// The listener label of the request metrics and logs.
const (
	ListenerTwilio = "twilio"
	ListenerAdmin  = "admin"
)

// Server is the two HTTP servers and what they share.
type Server struct {
	// Echo is the Twilio listener's: only /twilio/... and the health
	// endpoints are served on it, whatever else is mounted (anything else
	// is 404), so that nothing meant for admins is reachable from the
	// internet by mistake.
	Echo *echo.Echo
	// Admin is the admin listener's: /healthz, /readyz and /metrics, and
	// whatever the admin faces mount.
	Admin    *echo.Echo
	DB       *store.DB
	Log      *slog.Logger
	Registry *prometheus.Registry
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after a stop signal.
	ShutdownTimeout time.Duration
	// Gate, when set, is asked first by /readyz: an error means the
	// process has not finished reaching and migrating its database (the
	// phone line's Gate says the same), so it is not ready.
	Gate func() error

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New builds both servers with their middleware and endpoints: /healthz and
// /readyz on both, /metrics on the admin one.
func New(db *store.DB, log *slog.Logger) *Server {
	s := &Server{DB: db, Log: log, Registry: prometheus.NewRegistry(), ShutdownTimeout: 20 * time.Second}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "supportline_http_requests_total",
		Help: "HTTP requests by listener, route, method and status.",
	}, []string{"listener", "route", "method", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "supportline_http_request_duration_seconds",
		Help:    "HTTP request latency by listener, route and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"listener", "route", "method"})
	s.Registry.MustRegister(s.requests, s.latency)

	s.Echo = s.newEcho(ListenerTwilio)
	s.Echo.Use(twilioOnly)
	s.Admin = s.newEcho(ListenerAdmin)
	s.Admin.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry})))
	return s
}

// newEcho is an Echo with the middleware and health endpoints both
// listeners share; its requests are counted and logged under listener.
func (s *Server) newEcho(listener string) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestID())
	e.Use(s.observe(listener)) // outside Recover, so panics are logged and counted as 500s
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.Log.Error("panic in handler", "listener", listener, "request_id", requestID(c), "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.BodyLimit("64K"))
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	return e
}

// twilioOnly answers 404 for any path outside /twilio/ and the health
// endpoints, even one a route was mounted for: the Twilio listener faces
// the internet, and an admin handler mounted on the wrong Echo must not
// be reachable through it. It runs after routing, so that the refusal is
// logged and counted like any other 404.
func twilioOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch p := c.Request().URL.Path; {
		case p == "/healthz", p == "/readyz", p == "/twilio", strings.HasPrefix(p, "/twilio/"):
			return next(c)
		case strings.HasPrefix(p, "/ical/"): // calendar feeds (package feeds): fetched from the internet by secret URL
			return next(c)
		default:
			return errOffListener
		}
	}
}

// errOffListener is twilioOnly's 404, told apart so that the refused path
// is counted as unmatched rather than under a route mounted by mistake.
var errOffListener = echo.NewHTTPError(http.StatusNotFound)

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// observe logs each request (never its body or query string, which may carry
// keyed digits) and records its metrics under the route pattern, so that
// the label set stays small.
func (s *Server) observe(listener string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the error response now, so the status is known
			}
			status := c.Response().Status
			route := c.Path()
			if route == "" || errors.Is(err, errOffListener) {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.requests.WithLabelValues(listener, route, c.Request().Method, strconv.Itoa(status)).Inc()
			s.latency.WithLabelValues(listener, route, c.Request().Method).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			s.Log.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("listener", listener),
				slog.String("request_id", requestID(c)),
				slog.String("method", c.Request().Method),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", status),
				slog.Duration("latency", elapsed),
			)
			return nil
		}
	}
}

func (s *Server) ready(c echo.Context) error {
	if s.Gate != nil {
		if err := s.Gate(); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database not reached yet"})
		}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Log.Warn("readiness: database unreachable", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable"})
	}
	ok, err := s.DB.Migrated(ctx)
	if err != nil || !ok {
		s.Log.Warn("readiness: migrations pending", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database migrations pending"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready", "store": string(s.DB.Engine())})
}

// handleError answers errors as JSON: coded errors with their message and
// status, Echo's own errors as they are, anything else as a bare 500 whose
// details go to the log only.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		msg = http.StatusText(status)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	case errcode.CodeOf(err) != errcode.Internal:
		status, msg = errcode.HTTPStatus(errcode.CodeOf(err)), errcode.Message(err)
	default:
		s.Log.Error("request failed", "request_id", requestID(c), "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, map[string]string{"error": msg})
}

// Listeners are the two bound sockets Serve serves on.
type Listeners struct {
	Twilio, Admin net.Listener
}

// Listen binds both addresses, so that a port in use stops serve before it
// serves anything. On an error nothing stays bound.
func Listen(addr, adminAddr string) (*Listeners, error) {
	tw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	admin, err := net.Listen("tcp", adminAddr)
	if err != nil {
		tw.Close()
		return nil, fmt.Errorf("admin API: listen on %s: %w", adminAddr, err)
	}
	return &Listeners{Twilio: tw, Admin: admin}, nil
}

// Serve serves the Twilio Echo and the admin Echo on ls until ctx ends or
// either server fails, then stops both from accepting connections and
// waits (up to ShutdownTimeout) for in-flight requests on both to finish.
func (s *Server) Serve(ctx context.Context, ls *Listeners) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, l := range []struct {
		name string
		h    http.Handler
		ln   net.Listener
	}{{ListenerTwilio, s.Echo, ls.Twilio}, {ListenerAdmin, s.Admin, ls.Admin}} {
		srv := s.httpServer(l.h)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l.ln) }()
		wg.Go(func() {
			select {
			case err := <-served:
				fail(fmt.Errorf("%s listener: serve: %w", l.name, err))
				cancel() // one listener down stops the other: serve exits with the error
				return
			case <-ctx.Done():
			}
			sctx, stop := context.WithTimeout(context.Background(), s.ShutdownTimeout)
			defer stop()
			if err := srv.Shutdown(sctx); err != nil {
				fail(fmt.Errorf("%s listener: graceful shutdown: %w", l.name, err))
			}
			if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("%s listener: %w", l.name, err))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
}
