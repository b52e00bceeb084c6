package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/store/storetest"
	"supportline/twiliosim"
)

// cli runs the command line in-process against a database in a temp dir.
type cli struct {
	t  *testing.T
	db string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, db: filepath.Join(t.TempDir(), "cli.db")}
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--db", c.db, "--actor", "tester"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheck(t *testing.T) {
	c := newCLI(t)
	if code, out, errs := c.run("check"); code != 0 || !strings.Contains(out, "ok: (built-in default)") {
		t.Fatalf("check default: %d %q %q", code, out, errs)
	}
	if code, out, errs := c.run("check", "--config", "../../examples/four-tier.yaml"); code != 0 || !strings.Contains(out, "enterprise") {
		t.Fatalf("check four-tier: %d %q %q", code, out, errs)
	}
	src, _ := os.ReadFile("../../examples/four-tier.yaml")
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(broken, []byte(strings.Replace(string(src), "live: business, route: desk}", "live: busines, route: desk}", 1)), 0o600)
	code, _, errs := c.run("check", "--config", broken)
	if code == 0 || !strings.Contains(errs, `plans.enterprise.priorities.2.live: unknown calendar "busines"`) || !strings.Contains(errs, broken+":") {
		t.Fatalf("check broken: %d %q", code, errs)
	}
}

func TestEnterpriseContactLimitFromCLI(t *testing.T) {
	c := newCLI(t)
	cfg := []string{"--config", "../../examples/four-tier.yaml"}
	code, out, errs := c.run(append(cfg, "account", "add", "--name", "Acme Corp", "--plan", "enterprise", "--json")...)
	if code != 0 {
		t.Fatalf("account add: %d %s", code, errs)
	}
	var acc struct{ Number string }
	if err := json.Unmarshal([]byte(out), &acc); err != nil || acc.Number == "" {
		t.Fatalf("account add --json: %q %v", out, err)
	}
	for i := 0; i < 4; i++ {
		code, out, errs := c.run(append(cfg, "contact", "add", "--account", acc.Number, "--name", "Jane Doe", "--phone", "+17205550100")...)
		if code != 0 || !regexp.MustCompile(`support ID: [0-9]{8}\n`).MatchString(out) {
			t.Fatalf("contact %d: %d %q %q", i, code, out, errs)
		}
	}
	code, _, errs = c.run(append(cfg, "contact", "add", "--account", acc.Number, "--name", "Fifth", "--phone", "+17205550100")...)
	if code == 0 || !strings.Contains(errs, "the limit of plan enterprise is 4") {
		t.Fatalf("fifth contact: %d %q", code, errs)
	}
	code, _, errs = c.run(append(cfg, "contact", "add", "--account", acc.Number, "--name", "Bad", "--phone", "720-555-0100")...)
	if code != 2 || !strings.Contains(errs, "E.164") {
		t.Fatalf("bad phone: %d %q", code, errs)
	}
	code, out, _ = c.run(append(cfg, "contact", "list", "--account", acc.Number, "--json")...)
	var cs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &cs) != nil || len(cs) != 4 {
		t.Fatalf("contact list: %d %q", code, out)
	}
	code, out, _ = c.run("audit", "list", "--json")
	var evs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &evs) != nil || len(evs) != 5 || evs[0]["actor"] != "tester" {
		t.Fatalf("audit list: %d %q", code, out)
	}
	if code, _, errs := c.run("account", "show"); code != 2 || !strings.Contains(errs, "needs an account number") {
		t.Fatalf("account show without a number: %d %q", code, errs)
	}
	if code, _, errs := c.run("account", "show", "424242"); code != 3 || !strings.Contains(errs, "no account 424242") {
		t.Fatalf("account show unknown: %d %q", code, errs)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeRefusesWithoutTwilioSettings(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	c := newCLI(t)
	code, _, errs := c.run("serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "set TWILIO_AUTH_TOKEN") {
		t.Fatalf("serve without a token: %d %q", code, errs)
	}
	t.Setenv("TWILIO_AUTH_TOKEN", "secret-token")
	code, _, errs = c.run("serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "set SUPPORTLINE_PUBLIC_URL") {
		t.Fatalf("serve without a public URL: %d %q", code, errs)
	}
	if strings.Contains(errs, "secret-token") {
		t.Fatal("the error shows the token")
	}
}

func TestServeStartsReadyAndStops(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "test-token")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "https://support.example.com")
	db := filepath.Join(t.TempDir(), "serve.db")
	ctx, stop := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, &out, &errs) }()
	addrRE := regexp.MustCompile(`listening on (\S+) \(store: sqlite:`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		stop()
		t.Fatalf("serve did not print its address: %q %q", out.String(), errs.String())
	}
	// Ready once the database is migrated, in the background: at once on
	// a local SQLite file.
	status := 0
	if !eventually(func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		status = resp.StatusCode
		return status == 200
	}) {
		t.Fatalf("/readyz = %d", status)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errs.String())
	}
	if !strings.Contains(errs.String(), "stopped cleanly") {
		t.Fatalf("log lacks the clean stop: %s", errs.String())
	}
}

func TestServeRefusalTouchesNoDatabase(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	c := newCLI(t)
	if code, _, _ := c.run("serve", "--addr", "127.0.0.1:0"); code == 0 {
		t.Fatal("serve started without a token")
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Fatalf("serve created the database before refusing: %v", err)
	}
}

// every runs its function on each tick and not after stop returns.
func TestEvery(t *testing.T) {
	var mu sync.Mutex
	runs := 0
	stop := every(context.Background(), time.Millisecond, func(context.Context) {
		mu.Lock()
		runs++
		mu.Unlock()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := runs
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs in 10 s of 1 ms ticks", n)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	mu.Lock()
	after := runs
	mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if runs != after {
		t.Fatalf("%d runs after stop returned", runs-after)
	}
}

// serve starts without its database: /healthz answers, /readyz says why it
// is not ready, the fallback URL dials the emergency numbers and the voice
// URL says "one moment please"; when the database appears serve migrates
// it and becomes ready without a restart. A malformed database URL is
// still refused at once.
func TestServeWaitsForItsDatabase(t *testing.T) {
	const token = "waitingtoken0123456789abcdef0123"
	t.Setenv("TWILIO_AUTH_TOKEN", token)
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "https://support.example.com")
	t.Run("malformed URL", func(t *testing.T) {
		c := newCLI(t)
		code, _, errs := c.run("serve", "--db", "postgress://db.internal/supportline", "--addr", "127.0.0.1:0")
		if code == 0 || !strings.Contains(errs, "postgress") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Fatalf("serve with a malformed URL: exit %d, %q; want one line naming the scheme", code, errs)
		}
	})
	t.Run("unreachable, then reachable", func(t *testing.T) {
		raw, proxy := storetest.PostgresViaProxy(t)
		proxy.Refuse()
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		var out, errs syncBuffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"serve", "--db", raw, "--addr", "127.0.0.1:0"}, &out, &errs) }()
		addrRE := regexp.MustCompile(`listening on (\S+) \(store: postgres`)
		var base string
		if !eventually(func() bool {
			if m := addrRE.FindStringSubmatch(out.String()); m != nil {
				base = "http://" + m[1]
			}
			return base != ""
		}) {
			t.Fatalf("serve did not start without its database: %s %s", out.String(), errs.String())
		}
		get := func(path string) (int, string) {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		post := func(path string, form url.Values) string {
			req, err := twiliosim.NewRequest(ctx, base+path, "https://support.example.com"+path, form, token)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Errorf("%s answered %d: %s", path, resp.StatusCode, b)
			}
			return string(b)
		}
		form := url.Values{"CallSid": {twiliosim.NewCallSid()}, "From": {"+15555550999"}, "To": {"+17205550100"},
			"AccountSid": {"AC0123456789abcdef0123456789abcdef"}, "CallStatus": {"ringing"}}
		if code, _ := get("/healthz"); code != 200 {
			t.Errorf("/healthz = %d without the database", code)
		}
		if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "database") {
			t.Errorf("/readyz = %d %s without the database, want 503 with the reason", code, body)
		}
		if body := post("/twilio/voice/fallback", form); !strings.Contains(body, "<Dial") {
			t.Errorf("the fallback does not dial the emergency numbers: %s", body)
		}
		if body := post("/twilio/voice", form); !strings.Contains(body, "One moment please") {
			t.Errorf("the voice URL does not say one moment please: %s", body)
		}

		proxy.Accept()
		back := time.Now()
		if !eventually(func() bool { code, _ := get("/readyz"); return code == 200 }) {
			t.Fatalf("serve did not become ready after the database appeared: %s", errs.String())
		}
		t.Logf("ready %v after the database appeared", time.Since(back).Round(10*time.Millisecond))
		if body := post("/twilio/voice", form); !strings.Contains(body, "support ID") {
			t.Errorf("the voice URL does not ask for the support ID once ready: %s", body)
		}
		stop()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d: %s", code, errs.String())
		}
	})
}
