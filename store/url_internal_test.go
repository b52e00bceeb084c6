package store

import (
	"net/url"
	"testing"
)

// A PostgreSQL URL gets binary parameters and a connect_timeout unless it
// sets its own: without one lib/pq would wait for ever for a hung server in
// the connection attempts database/sql makes in the background.
func TestPostgresURLDefaults(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	for _, tc := range []struct{ raw, timeout, binary string }{
		{"postgres://localhost/supportline", defaultConnectTimeout, "yes"},
		{"postgresql://localhost/supportline?connect_timeout=0", "0", "yes"},
		{"postgres://localhost/supportline?connect_timeout=20&binary_parameters=no", "20", "no"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			engine, dsn, _, err := parseURL(tc.raw)
			if err != nil || engine != Postgres {
				t.Fatalf("parseURL = %s, %v", engine, err)
			}
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := q.Get("connect_timeout"); got != tc.timeout {
				t.Errorf("connect_timeout = %q, want %q", got, tc.timeout)
			}
			if got := q.Get("binary_parameters"); got != tc.binary {
				t.Errorf("binary_parameters = %q, want %q", got, tc.binary)
			}
		})
	}
}
