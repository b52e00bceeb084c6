// Package web builds the HTTP server every route hangs on: Echo with
// recovery, request ids, a body limit, structured request logs, Prometheus
// metrics, health and readiness endpoints, JSON errors from error codes,
// and a graceful shutdown. The phone line (package ivr) mounts its routes
// on the Echo this package returns.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"supportline/errcode"
	"supportline/store"
)

// Server is the HTTP server.
type Server struct {
	Echo     *echo.Echo
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
}

// New builds the server with its middleware and the /healthz, /readyz and
// /metrics endpoints.
func New(db *store.DB, log *slog.Logger) *Server {
	s := &Server{Echo: echo.New(), DB: db, Log: log, Registry: prometheus.NewRegistry(), ShutdownTimeout: 20 * time.Second}
	e := s.Echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "supportline_http_requests_total",
		Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "supportline_http_request_duration_seconds",
		Help:    "HTTP request latency by route and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	s.Registry.MustRegister(requests, latency)

	e.Use(middleware.RequestID())
	e.Use(s.observe(requests, latency)) // outside Recover, so panics are logged and counted as 500s
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.Error("panic in handler", "request_id", requestID(c), "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.BodyLimit("64K"))

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry})))
	return s
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// observe logs each request (never its body or query string, which may carry
// keyed digits) and records its metrics under the route pattern, so that
// the label set stays small.
func (s *Server) observe(requests *prometheus.CounterVec, latency *prometheus.HistogramVec) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the error response now, so the status is known
			}
			status := c.Response().Status
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
			latency.WithLabelValues(route, c.Request().Method).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			s.Log.LogAttrs(c.Request().Context(), level, "http request",
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

// Run serves on addr until ctx ends, then stops accepting connections and
// waits (up to ShutdownTimeout) for in-flight requests to finish. started,
// if not nil, is called with the bound address once the server listens.
func (s *Server) Run(ctx context.Context, addr string, started func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	if started != nil {
		started(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
