package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
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

// TestMain gives every serve a test starts a free admin port: serve's
// default admin address is a fixed one (127.0.0.1:8081), which tests run
// one after another, or a developer's own serve, would hold.
func TestMain(m *testing.M) {
	os.Setenv("SUPPORTLINE_ADMIN_ADDR", "127.0.0.1:0")
	os.Exit(m.Run())
}

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
	s := startServe(t, "--db", db)
	if s.addr == "" {
		t.Fatalf("serve exited %d before listening: %q %q", s.wait(), s.out, s.errs)
	}
	if !strings.Contains(s.out.String(), "(store: sqlite:") {
		t.Errorf("the start line does not name the store: %q", s.out)
	}
	// Ready once the database is migrated, in the background: at once on
	// a local SQLite file.
	s.waitReady(t)
	resp, err := http.Get("http://" + s.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz = %d once serve said it is ready", resp.StatusCode)
	}
	if code, out, errs := newCLI(t).run("health", "--url", "http://"+s.addr+"/readyz"); code != 0 || out != "ready: http://"+s.addr+"/readyz\n" {
		t.Errorf("health against a ready server: exit %d, %q %q", code, out, errs)
	}
	s.stop()
	if code := s.wait(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, s.errs)
	}
	if !strings.Contains(s.errs.String(), "stopped cleanly") {
		t.Fatalf("log lacks the clean stop: %s", s.errs)
	}
}

// serve listens twice: the Twilio listener serves only the webhooks and
// the health endpoints, the admin listener the health endpoints and the
// metrics; stopping serve closes both.
func TestServeAdminListener(t *testing.T) {
	phoneLineEnv(t)
	s := startServe(t, "--db", filepath.Join(t.TempDir(), "serve.db"))
	if s.addr == "" {
		t.Fatalf("serve exited %d before listening: %q %q", s.wait(), s.out, s.errs)
	}
	s.waitReady(t)
	twilio, admin := "http://"+s.addr, "http://"+s.admin
	for _, tc := range []struct {
		base, path string
		want       int
	}{
		{twilio, "/healthz", 200},
		{twilio, "/readyz", 200},
		{twilio, "/metrics", 404},
		{twilio, "/api/anything", 404},
		{twilio, "/api/v1/tickets", 404},
		{admin, "/healthz", 200},
		{admin, "/readyz", 200},
		{admin, "/metrics", 200},
		{admin, "/api/anything", 404},
	} {
		resp, err := http.Get(tc.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s%s = %d %s, want %d", tc.base, tc.path, resp.StatusCode, b, tc.want)
		}
		if tc.path == "/metrics" && tc.want == 200 && !strings.Contains(string(b), `supportline_http_requests_total{listener="twilio",method="GET",route="/healthz",status="200"} 1`) {
			t.Errorf("the admin /metrics does not count the Twilio listener's requests:\n%s", b)
		}
	}
	s.stop()
	if code := s.wait(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, s.errs)
	}
	for _, base := range []string{twilio, admin} {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after serve stopped", base)
		}
	}
}

// An admin port already taken stops serve with the address in the error,
// and leaves the Twilio port free.
func TestServeAdminPortInUse(t *testing.T) {
	phoneLineEnv(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	t.Setenv("SUPPORTLINE_ADMIN_ADDR", taken.Addr().String())
	c := newCLI(t)
	code, out, errs := c.run("serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "admin API: listen on "+taken.Addr().String()) || strings.Contains(out, "listening") {
		t.Fatalf("serve with the admin port taken: exit %d, %q %q", code, out, errs)
	}
}

// serving is serve running in the background of a test, with its
// milestones reported through the app's hooks rather than read from its
// output.
type serving struct {
	addr      string // "" when serve exited before it listened
	admin     string // the admin listener's address, "" likewise
	out, errs *storetest.LogBuffer
	ready     chan struct{} // closed once serve has reached its database
	stop      func()
	done      chan int
	once      sync.Once
	code      int
}

// startServe runs serve --addr 127.0.0.1:0 with args and returns once it
// listens or has exited. It stops serve when the test ends.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{out: &storetest.LogBuffer{}, errs: &storetest.LogBuffer{}, ready: make(chan struct{}), stop: cancel, done: make(chan int, 1)}
	listening := make(chan net.Addr, 1)
	var ready sync.Once
	a := &app{stdout: s.out, stderr: s.errs, hooks: testHooks{
		listening: func(addr net.Addr) { listening <- addr },
		ready:     func() { ready.Do(func() { close(s.ready) }) },
	}}
	go func() { s.done <- a.run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		s.wait()
	})
	select {
	case addr := <-listening:
		s.addr = addr.String()
		// serve prints the admin listener's address before it reports
		// the Twilio one through the hook.
		if m := adminLine.FindStringSubmatch(s.out.String()); m != nil {
			s.admin = m[1]
		} else {
			t.Fatalf("serve listens but printed no admin address: %q", s.out)
		}
	case code := <-s.done:
		s.done <- code // for wait
	case <-time.After(10 * time.Second):
		t.Fatalf("serve neither listened nor exited in 10 s: %q %q", s.out, s.errs)
	}
	return s
}

var adminLine = regexp.MustCompile(`(?m)^admin API listening on (\S+)$`)

// wait returns serve's exit status once it has exited.
func (s *serving) wait() int {
	s.once.Do(func() { s.code = <-s.done })
	return s.code
}

// waitReady returns once serve has reached and migrated its database, and
// fails the test if serve exits first.
func (s *serving) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-s.ready:
	case code := <-s.done:
		s.done <- code
		t.Fatalf("serve exited %d before it was ready: %q %q", code, s.out, s.errs)
	case <-time.After(10 * time.Second):
		t.Fatalf("serve was not ready in 10 s: %q %q", s.out, s.errs)
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

// onTicks runs its function once per tick, and once stop has returned
// nothing takes a tick any more: the loop has ended, not merely paused.
func TestEvery(t *testing.T) {
	ticks := make(chan time.Time) // unbuffered: a send succeeds only while the loop receives
	var mu sync.Mutex
	runs := 0
	stop := onTicks(context.Background(), ticks, func(context.Context) {
		mu.Lock()
		runs++
		mu.Unlock()
	})
	for range 3 {
		ticks <- time.Now()
	}
	stop()
	mu.Lock()
	n := runs
	mu.Unlock()
	if n != 3 {
		t.Fatalf("%d runs for 3 ticks", n)
	}
	select {
	case ticks <- time.Now():
		t.Fatal("a tick was taken after stop returned")
	default:
	}
	// every is onTicks on a real ticker; its stop returns too.
	done := make(chan struct{})
	stopEvery := every(context.Background(), time.Millisecond, func(context.Context) {
		select {
		case done <- struct{}{}:
		default:
		}
	})
	<-done
	stopEvery()
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
		ctx := context.Background()
		s := startServe(t, "--db", raw)
		if s.addr == "" {
			t.Fatalf("serve did not start without its database: exit %d, %s %s", s.wait(), s.out, s.errs)
		}
		base := "http://" + s.addr
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
		s.waitReady(t)
		t.Logf("ready %v after the database appeared", time.Since(back).Round(10*time.Millisecond))
		if code, body := get("/readyz"); code != 200 {
			t.Errorf("/readyz = %d %s once serve said it is ready", code, body)
		}
		if body := post("/twilio/voice", form); !strings.Contains(body, "support ID") {
			t.Errorf("the voice URL does not ask for the support ID once ready: %s", body)
		}
		s.stop()
		if code := s.wait(); code != 0 {
			t.Fatalf("serve exited %d: %s", code, s.errs)
		}
	})
}
