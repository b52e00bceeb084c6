package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/audit"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// ticketOperations is how many operations tickets.go (6) and records.go
// (calls 2, outbox 1, audit 1) add: TestAPIOpenAPIDocument counts them.
const ticketOperations = 10

// t0 is when the ticket tests' first ticket opens: Wednesday 2026-11-18,
// 10:00 in New York (the business calendar's zone), 15:00 UTC.
var t0 = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)

// apiTicket is a ticket as the API answers it.
type apiTicket struct {
	Number      int64      `json:"number"`
	Account     string     `json:"account"`
	AccountName string     `json:"account_name"`
	Priority    int        `json:"priority"`
	Status      string     `json:"status"`
	OpenedAt    time.Time  `json:"opened_at"`
	ResponseDue time.Time  `json:"response_due"`
	RespondedAt *time.Time `json:"responded_at"`
	Responder   string     `json:"responder"`
	TimeLeft    string     `json:"time_left"`
	Changed     bool       `json:"changed"`
	Events      []struct {
		Kind   string `json:"kind"`
		Detail string `json:"detail"`
	} `json:"events"`
}

type ticketPage struct {
	Tickets []apiTicket `json:"tickets"`
	Next    string      `json:"next_cursor"`
}

// ticketFixture is six tickets opened a minute apart from t0 (the third and
// fourth at the same instant) on two accounts, the clock then at t0+2h1m30s.
type ticketFixture struct {
	// t[0] is the first ticket opened: enterprise P1 at t0, due t0+2h
	// (clock always), opened by a call and with a voicemail; breached.
	// t[1] enterprise P2, t[2] enterprise P1 due t0+2h2m (not yet late),
	// t[3] enterprise P3, t[4] standard P1, t[5] standard P4, resolved.
	t   [6]tickets.Ticket
	sid string
}

func newTicketFixture(t *testing.T, h *harness) ticketFixture {
	t.Helper()
	ctx := context.Background()
	clock := storetest.ClockOf(h.db)
	clock.Set(t0.Add(-time.Hour))
	ent, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Acme", Plan: "enterprise", Number: "100200"})
	if err != nil {
		t.Fatal(err)
	}
	std, err := h.srv.Accounts.AddAccount(ctx, "setup", accounts.NewAccount{Name: "Beta", Plan: "standard", Number: "100300"})
	if err != nil {
		t.Fatal(err)
	}
	f := ticketFixture{sid: "CA" + strings.Repeat("ab", 16)}
	for i, o := range []struct {
		acc      accounts.Account
		priority int
		minute   int
	}{{ent, 1, 0}, {ent, 2, 1}, {ent, 1, 2}, {ent, 3, 2}, {std, 1, 3}, {std, 4, 4}} {
		at := t0.Add(time.Duration(o.minute) * time.Minute)
		clock.Set(at)
		in := tickets.OpenInput{AccountID: o.acc.ID, Plan: o.acc.Plan, Priority: o.priority}
		err := h.db.InTx(ctx, func(tx *store.Tx) error {
			if i == 0 {
				in.CallSid = &f.sid
			}
			var err error
			if f.t[i], err = h.srv.Tickets.OpenTx(ctx, tx, in); err != nil {
				return err
			}
			if i != 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, created_at, updated_at, ticket_id, account_id,
					status, duration, outcome, ended_at) VALUES (?, '+17205550100', '+12125550100', 'done', ?, ?, ?, ?, 'completed', 95, 'voicemail', ?)`,
				f.sid, at.Add(-time.Minute), at, f.t[i].ID, o.acc.ID, at.Add(35*time.Second)); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE tickets SET recording_url = 'https://api.twilio.com/rec/RE1', recording_sid = 'RE1', recording_duration = 12 WHERE id = ?`, f.t[i].ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := h.srv.Tickets.Resolve(ctx, "setup", f.t[5].Number); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(2*time.Hour + time.Minute + 30*time.Second))
	return f
}

// list GETs /tickets with query q and returns the page.
func (h *harness) list(t *testing.T, q url.Values) ticketPage {
	t.Helper()
	var p ticketPage
	h.do("GET", "/tickets?"+q.Encode(), h.viewer, nil).want(t, http.StatusOK).JSON(t, &p)
	return p
}

// numbers are the ticket numbers of a list, in its order.
func numbers(list []apiTicket) string {
	s := make([]string, len(list))
	for i, t := range list {
		s[i] = strconv.FormatInt(t.Number, 10)
	}
	return strings.Join(s, " ")
}

func TestAPITicketList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := newTicketFixture(t, h)
		nums := func(idx ...int) string {
			s := make([]string, len(idx))
			for i, x := range idx {
				s[i] = strconv.FormatInt(f.t[x].Number, 10)
			}
			return strings.Join(s, " ")
		}

		all := h.list(t, nil)
		if got, want := numbers(all.Tickets), nums(5, 4, 3, 2, 1, 0); got != want || all.Next != "" {
			t.Fatalf("all tickets: %s (next %q), want %s", got, all.Next, want)
		}
		first := all.Tickets[5]
		if first.Account != "100200" || first.AccountName != "Acme" || first.TimeLeft != "overdue by 1m" {
			t.Errorf("first ticket listed as %+v", first)
		}
		if tl := all.Tickets[0].TimeLeft; tl != "resolved" {
			t.Errorf("resolved ticket's time left %q", tl)
		}

		for _, tc := range []struct {
			name string
			q    url.Values
			want string
		}{
			{"open", url.Values{"open": {"true"}}, nums(4, 3, 2, 1, 0)},
			{"one account", url.Values{"account": {"100300"}}, nums(5, 4)},
			{"priority", url.Values{"priority": {"1"}}, nums(4, 2, 0)},
			{"breached", url.Values{"breached": {"true"}}, nums(0)},
			{"due before", url.Values{"due_before": {"2026-11-18T17:01:30Z"}}, nums(0)},
			{"opened between", url.Values{"opened_from": {"2026-11-18T15:01:00Z"}, "opened_to": {"2026-11-18T15:03:00Z"}}, nums(3, 2, 1)},
			{"everything at once", url.Values{"open": {"true"}, "account": {"100200"}, "priority": {"1"}, "sort": {"due"}}, nums(0, 2)},
			{"due first", url.Values{"sort": {"due"}, "due_before": {"2026-11-18T18:00:00Z"}}, nums(0, 2)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := numbers(h.list(t, tc.q).Tickets); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			})
		}

		t.Run("paging with the cursor is the full list", func(t *testing.T) {
			for _, sort := range []string{"opened", "due"} {
				full := h.list(t, url.Values{"sort": {sort}})
				for i := 1; i < len(full.Tickets); i++ {
					if sort == "due" && full.Tickets[i].ResponseDue.Before(full.Tickets[i-1].ResponseDue) {
						t.Errorf("sort=due: %d due before %d", full.Tickets[i].Number, full.Tickets[i-1].Number)
					}
				}
				for _, limit := range []int{1, 2, 4} {
					var got []apiTicket
					q := url.Values{"sort": {sort}, "limit": {strconv.Itoa(limit)}}
					for pages := 0; ; pages++ {
						if pages > len(full.Tickets) {
							t.Fatalf("sort=%s limit=%d: more pages than tickets", sort, limit)
						}
						p := h.list(t, q)
						if len(p.Tickets) > limit {
							t.Errorf("sort=%s limit=%d: page of %d", sort, limit, len(p.Tickets))
						}
						got = append(got, p.Tickets...)
						if p.Next == "" {
							break
						}
						q.Set("cursor", p.Next)
					}
					if numbers(got) != numbers(full.Tickets) {
						t.Errorf("sort=%s limit=%d: paged %s, want %s", sort, limit, numbers(got), numbers(full.Tickets))
					}
				}
			}
		})

		t.Run("bad filters", func(t *testing.T) {
			byDue := h.list(t, url.Values{"sort": {"due"}, "limit": {"1"}})
			for _, tc := range []struct {
				name   string
				q      string
				status int
				detail string
			}{
				{"malformed cursor", "cursor=nonsense", http.StatusBadRequest, "not one a ticket list gave out"},
				{"cursor of the other sort", "sort=opened&cursor=" + byDue.Next, http.StatusBadRequest, "sorted by due"},
				{"limit 0", "limit=0", http.StatusBadRequest, "limit"},
				{"limit too large", "limit=1001", http.StatusBadRequest, "limit"},
				{"priority 9", "priority=9", http.StatusBadRequest, "priority"},
				{"priority not a number", "priority=high", http.StatusBadRequest, "priority"},
				{"unknown sort", "sort=name", http.StatusBadRequest, "sort"},
				{"open not a boolean", "open=maybe", http.StatusBadRequest, "open"},
				{"due before not a time", "due_before=tomorrow", http.StatusBadRequest, "due_before"},
				{"opened from after to", "opened_from=2026-11-18T16:00:00Z&opened_to=2026-11-18T15:00:00Z", http.StatusBadRequest, "must be before"},
				{"malformed account", "account=12ab", http.StatusBadRequest, "6 to 12 digits"},
				{"unknown account", "account=999999", http.StatusNotFound, "no account 999999"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					p := h.do("GET", "/tickets?"+tc.q, h.viewer, nil).want(t, tc.status).Problem(t)
					text := p.Detail
					for _, e := range p.Errors {
						text += " | " + e.Location + ": " + e.Message
					}
					if !strings.Contains(text, tc.detail) {
						t.Errorf("problem %q, want %q", text, tc.detail)
					}
				})
			}
		})

		h.do("GET", "/tickets", "", nil).want(t, http.StatusUnauthorized)
		h.do("GET", "/tickets", "slt_notatoken", nil).want(t, http.StatusUnauthorized)
	})
}

func TestAPITicketShowAndWork(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := newTicketFixture(t, h)
		ctx := context.Background()
		path := func(i int, action string) string { return fmt.Sprintf("/tickets/%d%s", f.t[i].Number, action) }

		var shown struct {
			apiTicket
			Promise struct {
				Target string    `json:"target"`
				Clock  string    `json:"clock"`
				Due    time.Time `json:"due"`
				WarnAt time.Time `json:"warn_at"`
			} `json:"promise"`
			Call *struct {
				CallSid  string `json:"call_sid"`
				From     string `json:"from"`
				Duration int    `json:"duration"`
				Outcome  string `json:"outcome"`
			} `json:"call"`
			Voicemail *struct {
				URL      string `json:"url"`
				Duration int    `json:"duration"`
			} `json:"voicemail"`
		}
		h.do("GET", path(0, ""), h.viewer, nil).want(t, http.StatusOK).JSON(t, &shown)
		if shown.Promise.Target != "2h" || shown.Promise.Clock != "always" || !shown.Promise.Due.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("promise %+v", shown.Promise)
		}
		if c := shown.Call; c == nil || c.CallSid != f.sid || c.From != "+17205550100" || c.Duration != 95 || c.Outcome != "voicemail" {
			t.Errorf("call %+v", shown.Call)
		}
		if v := shown.Voicemail; v == nil || v.URL != "https://api.twilio.com/rec/RE1" || v.Duration != 12 {
			t.Errorf("voicemail %+v", shown.Voicemail)
		}
		if len(shown.Events) == 0 || shown.Events[0].Kind != "opened" || shown.TimeLeft != "overdue by 1m" || shown.AccountName != "Acme" {
			t.Errorf("shown %+v", shown.apiTicket)
		}
		r := h.do("GET", path(1, ""), h.viewer, nil).want(t, http.StatusOK)
		r.JSON(t, &shown)
		if shown.Call != nil || shown.Voicemail != nil || !strings.Contains(string(r.Body), `"call":null`) {
			t.Errorf("a ticket without a call: %s", r.Body)
		}

		t.Run("refused requests change nothing", func(t *testing.T) {
			before := h.rows()
			for _, tc := range []struct {
				name, method, path, token string
				body                      any
				status                    int
				detail                    string
			}{
				{"no token", "POST", path(1, "/ack"), "", nil, http.StatusUnauthorized, "bearer token is required"},
				{"malformed token", "POST", path(1, "/resolve"), "Bearer nope", nil, http.StatusUnauthorized, "malformed"},
				{"viewer may not ack", "POST", path(1, "/ack"), h.viewer, nil, http.StatusForbidden, "viewer"},
				{"viewer may not note", "POST", path(1, "/notes"), h.viewer, map[string]any{"text": "hi"}, http.StatusForbidden, "viewer"},
				{"viewer may not resolve", "POST", path(1, "/resolve"), h.viewer, nil, http.StatusForbidden, "viewer"},
				{"viewer may not reopen", "POST", path(5, "/reopen"), h.viewer, nil, http.StatusForbidden, "viewer"},
				{"engineer as another engineer", "POST", path(1, "/ack"), h.engineer, map[string]any{"engineer": "bob"}, http.StatusForbidden, "as engineer alice only"},
				{"admin without an engineer", "POST", path(1, "/ack"), h.admin, nil, http.StatusBadRequest, "engineer who responded is required"},
				{"admin with an empty body", "POST", path(1, "/ack"), h.admin, map[string]any{}, http.StatusBadRequest, "engineer who responded is required"},
				{"unknown engineer", "POST", path(1, "/ack"), h.admin, map[string]any{"engineer": "nobody"}, http.StatusNotFound, `no engineer "nobody"`},
				{"unknown field", "POST", path(1, "/ack"), h.admin, map[string]any{"engineer": "alice", "when": "now"}, http.StatusBadRequest, "unexpected property"},
				{"resolved without response", "POST", path(5, "/ack"), h.engineer, nil, http.StatusConflict, "resolved without a response"},
				{"unknown ticket", "POST", "/tickets/999999/ack", h.engineer, nil, http.StatusNotFound, "999999"},
				{"unknown ticket to resolve", "POST", "/tickets/999999/resolve", h.engineer, nil, http.StatusNotFound, "999999"},
				{"unknown ticket to note", "POST", "/tickets/999999/notes", h.engineer, map[string]any{"text": "hi"}, http.StatusNotFound, "999999"},
				{"get unknown ticket", "GET", "/tickets/999999", h.viewer, nil, http.StatusNotFound, "999999"},
				{"malformed number", "GET", "/tickets/abc", h.viewer, nil, http.StatusBadRequest, "number"},
				{"number zero", "POST", "/tickets/0/resolve", h.admin, nil, http.StatusBadRequest, "number"},
				{"negative number", "POST", "/tickets/-5/reopen", h.admin, nil, http.StatusBadRequest, "number"},
				{"note too long", "POST", path(1, "/notes"), h.engineer, map[string]any{"text": strings.Repeat("x", tickets.MaxNoteLen+1)}, http.StatusBadRequest, "at most 2000 characters"},
				{"blank note", "POST", path(1, "/notes"), h.engineer, map[string]any{"text": "  "}, http.StatusBadRequest, "needs some text"},
				{"note of two lines", "POST", path(1, "/notes"), h.engineer, map[string]any{"text": "a\nb"}, http.StatusBadRequest, "one line"},
				{"note without text", "POST", path(1, "/notes"), h.engineer, map[string]any{}, http.StatusBadRequest, "text"},
				{"note of the wrong type", "POST", path(1, "/notes"), h.engineer, map[string]any{"text": 42}, http.StatusBadRequest, "expected string"},
				{"malformed JSON", "POST", path(1, "/notes"), h.engineer, `{"text": `, http.StatusBadRequest, ""},
				{"a body to resolve", "POST", path(1, "/resolve"), h.admin, `{"why": "done"}`, http.StatusBadRequest, "no request body"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					p := h.do(tc.method, tc.path, tc.token, tc.body).want(t, tc.status).Problem(t)
					text := p.Detail
					for _, e := range p.Errors {
						text += " | " + e.Location + ": " + e.Message
					}
					if !strings.Contains(text, tc.detail) {
						t.Errorf("problem %q, want %q", text, tc.detail)
					}
				})
			}
			h.unchanged(before, "refused ticket requests")
		})

		var got apiTicket
		h.do("POST", path(1, "/ack"), h.engineer, nil).want(t, http.StatusOK).JSON(t, &got)
		if !got.Changed || got.Responder != "alice" || got.RespondedAt == nil || !strings.HasPrefix(got.TimeLeft, "responded in") {
			t.Errorf("ack by the engineer's token: %+v", got)
		}
		h.do("POST", path(1, "/ack"), h.admin, map[string]any{"engineer": "alice"}).want(t, http.StatusOK).JSON(t, &got)
		if got.Changed || got.Responder != "alice" {
			t.Errorf("second ack: %+v", got)
		}
		h.do("POST", path(2, "/ack"), h.admin, map[string]any{"engineer": "alice"}).want(t, http.StatusOK).JSON(t, &got)
		if !got.Changed || got.Responder != "alice" {
			t.Errorf("ack by an admin naming alice: %+v", got)
		}
		h.do("POST", path(3, "/ack"), h.engineer, map[string]any{"engineer": "alice"}).want(t, http.StatusOK).JSON(t, &got)
		if !got.Changed {
			t.Errorf("ack by the engineer naming itself: %+v", got)
		}

		h.do("POST", path(1, "/notes"), h.engineer, map[string]any{"text": "  Called back; restarting the router.  "}).want(t, http.StatusCreated).JSON(t, &got)
		if last := got.Events[len(got.Events)-1]; !got.Changed || last.Kind != "note" || last.Detail != "by token:alice.phone: Called back; restarting the router." {
			t.Errorf("note: %+v", got)
		}
		h.do("POST", path(1, "/notes"), h.engineer, map[string]any{"text": strings.Repeat("é", tickets.MaxNoteLen)}).want(t, http.StatusCreated)

		for _, step := range []struct {
			action, status string
			changed        bool
		}{{"/resolve", "resolved", true}, {"/resolve", "resolved", false}, {"/reopen", "open", true}, {"/reopen", "open", false}} {
			h.do("POST", path(1, step.action), h.engineer, nil).want(t, http.StatusOK).JSON(t, &got)
			if got.Status != step.status || got.Changed != step.changed {
				t.Errorf("%s: status %s changed %v, want %s %v", step.action, got.Status, got.Changed, step.status, step.changed)
			}
		}
		h.do("POST", path(0, "/resolve"), h.admin, nil).want(t, http.StatusOK)

		// Every change through the API is audited as the token's.
		events, err := h.srv.Audit.List(ctx, audit.Filter{Subject: fmt.Sprintf("ticket:%d", f.t[1].Number)})
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, e := range events {
			seen = append(seen, e.Action+"/"+e.Actor)
		}
		want := "ticket.ack/token:alice.phone ticket.note/token:alice.phone ticket.note/token:alice.phone ticket.resolve/token:alice.phone ticket.reopen/token:alice.phone"
		if got := strings.Join(seen, " "); got != want {
			t.Errorf("audit of ticket %d:\n got %s\nwant %s", f.t[1].Number, got, want)
		}
		events, err = h.srv.Audit.List(ctx, audit.Filter{Actor: "token:crm"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Action != "ticket.ack" || events[1].Action != "ticket.resolve" {
			t.Errorf("the admin token's events: %+v", events)
		}
	})
}
