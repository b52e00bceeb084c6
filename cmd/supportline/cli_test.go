package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
)

func TestUnknownCommandExits2WithASuggestion(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"ticket", "lst"}, []string{`unknown command "lst" for "supportline ticket"`, "did you mean list?"}},
		{[]string{"ticket", "frobnicate"}, []string{`unknown command "frobnicate"`, "its commands are ack, list"}},
		{[]string{"account", "delete"}, []string{`unknown command "delete" for "supportline account"`, "its commands are add"}},
		{[]string{"contact", "delete"}, []string{`unknown command "delete"`, "did you mean remove?"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate" for "supportline"`}},
		{[]string{"acount", "list"}, []string{`unknown command "acount"`, "did you mean account?"}},
		{[]string{"ticket", "list", "extra"}, []string{`supportline ticket list takes no arguments, not "extra"`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := c.run(tc.args...)
			if code != 2 || out != "" || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
		})
	}
	t.Run("a parent run bare prints its help", func(t *testing.T) {
		code, out, errs := c.run("ticket")
		if code != 0 || !strings.Contains(out, "Available Commands:") || errs != "" {
			t.Fatalf("exit %d, %q %q", code, out, errs)
		}
	})
}

func TestFlagErrorsInOurWords(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sla", "due", "--plan", "premium", "--priority", "x"}, `--priority takes a whole number, not "x"`},
		{[]string{"sla", "due", "--priority", "99999999999999999999"}, `--priority takes a whole number, not "99999999999999999999" (too large)`},
		{[]string{"sla", "due", "--priority"}, "--priority needs a value (a whole number)"},
		{[]string{"health", "--timeout", "soon"}, `--timeout takes a duration such as 30s, 5m or 1h30m, not "soon"`},
		{[]string{"ticket", "list", "--json=maybe"}, `--json takes true or false, not "maybe"`},
		{[]string{"ticket", "list", "--bogus"}, "unknown flag --bogus for supportline ticket list"},
		{[]string{"ticket", "list", "--limit", "0"}, "--limit must be at least 1, not 0"},
		{[]string{"outbox", "list", "--limit", "-3"}, "--limit must be at least 1, not -3"},
		{[]string{"audit", "list", "--limit", "0"}, "--limit must be at least 1, not 0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := c.run(tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, %q; want exit 2 and %q", code, errs, tc.want)
			}
			if strings.Contains(errs, "strconv") || strings.Contains(errs, "invalid argument") {
				t.Errorf("Go's words reach the user: %q", errs)
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	c := newCLI(t)
	c.mustRun("account", "add", "--name", "Acme Corp", "--plan", "premium")
	for _, tc := range []struct {
		name string
		args []string
		exit int
		code string
		want string
	}{
		{"flag value", []string{"--json", "sla", "due", "--priority", "x"}, 2, "invalid", `--priority takes a whole number, not "x"`},
		{"--json after the bad flag", []string{"sla", "due", "--priority", "x", "--json"}, 2, "invalid", "--priority takes a whole number"},
		{"unknown command", []string{"ticket", "lst", "--json"}, 2, "invalid", "did you mean list?"},
		{"not found", []string{"account", "show", "424242", "--json"}, 3, "not_found", "no account 424242"},
		{"no schema", []string{"account", "list", "--json", "--db", filepath.Join(t.TempDir(), "none.db")}, 1, "unavailable", "run supportline migrate up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := c.run(tc.args...)
			var got struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(errs), &got); err != nil {
				t.Fatalf("stderr is not JSON: %q (%v)", errs, err)
			}
			if code != tc.exit || got.Error.Code != tc.code || !strings.Contains(got.Error.Message, tc.want) || out != "" {
				t.Fatalf("exit %d, %+v, stdout %q; want exit %d, code %s, message with %q", code, got.Error, out, tc.exit, tc.code, tc.want)
			}
		})
	}
	t.Run("policy problems list each", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("plans: 7\n"), 0o600)
		code, _, errs := c.run("check", "--config", bad, "--json")
		var got struct {
			Error struct {
				Code     string
				Problems []struct{ File, Message string }
			}
		}
		if err := json.Unmarshal([]byte(errs), &got); err != nil || code != 1 || got.Error.Code != "invalid" || len(got.Error.Problems) == 0 || got.Error.Problems[0].File != bad {
			t.Fatalf("exit %d, %q (%v)", code, errs, err)
		}
	})
}

func TestVersion(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("version")
	if code != 0 || !strings.HasPrefix(out, "supportline ") || strings.Count(out, "\n") != 1 || errs != "" {
		t.Fatalf("version: exit %d, %q %q", code, out, errs)
	}
	if code, flag, _ := c.run("--version"); code != 0 || flag != out {
		t.Errorf("--version: exit %d, %q; want %q", code, flag, out)
	}
	code, js, _ := c.run("version", "--json")
	var v versionInfo
	if code != 0 || json.Unmarshal([]byte(js), &v) != nil || v.Version == "" || v.Go == "" {
		t.Fatalf("version --json: exit %d, %q", code, js)
	}

	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "supportline", Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "284a236c0ffee"}, {Key: "vcs.time", Value: "2026-12-01T09:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name       string
		bi         *debug.BuildInfo
		rev, built string
		want       string
	}{
		{"from a checkout with changes", bi, "", "", "supportline (devel), revision 284a236c0ffee with uncommitted changes, committed 2026-12-01T09:00:00Z, go1.26.0"},
		{"stamped at link time", bi, "abc123", "2026-12-02T10:00:00Z", "supportline (devel), revision abc123 with uncommitted changes, committed 2026-12-01T09:00:00Z, built 2026-12-02T10:00:00Z, go1.26.0"},
		{"without VCS information", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}}, "", "", "supportline v1.2.3, revision unknown (built without VCS information), go1.26.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionOf(tc.bi, tc.rev, tc.built).String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// readCommands are commands that only read, with their arguments.
var readCommands = [][]string{
	{"account", "list"}, {"account", "show", "100100"}, {"contact", "list", "--account", "100100"},
	{"audit", "list"}, {"ticket", "list"}, {"ticket", "show", "100123"}, {"outbox", "list"},
	{"engineer", "list"}, {"schedule", "list"}, {"schedule", "show", "primary"}, {"override", "list"},
	{"oncall"}, {"pin", "status", "--contact", "12345678"},
	{"route", "explain", "--plan", "premium", "--priority", "1"},
}

func TestReadCommandsCreateNoDatabase(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		c := newCLI(t)
		for _, args := range append(readCommands, []string{"migrate", "status"}) {
			code, _, errs := c.run(args...)
			if args[0] == "migrate" {
				if code != 0 {
					t.Errorf("migrate status on no database: exit %d %q", code, errs)
				}
			} else if code != 1 || !strings.Contains(errs, "run supportline migrate up") {
				t.Errorf("%s: exit %d %q; want exit 1 saying to migrate", strings.Join(args, " "), code, errs)
			}
		}
		if _, err := os.Stat(c.db); !os.IsNotExist(err) {
			t.Fatalf("a read command created %s: %v", c.db, err)
		}
		// A write creates and migrates a fresh file: the quick start.
		c.mustRun("account", "add", "--name", "Acme Corp", "--plan", "premium")
		c.mustRun("account", "list")
	})
	t.Run("sqlite file of another program", func(t *testing.T) {
		c := newCLI(t)
		db, err := store.Open(context.Background(), c.db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("CREATE TABLE recipes (name TEXT)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		code, _, errs := c.run("account", "add", "--name", "Acme Corp", "--plan", "premium")
		if code != 3 || !strings.Contains(errs, "holds tables that are not Supportline's (recipes)") || !strings.Contains(errs, "--db") {
			t.Fatalf("write into another program's file: exit %d %q", code, errs)
		}
		if got := tables(t, c.db); strings.Join(got, ",") != "recipes" {
			t.Fatalf("tables after the refusal: %v", got)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		raw := freshPostgresDatabase(t)
		c := newCLI(t)
		c.db = raw
		for _, args := range readCommands {
			code, _, errs := c.run(args...)
			if code != 1 || !strings.Contains(errs, "has no Supportline schema: run supportline migrate up") {
				t.Errorf("%s: exit %d %q; want exit 1 saying to migrate", strings.Join(args, " "), code, errs)
			}
		}
		// Writes do not migrate PostgreSQL either: its operator does.
		if code, _, errs := c.run("account", "add", "--name", "Acme Corp", "--plan", "premium"); code != 1 || !strings.Contains(errs, "run supportline migrate up") {
			t.Errorf("account add on an empty PostgreSQL database: exit %d %q", code, errs)
		}
		if code, out, _ := c.run("migrate", "status"); code != 0 || !strings.Contains(out, "pending") || strings.Contains(out, "applied") {
			t.Errorf("migrate status: exit %d %q", code, out)
		}
		if got := tables(t, raw); len(got) != 0 {
			t.Fatalf("commands created tables in an empty database: %v", got)
		}
		// A schema older than the binary is refused too, with its count.
		c.mustRun("migrate", "up")
		db, err := store.Open(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateDown(context.Background()); err != nil {
			t.Fatal(err)
		}
		db.Close()
		code, _, errs := c.run("account", "list")
		if code != 1 || !strings.Contains(errs, "has an older Supportline schema") || !strings.Contains(errs, "migrations applied): run supportline migrate up") {
			t.Fatalf("older schema: exit %d %q", code, errs)
		}
	})
}

// tables lists the tables of the database at raw (every schema but the
// system's, on PostgreSQL).
func tables(t *testing.T, raw string) []string {
	t.Helper()
	db, err := store.Open(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Engine() == store.SQLite {
		got, err := db.Tables(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	var got []string
	rows, err := db.SQL().Query("SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	return got
}

// freshPostgresDatabase creates an empty database on the test server (not
// a schema: a command must not even create one) and drops it afterwards.
func freshPostgresDatabase(t *testing.T) string {
	t.Helper()
	base := storetest.PostgresURL(t)
	admin, err := store.Open(context.Background(), base)
	if err != nil {
		t.Skipf("PostgreSQL unavailable: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "cli_empty_" + hex.EncodeToString(b[:])
	if _, err := admin.SQL().Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.SQL().Exec("DROP DATABASE " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestServeDemoOnlyOnDemoData(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	unsetTwilio(t)
	t.Run("fresh database, then again, then refused once it holds more", func(t *testing.T) {
		c := newCLI(t)
		s := startServe(t, "--demo", "--db", c.db)
		s.waitReady(t)
		if !strings.Contains(s.out.String(), "Demo line ready.") {
			t.Fatalf("no demo banner: %q", s.out)
		}
		if want := "Admin API (metrics at /metrics):\n  http://" + s.admin + "\n"; !strings.Contains(s.out.String(), want) {
			t.Fatalf("the demo banner lacks the admin API's URL %q: %q", want, s.out)
		}
		s.stop()
		if code := s.wait(); code != 0 {
			t.Fatalf("demo serve exited %d: %s", code, s.errs)
		}
		// A second start finds only what the first made.
		s = startServe(t, "--demo", "--db", c.db)
		s.waitReady(t)
		s.stop()
		s.wait()

		c.mustRun("engineer", "add", "--handle", "dave", "--name", "Dave Real", "--phone", "+17205550123")
		s = startServe(t, "--demo", "--db", c.db)
		code := s.wait()
		errs := s.errs.String()
		if code != 3 || !strings.Contains(errs, "sqlite:"+c.db+" holds data that is not demo data: engineer dave") || !strings.Contains(errs, "--db") {
			t.Fatalf("demo on a database with a real engineer: exit %d %q", code, errs)
		}
		if strings.Contains(s.out.String(), "Demo line ready.") {
			t.Errorf("the banner was printed: %q", s.out)
		}
	})
	t.Run("an admin's database", func(t *testing.T) {
		c := newCLI(t)
		c.mustRun("account", "add", "--name", "Acme Corp", "--plan", "premium", "--number", "424242")
		s := startServe(t, "--demo", "--db", c.db)
		if code, errs := s.wait(), s.errs.String(); code != 3 || !strings.Contains(errs, "account 424242 (Acme Corp)") {
			t.Fatalf("exit %d %q", code, errs)
		}
		if code, out, _ := c.run("contact", "list", "--account", "424242", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
			t.Errorf("demo contacts seeded into the admin's database: %s", out)
		}
		if code, out, _ := c.run("account", "show", "100100"); code != 3 {
			t.Errorf("the demo account was created: %s", out)
		}
	})
	t.Run("another program's database is not migrated", func(t *testing.T) {
		raw := freshPostgresDatabase(t)
		db, err := store.Open(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("CREATE TABLE recipes (name text)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		s := startServe(t, "--demo", "--db", raw)
		if code, errs := s.wait(), s.errs.String(); code != 3 || !strings.Contains(errs, "tables that are not Supportline's (recipes)") {
			t.Fatalf("exit %d %q", code, errs)
		}
		if got := tables(t, raw); strings.Join(got, ",") != "public.recipes" {
			t.Fatalf("tables after the refusal: %v", got)
		}
	})
}

// A typo in any setting stops serve before it touches the database: the
// database here is unreachable, and serve would otherwise listen and wait
// for it.
func TestServeSettingsTypoStopsServe(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"SUPPORTLINE_WATCH_INTERVAL": "15"}, nil, `SUPPORTLINE_WATCH_INTERVAL="15" is not a positive duration`},
		{map[string]string{"TWILIO_ACCOUNT_SID": "AC123"}, nil, "TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits"},
		{map[string]string{"SUPPORTLINE_LOG_LEVEL": "verbose"}, nil, `SUPPORTLINE_LOG_LEVEL="verbose" is not one of debug, info, warn, error`},
		{map[string]string{"SUPPORTLINE_LOG_FORMAT": "jsno"}, nil, `SUPPORTLINE_LOG_FORMAT="jsno" is not text or json`},
		{map[string]string{"SUPPORTLINE_PUBLIC_URL": "https://"}, nil, "SUPPORTLINE_PUBLIC_URL \"https://\" must start with https://"},
		{map[string]string{"TWILIO_AUTH_TOKEN": "\"quoted\""}, nil, "TWILIO_AUTH_TOKEN holds spaces or quotes"},
		{map[string]string{"SUPPORTLINE_SECRET": "short"}, nil, "SUPPORTLINE_SECRET must be at least 16 characters"},
		{nil, []string{"--addr", "8080"}, `--addr="8080" is not a listen address`},
		{map[string]string{"SUPPORTLINE_ADMIN_ADDR": "localhost"}, nil, `SUPPORTLINE_ADMIN_ADDR="localhost" is not a listen address such as :8081`},
		{map[string]string{"SUPPORTLINE_ADMIN_ADDR": "127.0.0.1:99999"}, nil, `SUPPORTLINE_ADMIN_ADDR="127.0.0.1:99999" is not a listen address`},
		{nil, []string{"--admin-addr", ":http"}, `--admin-addr=":http" is not a listen address`},
		{nil, []string{"--addr", ":8080", "--admin-addr", "127.0.0.1:8080"}, `--admin-addr="127.0.0.1:8080" overlaps --addr=":8080"`},
		{nil, []string{"--addr", "127.0.0.1:8080", "--admin-addr", "127.0.0.1:8080"}, `--admin-addr="127.0.0.1:8080" overlaps --addr="127.0.0.1:8080"`},
	} {
		name := strings.Join(tc.args, " ")
		for k := range tc.env {
			name = k
		}
		t.Run(name, func(t *testing.T) {
			phoneLineEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errs storetest.LogBuffer
			args := append([]string{"serve", "--db", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", "--addr", "127.0.0.1:0"}, tc.args...)
			code := run(context.Background(), args, &out, &errs)
			if code != 2 || !strings.Contains(errs.String(), tc.want) || strings.Count(errs.String(), "\n") != 1 || strings.Contains(out.String(), "listening") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out.String(), errs.String(), tc.want)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ready"}`)) }))
	defer ready.Close()
	waiting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(503)
		w.Write([]byte(`{"status":"unavailable","reason":"database not reached yet"}`))
	}))
	defer waiting.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	c := newCLI(t)
	for _, tc := range []struct {
		name string
		args []string
		exit int
		want string
	}{
		{"ready", []string{"--url", ready.URL + "/readyz"}, 0, "ready: " + ready.URL + "/readyz\n"},
		{"not ready", []string{"--url", waiting.URL + "/readyz"}, 1, "error: not ready: " + waiting.URL + "/readyz: 503 database not reached yet\n"},
		{"nobody listening", []string{"--url", gone.URL + "/readyz"}, 1, "connection refused"},
		{"not a URL", []string{"--url", "127.0.0.1:8080/readyz"}, 2, "is not an http:// or https:// URL"},
		{"json", []string{"--url", waiting.URL, "--json"}, 1, `{"error":{"code":"unavailable","message":"not ready: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := c.run(append([]string{"health"}, tc.args...)...)
			if code != tc.exit || !strings.Contains(out+errs, tc.want) || strings.Count(out+errs, "\n") != 1 {
				t.Fatalf("exit %d, %q %q; want exit %d and one line with %q", code, out, errs, tc.exit, tc.want)
			}
		})
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Errorf("health touched the database: %v", err)
	}
}

// check reads the database when there is one, and creates none.
func TestCheckCreatesNoDatabase(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("check")
	if code != 0 || !strings.Contains(out, "database check skipped: cannot open the database: there is no file "+c.db) {
		t.Fatalf("check without a database: exit %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Fatalf("check created %s: %v", c.db, err)
	}
}
