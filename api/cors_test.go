package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"supportline/api"
	"supportline/auth"
	"supportline/domain"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/web"
)

// corsServer is the admin listener with the API mounted and origins
// allowed.
func corsServer(t *testing.T, origins ...string) string {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	srv := &api.Server{Services: domain.Services{Tokens: &auth.Tokens{DB: db, Engineers: &oncall.Service{DB: db, Policy: policy(t)}}}, CORSOrigins: origins}
	w := web.New(db, slog.New(slog.DiscardHandler))
	srv.Mount(w.Admin)
	ts := httptest.NewServer(w.Admin)
	t.Cleanup(ts.Close)
	return ts.URL
}

// corsRequest sends method to path with an Origin (none when empty), as a
// preflight when preflight is set, and returns the answer's status and
// headers.
func corsRequest(t *testing.T, base, method, path, origin string, preflight bool) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if preflight {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header
}

// corsHeaders are the answer's Access-Control-* headers.
func corsHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out = append(out, k)
		}
	}
	return out
}

func TestCORSOffByDefault(t *testing.T) {
	base := corsServer(t)
	for _, preflight := range []bool{false, true} {
		method := http.MethodGet
		if preflight {
			method = http.MethodOptions
		}
		// Echo answers OPTIONS itself (204 with Allow); what matters is
		// that no CORS header says a browser may read anything.
		_, h := corsRequest(t, base, method, api.Prefix+"/accounts", "https://admin.example.com", preflight)
		if got := corsHeaders(h); len(got) != 0 {
			t.Errorf("%s without CORS origins: headers %v", method, got)
		}
		if v := h.Values("Vary"); strings.Contains(strings.Join(v, ","), "Origin") {
			t.Errorf("Vary %v without CORS origins", v)
		}
	}
}

func TestCORSListedOrigin(t *testing.T) {
	base := corsServer(t, "https://admin.example.com", "http://localhost:3000")
	t.Run("preflight from a listed origin", func(t *testing.T) {
		status, h := corsRequest(t, base, http.MethodOptions, api.Prefix+"/accounts", "https://admin.example.com", true)
		if status != http.StatusNoContent {
			t.Errorf("preflight status %d, want 204", status)
		}
		if got := h.Get("Access-Control-Allow-Origin"); got != "https://admin.example.com" {
			t.Errorf("Allow-Origin %q", got)
		}
		if got := h.Get("Access-Control-Allow-Headers"); got != "Authorization, Content-Type, Idempotency-Key" {
			t.Errorf("Allow-Headers %q", got)
		}
		if got := h.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") || !strings.Contains(got, "PATCH") {
			t.Errorf("Allow-Methods %q", got)
		}
		if h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("credentials allowed: tokens are headers, not cookies")
		}
		if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary %v", h.Values("Vary"))
		}
	})
	t.Run("request from a listed origin", func(t *testing.T) {
		status, h := corsRequest(t, base, http.MethodGet, api.Prefix+"/accounts", "http://localhost:3000", false)
		if status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401 (no token)", status)
		}
		if got := h.Get("Access-Control-Allow-Origin"); got != "http://localhost:3000" {
			t.Errorf("Allow-Origin %q", got)
		}
		if !strings.Contains(h.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
			t.Errorf("Expose-Headers %q", h.Get("Access-Control-Expose-Headers"))
		}
	})
	for name, origin := range map[string]string{
		"another origin":              "https://evil.example.com",
		"a listed origin's subdomain": "https://x.admin.example.com",
		"another scheme":              "http://admin.example.com",
		"another port":                "http://localhost:3001",
		"no origin":                   "",
	} {
		t.Run(name, func(t *testing.T) {
			for _, preflight := range []bool{false, true} {
				method := http.MethodGet
				if preflight {
					method = http.MethodOptions
				}
				_, h := corsRequest(t, base, method, api.Prefix+"/accounts", origin, preflight)
				if got := corsHeaders(h); len(got) != 0 {
					t.Errorf("%s from %q: headers %v", method, origin, got)
				}
				if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
					t.Errorf("%s from %q: Vary %v", method, origin, h.Values("Vary"))
				}
			}
		})
	}
	t.Run("outside the API", func(t *testing.T) {
		_, h := corsRequest(t, base, http.MethodGet, "/healthz", "https://admin.example.com", false)
		if got := corsHeaders(h); len(got) != 0 {
			t.Errorf("/healthz: headers %v", got)
		}
	})
}

func TestParseCORSOrigins(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "", want: nil},
		{in: "  ", want: nil},
		{in: "https://admin.example.com", want: []string{"https://admin.example.com"}},
		{in: "https://admin.example.com, http://localhost:3000,https://admin.example.com", want: []string{"https://admin.example.com", "http://localhost:3000"}},
		{in: "http://[::1]:8080", want: []string{"http://[::1]:8080"}},
		{in: "https://admin.example.com/", bad: true},
		{in: "https://admin.example.com/console", bad: true},
		{in: "admin.example.com", bad: true},
		{in: "ftp://admin.example.com", bad: true},
		{in: "https://Admin.example.com", bad: true},
		{in: "https://admin.example.com:99999", bad: true},
		{in: "https://admin.example.com:", bad: true},
		{in: "https://user@admin.example.com", bad: true},
		{in: "https://admin.example.com?x=1", bad: true},
		{in: "*", bad: true},
		{in: "https://a.example.com,,https://b.example.com", bad: true},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := api.ParseCORSOrigins(c.in)
			if (err != nil) != c.bad {
				t.Fatalf("ParseCORSOrigins(%q) = %v, %v; want bad %v", c.in, got, err, c.bad)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("ParseCORSOrigins(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
