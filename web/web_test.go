package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/store"
	"supportline/store/storetest"
	"supportline/web"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func get(t *testing.T, h http.Handler, path string) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body
}

func TestHealthAndReadiness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := web.New(db, quietLog())
		if code, _ := get(t, s.Echo, "/healthz"); code != 200 {
			t.Fatalf("/healthz = %d, want 200", code)
		}
		if code, body := get(t, s.Echo, "/readyz"); code != 200 || body["status"] != "ready" {
			t.Fatalf("/readyz = %d %v, want 200 ready", code, body)
		}
		// Pending migrations make the service unready.
		if err := db.MigrateDown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, s.Echo, "/readyz"); code != 503 || !strings.Contains(body["reason"], "migrations") {
			t.Fatalf("/readyz with a pending migration = %d %v, want 503 naming migrations", code, body)
		}
		// A closed database makes it unready, while the process stays healthy.
		db.Close()
		if code, body := get(t, s.Echo, "/readyz"); code != 503 || body["reason"] != "database unreachable" {
			t.Fatalf("/readyz with the database closed = %d %v, want 503 database unreachable", code, body)
		}
		if code, _ := get(t, s.Echo, "/healthz"); code != 200 {
			t.Fatalf("/healthz with the database closed = %d, want 200", code)
		}
	})
}

func TestMetricsAndErrors(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, quietLog())
	get(t, s.Echo, "/healthz")
	if code, body := get(t, s.Echo, "/no/such/page"); code != 404 || body["error"] == "" {
		t.Fatalf("unknown route = %d %v, want a 404 JSON error", code, body)
	}
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`supportline_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`supportline_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`supportline_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// A body over 64 KiB is refused before any handler reads it.
	s.Echo.POST("/echo", func(c echo.Context) error { return c.String(200, "read") })
	rec = httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/echo", strings.NewReader(strings.Repeat("x", 65*1024))))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("65 KiB body = %d, want 413", rec.Code)
	}
	// A panic becomes a 500 without killing the server.
	s.Echo.GET("/panic", func(c echo.Context) error { panic("boom") })
	if code, body := get(t, s.Echo, "/panic"); code != 500 || body["error"] != "internal error" {
		t.Fatalf("panic = %d %v, want 500 internal error", code, body)
	}
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, quietLog())
	entered, release := make(chan struct{}), make(chan struct{})
	s.Echo.GET("/slow", func(c echo.Context) error {
		close(entered)
		<-release
		return c.String(http.StatusOK, "finished")
	})
	ctx, stop := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	base := "http://" + (<-addrc).String()

	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{string(b), err}
	}()
	<-entered
	stop() // the signal arrives while /slow is running
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before the in-flight request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-resc; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q %v, want finished", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}
