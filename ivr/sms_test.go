package ivr

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/notify"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/twiliosim"
)

// The tests of the Messaging webhook text the line through twiliosim's
// SMS sender (signed as Twilio signs), from the harness's engineers'
// phones, at Wednesday 2026-11-18 10:00 America/Denver (alice on call in
// primary, carol in desk and secondary) unless they say otherwise.

// sms is a text from `from` to the line, with a fresh MessageSid.
func (h *harness) sms(from, body string) *twiliosim.SMS {
	return &twiliosim.SMS{BaseURL: h.ts.URL, PublicURL: h.srv.PublicURL, AuthToken: testToken,
		From: from, To: h.policy.Line.Number, Body: body, MessageSid: twiliosim.NewMessageSid()}
}

// send sends m and returns its replies, failing the test when Twilio would
// have failed the webhook (a non-2xx answer, invalid TwiML, two XML
// declarations, a wrong Content-Type).
func (h *harness) send(m *twiliosim.SMS) []string {
	h.t.Helper()
	res, err := m.Send(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	if res.Failed() || res.Status != http.StatusOK {
		h.t.Fatalf("SMS webhook failed: status %d, %v", res.Status, res.Failure)
	}
	if len(res.Replies) > 1 {
		h.t.Fatalf("%d replies, want at most one: %q", len(res.Replies), res.Replies)
	}
	return res.Replies
}

// reply sends m and returns its one reply.
func (h *harness) reply(m *twiliosim.SMS) string {
	h.t.Helper()
	r := h.send(m)
	if len(r) != 1 {
		h.t.Fatalf("no reply to %q from %s", m.Body, m.From)
	}
	return r[0]
}

// smsRows snapshots what an SMS command may write.
func (h *harness) smsRows() map[string]int {
	h.t.Helper()
	out := h.rowCounts()
	out["sms_inbound"] = h.count("sms_inbound", "")
	return out
}

// openTicket opens a premium Severity 1 ticket at the frozen instant.
func (h *harness) openTicket() tickets.Ticket {
	h.t.Helper()
	ctx := context.Background()
	var t tickets.Ticket
	err := h.db.InTx(ctx, func(tx *store.Tx) (err error) {
		t, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: h.premium.ID, Plan: "premium", Priority: 1})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// deliver sends the outbox's due messages (to the log), so that they
// count as texted.
func (h *harness) deliver() {
	h.t.Helper()
	w := &notify.Worker{DB: h.db, Sender: &notify.LogSender{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	if _, _, err := w.Tick(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// auditOf lists the audit events of ticket number.
func (h *harness) auditOf(number int64) []audit.Event {
	h.t.Helper()
	evs, err := (&audit.Service{DB: h.db}).List(context.Background(), audit.Filter{Subject: "ticket:" + itoa(number)})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func mustContain(t testing.TB, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q lacks %q", got, w)
		}
	}
}

// The acceptance path: a Severity 1 call nobody accepts goes to
// voicemail; alice is texted, the SMS ends with "Reply ACK <ticket>"; her
// bare "ack" records her first response (audited as sms:alice) and names
// the ticket; Twilio sending the same message again changes nothing and
// gets the same reply; bob's later ACK is told who acknowledged and when.
func TestSMSAckAfterVoicemail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.severity1("Our cluster is down#", map[string]string{alicePhone: "2", carolPhone: ""}))
		tk := h.ticketOf(res.CallSid)
		out := h.outbox()
		if len(out) != 1 || out[0].To != alicePhone || !strings.HasSuffix(out[0].Body, " Reply ACK "+itoa(tk.Number)) {
			t.Fatalf("outbox %+v, want one SMS to alice ending with Reply ACK %d", out, tk.Number)
		}
		// Not delivered yet: a bare ACK has no ticket to go by.
		if r := h.reply(h.sms(alicePhone, "ack")); !strings.Contains(r, "No ticket has been texted to you yet") {
			t.Errorf("bare ACK before delivery: %q", r)
		}
		h.deliver()

		h.clock.Advance(5 * time.Minute)
		m := h.sms(alicePhone, "ack")
		first := h.reply(m)
		mustContain(t, first, "Ticket "+itoa(tk.Number)+" (the last one texted to you) acknowledged",
			"first response by you (alice) at Wed 18 Nov 10:05 MST", "SLA clock has stopped")
		got, err := h.srv.Tickets.Get(context.Background(), tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.RespondedAt == nil || !got.RespondedAt.Equal(wednesdayMorning.Add(5*time.Minute).UTC()) || got.Responder != "alice" {
			t.Fatalf("ticket responded %v by %q", got.RespondedAt, got.Responder)
		}
		var acks []audit.Event
		for _, e := range h.auditOf(tk.Number) {
			if e.Action == "ticket.ack" {
				acks = append(acks, e)
			}
		}
		if len(acks) != 1 || acks[0].Actor != "sms:alice" {
			t.Errorf("audit %+v, want one ticket.ack by sms:alice", acks)
		}
		if n := h.count("sms_inbound", "message_sid = ? AND state = 'done' AND engineer = 'alice'", m.MessageSid); n != 1 {
			t.Errorf("%d done rows for the message", n)
		}

		before := h.smsRows()
		h.clock.Advance(time.Minute)
		if again := h.reply(m); again != first { // Twilio retries the same MessageSid
			t.Errorf("replay answered %q, want the first reply %q", again, first)
		}
		if after := h.smsRows(); !reflect.DeepEqual(before, after) {
			t.Errorf("replay changed rows: %v -> %v", before, after)
		}

		r := h.reply(h.sms(bobPhone, "ACK "+itoa(tk.Number)))
		mustContain(t, r, "Ticket "+itoa(tk.Number)+" was already acknowledged, by alice at Wed 18 Nov 10:05 MST", "Nothing changed")
		if after := h.smsRows(); after["audit_events"] != before["audit_events"] || after["ticket_events"] != before["ticket_events"] {
			t.Errorf("a second ACK changed rows: %v -> %v", before, after)
		}
	})
}

// RESOLVE and NOTE, in any case and with any spacing, by number and bare;
// each audited as sms:HANDLE once, however often Twilio sends it.
func TestSMSResolveAndNote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		older, tk := h.openTicket(), h.openTicket()
		for _, n := range []int64{older.Number, tk.Number} {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := notify.Enqueue(ctx, tx, notify.Message{EventKey: "ticket:" + itoa(n) + ":warning", To: bobPhone, Body: "warning " + itoa(n)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			h.deliver()
			h.clock.Advance(time.Minute)
		}

		note := h.sms(carolPhone, "  Note  "+itoa(tk.Number)+"   called the\ncustomer   back ")
		mustContain(t, h.reply(note), "Note added to ticket "+itoa(tk.Number)+".")
		h.reply(note) // a replay
		got, err := h.srv.Tickets.Get(ctx, tk.Number)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, e := range got.Events {
			if e.Kind == tickets.EventNote {
				notes = append(notes, e.Detail)
			}
		}
		if want := []string{"by sms:carol: called the customer back"}; !reflect.DeepEqual(notes, want) {
			t.Errorf("notes %q, want %q", notes, want)
		}

		// bob's last ticket SMS is about tk (the later one).
		r := h.reply(h.sms(bobPhone, "rEsOlVe"))
		mustContain(t, r, "Ticket "+itoa(tk.Number)+" (the last one texted to you) resolved at Wed 18 Nov 10:02 MST.")
		r = h.reply(h.sms(bobPhone, "RESOLVE #"+itoa(tk.Number)))
		mustContain(t, r, "was already resolved, at Wed 18 Nov 10:02 MST. Nothing changed.")
		if got, _ := h.srv.Tickets.Get(ctx, older.Number); got.Status != tickets.StatusOpen {
			t.Errorf("the older ticket was resolved too")
		}
		count := map[string]int{}
		for _, e := range h.auditOf(tk.Number) {
			count[e.Actor+" "+e.Action]++
		}
		if want := map[string]int{"sms:carol ticket.note": 1, "sms:bob ticket.resolve": 1}; !reflect.DeepEqual(count, want) {
			t.Errorf("audit %v, want %v", count, want)
		}
		// A resolved ticket without a response cannot be acknowledged.
		before := h.smsRows()
		mustContain(t, h.reply(h.sms(alicePhone, "ack "+itoa(tk.Number))), "was resolved without a response", "Nothing changed")
		if after := h.smsRows(); !reflect.DeepEqual(before, after) {
			t.Errorf("a refused ACK changed rows: %v -> %v", before, after)
		}
	})
}

// Every bad input from an engineer gets a reply in words and changes
// nothing: no ticket, event, audit, outbox or sms_inbound row.
func TestSMSBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tk := h.openTicket()
		n := itoa(tk.Number)
		for _, tc := range []struct{ body, want string }{
			{"ACK 999999", "There is no ticket 999999. Nothing changed."},
			{"resolve 999999", "There is no ticket 999999. Nothing changed."},
			{"NOTE 999999 hello", "There is no ticket 999999. Nothing changed."},
			{"ACK abc", "That is not a ticket number"},
			{"ACK 0", "That is not a ticket number"},
			{"ACK -" + n, "That is not a ticket number"},
			{"ACK 1e5", "That is not a ticket number"},
			{"ACK 12345678901234567890", "That is not a ticket number"},
			{"ACK #", "That is not a ticket number"},
			{"ACK " + n + " now", "ACK takes one ticket number"},
			{"RESOLVE " + n + " " + n, "RESOLVE takes one ticket number"},
			{"NOTE", "NOTE needs a ticket number and the note"},
			{"note " + n, "NOTE " + n + " needs the note after the number"},
			{"NOTE abc some text", "That is not a ticket number"},
			{"ACK", "No ticket has been texted to you yet"},
			{"resolve", "No ticket has been texted to you yet"},
			{"hello", smsHelp},
			{"ACKNOWLEDGE " + n, smsHelp},
			{"", smsHelp},
			{"\x00\x01", smsHelp},
			{"help me", smsHelp},
			{"HELP", smsHelp},
		} {
			t.Run(tc.body, func(t *testing.T) {
				before := h.smsRows()
				r := h.reply(h.sms(alicePhone, tc.body))
				mustContain(t, r, tc.want)
				if after := h.smsRows(); !reflect.DeepEqual(before, after) {
					t.Errorf("rows changed: %v -> %v", before, after)
				}
			})
		}
		if got, _ := h.srv.Tickets.Get(context.Background(), tk.Number); got.RespondedAt != nil || got.Status != tickets.StatusOpen {
			t.Errorf("ticket changed: %+v", got)
		}
	})
}

// A sender that is no engineer's (a stranger, a customer, a short code, a
// sender ID, a withheld number) gets an empty <Response/> and changes
// nothing, whatever it texts.
func TestSMSFromStranger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tk := h.openTicket()
		for _, from := range []string{strangerPhone, premiumPhone, "12345", "ACMEBANK", "anonymous", "+1555555011"} {
			for _, body := range []string{"ACK " + itoa(tk.Number), "WHO", "HELP", "resolve " + itoa(tk.Number)} {
				before := h.smsRows()
				if r := h.send(h.sms(from, body)); len(r) != 0 {
					t.Errorf("%s texting %q got a reply %q", from, body, r)
				}
				if after := h.smsRows(); !reflect.DeepEqual(before, after) {
					t.Errorf("%s texting %q changed rows: %v -> %v", from, body, before, after)
				}
			}
		}
		if got, _ := h.srv.Tickets.Get(context.Background(), tk.Number); got.RespondedAt != nil || got.Status != tickets.StatusOpen {
			t.Errorf("ticket changed: %+v", got)
		}
		if !strings.Contains(h.logs.String(), "no engineer's: not answered") {
			t.Errorf("no log line for the stranger")
		}
	})
}

// Unsigned, wrongly signed or tampered requests are 403 before anything
// runs; malformed ones from a holder of the token are 400. Neither changes
// anything.
func TestSMSSignatureAndMalformed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tk := h.openTicket()
		ctx := context.Background()
		do := func(req *http.Request) int {
			t.Helper()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		before := h.smsRows()
		m := h.sms(alicePhone, "ACK "+itoa(tk.Number))
		for name, change := range map[string]func(*http.Request){
			"unsigned": func(r *http.Request) { r.Header.Del(twiliosim.SignatureHeader) },
			"wrong token": func(r *http.Request) {
				r.Header.Set(twiliosim.SignatureHeader, twiliosim.Sign("wrong", h.srv.PublicURL+"/twilio/sms", m.Form(m.MessageSid)))
			},
			"other URL": func(r *http.Request) {
				r.Header.Set(twiliosim.SignatureHeader, twiliosim.Sign(testToken, h.srv.PublicURL+"/twilio/voice", m.Form(m.MessageSid)))
			},
		} {
			req, err := m.Request(ctx, m.MessageSid)
			if err != nil {
				t.Fatal(err)
			}
			change(req)
			if got := do(req); got != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", name, got)
			}
		}
		// Signed for one body, sent with another.
		signed := m.Form(m.MessageSid)
		tampered := m.Form(m.MessageSid)
		tampered.Set("Body", "RESOLVE "+itoa(tk.Number))
		req, err := twiliosim.NewRequest(ctx, h.ts.URL+"/twilio/sms", "", tampered, testToken)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(twiliosim.SignatureHeader, twiliosim.Sign(testToken, h.srv.PublicURL+"/twilio/sms", signed))
		if got := do(req); got != http.StatusForbidden {
			t.Errorf("tampered body: status %d, want 403", got)
		}
		for name, form := range map[string]func(f map[string][]string){
			"bad MessageSid":    func(f map[string][]string) { f["MessageSid"] = []string{"SM123"} },
			"no MessageSid":     func(f map[string][]string) { delete(f, "MessageSid") },
			"bad AccountSid":    func(f map[string][]string) { f["AccountSid"] = []string{"XX"} },
			"invalid UTF-8":     func(f map[string][]string) { f["Body"] = []string{"ACK \xff"} },
			"huge body":         func(f map[string][]string) { f["Body"] = []string{strings.Repeat("a", 7000)} },
			"From with a NUL":   func(f map[string][]string) { f["From"] = []string{alicePhone + "\x00"} },
			"From far too long": func(f map[string][]string) { f["From"] = []string{strings.Repeat("1", 100)} },
		} {
			f := m.Form(twiliosim.NewMessageSid())
			form(f)
			status, _, _ := h.post("/twilio/sms", f, testToken)
			if status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", name, status)
			}
		}
		if after := h.smsRows(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: %v -> %v", before, after)
		}
		if got, _ := h.srv.Tickets.Get(ctx, tk.Number); got.RespondedAt != nil {
			t.Errorf("ticket acknowledged by a refused request")
		}
	})
}

// WHO names who is on call in each schedule, until when, in the
// schedule's zone; and HELP lists the commands.
func TestSMSWhoAndHelp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		want := "On call now: desk: carol (Carol Diaz) until Thu 19 Nov 09:00 MST; " +
			"primary: alice (Alice Ng) until Mon 23 Nov 09:00 MST; secondary: carol (Carol Diaz) until Mon 23 Nov 09:00 MST."
		if r := h.reply(h.sms(bobPhone, " who ")); r != want {
			t.Errorf("WHO answered %q, want %q", r, want)
		}
		if r := h.reply(h.sms(bobPhone, "Help")); r != smsHelp {
			t.Errorf("HELP answered %q", r)
		}
		// An MMS (a picture with the words) has an MM... SID: its words count.
		mms := h.sms(bobPhone, "WHO")
		mms.MessageSid = "MM" + strings.Repeat("ab", 16)
		if r := h.reply(mms); r != want {
			t.Errorf("WHO by MMS answered %q", r)
		}
		tk := h.openTicket()
		note := h.sms(bobPhone, "NOTE "+itoa(tk.Number)+" photo of the rack attached")
		note.MessageSid = "MM" + strings.Repeat("cd", 16)
		mustContain(t, h.reply(note), "Note added to ticket "+itoa(tk.Number)+".")
		for _, cmd := range []string{"ACK 100123", "RESOLVE 100123", "NOTE 100123", "WHO", "HELP"} {
			if !strings.Contains(smsHelp, cmd) {
				t.Errorf("HELP does not mention %s", cmd)
			}
		}
	})
}

// A number two engineers share cannot say who is answering: refused in
// words, nothing changed.
func TestSMSSharedPhone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		if _, err := (&oncall.Service{DB: db}).AddEngineer(context.Background(), "test",
			oncall.NewEngineer{Handle: "dan", Name: "Dan Bell", Phone: bobPhone}); err != nil {
			t.Fatal(err)
		}
		tk := h.openTicket()
		before := h.smsRows()
		if r := h.reply(h.sms(bobPhone, "ACK "+itoa(tk.Number))); r != smsShared {
			t.Errorf("answered %q", r)
		}
		if after := h.smsRows(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: %v -> %v", before, after)
		}
	})
}

// A command whose first request died after claiming it (a replica killed)
// is not run by a retry while the claim is fresh (no reply: the first may
// still answer), and is run by a retry once the claim has expired. A
// database failure in the command releases the claim and says so; the
// retry then works. A failure before the sender is known answers nothing.
func TestSMSClaimsAndFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.allowErrors("sms command failed", "sms: cannot tell whether the sender is an engineer")
		ctx := context.Background()
		tk := h.openTicket()
		m := h.sms(alicePhone, "NOTE "+itoa(tk.Number)+" looking into it")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO sms_inbound (message_sid, engineer, state, received_at) VALUES (?, 'alice', 'pending', ?)`, m.MessageSid, tx.Now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		before := h.smsRows()
		if r := h.send(m); len(r) != 0 {
			t.Errorf("a retry of a command in flight answered %q", r)
		}
		if after := h.smsRows(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: %v -> %v", before, after)
		}
		h.clock.Advance(smsClaimFor + time.Second)
		mustContain(t, h.reply(m), "Note added to ticket "+itoa(tk.Number))
		if n := h.count("ticket_events", "kind = 'note'"); n != 1 {
			t.Errorf("%d notes, want 1", n)
		}

		fail := h.sms(alicePhone, "ACK "+itoa(tk.Number))
		h.failNext("sms_ack", 1)
		before = h.smsRows()
		if r := h.reply(fail); r != smsTrouble {
			t.Errorf("a failing ACK answered %q", r)
		}
		if after := h.smsRows(); !reflect.DeepEqual(before, after) {
			t.Errorf("a failing ACK left rows: %v -> %v", before, after)
		}
		mustContain(t, h.reply(fail), "acknowledged: first response by you (alice)")

		h.failNext("sms_sender", 1)
		if r := h.send(h.sms(alicePhone, "WHO")); len(r) != 0 {
			t.Errorf("with the sender unknown, answered %q", r)
		}
	})
}

// Old remembered messages are forgotten as new commands arrive.
func TestSMSForgetsOldMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tk := h.openTicket()
		h.reply(h.sms(alicePhone, "NOTE "+itoa(tk.Number)+" one"))
		h.clock.Advance(smsKeep + time.Minute)
		h.reply(h.sms(alicePhone, "NOTE "+itoa(tk.Number)+" two"))
		if n := h.count("sms_inbound", ""); n != 1 {
			t.Errorf("%d remembered messages, want 1", n)
		}
	})
}
