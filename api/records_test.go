package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/notify"
	"supportline/store"
	"supportline/store/storetest"
)

func TestAPICalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		// Three calls a minute apart from 2026-11-18 15:00 UTC.
		var sids []string // newest first
		for i := range 3 {
			sid := fmt.Sprintf("CA%032x", i+1)
			at := t0.Add(time.Duration(i) * time.Minute)
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, created_at, updated_at, status, outcome)
					VALUES (?, '+17205550100', '+12125550100', 'done', ?, ?, 'completed', 'hung_up')`, sid, at, at)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			sids = append([]string{sid}, sids...)
		}
		type callPage struct {
			Calls []struct {
				CallSid string    `json:"call_sid"`
				From    string    `json:"from"`
				Started time.Time `json:"started"`
				Outcome string    `json:"outcome"`
			} `json:"calls"`
			Next string `json:"next_cursor"`
		}
		sidsOf := func(p callPage) string {
			var s []string
			for _, c := range p.Calls {
				s = append(s, c.CallSid)
			}
			return strings.Join(s, " ")
		}
		var all callPage
		h.do("GET", "/calls", h.viewer, nil).want(t, http.StatusOK).JSON(t, &all)
		if sidsOf(all) != strings.Join(sids, " ") || all.Next != "" || !all.Calls[2].Started.Equal(t0) {
			t.Errorf("all calls: %+v", all)
		}
		var paged []string
		path := "/calls?limit=2"
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("more pages than calls")
			}
			var p callPage
			h.do("GET", path, h.viewer, nil).want(t, http.StatusOK).JSON(t, &p)
			paged = append(paged, sidsOf(p))
			if p.Next == "" {
				break
			}
			path = "/calls?limit=2&cursor=" + url.QueryEscape(p.Next)
		}
		if got := strings.Join(paged, " "); got != strings.Join(sids, " ") {
			t.Errorf("paged %s, want %s", got, strings.Join(sids, " "))
		}

		var one struct {
			CallSid string `json:"call_sid"`
			Status  string `json:"status"`
		}
		h.do("GET", "/calls/"+sids[0], h.viewer, nil).want(t, http.StatusOK).JSON(t, &one)
		if one.CallSid != sids[0] || one.Status != "completed" {
			t.Errorf("get call: %+v", one)
		}

		for _, tc := range []struct {
			name, path, token string
			status            int
		}{
			{"unknown call", "/calls/CA" + strings.Repeat("f", 32), h.viewer, http.StatusNotFound},
			{"malformed sid", "/calls/CA1234", h.viewer, http.StatusBadRequest},
			{"not a call sid", "/calls/SM" + strings.Repeat("f", 32), h.viewer, http.StatusBadRequest},
			{"malformed cursor", "/calls?cursor=nonsense", h.viewer, http.StatusBadRequest},
			{"limit 0", "/calls?limit=0", h.viewer, http.StatusBadRequest},
			{"limit too large", "/calls?limit=1001", h.viewer, http.StatusBadRequest},
			{"no token", "/calls", "", http.StatusUnauthorized},
			{"no token for one call", "/calls/" + sids[0], "", http.StatusUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.do("GET", tc.path, tc.token, nil).want(t, tc.status).Problem(t)
			})
		}
	})
}

func TestAPIOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i, to := range []string{"+17205550111", "+17205550112", "+17205550113"} {
				if _, err := notify.Enqueue(ctx, tx, notify.Message{EventKey: fmt.Sprintf("ticket:10000%d:warning", i+1), To: to, Body: "Ticket due soon"}); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `UPDATE outbox SET status = 'failed', attempts = 1, error = 'invalid number', error_code = 21211 WHERE recipient = '+17205550112'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		type outbox struct {
			Deliveries []struct {
				To        string `json:"to"`
				Status    string `json:"status"`
				ErrorCode int    `json:"error_code"`
			} `json:"deliveries"`
		}
		recipients := func(o outbox) string {
			var s []string
			for _, d := range o.Deliveries {
				s = append(s, d.To+"/"+d.Status)
			}
			return strings.Join(s, " ")
		}
		for _, tc := range []struct{ query, want string }{
			{"", "+17205550113/pending +17205550112/failed +17205550111/pending"},
			{"?failed=true", "+17205550112/failed"},
			{"?limit=1", "+17205550113/pending"},
			{"?failed=false&limit=2", "+17205550113/pending +17205550112/failed"},
		} {
			t.Run("outbox"+tc.query, func(t *testing.T) {
				var o outbox
				h.do("GET", "/outbox"+tc.query, h.viewer, nil).want(t, http.StatusOK).JSON(t, &o)
				if got := recipients(o); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			})
		}
		h.do("GET", "/outbox?limit=0", h.viewer, nil).want(t, http.StatusBadRequest).Problem(t)
		h.do("GET", "/outbox?failed=perhaps", h.viewer, nil).want(t, http.StatusBadRequest).Problem(t)
		h.do("GET", "/outbox", "", nil).want(t, http.StatusUnauthorized).Problem(t)
	})
}

func TestAPIAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		clock := storetest.ClockOf(db)
		clock.Set(t0)
		h.do("POST", "/accounts", h.admin, map[string]any{"name": "Acme", "plan": "standard", "number": "100200"}).want(t, http.StatusCreated)
		clock.Set(t0.Add(time.Hour))
		var c accounts.Contact
		h.do("POST", "/accounts/100200/contacts", h.admin, map[string]any{"name": "Dana", "phone": "+17205550100"}).want(t, http.StatusCreated).JSON(t, &c)
		clock.Set(t0.Add(2 * time.Hour))
		h.do("PUT", "/accounts/100200/name", h.admin, map[string]any{"name": "Acme Inc"}).want(t, http.StatusOK)

		type events struct {
			Events []struct {
				At      time.Time `json:"at"`
				Actor   string    `json:"actor"`
				Action  string    `json:"action"`
				Account string    `json:"account"`
			} `json:"events"`
			Next string `json:"next_cursor"`
		}
		for _, tc := range []struct {
			name string
			q    url.Values
			want string
		}{
			{"by the admin token, newest first", url.Values{"actor": {"token:crm"}}, "account.set_name/token:crm contact.add/token:crm account.add/token:crm"},
			{"by the setup", url.Values{"actor": {"setup"}, "subject": {"token crm"}}, "token.create/setup"},
			{"since, until", url.Values{"actor": {"token:crm"}, "since": {"2026-11-18T16:00:00Z"}, "until": {"2026-11-18T17:00:00Z"}}, "contact.add/token:crm"},
			{"since alone", url.Values{"since": {"2026-11-18T17:00:00Z"}}, "account.set_name/token:crm"},
			{"one contact's", url.Values{"support_id": {c.SupportID}}, "contact.add/token:crm"},
			{"the newest one", url.Values{"actor": {"token:crm"}, "limit": {"1"}}, "account.set_name/token:crm"},
			{"nobody's", url.Values{"actor": {"token:nobody"}}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var e events
				h.do("GET", "/audit?"+tc.q.Encode(), h.viewer, nil).want(t, http.StatusOK).JSON(t, &e)
				var got []string
				for _, ev := range e.Events {
					got = append(got, ev.Action+"/"+ev.Actor)
				}
				if s := strings.Join(got, " "); s != tc.want {
					t.Errorf("got %s, want %s", s, tc.want)
				}
			})
		}
		var e events
		h.do("GET", "/audit?actor=token:crm&limit=1", h.engineer, nil).want(t, http.StatusOK).JSON(t, &e)
		if len(e.Events) != 1 || e.Events[0].Account != "100200" || !e.Events[0].At.Equal(t0.Add(2*time.Hour)) || e.Next == "" {
			t.Errorf("the newest event, and a cursor to the older ones: %+v", e)
		}
		t.Run("paging with the cursor is the full list, filters kept", func(t *testing.T) {
			var got []string
			q := url.Values{"actor": {"token:crm"}, "limit": {"1"}}
			for pages := 0; ; pages++ {
				if pages > 3 {
					t.Fatal("more pages than events")
				}
				var p events
				h.do("GET", "/audit?"+q.Encode(), h.viewer, nil).want(t, http.StatusOK).JSON(t, &p)
				for _, ev := range p.Events {
					got = append(got, ev.Action)
				}
				if p.Next == "" {
					break
				}
				q.Set("cursor", p.Next)
			}
			if s := strings.Join(got, " "); s != "account.set_name contact.add account.add" {
				t.Errorf("paged %s", s)
			}
		})
		if p := h.do("GET", "/audit?cursor=nonsense", h.viewer, nil).want(t, http.StatusBadRequest).Problem(t); !strings.Contains(p.Detail, "not one the audit log gave out") {
			t.Errorf("a malformed cursor: %+v", p)
		}
		for _, tc := range []struct {
			name, query, token string
			status             int
		}{
			{"since not a time", "since=yesterday", h.viewer, http.StatusBadRequest},
			{"until before since", "since=2026-11-18T17:00:00Z&until=2026-11-18T16:00:00Z", h.viewer, http.StatusBadRequest},
			{"limit 0", "limit=0", h.viewer, http.StatusBadRequest},
			{"limit too large", "limit=10001", h.viewer, http.StatusBadRequest},
			{"malformed cursor", "cursor=nonsense", h.viewer, http.StatusBadRequest},
			{"cursor too long", "cursor=" + strings.Repeat("z", 257), h.viewer, http.StatusBadRequest},
			{"no token", "", "", http.StatusUnauthorized},
			{"unknown token", "", "Bearer slt_" + strings.Repeat("0", 43), http.StatusUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.do("GET", "/audit?"+tc.query, tc.token, nil).want(t, tc.status).Problem(t)
			})
		}
	})
}
