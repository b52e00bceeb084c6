package ivr

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"supportline/config"
	"supportline/notify"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/twiliosim"
)

// withReceipts turns receipt_sms on for the built-in premium plan.
func withReceipts(p *config.Policy) {
	pl := p.Plans["premium"]
	pl.ReceiptSMS = true
	p.Plans["premium"] = pl
}

// receipts lists the queued receipts (event key ticket:N:receipt).
func (h *harness) receipts() []notify.Delivery {
	h.t.Helper()
	var out []notify.Delivery
	for _, d := range h.outbox() {
		if strings.HasSuffix(d.EventKey, ":receipt") {
			out = append(out, d)
		}
	}
	return out
}

// Wednesday 2026-11-18 10:00 America/Denver: a verified premium contact
// (caller ID, then the PIN) opens a Severity 1 that alice accepts; the
// contact gets one receipt, at the phone on file, with the ticket, the
// priority and the due time in Denver. Replaying the webhook that opened
// the ticket sends no second one.
func TestReceiptVerifiedCaller(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, withReceipts)
		c := h.call(premiumPhone, h.pin+"#", "1", "1")
		c.EngineerKeys[alicePhone] = "1"
		res := h.run(c)
		tk := h.ticketOf(res.CallSid)

		sms := h.outbox()
		if len(sms) != 1 {
			t.Fatalf("outbox %+v, want the receipt alone", sms)
		}
		m := sms[0]
		want := "Example Support: ticket " + itoa(tk.Number) + " opened, Severity 1 (Critical). First response due by Wed Nov 18 11:00 MST."
		if m.To != premiumPhone || m.Body != want || m.EventKey != notify.ReceiptKey(tk.Number) {
			t.Errorf("receipt to %s key %s: %q\nwant to %s: %q", m.To, m.EventKey, m.Body, premiumPhone, want)
		}

		// The confirmation that opened the ticket, sent again twice: no
		// second receipt, nothing else written.
		var opener twiliosim.Request
		for _, r := range res.Requests {
			if r.Leg == twiliosim.CallerLeg && r.Kind == "gather" && strings.Contains(r.URL, "s=confirm") {
				opener = r
			}
		}
		if opener.URL == "" {
			t.Fatalf("no confirmation request in:\n%s", res)
		}
		before := h.rowCounts()
		for range 2 {
			status, ct, body := h.post(opener.URL, opener.Form, testToken)
			assertTwiML(t, status, ct, body)
		}
		if after := h.rowCounts(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed by replays: before %v, after %v", before, after)
		}
		if n := len(h.receipts()); n != 1 {
			t.Errorf("%d receipts after replays, want 1", n)
		}
	})
}

// Saturday 2026-11-21 23:00 Denver: eight copies of the priority webhook
// at once open one ticket and queue one receipt.
func TestReceiptConcurrentDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, withReceipts)
		h.clock.Set(saturdayNight)
		res := h.run(h.call(premiumPhone, h.pin+"#", twiliosim.HangUp))
		call := h.loadCall(res.CallSid)
		if call.Step != StepPriority {
			t.Fatalf("call at %s", call.Step)
		}
		path := h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):]
		h.postConcurrently(path, callerForm(res.CallSid, premiumPhone, "Digits", "2"), 8)
		if n := h.count("tickets", ""); n != 1 {
			t.Fatalf("%d tickets", n)
		}
		tk := h.ticketOf(res.CallSid)
		r := h.receipts()
		if len(r) != 1 || r[0].To != premiumPhone || !strings.Contains(r[0].Body, "ticket "+itoa(tk.Number)+" opened, Severity 2 (Major)") {
			t.Errorf("receipts %+v, want one for ticket %d", r, tk.Number)
		}
	})
}

// A caller from a number that is not the contact's keys the support ID
// and the PIN: the receipt goes to the phone on file, never to the caller
// ID the call came from.
func TestReceiptGoesToThePhoneOnFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, withReceipts)
		h.clock.Set(saturdayNight)
		res := h.run(h.call(strangerPhone, h.contact.SupportID+"#", h.pin+"#", "2", "Printer on fire#"))
		tk := h.ticketOf(res.CallSid)
		r := h.receipts()
		if len(r) != 1 || r[0].To != premiumPhone {
			t.Fatalf("receipts %+v, want one to the phone on file %s", r, premiumPhone)
		}
		for _, d := range h.outbox() {
			if d.To == strangerPhone {
				t.Errorf("SMS to the caller ID %s: %+v", strangerPhone, d)
			}
		}
		if !strings.Contains(r[0].Body, "ticket "+itoa(tk.Number)) {
			t.Errorf("receipt %q", r[0].Body)
		}
	})
}

// Callers who never pass the PIN get nothing: not from the contact's own
// number (caller ID is a hint, never proof), not from a stranger's.
func TestReceiptNoneUnverified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, withReceipts)
		h.clock.Set(saturdayNight)
		bad := wrongPIN(h.pin)
		h.secret(bad)
		h.run(h.call(premiumPhone, bad+"#", bad+"#", bad+"#", "2", "Help#"))
		h.run(h.call(strangerPhone, h.contact.SupportID+"#", bad+"#", "00000000#", bad+"#", twiliosim.HangUp))
		h.run(h.call(strangerPhone, h.contact.SupportID+"#", h.pin+"#", twiliosim.HangUp)) // verified, no ticket
		if n := h.count("tickets", ""); n != 0 {
			t.Errorf("%d tickets", n)
		}
		if sms := h.outbox(); len(sms) != 0 {
			t.Errorf("outbox %+v, want nothing", sms)
		}
	})
}

// A plan without receipt_sms (the built-in premium) sends no receipt; the
// voicemail's SMS to the engineer is the only message.
func TestReceiptNoneWithoutTheKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		h.run(h.call(premiumPhone, h.pin+"#", "2", "Printer on fire#"))
		sms := h.outbox()
		if len(sms) != 1 || sms[0].To == premiumPhone || strings.HasSuffix(sms[0].EventKey, ":receipt") {
			t.Errorf("outbox %+v, want only the voicemail SMS to the engineer", sms)
		}
	})
}

// Sunday 2026-11-01 00:30 MDT, 90 minutes before Denver's clocks go back:
// a Severity 2 (2 hours on the 24x7 clock) is due at 08:30 UTC, which is
// 01:30 MST, the second 01:30 of the night (not 02:30 as wall-clock
// arithmetic would say). The receipt goes out with the voicemail's SMS.
func TestReceiptDueAcrossDST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, withReceipts)
		h.clock.Set(time.Date(2026, 11, 1, 0, 30, 0, 0, denver))
		res := h.run(h.call(premiumPhone, h.pin+"#", "2", "Printer on fire#"))
		tk := h.ticketOf(res.CallSid)
		if want := time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC); !tk.ResponseDue.Equal(want) {
			t.Fatalf("due %v, want %v", tk.ResponseDue, want)
		}
		r := h.receipts()
		if len(r) != 1 || !strings.HasSuffix(r[0].Body, "First response due by Sun Nov 1 01:30 MST.") {
			t.Errorf("receipts %+v, want one due Sun Nov 1 01:30 MST", r)
		}
	})
}
