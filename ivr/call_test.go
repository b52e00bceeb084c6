package ivr

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/twiliosim"
)

func eventKinds(t tickets.Ticket) []string {
	var out []string
	for _, e := range t.Events {
		out = append(out, string(e.Kind)+":"+e.Detail)
	}
	return out
}

// hasEvent reports whether t has an event of kind whose detail contains s.
func hasEvent(t tickets.Ticket, kind tickets.EventKind, s string) bool {
	for _, e := range t.Events {
		if e.Kind == kind && strings.Contains(e.Detail, s) {
			return true
		}
	}
	return false
}

// Wednesday 2026-11-18 10:00 America/Denver: a verified premium contact
// (caller ID match) reports a Severity 1, confirms it, and alice, on call
// in primary, accepts the whisper.
func TestSeverity1EngineerAccepts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		c := h.call(premiumPhone, h.pin+"#", "1", "1")
		c.EngineerKeys[alicePhone] = "1"
		res := h.run(c)

		tk := h.ticketOf(res.CallSid)
		frozen := wednesdayMorning.UTC()
		if tk.Responder != "alice" || tk.RespondedAt == nil || !tk.RespondedAt.Equal(frozen) {
			t.Errorf("ticket responder %q at %v, want alice at %v", tk.Responder, tk.RespondedAt, frozen)
		}
		if tk.Priority != 1 || tk.Plan != "premium" || tk.AccountNumber != h.premium.Number {
			t.Errorf("ticket %+v", tk)
		}
		if !tk.OpenedAt.Equal(frozen) || !tk.ResponseDue.Equal(frozen.Add(time.Hour)) {
			t.Errorf("opened %v due %v, want %v and an hour later", tk.OpenedAt, tk.ResponseDue, frozen)
		}
		var kinds []tickets.EventKind
		for _, e := range tk.Events {
			kinds = append(kinds, e.Kind)
		}
		want := []tickets.EventKind{tickets.EventOpened, tickets.EventRouted, tickets.EventWhisper, tickets.EventResponded}
		if !reflect.DeepEqual(kinds, want) {
			t.Errorf("events %v, want %v", eventKinds(tk), want)
		}
		if !hasEvent(tk, tickets.EventWhisper, "alice accepted") || !hasEvent(tk, tickets.EventRouted, "dial alice") {
			t.Errorf("events %v", eventKinds(tk))
		}

		call := h.loadCall(res.CallSid)
		if call.Outcome != OutcomeConnected || call.Status != "completed" || call.TicketID == nil || *call.TicketID != tk.ID {
			t.Errorf("call row %+v", call)
		}
		if len(res.Dials) != 1 || res.Dials[0].Number != alicePhone || !res.Dials[0].Bridged {
			t.Errorf("dials %+v", res.Dials)
		}
		heardAll(t, res, alicePhone, "Severity 1 call from Acme Rockets, Pat Premium, ticket "+spoken(tk.Number)+". Press 1 to accept.",
			"Connecting you now.")
		heardAll(t, res, twiliosim.CallerLeg, "Thank you for calling Example Support.",
			"Please enter your PIN, followed by the pound key.",
			"You chose Severity 1, Critical.",
			"Your ticket number is "+spoken(tk.Number)+".",
			"Connecting you to an engineer now.")
		heardNone(t, res, twiliosim.CallerLeg, "support ID") // caller ID matched: straight to the PIN
		if tk.Number < 100000 {
			t.Errorf("ticket number %d has fewer than 6 digits", tk.Number)
		}
		if n := h.count("outbox", ""); n != 0 {
			t.Errorf("%d SMS queued for an accepted call", n)
		}

		// The engineer's answer sent again: the same answer, no second effect.
		var accept twiliosim.Request
		for _, r := range res.Requests {
			if r.Leg == alicePhone && r.Kind == "gather" {
				accept = r
			}
		}
		before := h.rowCounts()
		status, ct, body := h.post(accept.URL, accept.Form, testToken)
		assertTwiML(t, status, ct, body)
		if !strings.Contains(body, "Connecting you now.") || strings.Contains(body, "<Hangup") {
			t.Errorf("repeated acceptance answered %s", body)
		}
		if after := h.rowCounts(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: before %v, after %v", before, after)
		}
	})
}

// Wednesday 2026-11-18 10:00 America/Denver: Severity 1, alice (primary)
// declines, carol (secondary) answers and says nothing: voicemail on the
// ticket and an SMS to alice, on call for the ticket's route.
func TestNobodyAcceptsVoicemail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.severity1("The database cluster is down#", map[string]string{alicePhone: "2", carolPhone: ""}))

		if len(res.Dials) != 2 || res.Dials[0].Number != alicePhone || res.Dials[1].Number != carolPhone ||
			res.Dials[0].Bridged || res.Dials[1].Bridged {
			t.Fatalf("dials %+v\n%s", res.Dials, res)
		}
		if len(res.Recordings) != 1 {
			t.Fatalf("recordings %+v\n%s", res.Recordings, res)
		}
		rec := res.Recordings[0]
		tk := h.ticketOf(res.CallSid)
		if tk.RecordingURL != rec.URL || tk.RecordingSid != rec.Sid || tk.RecordingDuration == nil ||
			*tk.RecordingDuration != int(rec.Duration/time.Second) {
			t.Errorf("ticket recording %q %q %v, want %+v", tk.RecordingURL, tk.RecordingSid, tk.RecordingDuration, rec)
		}
		if tk.RespondedAt != nil || tk.Status != tickets.StatusOpen {
			t.Errorf("ticket responded %v status %s", tk.RespondedAt, tk.Status)
		}
		if !hasEvent(tk, tickets.EventWhisper, "alice declined (step 1)") || !hasEvent(tk, tickets.EventVoicemail, rec.URL) {
			t.Errorf("events %v", eventKinds(tk))
		}
		// One event per engineer: alice's decline says it; carol, silent,
		// is reported by the Dial action.
		if hasEvent(tk, tickets.EventWhisper, "alice answered") || !hasEvent(tk, tickets.EventWhisper, "carol answered but did not accept (step 2)") {
			t.Errorf("whisper events %v", eventKinds(tk))
		}
		heardAll(t, res, twiliosim.CallerLeg, "No engineer could take your call right now.",
			"Thank you. Your message is on ticket "+spoken(tk.Number)+". An engineer will respond within 1 hour.")
		heardAll(t, res, carolPhone, "Call not accepted. Goodbye.")

		sms := h.outbox()
		if len(sms) != 1 {
			t.Fatalf("outbox %+v", sms)
		}
		m := sms[0]
		if m.To != alicePhone {
			t.Errorf("SMS to %s, want alice %s", m.To, alicePhone)
		}
		for _, s := range []string{"ticket " + itoa(tk.Number), "Acme Rockets", "Severity 1", rec.URL} {
			if !strings.Contains(m.Body, s) {
				t.Errorf("SMS body %q lacks %q", m.Body, s)
			}
		}
		if call := h.loadCall(res.CallSid); call.Outcome != OutcomeVoicemail || call.Status != "completed" {
			t.Errorf("call outcome %q status %q", call.Outcome, call.Status)
		}
		h.assertNoSecretsInCalls()
	})
}

// Saturday 2026-11-21 23:00 America/Denver: Severity 2 is live only in
// business hours, so the call goes to voicemail without ringing anyone.
func TestSeverity2SaturdayNightVoicemail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		c := h.call(premiumPhone, h.pin+"#", "2", "Printing is slow#")
		c.EngineerKeys = map[string]string{alicePhone: "1", carolPhone: "1"}
		res := h.run(c)
		for _, r := range res.Transcript {
			if r.Kind == twiliosim.KindDial {
				t.Errorf("dialled %s on a Saturday night Severity 2", r.Text)
			}
		}
		tk := h.ticketOf(res.CallSid)
		if tk.Priority != 2 || tk.RecordingURL == "" || !tk.OpenedAt.Equal(saturdayNight.UTC()) {
			t.Errorf("ticket %+v", tk)
		}
		heardAll(t, res, twiliosim.CallerLeg, "Your ticket number is "+spoken(tk.Number)+".",
			"Live support for this Severity is available during business hours.",
			"Your message is on ticket "+spoken(tk.Number))
		if call := h.loadCall(res.CallSid); call.Outcome != OutcomeVoicemail {
			t.Errorf("call outcome %q", call.Outcome)
		}
	})
}

// A standard-plan contact verifies, then hears the plan's message: no
// ticket, outcome refused.
func TestStandardPlanRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.call(standardPhone, h.stdPIN+"#", "1"))
		plan, _ := h.policy.Plan("standard")
		heardAll(t, res, twiliosim.CallerLeg, plan.Message+" Goodbye.")
		heardNone(t, res, twiliosim.CallerLeg, "Please choose the Severity", "ticket number")
		if n := h.count("tickets", ""); n != 0 {
			t.Errorf("%d tickets for a standard-plan call", n)
		}
		if call := h.loadCall(res.CallSid); call.Outcome != OutcomeRefused || call.Status != "completed" {
			t.Errorf("call outcome %q status %q", call.Outcome, call.Status)
		}
	})
}

// wrongPIN is a PIN that is not pin.
func wrongPIN(pin string) string {
	w := []byte(pin)
	for i := range w {
		w[i] = '0' + (w[i]-'0'+5)%10
	}
	return string(w)
}

// auditCount counts pin.verify events of the contact with result.
func (h *harness) auditCount(contactID int64, result string) int {
	return h.count("audit_events", "action = 'pin.verify' AND contact_id = ? AND result = ?", contactID, result)
}

// Three wrong PINs (caller ID match): goodbye, three failures counted.
func TestWrongPINThreeTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		bad := wrongPIN(h.pin)
		h.secret(bad)
		res := h.run(h.call(premiumPhone, bad+"#", bad+"#", bad+"#", h.pin+"#"))
		heardAll(t, res, twiliosim.CallerLeg, "That support ID and PIN did not match.",
			"We could not verify your identity. Please email support at example dot com for help. Goodbye.")
		if got := res.Transcript.Pressed(twiliosim.CallerLeg); len(got) != 3 {
			t.Errorf("caller was asked %d times, want 3: %v", len(got), got)
		}
		if st := h.pinStatus(h.contact.SupportID); st.Failures != 3 || st.State != "active" {
			t.Errorf("PIN status %+v, want 3 failures, active", st)
		}
		if n := h.auditCount(h.contact.ID, "wrong"); n != 3 {
			t.Errorf("%d wrong verifications audited, want 3", n)
		}
		if call := h.loadCall(res.CallSid); call.Outcome != OutcomeUnverified || call.PINAttempts != 3 {
			t.Errorf("call outcome %q attempts %d", call.Outcome, call.PINAttempts)
		}
		if n := h.count("tickets", ""); n != 0 {
			t.Errorf("%d tickets", n)
		}
		h.assertNoSecretsInCalls()
	})
}

// Five failures over two calls lock the contact (max_failures 5); the right
// PIN is then refused with the locked words, in that call and the next.
func TestLockoutAcrossCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		if h.policy.Pins.MaxFailures != 5 {
			t.Fatalf("default max_failures is %d, the test assumes 5", h.policy.Pins.MaxFailures)
		}
		bad := wrongPIN(h.pin)
		h.secret(bad)
		h.run(h.call(premiumPhone, bad+"#", bad+"#", bad+"#"))
		h.clock.Advance(time.Minute)
		res := h.run(h.call(premiumPhone, bad+"#", bad+"#", h.pin+"#"))
		locked := "For your security, this support ID is temporarily locked. Please email support at example dot com for help. Goodbye."
		heardAll(t, res, twiliosim.CallerLeg, locked)
		heardNone(t, res, twiliosim.CallerLeg, "Please choose the Severity")
		if call := h.loadCall(res.CallSid); call.Outcome != OutcomeLocked {
			t.Errorf("second call outcome %q", call.Outcome)
		}
		st := h.pinStatus(h.contact.SupportID)
		if st.State != "locked" || st.Failures != 5 {
			t.Errorf("PIN status %+v, want locked after 5 failures", st)
		}

		h.clock.Advance(time.Minute)
		res = h.run(h.call(strangerPhone, h.contact.SupportID+"#", h.pin+"#"))
		heardAll(t, res, twiliosim.CallerLeg, locked)
		if n := h.auditCount(h.contact.ID, "ok"); n != 0 {
			t.Errorf("%d successful verifications of a locked contact", n)
		}
		if n := h.count("tickets", ""); n != 0 {
			t.Errorf("%d tickets", n)
		}
	})
}

// An unknown support ID hears exactly what a wrong PIN hears.
func TestUnknownSupportIDSoundsLikeWrongPIN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		bad := wrongPIN(h.pin)
		h.secret(bad)
		unknown := "99999999"
		if h.contact.SupportID == unknown || h.stdContact.SupportID == unknown {
			unknown = "88888888"
		}
		wrong := h.run(h.call(strangerPhone, h.contact.SupportID+"#", bad+"#", h.contact.SupportID+"#", bad+"#",
			h.contact.SupportID+"#", bad+"#"))
		nobody := h.run(h.call("+15555550998", unknown+"#", bad+"#", unknown+"#", bad+"#", unknown+"#", bad+"#"))
		a, b := wrong.Transcript.Heard(twiliosim.CallerLeg), nobody.Transcript.Heard(twiliosim.CallerLeg)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("a wrong PIN and an unknown support ID sound different:\nwrong PIN:\n%s\nunknown ID:\n%s",
				strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
		heardAll(t, wrong, twiliosim.CallerLeg, "Please enter your eight digit support ID", "That support ID and PIN did not match.",
			"We could not verify your identity.")
		if ca, cb := h.loadCall(wrong.CallSid), h.loadCall(nobody.CallSid); ca.Outcome != cb.Outcome || ca.Outcome != OutcomeUnverified {
			t.Errorf("outcomes %q and %q", ca.Outcome, cb.Outcome)
		}
	})
}

// Caller ID matching one contact skips the support ID; an unknown number
// is asked for it, and then reaches the same menu.
func TestCallerIDSkipsSupportID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		askID := "Please enter your eight digit support ID, followed by the pound key."
		known := h.run(h.call(premiumPhone, h.pin+"#", twiliosim.HangUp))
		if got := known.Transcript.Heard(twiliosim.CallerLeg); len(got) < 2 || got[1] != "Please enter your PIN, followed by the pound key." {
			t.Errorf("known number heard %q", got)
		}
		heardNone(t, known, twiliosim.CallerLeg, askID)
		heardAll(t, known, twiliosim.CallerLeg, "Please choose the Severity of your issue.")
		if c := h.loadCall(known.CallSid); !c.ViaCallerID || c.SupportID != h.contact.SupportID {
			t.Errorf("call %+v", c)
		}

		stranger := h.run(h.call(strangerPhone, h.contact.SupportID+"#", h.pin+"#", twiliosim.HangUp))
		if got := stranger.Transcript.Heard(twiliosim.CallerLeg); len(got) < 2 || got[1] != askID {
			t.Errorf("unknown number heard %q", got)
		}
		heardAll(t, stranger, twiliosim.CallerLeg, "Please enter your PIN", "Please choose the Severity of your issue.")
		if c := h.loadCall(stranger.CallSid); c.ViaCallerID {
			t.Errorf("stranger's call marked via caller ID")
		}
	})
}

// Key 9 escalates a ticket of the caller's account; another account's
// ticket is not found and nothing changes.
func TestEscalateByKey9(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		open := func(accountID int64, plan string) tickets.Ticket {
			var tk tickets.Ticket
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				tk, err = h.srv.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: accountID, Plan: plan, Priority: 1})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		own := open(h.premium.ID, "premium")
		other := open(h.standard.ID, "standard")
		h.clock.Advance(10 * time.Minute)

		t.Run("another account's ticket", func(t *testing.T) {
			before := h.rowCounts()
			res := h.run(h.call(premiumPhone, h.pin+"#", "9", itoa(other.Number)+"#", twiliosim.HangUp))
			heardAll(t, res, twiliosim.CallerLeg, "Please enter the ticket number you want to escalate",
				"We could not find that ticket on your account.")
			heardNone(t, res, twiliosim.CallerLeg, "escalated")
			after := h.rowCounts()
			before["calls"]++                      // this call's row
			before["audit_events"]++               // its PIN verification
			if !reflect.DeepEqual(before, after) { // no ticket event, no SMS
				t.Errorf("rows changed: before %v, after %v", before, after)
			}
			if got, _ := h.srv.Tickets.Get(ctx, other.Number); got.EscalatedAt != nil {
				t.Errorf("another account's ticket escalated")
			}
			if c := h.loadCall(res.CallSid); c.Outcome == OutcomeEscalated {
				t.Errorf("call outcome %q", c.Outcome)
			}
		})

		t.Run("own ticket", func(t *testing.T) {
			res := h.run(h.call(premiumPhone, h.pin+"#", "9", itoa(own.Number)+"#"))
			heardAll(t, res, twiliosim.CallerLeg, "Ticket "+spoken(own.Number)+" is now escalated, and the engineering team has been notified. Goodbye.")
			got, err := h.srv.Tickets.Get(ctx, own.Number)
			if err != nil {
				t.Fatal(err)
			}
			if got.EscalatedAt == nil || !got.EscalatedAt.Equal(wednesdayMorning.Add(10*time.Minute).UTC()) {
				t.Errorf("escalated at %v", got.EscalatedAt)
			}
			if !hasEvent(got, tickets.EventEscalated, "caller "+h.contact.SupportID) {
				t.Errorf("events %v", eventKinds(got))
			}
			sms := h.outbox()
			if len(sms) != 1 || sms[0].To != carolPhone || sms[0].EventKey != "ticket:"+itoa(own.Number)+":escalated" ||
				!strings.Contains(sms[0].Body, "ESCALATED ticket "+itoa(own.Number)) {
				t.Errorf("outbox %+v, want one SMS to carol (secondary, the last step)", sms)
			}
			if c := h.loadCall(res.CallSid); c.Outcome != OutcomeEscalated || c.TicketID != nil {
				t.Errorf("call outcome %q ticket %v", c.Outcome, c.TicketID)
			}
			if n := h.count("tickets", ""); n != 2 {
				t.Errorf("%d tickets: escalation opened one", n)
			}

			// Again: already escalated, no second SMS.
			res = h.run(h.call(premiumPhone, h.pin+"#", "9", itoa(own.Number)+"#"))
			heardAll(t, res, twiliosim.CallerLeg, "Ticket "+spoken(own.Number)+" is already escalated")
			if n := len(h.outbox()); n != 1 {
				t.Errorf("%d SMS after a second escalation", n)
			}
		})
	})
}

// A caller who hangs up in the menu leaves a completed call and no ticket.
func TestHangUpMidMenu(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.call(premiumPhone, h.pin+"#", "1", twiliosim.HangUp))
		heardAll(t, res, twiliosim.CallerLeg, "You chose Severity 1, Critical.")
		c := h.loadCall(res.CallSid)
		if c.Status != "completed" || c.Outcome != OutcomeHungUp || c.EndedAt == nil || c.TicketID != nil || c.Duration == nil {
			t.Errorf("call row %+v", c)
		}
		if n := h.count("tickets", ""); n != 0 {
			t.Errorf("%d tickets", n)
		}
		// Twilio may send the final status again: same answer, same row.
		status, ct, body := h.post("/twilio/voice/status", callerForm(res.CallSid, premiumPhone, "CallStatus", "completed", "CallDuration", "99"), testToken)
		assertTwiML(t, status, ct, body)
		if again := h.loadCall(res.CallSid); again.Outcome != OutcomeHungUp || !again.EndedAt.Equal(*c.EndedAt) {
			t.Errorf("call row after a second status callback %+v", again)
		}
		// Progress callbacks change nothing.
		status, ct, body = h.post("/twilio/voice/status", callerForm(res.CallSid, premiumPhone, "CallStatus", "ringing"), testToken)
		assertTwiML(t, status, ct, body)
	})
}

// The menus: an invalid key says so and repeats, star repeats, 2 at the
// Severity 1 confirmation chooses again.
func TestMenuKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		res := h.run(h.call(premiumPhone, h.pin+"#", "5", "*", "1", "2", "2", "Slow reports#"))
		heard := res.Transcript.HeardText(twiliosim.CallerLeg)
		if n := strings.Count(heard, "Sorry, that is not an option."); n != 1 {
			t.Errorf("invalid key said %d times", n)
		}
		if n := strings.Count(heard, "Please choose the Severity of your issue."); n != 4 {
			t.Errorf("menu played %d times, want 4 (first, after 5, after star, after choosing again):\n%s", n, res.Transcript)
		}
		tk := h.ticketOf(res.CallSid)
		if tk.Priority != 2 {
			t.Errorf("ticket priority %d, want 2", tk.Priority)
		}
		if len(res.Dials) != 0 {
			t.Errorf("dials %+v", res.Dials)
		}
	})
}

// Silence at a prompt repeats it twice, then a polite goodbye.
func TestSilenceEndsPolitely(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.call(premiumPhone, h.pin+"#", "", "", ""))
		heard := res.Transcript.HeardText(twiliosim.CallerLeg)
		if n := strings.Count(heard, "Please choose the Severity of your issue."); n != 3 {
			t.Errorf("menu played %d times, want 3:\n%s", n, res.Transcript)
		}
		heardAll(t, res, twiliosim.CallerLeg, "Please call again when you are ready. Goodbye.")
		if c := h.loadCall(res.CallSid); c.Outcome != OutcomeNoInput {
			t.Errorf("outcome %q", c.Outcome)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The roster the phone line keeps in memory follows every change: a call
// rings alice; after an override puts bob on primary the next call rings
// bob; after the override is removed, alice again; after the Monday 09:00
// handoff (no change to the roster, only time) bob; and after a change made
// with SQL by hand (bob's number), the new number.
func TestRosterChangesReachTheNextCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		roster := &oncall.Service{DB: db}
		rung := func(want string) {
			t.Helper()
			res := h.run(h.severity1("Still down#", map[string]string{alicePhone: "1", bobPhone: "1", "+15555550177": "1"}))
			if len(res.Dials) == 0 || res.Dials[0].Number != want {
				t.Fatalf("first dial %+v, want %s\n%s", res.Dials, want, res)
			}
		}
		rung(alicePhone)
		o, err := roster.AddOverride(ctx, "test", oncall.NewOverride{Schedule: "primary", Engineer: "bob",
			From: "2026-11-18T09:00:00-07:00", To: "2026-11-18T12:00:00-07:00"})
		if err != nil {
			t.Fatal(err)
		}
		rung(bobPhone)
		if _, err := roster.RemoveOverride(ctx, "test", o.ID); err != nil {
			t.Fatal(err)
		}
		rung(alicePhone)
		h.clock.Set(time.Date(2026, 11, 23, 9, 30, 0, 0, denver)) // bob's week
		rung(bobPhone)
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE engineers SET phone = '+15555550177' WHERE handle = 'bob'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rung("+15555550177")
	})
}
