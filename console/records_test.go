package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"supportline/notify"
	"supportline/store"
	"supportline/store/storetest"
)

func TestAuditLogPage(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	f := newTicketFixture(t, h)
	n := f.voicemail.Number
	admin, viewer := h.signedIn("admin@example.com"), h.signedIn("viewer@example.com")
	tkRedirect(t, admin.post(tkPath(n, "ack"), url.Values{"engineer": {"alice"}}), n, "ticket-acked")
	h.advance(time.Minute)
	tkRedirect(t, admin.post(tkPath(n, "notes"), url.Values{"text": {"Called back."}}), n, "ticket-noted")

	t.Run("everything, newest first", func(t *testing.T) {
		p := viewer.get("/audit").want(t, http.StatusOK)
		p.has(t, `<label for="actor">Actor</label>`, "ticket.note", "ticket.ack", "account.add", "user:admin@example.com", "setup")
		if note, ack := strings.Index(p.Body, "ticket.note"), strings.Index(p.Body, "ticket.ack"); note > ack {
			t.Error("the older event is listed first")
		}
		p.lacks(t, "Only the newest")
	})
	t.Run("filters", func(t *testing.T) {
		viewer.get("/audit?actor="+url.QueryEscape("user:admin@example.com")).want(t, http.StatusOK).
			has(t, "ticket.note", "ticket.ack", `value="user:admin@example.com"`).lacks(t, "account.add", "ticket.resolve")
		viewer.get(fmt.Sprintf("/audit?subject=ticket:%d", f.bare.Number)).want(t, http.StatusOK).
			has(t, "ticket.resolve").lacks(t, "ticket.note", "ticket.ack")
		// since is at or after; until before.
		viewer.get("/audit?since=2026-11-18T15:31").want(t, http.StatusOK).has(t, "ticket.note").lacks(t, "ticket.ack", "account.add")
		viewer.get("/audit?until="+url.QueryEscape("2026-11-18T10:31:00-05:00")).want(t, http.StatusOK).
			has(t, "ticket.ack").lacks(t, "ticket.note")
		viewer.get("/audit?actor=nobody").want(t, http.StatusOK).has(t, "No audit events match these filters")
	})
	t.Run("bad filters next to their field", func(t *testing.T) {
		viewer.get("/audit?since=yesterday").want(t, http.StatusBadRequest).
			has(t, tkFieldError("Since &#34;yesterday&#34; is not a time"), `value="yesterday"`)
		viewer.get("/audit?since=2026-11-19&until=2026-11-18").want(t, http.StatusBadRequest).
			has(t, tkFieldError("Since 2026-11-19T00:00:00Z must be before until 2026-11-18T00:00:00Z"))
	})
	t.Run("a page of 100, then the older ones by their link", func(t *testing.T) {
		ctx := context.Background()
		for i := range 120 {
			if _, err := h.srv.Tickets.Note(ctx, "setup", f.bare.Number, fmt.Sprintf("note %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		notes := func(p page) []string {
			var out []string
			for _, m := range regexp.MustCompile(`<td>(note \d+)</td>`).FindAllStringSubmatch(p.Body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		first := viewer.get("/audit").want(t, http.StatusOK).lacks(t, "Only the newest", "Newest events", "account.add")
		if got := strings.Count(first.Body, "<td>ticket.note</td>"); got != 100 {
			t.Errorf("%d rows of ticket.note, want 100", got)
		}
		if n := notes(first); len(n) != 100 || n[0] != "note 119" || n[99] != "note 20" {
			t.Errorf("first page: %d notes, %v ... ; want note 119 to note 20", len(n), n[:min(len(n), 1)])
		}
		older := olderLink(t, first)
		if q := older.Query(); q.Get("cursor") == "" || len(q) != 1 {
			t.Fatalf("older link %s: want a cursor alone", older)
		}
		second := viewer.get(older.String()).want(t, http.StatusOK).has(t, "account.add", `<a href="/audit">Newest events</a>`).lacks(t, "note 20<")
		if n := notes(second); len(n) != 20 || n[0] != "note 19" || n[19] != "note 0" {
			t.Errorf("second page: %v, want note 19 to note 0", n)
		}
		second.lacks(t, "Older events") // the rest of the log fits on it

		// The filters travel with the cursor, and the form keeps them.
		subject := fmt.Sprintf("ticket:%d", f.bare.Number)
		filtered := viewer.get("/audit?subject="+subject+"&actor=setup").want(t, http.StatusOK)
		if n := notes(filtered); len(n) != 100 || n[0] != "note 119" {
			t.Errorf("filtered first page: %d notes", len(n))
		}
		older = olderLink(t, filtered)
		if q := older.Query(); q.Get("subject") != subject || q.Get("actor") != "setup" || q.Get("cursor") == "" {
			t.Fatalf("older link %s: want the filters and a cursor", older)
		}
		rest := viewer.get(older.String()).want(t, http.StatusOK).has(t, `value="`+subject+`"`, `value="setup"`).lacks(t, "Older events", "account.add")
		if n := notes(rest); len(n) != 20 || n[0] != "note 19" || n[19] != "note 0" {
			t.Errorf("filtered second page: %v, want note 19 to note 0", n)
		}
		rest.has(t, `href="/audit?actor=setup&amp;subject=`+url.QueryEscape(subject)+`">Newest events`)
	})
	t.Run("a cursor past the oldest event", func(t *testing.T) {
		past := store.EncodeCursor(map[string]any{"a": time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), "e": 1})
		viewer.get("/audit?actor=setup&cursor="+past).want(t, http.StatusOK).
			has(t, `No older audit events match these filters: <a href="/audit?actor=setup">back to the newest</a>`).lacks(t, "<table>")
	})
	t.Run("a malformed cursor is a 400 in words", func(t *testing.T) {
		viewer.get("/audit?actor=setup&cursor=nonsense").want(t, http.StatusBadRequest).
			has(t, `<p class="error" role="alert">Cursor &#34;nonsense&#34; is not one the audit log gave out; start again without it</p>`, `value="setup"`).
			lacks(t, "<table>")
	})
}

// olderLink is the "Older events" link of an audit page.
func olderLink(t *testing.T, p page) *url.URL {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older events</a>`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no Older events link:\n%s", p.Body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil || u.Path != "/audit" {
		t.Fatalf("older link %q: %v", m[1], err)
	}
	return u
}

// failingSender refuses one number for good, as Twilio refuses an
// invalid To, and delivers every other.
type failingSender struct{ bad string }

func (s failingSender) Send(_ context.Context, to, _ string) (string, error) {
	if to == s.bad {
		return "", &notify.SendError{Status: 400, Code: 21211, Message: "The 'To' number is not a valid phone number.", Permanent: true}
	}
	return "SM0123456789abcdef0123456789abcdef", nil
}

func TestOutboxPage(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	viewer := h.signedIn("viewer@example.com")
	viewer.get("/outbox").want(t, http.StatusOK).has(t, "No SMS yet")
	viewer.get("/outbox?failed=1").want(t, http.StatusOK).has(t, "No failed deliveries")

	ctx := context.Background()
	if err := h.db.InTx(ctx, func(tx *store.Tx) error {
		for _, m := range []notify.Message{
			{EventKey: "ticket:100001:voicemail", To: "+17205550111", Body: "Voicemail on ticket 100001"},
			{EventKey: "ticket:100002:warning", To: "+17205550199", Body: "Ticket 100002 is due soon"},
		} {
			if _, err := notify.Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w := &notify.Worker{DB: h.db, Sender: failingSender{bad: "+17205550199"}}
	if sent, failed, err := w.Tick(ctx); err != nil || sent != 1 || failed != 1 {
		t.Fatalf("tick: sent %d failed %d err %v", sent, failed, err)
	}

	all := viewer.get("/outbox").want(t, http.StatusOK)
	all.has(t, "&#43;17205550111", "Voicemail on ticket 100001", `<span class="badge ok">Sent</span>`,
		"&#43;17205550199", "Ticket 100002 is due soon", `<span class="badge overdue">Failed</span>`,
		"The &#39;To&#39; number is not a valid phone number.", "(Twilio error 21211)", `href="/outbox?failed=1"`)
	failed := viewer.get("/outbox?failed=1").want(t, http.StatusOK)
	failed.has(t, "Failed deliveries only", "Ticket 100002 is due soon", "(Twilio error 21211)", `<span class="muted">not sent</span>`).
		lacks(t, "Voicemail on ticket 100001")
}
