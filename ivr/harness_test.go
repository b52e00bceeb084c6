package ivr

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/accounts"
	"supportline/config"
	"supportline/notify"
	"supportline/oncall"
	"supportline/pins"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/twiliosim"
	"supportline/web"
)

// The instants the tests run at, named in America/Denver.
var (
	denver = mustZone("America/Denver")
	// wednesdayMorning is inside business hours (Wednesday 2026-11-18
	// 10:00 MST); alice is on call in primary, carol in secondary and desk.
	wednesdayMorning = time.Date(2026, 11, 18, 10, 0, 0, 0, denver)
	// saturdayNight is outside business hours (Saturday 2026-11-21 23:00
	// MST), still alice's week in primary.
	saturdayNight = time.Date(2026, 11, 21, 23, 0, 0, 0, denver)
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Phones of the seeded people. The premium contact's number is the one
// `serve --demo` uses.
const (
	premiumPhone  = "+15555550100"
	standardPhone = "+15555550200"
	strangerPhone = "+15555550999" // matches no contact
	alicePhone    = "+15555550111"
	bobPhone      = "+15555550112"
	carolPhone    = "+15555550113"
	testToken     = "0123456789abcdef0123456789abcdef"
)

// cheapArgon2 makes PIN hashes take microseconds. Config validation would
// refuse it in a policy file; tests set it on the struct.
var cheapArgon2 = config.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// harness is the phone line booted as `serve` boots it (web.New + ivr
// Mount) on a fresh database, with a seeded premium and standard account,
// engineers and schedules, and a frozen clock.
type harness struct {
	t     testing.TB
	db    *store.DB
	clock *storetest.Clock
	// wall is the server's real-time clock (patience in an outage): each
	// reading moves it on by faultCycle, the time a caller's "one moment
	// please" cycle takes.
	wall   *storetest.Clock
	policy *config.Policy
	srv    *Server
	ts     *httptest.Server
	logs   *storetest.LogBuffer

	premium, standard   accounts.Account
	contact, stdContact accounts.Contact // the premium and standard account's contacts
	pin, stdPIN         string
	allowedErrors       []string // substrings of error log lines a test expects
	secrets             []string // PINs keyed in this test: never in logs, URLs or rows
	faultMu             sync.Mutex
	faults              map[string]int // step -> failures still to inject
	faultHits           map[string]int
	contactsByPhone     map[string]accounts.Contact
	pinsByPhone         map[string]string
	dbClosed            bool // the test closed the database: skip the final look at the calls table
}

// harnessOption adjusts the policy before the server is built.
type harnessOption func(*config.Policy)

func newHarness(t testing.TB, db *store.DB, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	policy := config.Default()
	for _, o := range opts {
		o(policy)
	}
	h := &harness{t: t, db: db, clock: storetest.ClockOf(db), wall: storetest.NewClock(wednesdayMorning),
		policy: policy, logs: &storetest.LogBuffer{},
		faults: map[string]int{}, faultHits: map[string]int{},
		contactsByPhone: map[string]accounts.Contact{}, pinsByPhone: map[string]string{}}
	h.clock.Set(wednesdayMorning)
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	pinPolicy := policy.Pins
	pinPolicy.Argon2 = cheapArgon2
	// The listener exists before the server is built, so the public URL
	// the signature check needs is known from the start: the Server is a
	// literal with every field set, as serve builds it.
	h.ts = httptest.NewUnstartedServer(nil)
	// Wired as serve wires them (domain.New; this internal test cannot import it: domain imports ivr).
	pinSvc, accts := pins.NewWithAccounts(db, policy, pinPolicy, log, nil)
	h.srv = &Server{
		DB:        db,
		Policy:    policy,
		Pins:      pinSvc,
		Accounts:  accts,
		Tickets:   &tickets.Service{DB: db, Policy: policy, Engineers: &oncall.Service{DB: db, Policy: policy}, Accounts: accts},
		Log:       log,
		PublicURL: "http://" + h.ts.Listener.Addr().String(),
		Tokens:    []string{testToken, ""},
		fault:     h.fault,
		Clock: func() time.Time {
			// Read once per "one moment please": each moves time on by
			// the cycle's length.
			h.wall.Advance(faultCycle)
			return h.wall.Now()
		},
		retries: statusRetries{delays: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}},
	}
	t.Cleanup(h.srv.Close) // before the database closes
	e := web.New(db, log).Echo
	h.srv.Mount(e)
	mountFloor(e, h.srv)
	h.ts.Config.Handler = e
	h.ts.Start()
	t.Cleanup(h.ts.Close)

	var err error
	if h.premium, err = accts.AddAccount(ctx, "test", accounts.NewAccount{Name: "Acme Rockets", Plan: "premium"}); err != nil {
		t.Fatal(err)
	}
	if h.standard, err = accts.AddAccount(ctx, "test", accounts.NewAccount{Name: "Bolt Bikes", Plan: "standard"}); err != nil {
		t.Fatal(err)
	}
	h.contact, h.pin = h.addContact(h.premium, "Pat Premium", premiumPhone)
	h.stdContact, h.stdPIN = h.addContact(h.standard, "Sam Standard", standardPhone)

	roster := &oncall.Service{DB: db}
	for _, e := range []oncall.NewEngineer{
		{Handle: "alice", Name: "Alice Ng", Phone: alicePhone},
		{Handle: "bob", Name: "Bob Okafor", Phone: bobPhone},
		{Handle: "carol", Name: "Carol Diaz", Phone: carolPhone},
	} {
		if _, err := roster.AddEngineer(ctx, "test", e); err != nil {
			t.Fatal(err)
		}
	}
	// Monday 2026-11-16 09:00 Denver: alice's week, then bob's.
	handoff, err := oncall.ParseCivil("2026-11-16T09:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []oncall.NewSchedule{
		{Name: "primary", Timezone: "America/Denver", Shift: 168 * time.Hour, Handoff: handoff, Members: []string{"alice", "bob"}},
		{Name: "secondary", Timezone: "America/Denver", Shift: 168 * time.Hour, Handoff: handoff, Members: []string{"carol"}},
		{Name: "desk", Timezone: "America/Denver", Shift: 24 * time.Hour, Handoff: handoff, Members: []string{"carol"}},
	} {
		if _, err := roster.AddSchedule(ctx, "test", s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if !h.dbClosed {
			h.assertNoSecretsInCalls()
		}
		h.checkLogs()
	})
	return h
}

// addContact names a contact on acc and rotates its PIN.
func (h *harness) addContact(acc accounts.Account, name, phone string) (accounts.Contact, string) {
	h.t.Helper()
	ctx := context.Background()
	accts := &accounts.Service{DB: h.db, Policy: h.policy}
	c, err := accts.AddContact(ctx, "test", accounts.NewContact{AccountNumber: acc.Number, Name: name, Phone: phone})
	if err != nil {
		h.t.Fatal(err)
	}
	pin, err := h.srv.Pins.Rotate(ctx, "test", c.SupportID)
	if err != nil {
		h.t.Fatal(err)
	}
	h.secrets = append(h.secrets, pin)
	h.contactsByPhone[phone], h.pinsByPhone[phone] = c, pin
	return c, pin
}

// fault is the Server's fault hook: it fails the next n transactions of a
// step when failNext(step, n) asked for it.
func (h *harness) fault(step string) error {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	if h.faults[step] > 0 {
		h.faults[step]--
		h.faultHits[step]++
		return fmt.Errorf("injected fault at %s", step)
	}
	return nil
}

// faultCycle is how long one failed webhook and its "one moment please"
// take on the harness's wall clock (read once per failure); patienceTries is how many such cycles
// the default outage patience (30 s) allows before the fallback.
const (
	faultCycle    = 4 * time.Second
	patienceTries = 8
)

func (h *harness) failNext(step string, n int) {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	h.faults[step] = n
}

func (h *harness) faultCount(step string) int {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	return h.faultHits[step]
}

// allowErrors declares error log lines (by substring) a test causes on
// purpose; any other error-level line fails the test.
func (h *harness) allowErrors(substrings ...string) {
	h.allowedErrors = append(h.allowedErrors, substrings...)
}

// secret declares keys a test types (wrong PINs) that must not leak either.
func (h *harness) secret(s ...string) { h.secrets = append(h.secrets, s...) }

// checkLogs fails the test on an unexpected error-level log line, or on a
// PIN anywhere in the logs (GoAlert style: errors are never background noise).
func (h *harness) checkLogs() {
	text := h.logs.String()
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, "level=ERROR") {
			continue
		}
		allowed := false
		for _, a := range h.allowedErrors {
			if strings.Contains(line, a) {
				allowed = true
			}
		}
		if !allowed {
			h.t.Errorf("unexpected error log: %s", line)
		}
	}
	for _, s := range h.secrets {
		if s != "" && strings.Contains(text, s) {
			h.t.Errorf("PIN digits %s appear in the logs", s)
		}
	}
}

// call is a simulated call from `from` to the support line with the
// caller's script.
func (h *harness) call(from string, script ...string) *twiliosim.Call {
	return &twiliosim.Call{
		BaseURL:      h.ts.URL,
		PublicURL:    h.srv.PublicURL,
		AuthToken:    testToken,
		From:         from,
		To:           h.policy.Line.Number,
		Caller:       script,
		EngineerKeys: map[string]string{},
	}
}

// severity1 is the contact calling from their own phone (caller ID), keying
// the PIN, choosing Severity 1 and confirming it, then leaving message if
// it comes to voicemail; engineers answer the whisper with keys (handle's
// phone -> keys; "" is silence).
func (h *harness) severity1(message string, keys map[string]string) *twiliosim.Call {
	c := h.call(premiumPhone, h.pin+"#", "1", "1", message)
	maps.Copy(c.EngineerKeys, keys)
	return c
}

// run places the call and fails the test if the simulator could not run it
// or if Twilio would have failed it (a non-2xx answer, a wrong Content-Type,
// a second XML declaration, invalid TwiML...). It also checks that no URL
// the simulator requested carries a PIN.
func (h *harness) run(c *twiliosim.Call) *twiliosim.Result {
	h.t.Helper()
	res := h.runMayFail(c)
	if res.Failure != nil {
		h.t.Fatalf("the call failed as Twilio would fail it: %v\n%s", res.Failure, res)
	}
	// Twilio ignores the answers to status callbacks, so the simulator does
	// too; a non-200 there is still a bug.
	for _, r := range res.Requests {
		if r.Status != http.StatusOK {
			h.t.Errorf("%s %s answered %d", r.Kind, r.URL, r.Status)
		}
	}
	return res
}

// runMayFail is run for calls expected to fail the Twilio way.
func (h *harness) runMayFail(c *twiliosim.Call) *twiliosim.Result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.Run(ctx)
	if err != nil {
		h.t.Fatalf("run call: %v", err)
	}
	for _, r := range res.Requests {
		for _, s := range h.secrets {
			if strings.Contains(r.URL, s) {
				h.t.Errorf("PIN digits %s in a requested URL: %s", s, r.URL)
			}
		}
	}
	return res
}

// loadCall reads a call's row.
func (h *harness) loadCall(sid string) Call {
	h.t.Helper()
	var c Call
	err := h.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		c, err = loadCall(context.Background(), tx, sid)
		return err
	})
	if err != nil {
		h.t.Fatalf("load call %s: %v", sid, err)
	}
	return c
}

// count counts the rows of a table (optionally WHERE ...).
func (h *harness) count(table string, where string, args ...any) int {
	h.t.Helper()
	var n int
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	err := h.db.InTx(context.Background(), func(tx *store.Tx) error { return tx.Get(context.Background(), &n, q, args...) })
	if err != nil {
		h.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// rowCounts snapshots the tables a webhook may write.
func (h *harness) rowCounts() map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"calls", "tickets", "ticket_events", "audit_events", "pin_failures", "outbox"} {
		out[table] = h.count(table, "")
	}
	return out
}

// ticketOf returns the ticket opened by the call, with its events.
func (h *harness) ticketOf(sid string) tickets.Ticket {
	h.t.Helper()
	var number int64
	err := h.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.Get(context.Background(), &number, `SELECT number FROM tickets WHERE call_sid = ?`, sid)
	})
	if err != nil {
		h.t.Fatalf("ticket of call %s: %v", sid, err)
	}
	t, err := h.srv.Tickets.Get(context.Background(), number)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// outbox lists every queued SMS, oldest first.
func (h *harness) outbox() []notify.Delivery {
	h.t.Helper()
	ds, err := (&notify.Service{DB: h.db}).List(context.Background(), notify.Filter{Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	return ds
}

// pinStatus is the premium contact's PIN state.
func (h *harness) pinStatus(supportID string) pins.Status {
	h.t.Helper()
	st, err := h.srv.Pins.Status(context.Background(), supportID)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// callsDump renders every column of every calls row as text.
func (h *harness) callsDump() string {
	h.t.Helper()
	return storetest.DumpTable(h.t, h.db, "calls")
}

// assertNoSecretsInCalls checks the calls table for PIN digits.
func (h *harness) assertNoSecretsInCalls() {
	h.t.Helper()
	dump := h.callsDump()
	for _, s := range h.secrets {
		if strings.Contains(dump, s) {
			h.t.Errorf("PIN digits %s stored in the calls table:\n%s", s, dump)
		}
	}
}

// post sends one signed webhook to path (with query) and returns the
// status, Content-Type and body.
func (h *harness) post(pathAndQuery string, form url.Values, token string) (int, string, string) {
	h.t.Helper()
	resp, err := twiliosim.Post(context.Background(), h.ts.URL+pathAndQuery, form, token)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(echo.HeaderContentType), string(body)
}

// callerForm is the form Twilio posts for the caller's leg.
func callerForm(sid, from string, extra ...string) url.Values {
	f := url.Values{
		"AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {sid},
		"CallStatus": {"in-progress"},
		"Called":     {"+17205550100"},
		"Caller":     {from},
		"Direction":  {"inbound"},
		"From":       {from},
		"To":         {"+17205550100"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

var xmlDeclRE = regexp.MustCompile(`<\?xml`)

// assertTwiML checks what every TwiML answer must be: 200, text/xml with
// charset utf-8, one XML declaration, a <Response> root.
func assertTwiML(t testing.TB, status int, contentType, body string) {
	t.Helper()
	if status != http.StatusOK {
		t.Errorf("status %d, want 200: %s", status, body)
	}
	if contentType != "text/xml; charset=utf-8" {
		t.Errorf("Content-Type %q", contentType)
	}
	if n := len(xmlDeclRE.FindAllString(body, -1)); n != 1 || !strings.HasPrefix(body, "<?xml") {
		t.Errorf("want exactly one leading XML declaration, got %d: %s", n, body)
	}
	if !strings.Contains(body, "<Response") {
		t.Errorf("no <Response> root: %s", body)
	}
}

// spoken is a ticket number read digit by digit, as the caller hears it.
func spoken(n int64) string { return spell(strconv.FormatInt(n, 10)) }

// heardAll fails unless each text is somewhere in what leg heard.
func heardAll(t testing.TB, res *twiliosim.Result, leg string, texts ...string) {
	t.Helper()
	all := res.Transcript.HeardText(leg)
	for _, s := range texts {
		if !strings.Contains(all, s) {
			t.Errorf("%s did not hear %q; transcript:\n%s", leg, s, res.Transcript)
		}
	}
}

// heardNone fails if any text is in what leg heard.
func heardNone(t testing.TB, res *twiliosim.Result, leg string, texts ...string) {
	t.Helper()
	all := res.Transcript.HeardText(leg)
	for _, s := range texts {
		if strings.Contains(all, s) {
			t.Errorf("%s heard %q; transcript:\n%s", leg, s, res.Transcript)
		}
	}
}
