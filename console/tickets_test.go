package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/audit"
	"supportline/notify"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// tkT0 is when the fixture's tickets open: Wednesday 2026-11-18, 10:00
// in New York (the business calendar's zone, EST), 15:00 UTC.
var tkT0 = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)

// Twilio's shapes, values of our own.
const (
	tkAccountSid = "AC0123456789abcdef0123456789abcdef"
	tkAuthToken  = "tok3nTok3nTok3nTok3nTok3nTok3n99"
	tkRecording  = "https://api.twilio.com/2010-04-01/Accounts/" + tkAccountSid + "/Recordings/RE0123456789abcdef0123456789abcdef"
	tkCallSid    = "CAabababababababababababababababab"
)

// tkFixture is two tickets of account 100200 (Acme, enterprise):
// voicemail, P2 on the business calendar, opened at tkT0 by a call that
// left a voicemail; bare, P1 on the always calendar, resolved without a
// response. The clock is then tkT0+30m.
type tkFixture struct {
	voicemail, bare tickets.Ticket
}

func newTicketFixture(t *testing.T, h *harness) tkFixture {
	t.Helper()
	ctx := context.Background()
	h.clock.Set(tkT0.Add(-time.Hour))
	acc, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Acme", Plan: "enterprise", Number: "100200"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Set(tkT0)
	var f tkFixture
	sid := tkCallSid
	err = h.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if f.voicemail, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: acc.Plan, Priority: 2, CallSid: &sid}); err != nil {
			return err
		}
		// The call that opened it, as the phone line leaves it (the
		// phone line's own insert is ivr's, unexported).
		if _, err := tx.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, created_at, updated_at, ticket_id, account_id,
				status, duration, outcome, ended_at) VALUES (?, '+17205550100', '+12125550100', 'done', ?, ?, ?, ?, 'completed', 95, 'voicemail', ?)`,
			sid, tkT0.Add(-time.Minute), tkT0, f.voicemail.ID, acc.ID, tkT0.Add(35*time.Second)); err != nil {
			return err
		}
		if _, err := h.srv.Tickets.AttachRecordingTx(ctx, tx, f.voicemail.ID, tkRecording, "RE0123456789abcdef0123456789abcdef", 12); err != nil {
			return err
		}
		f.bare, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: acc.Plan, Priority: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.srv.Tickets.Resolve(ctx, "setup", f.bare.Number); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(tkT0.Add(30 * time.Minute))
	return f
}

func tkPath(n int64, action string) string {
	p := fmt.Sprintf("/tickets/%d", n)
	if action != "" {
		p += "/" + action
	}
	return p
}

// tkRedirect fails the test unless p is a 303 to the ticket with done.
func tkRedirect(t testing.TB, p page, n int64, done string) {
	t.Helper()
	p.want(t, http.StatusSeeOther)
	if want := tkPath(n, "") + "?done=" + done; p.location() != want {
		t.Fatalf("redirect to %q, want %q", p.location(), want)
	}
}

func tkFieldError(msg string) string { return `<span class="field-error" role="alert">` + msg }

// tkAudit is the actions of ticket n's audit events by actor.
func tkAudit(t testing.TB, h *harness, n int64, actor string) []string {
	t.Helper()
	events, err := h.srv.Audit.List(context.Background(), audit.Filter{Subject: fmt.Sprintf("ticket:%d", n), Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func TestTicketPageAndActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := newTicketFixture(t, h)
		n := f.voicemail.Number
		admin := h.signedIn("admin@example.com")

		p := admin.get(tkPath(n, "")).want(t, http.StatusOK)
		p.has(t, fmt.Sprintf("Ticket %d", n),
			// The promise, in the calendar's zone.
			"respond within 6h", "business", "(America/New_York)",
			"Wed 18 Nov 2026 10:00 EST", // opened
			"Wed 18 Nov 2026 16:00 EST", // due: 6 business hours later
			`<span class="countdown" data-due="2026-11-18T21:00:00Z">`,
			"5h30m left", "On time",
			// The account and the call.
			`<a href="/accounts/100200">Acme</a>`, "&#43;17205550100", "completed, 95 s", "voicemail",
			"Wed 18 Nov 2026 09:59 EST", "Wed 18 Nov 2026 10:00 EST", // started, ended
			// The timeline; the voicemail without Twilio's address.
			"<strong>opened</strong>", "the caller left a message",
			// No Twilio credentials in this harness: the words, no player.
			"This voicemail is stored at Twilio; the console can play it once TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
			// The forms of an admin.
			`<select id="engineer" name="engineer" required>`, `<option value="alice">Alice (alice)</option>`,
			`action="/tickets/`+fmt.Sprint(n)+`/resolve"`, `<label for="text">Note</label>`, "No notes yet")
		p.lacks(t, "api.twilio.com", "<audio", "/reopen")

		// Acknowledge, as admin naming alice.
		tkRedirect(t, admin.post(tkPath(n, "ack"), url.Values{"engineer": {"alice"}}), n, "ticket-acked")
		admin.get(tkPath(n, "")+"?done=ticket-acked").want(t, http.StatusOK).
			has(t, fmt.Sprintf("Ticket %d acknowledged by alice.", n), "Answered by alice", "responded in 30m").
			lacks(t, `action="/tickets/`+fmt.Sprint(n)+`/ack"`)
		// Again: kept, and the page says by whom and when.
		tkRedirect(t, admin.post(tkPath(n, "ack"), url.Values{"engineer": {"alice"}}), n, "ticket-ack-kept")
		admin.get(tkPath(n, "")+"?done=ticket-ack-kept").want(t, http.StatusOK).
			has(t, fmt.Sprintf("Ticket %d was already acknowledged by alice at Wed 18 Nov 2026 10:30 EST; nothing changed.", n))

		// A note.
		tkRedirect(t, admin.post(tkPath(n, "notes"), url.Values{"text": {"Called back, the customer restarts the router."}}), n, "ticket-noted")
		admin.get(tkPath(n, "")+"?done=ticket-noted").want(t, http.StatusOK).
			has(t, fmt.Sprintf("Note added to ticket %d.", n), "by user:admin@example.com: Called back, the customer restarts the router.").
			lacks(t, "No notes yet")

		// Resolve, twice; reopen, twice.
		tkRedirect(t, admin.post(tkPath(n, "resolve"), nil), n, "ticket-resolved")
		admin.get(tkPath(n, "")+"?done=ticket-resolved").want(t, http.StatusOK).
			has(t, fmt.Sprintf("Ticket %d resolved.", n), `action="/tickets/`+fmt.Sprint(n)+`/reopen"`).lacks(t, "/resolve\"")
		tkRedirect(t, admin.post(tkPath(n, "resolve"), nil), n, "ticket-resolved-already")
		admin.get(tkPath(n, "")+"?done=ticket-resolved-already").has(t, fmt.Sprintf("Ticket %d was already resolved; nothing changed.", n))
		tkRedirect(t, admin.post(tkPath(n, "reopen"), nil), n, "ticket-reopened")
		admin.get(tkPath(n, "")+"?done=ticket-reopened").has(t, fmt.Sprintf("Ticket %d reopened; its promise is unchanged.", n))
		tkRedirect(t, admin.post(tkPath(n, "reopen"), nil), n, "ticket-open-already")
		admin.get(tkPath(n, "")+"?done=ticket-open-already").has(t, fmt.Sprintf("Ticket %d is open already; nothing changed.", n))

		// Every change is audited as the console user's.
		got := strings.Join(tkAudit(t, h, n, "user:admin@example.com"), " ")
		if got != "ticket.ack ticket.note ticket.resolve ticket.reopen" {
			t.Errorf("audit events of user:admin@example.com: %q", got)
		}
		tk, err := h.srv.Tickets.Get(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Responder != "alice" || tk.Status != tickets.StatusOpen {
			t.Errorf("ticket after the actions: %+v", tk)
		}
		// A link cannot make the page say anything: an unknown done key says nothing.
		admin.get(tkPath(n, "")+"?done=Hacked").want(t, http.StatusOK).lacks(t, "Hacked", `class="notice"`)
	})
}

func TestTicketFormsRefuse(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	f := newTicketFixture(t, h)
	n, bare := f.voicemail.Number, f.bare.Number
	admin, viewer, alice := h.signedIn("admin@example.com"), h.signedIn("viewer@example.com"), h.signedIn("alice@example.com")

	t.Run("a viewer sees no buttons and a forged post is refused", func(t *testing.T) {
		viewer.get(tkPath(n, "")).want(t, http.StatusOK).has(t, "Acme").
			lacks(t, "/ack\"", "/resolve\"", "/reopen\"", "/notes\"", "<textarea", "<select")
		before := h.rows()
		for _, a := range []string{"ack", "notes", "resolve", "reopen"} {
			viewer.post(tkPath(n, a), url.Values{"engineer": {"alice"}, "text": {"forged"}}).want(t, http.StatusForbidden).
				has(t, "role viewer", "Nothing was changed")
		}
		h.unchanged(before, "a viewer's forged posts")
	})
	t.Run("unknown tickets are 404 pages", func(t *testing.T) {
		admin.get("/tickets/999999").want(t, http.StatusNotFound).has(t, "No ticket 999999")
		admin.get("/tickets/abc").want(t, http.StatusNotFound).has(t, "There is no ticket &#34;abc&#34;")
		admin.get("/tickets/999999/voicemail").want(t, http.StatusNotFound).has(t, "No ticket 999999")
		before := h.rows()
		for _, a := range []string{"ack", "notes", "resolve", "reopen"} {
			admin.post("/tickets/999999/"+a, url.Values{"engineer": {"alice"}, "text": {"hello"}}).want(t, http.StatusNotFound).has(t, "No ticket 999999")
			admin.post("/tickets/x1/"+a, url.Values{"engineer": {"alice"}, "text": {"hello"}}).want(t, http.StatusNotFound)
		}
		h.unchanged(before, "posts to unknown tickets")
	})
	t.Run("bad input is shown next to its field", func(t *testing.T) {
		before := h.rows()
		admin.post(tkPath(n, "ack"), url.Values{"engineer": {""}}).want(t, http.StatusBadRequest).
			has(t, tkFieldError("The engineer who responded is required"), "Acme")
		admin.post(tkPath(n, "ack"), url.Values{"engineer": {"bob"}}).want(t, http.StatusNotFound).
			has(t, tkFieldError("No engineer &#34;bob&#34;"))
		admin.post(tkPath(n, "notes"), url.Values{"text": {"   "}}).want(t, http.StatusBadRequest).
			has(t, tkFieldError("A note needs some text"))
		long := strings.Repeat("x", tickets.MaxNoteLen+1)
		admin.post(tkPath(n, "notes"), url.Values{"text": {long}}).want(t, http.StatusBadRequest).
			has(t, tkFieldError("A note is at most 2000 characters"), long) // the text is kept in the form
		h.unchanged(before, "refused forms")
	})
	t.Run("a ticket resolved without a response cannot be acknowledged", func(t *testing.T) {
		before := h.rows()
		admin.post(tkPath(bare, "ack"), url.Values{"engineer": {"alice"}}).want(t, http.StatusConflict).
			has(t, fmt.Sprintf(`<p class="error" role="alert">Ticket %d was resolved without a response</p>`, bare))
		h.unchanged(before, "the ack of a resolved ticket")
	})
	t.Run("an engineer acknowledges as themself only", func(t *testing.T) {
		alice.get(tkPath(n, "")).want(t, http.StatusOK).has(t, "Acknowledge as alice").lacks(t, "<select")
		before := h.rows()
		alice.post(tkPath(n, "ack"), url.Values{"engineer": {"bob"}}).want(t, http.StatusForbidden).
			has(t, "acknowledges as engineer alice only, not as bob")
		h.unchanged(before, "an engineer acknowledging as another")
		tkRedirect(t, alice.post(tkPath(n, "ack"), url.Values{}), n, "ticket-acked")
		if got := tkAudit(t, h, n, "user:alice@example.com"); len(got) != 1 || got[0] != "ticket.ack" {
			t.Errorf("alice's audit events: %v", got)
		}
	})
}

// fakeTwilio is Twilio's recording media: it answers the MP3 of
// tkRecording to our credentials only, ranges included, and counts what
// it was asked.
type fakeTwilio struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string // "METHOD HOST PATH RANGE"
}

const tkAudio = "ID3\x04fake mp3 audio"

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, strings.TrimSpace(r.Method+" "+r.Host+" "+r.URL.Path+" "+r.Header.Get("Range")))
		f.mu.Unlock()
		if u, p, ok := r.BasicAuth(); !ok || u != tkAccountSid || p != tkAuthToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if "https://"+r.Host+r.URL.Path != tkRecording+".mp3" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Header().Set("Accept-Ranges", "bytes")
		if r.Header.Get("Range") == "bytes=4-7" {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 4-7/%d", len(tkAudio)))
			w.WriteHeader(http.StatusPartialContent)
			io.WriteString(w, tkAudio[4:8])
			return
		}
		io.WriteString(w, tkAudio)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// RoundTrip sends every request, whatever its host, to the fake, keeping
// the Host it was for: the fake stands behind the HTTP client, as the
// real API does behind api.twilio.com.
func (f *fakeTwilio) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = r.URL.Host
	target, _ := url.Parse(f.srv.URL)
	r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func TestTicketVoicemail(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	f := newTicketFixture(t, h)
	n := f.voicemail.Number
	tw := newFakeTwilio(t)
	h.srv.Recordings = &notify.Recordings{Username: tkAccountSid, Password: tkAuthToken, Client: &http.Client{Transport: tw}}
	viewer := h.signedIn("viewer@example.com")
	get := func(path, byteRange string) page {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, h.http.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if byteRange != "" {
			req.Header.Set("Range", byteRange)
		}
		return viewer.do(req)
	}

	t.Run("the player streams through us", func(t *testing.T) {
		p := viewer.get(tkPath(n, "")).want(t, http.StatusOK)
		p.has(t, fmt.Sprintf(`<audio controls preload="none" src="/tickets/%d/voicemail">`, n),
			fmt.Sprintf(`href="/tickets/%d/voicemail?download=1"`, n), "A message of 12 seconds.")
		p.lacks(t, tkAuthToken, tkAccountSid, "api.twilio.com", "RE0123456789abcdef", "This voicemail is stored at Twilio")

		a := get(tkPath(n, "voicemail"), "").want(t, http.StatusOK)
		if a.Body != tkAudio || a.Header.Get("Content-Type") != "audio/mpeg" || a.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("audio %q, headers %v", a.Body, a.Header)
		}
		if cd := a.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") {
			t.Errorf("Content-Disposition %q", cd)
		}
		for k, vs := range a.Header {
			for _, v := range vs {
				if strings.Contains(v, tkAuthToken) || strings.Contains(v, "twilio.com") {
					t.Errorf("header %s: %s gives Twilio away", k, v)
				}
			}
		}
		r := get(tkPath(n, "voicemail"), "bytes=4-7").want(t, http.StatusPartialContent)
		if r.Body != tkAudio[4:8] || r.Header.Get("Content-Range") != fmt.Sprintf("bytes 4-7/%d", len(tkAudio)) {
			t.Errorf("range: %q %q", r.Body, r.Header.Get("Content-Range"))
		}
		d := get(tkPath(n, "voicemail")+"?download=1", "").want(t, http.StatusOK)
		if cd := d.Header.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="ticket-%d-voicemail.mp3"`, n) {
			t.Errorf("download Content-Disposition %q", cd)
		}
		path := strings.TrimPrefix(tkRecording, "https://api.twilio.com") + ".mp3"
		want := []string{"GET api.twilio.com " + path, "GET api.twilio.com " + path + " bytes=4-7", "GET api.twilio.com " + path}
		if got := tw.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Twilio was asked:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("wrong credentials are refused by Twilio, in words", func(t *testing.T) {
		h.srv.Recordings = &notify.Recordings{Username: tkAccountSid, Password: "wrongwrongwrong", Client: &http.Client{Transport: tw}}
		defer func() {
			h.srv.Recordings = &notify.Recordings{Username: tkAccountSid, Password: tkAuthToken, Client: &http.Client{Transport: tw}}
		}()
		get(tkPath(n, "voicemail"), "").want(t, http.StatusServiceUnavailable).
			has(t, "Twilio refused our credentials").lacks(t, "wrongwrongwrong")
	})
	t.Run("a stored address elsewhere is never fetched", func(t *testing.T) {
		ctx := context.Background()
		if err := h.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := h.srv.Tickets.AttachRecordingTx(ctx, tx, f.bare.ID,
				"https://evil.example/2010-04-01/Accounts/"+tkAccountSid+"/Recordings/RE0123456789abcdef0123456789abcdef", "", 3)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		asked := len(tw.requests())
		get(tkPath(f.bare.Number, "voicemail"), "").want(t, http.StatusBadRequest).
			has(t, "not a recording of Twilio").lacks(t, tkAuthToken)
		if got := tw.requests(); len(got) != asked {
			t.Errorf("a request for another host: %v", got[asked:])
		}
	})
	t.Run("without credentials the page says what to set", func(t *testing.T) {
		h.srv.Recordings = nil
		viewer.get(tkPath(n, "")).want(t, http.StatusOK).
			has(t, "This voicemail is stored at Twilio; the console can play it once TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN").
			lacks(t, "<audio")
		asked := len(tw.requests())
		get(tkPath(n, "voicemail"), "").want(t, http.StatusServiceUnavailable).
			has(t, "This voicemail is stored at Twilio; the console can play it once TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
		if len(tw.requests()) != asked {
			t.Error("Twilio asked without credentials")
		}
	})
	t.Run("a ticket without a voicemail", func(t *testing.T) {
		h.srv.Recordings = &notify.Recordings{Username: tkAccountSid, Password: tkAuthToken, Client: &http.Client{Transport: tw}}
		ctx := context.Background()
		var other tickets.Ticket
		acc, err := h.srv.Accounts.Account(ctx, "100200")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.db.InTx(ctx, func(tx *store.Tx) error {
			other, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: acc.Plan, Priority: 3})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		viewer.get(tkPath(other.Number, "")).want(t, http.StatusOK).has(t, "No voicemail was left on this ticket.", "No phone call opened this ticket.")
		get(tkPath(other.Number, "voicemail"), "").want(t, http.StatusNotFound).has(t, fmt.Sprintf("Ticket %d has no voicemail.", other.Number))
	})
}
