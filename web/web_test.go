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
		listeners := map[string]http.Handler{"twilio": s.Echo, "admin": s.Admin}
		for name, h := range listeners {
			if code, _ := get(t, h, "/healthz"); code != 200 {
				t.Fatalf("%s /healthz = %d, want 200", name, code)
			}
			if code, body := get(t, h, "/readyz"); code != 200 || body["status"] != "ready" {
				t.Fatalf("%s /readyz = %d %v, want 200 ready", name, code, body)
			}
		}
		// Pending migrations make the service unready.
		if err := db.MigrateDown(context.Background()); err != nil {
			t.Fatal(err)
		}
		for name, h := range listeners {
			if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body["reason"], "migrations") {
				t.Fatalf("%s /readyz with a pending migration = %d %v, want 503 naming migrations", name, code, body)
			}
		}
		// A closed database makes it unready, while the process stays healthy.
		db.Close()
		for name, h := range listeners {
			if code, body := get(t, h, "/readyz"); code != 503 || body["reason"] != "database unreachable" {
				t.Fatalf("%s /readyz with the database closed = %d %v, want 503 database unreachable", name, code, body)
			}
			if code, _ := get(t, h, "/healthz"); code != 200 {
				t.Fatalf("%s /healthz with the database closed = %d, want 200", name, code)
			}
		}
	})
}

// The Twilio listener faces the internet: it serves /twilio/... and the
// health endpoints and nothing else, not even a route mounted on it by
// mistake; the metrics are on the admin listener only.
func TestListenersServeTheirOwnPaths(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, quietLog())
	s.Echo.POST("/twilio/voice", func(c echo.Context) error { return c.String(200, "<Response/>") })
	s.Echo.GET("/api/v1/tickets", func(c echo.Context) error { return c.String(200, "mounted on the wrong Echo") })
	s.Admin.GET("/api/v1/tickets", func(c echo.Context) error { return c.String(200, "[]") })
	for _, tc := range []struct {
		listener string
		h        http.Handler
		method   string
		path     string
		want     int
	}{
		{"twilio", s.Echo, http.MethodPost, "/twilio/voice", 200},
		{"twilio", s.Echo, http.MethodGet, "/metrics", 404},
		{"twilio", s.Echo, http.MethodGet, "/api/anything", 404},
		{"twilio", s.Echo, http.MethodGet, "/api/v1/tickets", 404},
		{"twilio", s.Echo, http.MethodGet, "/", 404},
		{"admin", s.Admin, http.MethodGet, "/metrics", 200},
		{"admin", s.Admin, http.MethodGet, "/api/v1/tickets", 200},
		{"admin", s.Admin, http.MethodGet, "/api/anything", 404},
		{"admin", s.Admin, http.MethodPost, "/twilio/voice", 404},
	} {
		t.Run(tc.listener+" "+tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.want {
				t.Fatalf("%s %s on the %s listener = %d %q, want %d", tc.method, tc.path, tc.listener, rec.Code, rec.Body, tc.want)
			}
			if tc.want == 404 {
				var body map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] == "" {
					t.Fatalf("404 body %q, want a JSON error", rec.Body)
				}
			}
		})
	}
}

func TestMetricsAndErrors(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, quietLog())
	get(t, s.Echo, "/healthz")
	get(t, s.Admin, "/healthz")
	get(t, s.Admin, "/healthz")
	if code, body := get(t, s.Echo, "/no/such/page"); code != 404 || body["error"] == "" {
		t.Fatalf("unknown route = %d %v, want a 404 JSON error", code, body)
	}
	if code, body := get(t, s.Admin, "/no/such/page"); code != 404 || body["error"] == "" {
		t.Fatalf("unknown admin route = %d %v, want a 404 JSON error", code, body)
	}
	rec := httptest.NewRecorder()
	s.Admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := rec.Body.String()
	// Both listeners count into the one registry, told apart by a label.
	for _, want := range []string{
		`supportline_http_requests_total{listener="twilio",method="GET",route="/healthz",status="200"} 1`,
		`supportline_http_requests_total{listener="admin",method="GET",route="/healthz",status="200"} 2`,
		`supportline_http_requests_total{listener="twilio",method="GET",route="unmatched",status="404"} 1`,
		`supportline_http_requests_total{listener="admin",method="GET",route="unmatched",status="404"} 1`,
		`supportline_http_request_duration_seconds_bucket{listener="twilio",method="GET",route="/healthz"`,
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for name, e := range map[string]*echo.Echo{"twilio": s.Echo, "admin": s.Admin} {
		prefix := ""
		if name == "twilio" {
			prefix = "/twilio" // the only paths the Twilio listener serves
		}
		// A body over 64 KiB is refused before any handler reads it.
		e.POST(prefix+"/echo", func(c echo.Context) error { return c.String(200, "read") })
		rec = httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, prefix+"/echo", strings.NewReader(strings.Repeat("x", 65*1024))))
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s: 65 KiB body = %d, want 413", name, rec.Code)
		}
		// A panic becomes a 500 without killing the server.
		e.GET(prefix+"/panic", func(c echo.Context) error { panic("boom") })
		if code, body := get(t, e, prefix+"/panic"); code != 500 || body["error"] != "internal error" {
			t.Fatalf("%s: panic = %d %v, want 500 internal error", name, code, body)
		}
		// Every request gets an id.
		rec = httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Header().Get(echo.HeaderXRequestID) == "" {
			t.Fatalf("%s: no %s header", name, echo.HeaderXRequestID)
		}
	}
}

// serveBoth serves s on two free loopback ports until stop is called.
func serveBoth(t *testing.T, s *web.Server) (twilio, admin string, stop func(), done <-chan error) {
	t.Helper()
	ls, err := web.Listen("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ls) }()
	t.Cleanup(cancel)
	return "http://" + ls.Twilio.Addr().String(), "http://" + ls.Admin.Addr().String(), cancel, errc
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, quietLog())
	entered, release := make(chan struct{}, 2), make(chan struct{})
	slow := func(c echo.Context) error {
		entered <- struct{}{}
		<-release
		return c.String(http.StatusOK, "finished")
	}
	s.Echo.GET("/twilio/slow", slow)
	s.Admin.GET("/slow", slow)
	twilio, admin, stop, done := serveBoth(t, s)

	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 2)
	for _, u := range []string{twilio + "/twilio/slow", admin + "/slow"} {
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				resc <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			resc <- result{string(b), err}
		}()
	}
	<-entered
	<-entered
	stop() // the signal arrives while both requests are running
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v before the in-flight requests finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	for range 2 {
		if r := <-resc; r.err != nil || r.body != "finished" {
			t.Fatalf("in-flight request: %q %v, want finished", r.body, r.err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for _, base := range []string{twilio, admin} {
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Fatalf("%s still accepts connections after shutdown", base)
		}
	}
}

// One listener failing stops the other, and Serve says which failed.
func TestServeStopsBothWhenOneFails(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, quietLog())
	ls, err := web.Listen("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	twilio := "http://" + ls.Twilio.Addr().String()
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), ls) }()
	waitUp(t, twilio+"/healthz")
	ls.Admin.Close()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "admin listener") {
			t.Fatalf("Serve = %v, want the admin listener's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the admin listener failed")
	}
	if _, err := http.Get(twilio + "/healthz"); err == nil {
		t.Fatal("the Twilio listener still accepts connections")
	}
}

// A port in use is refused by Listen, which leaves nothing bound.
func TestListenRefusesAPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()
	if _, err := web.Listen(freeAddr, taken.Addr().String()); err == nil || !strings.Contains(err.Error(), "admin API") {
		t.Fatalf("Listen with the admin port in use = %v, want an admin API error", err)
	}
	again, err := net.Listen("tcp", freeAddr)
	if err != nil {
		t.Fatalf("the Twilio address stayed bound after the refusal: %v", err)
	}
	again.Close()
}

func waitUp(t *testing.T, u string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return
		}
	}
	t.Fatalf("%s did not answer in 5 s", u)
}
