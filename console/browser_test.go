package console_test

// Tests in a real browser: Debian's Chromium, headless, driven from Go
// with chromedp. .ci/run installs chromium when it is missing; with
// CI=true a missing browser fails these tests instead of skipping them.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"supportline/accounts"
	"supportline/ivr"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/twiliosim"
)

// browserPath finds Chromium, or fails (CI) or skips (elsewhere) the test.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium on this machine, and CI=true: install it (apt-get install -y chromium); browser tests must run in CI")
	}
	t.Skip("no Chromium on this machine (apt-get install -y chromium)")
	return ""
}

// browser is a headless Chromium of its own (its own profile, so its own
// cookies) with a timeout for the whole test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser, and lives as long as ctx: no
	// timeout on it (each later step has one: run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds each group of browser steps.
const stepTimeout = 30 * time.Second

// run runs browser steps, failing the test with what failed.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one browser action that answers a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text is the visible text of the first element matching the CSS selector.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return value(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// signInBrowser signs the browser in as email through the form.
func (h *harness) signInBrowser(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	run(t, ctx, "sign in as "+email,
		chromedp.Navigate(h.http.URL+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".who")),
	)
}

// screenshots is where the screenshots go: SUPPORTLINE_SCREENSHOTS, or a
// temporary folder that the test names in its log.
func screenshots(t *testing.T) string {
	if dir := os.Getenv("SUPPORTLINE_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// screenshot writes the page at path at a desktop and a phone width.
func screenshot(t *testing.T, ctx context.Context, dir, name, pageURL string) {
	t.Helper()
	for _, size := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		viewport := []chromedp.EmulateViewportOption{chromedp.EmulateScale(2)}
		if size.mobile {
			viewport = append(viewport, chromedp.EmulateMobile, chromedp.EmulatePortrait)
		}
		run(t, ctx, "open "+name+" at "+size.name,
			chromedp.EmulateViewport(size.width, size.height, viewport...),
			chromedp.Navigate(pageURL),
			chromedp.WaitVisible(chromedp.CSS("main")),
		)
		png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
		file := filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, size.name))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	}
	run(t, ctx, "reset the size", chromedp.ResetViewport())
}

// line is the phone line on the harness's database, on its own listener,
// with a customer who may call: the Twilio side of a browser test.
type line struct {
	url, token  string
	phone, pin  string
	contact     accounts.Contact
	number, sid string
}

const lineToken = "console-browser-test-token-0000"

func (h *harness) phoneLine(t *testing.T) *line {
	t.Helper()
	ctx := context.Background()
	ts := httptest.NewServer(h.web.Echo)
	t.Cleanup(ts.Close)
	// Signatures are over the public URL, which Mount reads: mount after
	// the listener has its address.
	srv := &ivr.Server{DB: h.db, Policy: h.srv.Policy, Pins: h.srv.Pins, Accounts: h.srv.Accounts, Tickets: h.srv.Tickets,
		Log: h.srv.Log, Tokens: []string{lineToken}, Clock: h.clock.Now, PublicURL: ts.URL}
	srv.Mount(h.web.Echo)
	acc, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Acme", Plan: "enterprise"})
	if err != nil {
		t.Fatal(err)
	}
	l := &line{url: ts.URL, token: lineToken, phone: "+15555550100", number: acc.Number}
	if l.contact, err = h.srv.Accounts.AddContact(ctx, "setup", accounts.NewContact{AccountNumber: acc.Number, Name: "Pat", Phone: l.phone}); err != nil {
		t.Fatal(err)
	}
	if l.pin, err = h.srv.Pins.Rotate(ctx, "setup", l.contact.SupportID); err != nil {
		t.Fatal(err)
	}
	return l
}

// onlyTicket is the one ticket there is, opened by the call res.
func (h *harness) onlyTicket(t *testing.T, res *twiliosim.Result) tickets.Ticket {
	t.Helper()
	page, err := h.srv.Tickets.List(context.Background(), tickets.Filter{})
	if err != nil || len(page.Tickets) != 1 || page.Tickets[0].CallSid == nil || *page.Tickets[0].CallSid != res.CallSid {
		t.Fatalf("not one ticket of call %s: %+v %v\n%s", res.CallSid, page.Tickets, err, res)
	}
	return page.Tickets[0].Ticket
}

// voicemail places a Priority 1 call from the customer's phone while
// nobody is on call: it ends in voicemail, with a ticket.
func (l *line) voicemail(t *testing.T) *twiliosim.Result {
	t.Helper()
	c := &twiliosim.Call{BaseURL: l.url, PublicURL: l.url, AuthToken: l.token, From: l.phone, To: "+12125550100",
		Caller: []string{l.pin + "#", "1", "1", "The database is down."}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Run(ctx)
	if err != nil || res.Failure != nil {
		t.Fatalf("the call failed: %v %v\n%s", err, res.Failure, res)
	}
	return res
}

func TestBrowserDashboardTicketAndSignIn(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := browser(t)
	l := h.phoneLine(t)
	dir := screenshots(t)

	// A wrong password is refused in words that do not tell whether the
	// account exists.
	run(t, ctx, "sign in with a wrong password",
		chromedp.Navigate(h.http.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "admin@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong wrong wrong wrong"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("p.error")),
	)
	if refusal := text(t, ctx, "p.error"); refusal != "The e-mail or the password is wrong" {
		t.Errorf("refusal %q", refusal)
	}
	h.signInBrowser(t, ctx, "admin@example.com")

	// A simulated call leaves a voicemail: its ticket is on the dashboard
	// (refreshed by the page itself), and its countdown moves.
	res := l.voicemail(t)
	tk := h.onlyTicket(t, res)
	row := fmt.Sprintf(`a[href="/tickets/%d"]`, tk.Number)
	run(t, ctx, "the dashboard shows the ticket", chromedp.WaitVisible(chromedp.CSS(row)))
	first := text(t, ctx, ".countdown")
	time.Sleep(1500 * time.Millisecond) // the countdown ticks each second, by the browser's clock
	second := text(t, ctx, ".countdown")
	if first == second || !strings.HasPrefix(first, "due in ") {
		t.Errorf("the countdown does not move: %q then %q", first, second)
	}
	screenshot(t, ctx, dir, "dashboard", h.http.URL+"/")
	screenshot(t, ctx, dir, "ticket", fmt.Sprintf("%s/tickets/%d", h.http.URL, tk.Number))

	// Acknowledge it on its page; the dashboard says who answered.
	run(t, ctx, "acknowledge",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", h.http.URL, tk.Number)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/ack"] button`)),
		chromedp.SetValue(chromedp.CSS(`form[action$="/ack"] select`), "alice"), // an admin names who responded
		chromedp.Click(chromedp.CSS(`form[action$="/ack"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
		chromedp.Navigate(h.http.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)
	if status := text(t, ctx, "tbody tr .badge"); !strings.Contains(status, "Answered") {
		t.Errorf("after the acknowledgement the dashboard says %q", status)
	}
	tk, err := h.srv.Tickets.Get(context.Background(), tk.Number)
	if err != nil || tk.RespondedAt == nil {
		t.Fatalf("the ticket has no first response: %+v %v", tk, err)
	}
}

func TestBrowserViewerAndForgery(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := browser(t)
	l := h.phoneLine(t)
	res := l.voicemail(t)
	tk := h.onlyTicket(t, res)
	h.signInBrowser(t, ctx, "viewer@example.com")
	ticketURL := fmt.Sprintf("%s/tickets/%d", h.http.URL, tk.Number)
	run(t, ctx, "a viewer's ticket page",
		chromedp.Navigate(ticketURL),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if forms := value(t, ctx, "count forms", chromedp.Evaluate[int](`document.querySelectorAll('main form[method="post"]').length`)); forms != 0 {
		t.Errorf("a viewer sees %d forms that change something", forms)
	}
	before := h.rows()
	// A forged post from the viewer's own session: a form built by hand.
	value(t, ctx, "a viewer's forged post", chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/tickets/%d/resolve';
			document.body.appendChild(f); f.submit(); return true })()`, tk.Number)))
	run(t, ctx, "the answer to the forged post", chromedp.WaitVisible(chromedp.CSS("p.error")))
	if heading := text(t, ctx, "p.error"); !strings.Contains(heading, "may not") {
		t.Errorf("the forged post answered %q", heading)
	}
	h.unchanged(before, "a viewer's forged post")

	// A form on another site that posts to the console: refused, nothing
	// changed. localhost is another site than 127.0.0.1.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/signout-everywhere"></form><script>document.getElementById('f').submit()</script>`, h.http.URL)
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	run(t, ctx, "another site's form",
		chromedp.Navigate(evilURL),
		chromedp.WaitVisible(chromedp.CSS("main")),
	)
	if body := text(t, ctx, "main"); !strings.Contains(body, "another site") && !strings.Contains(body, "session ended") {
		t.Errorf("the cross-site post answered %q", body)
	}
	h.unchanged(before, "a cross-site form post")
	run(t, ctx, "still signed in", chromedp.Navigate(h.http.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".who")))
}

func TestBrowserSignOutEverywhere(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := browser(t)
	other := h.signedIn("alice@example.com") // another session: a phone, say
	other.get("/").want(t, http.StatusOK)
	h.signInBrowser(t, ctx, "alice@example.com")
	run(t, ctx, "sign out everywhere",
		chromedp.Click(chromedp.CSS(`form[action="/signout-everywhere"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if r := other.get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/signin") {
		t.Errorf("the other session still works: %d %s", r.Status, r.location())
	}
	_ = url.Values{}
}

func TestBrowserPinShownOnceAndOverride(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ctx := browser(t)
	l := h.phoneLine(t)
	bg := context.Background()
	if _, err := h.srv.OnCall.AddEngineer(bg, "setup", oncall.NewEngineer{Handle: "bob", Name: "Bob", Phone: "+17205550112"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.OnCall.AddSchedule(bg, "setup", oncall.NewSchedule{Name: "primary", Timezone: "America/Denver",
		Shift: 7 * 24 * time.Hour, Handoff: oncall.Civil{Year: 2026, Month: 1, Day: 5, Hour: 9}, Members: []string{"alice", "bob"}}); err != nil {
		t.Fatal(err)
	}
	h.signInBrowser(t, ctx, "admin@example.com")

	// Rotate the contact's PIN: shown once, and not after a reload.
	contactURL := h.http.URL + "/contacts/" + l.contact.SupportID
	run(t, ctx, "rotate the PIN",
		chromedp.Navigate(contactURL),
		chromedp.Click(chromedp.CSS(`form[action$="/pin/rotate"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#new-pin")),
	)
	pin := strings.TrimSpace(text(t, ctx, "#new-pin"))
	if len(pin) < 4 || strings.Trim(pin, "0123456789") != "" || pin == l.pin {
		t.Fatalf("the new PIN reads %q (the old one was %s)", pin, l.pin)
	}
	if loc := value(t, ctx, "location", chromedp.Location()); strings.Contains(loc, pin) {
		t.Errorf("the PIN is in the URL %s", loc)
	}
	run(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if n := value(t, ctx, "look for the PIN", chromedp.Evaluate[int](`document.querySelectorAll('#new-pin').length`)); n != 0 {
		t.Error("a reload shows the PIN again")
	}
	if body := text(t, ctx, "main"); strings.Contains(body, pin) {
		t.Error("the PIN is still on the page after a reload")
	}

	// "I'll take Saturday": bob takes an override of alice's week, through
	// the form; it is in the calendar, and who is on call says so.
	run(t, ctx, "add an override",
		chromedp.Navigate(h.http.URL+"/oncall/primary"),
		chromedp.WaitVisible(chromedp.CSS("#ov-from")),
		chromedp.SetValue(chromedp.CSS("#ov-engineer"), "bob"),
		chromedp.SetValue(chromedp.CSS("#ov-from"), "2026-11-21T00:00"),
		chromedp.SetValue(chromedp.CSS("#ov-to"), "2026-11-22T00:00"),
		chromedp.Submit(chromedp.CSS("#ov-to")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
		chromedp.WaitVisible(chromedp.CSS(".calendar .shift.override")),
	)
	if s := text(t, ctx, ".calendar .shift.override"); !strings.Contains(s, "bob") || !strings.Contains(s, "override") {
		t.Errorf("the calendar's override reads %q", s)
	}
	saturday := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) // 05:00 in Denver
	cov, err := h.srv.OnCall.OnCall(bg, saturday)
	if err != nil || len(cov) != 1 || cov[0].Engineer != "bob" || cov[0].Override == 0 {
		t.Errorf("on call on Saturday (what supportline oncall --at prints): %+v %v", cov, err)
	}
}
