package ivr

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
	"supportline/twiliosim"
)

// A call whose dial steps are broken (a row written by hand or by a bug:
// not JSON, or a list shorter than the step the call is at) rings nobody
// and takes a message on its ticket, on every webhook of the dialling
// step, instead of panicking into a 500 that Twilio answers with the
// fallback. A list that is not JSON is logged as an error.
func TestBrokenDialStepsTakeAMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.allowErrors("the call's dial steps cannot be read")
		for _, tc := range []struct {
			name, route string
			logged      bool
		}{
			{"not JSON", `[{"handle": "alice"`, true},
			{"not a list", `{"handle": "alice"}`, true},
			{"empty list", `[]`, false},
			{"null", `null`, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				call := h.diallingCall()
				before := strings.Count(h.logs.String(), "the call's dial steps cannot be read")
				err := db.InTx(context.Background(), func(tx *store.Tx) error {
					_, err := tx.Exec(context.Background(), `UPDATE calls SET route = ? WHERE call_sid = ?`, tc.route, call.CallSid)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				seq := itoa(int64(call.Seq))
				leg := callerForm(twiliosim.NewCallSid(), h.policy.Line.Number, "To", alicePhone)

				// The whisper offers nothing: the engineer's leg is hung up.
				status, ct, body := h.post("/twilio/voice/whisper?c="+call.CallSid+"&n=0", leg, testToken)
				assertTwiML(t, status, ct, body)
				if !strings.Contains(body, "<Hangup") || strings.Contains(body, "<Gather") {
					t.Errorf("whisper: %s", body)
				}
				// Pressing 1 accepts nothing.
				leg.Set("Digits", "1")
				status, ct, body = h.post("/twilio/voice/whisper/answer?c="+call.CallSid+"&n=0", leg, testToken)
				assertTwiML(t, status, ct, body)
				if !strings.Contains(body, "Call not accepted.") {
					t.Errorf("whisper answer: %s", body)
				}
				// A re-prompt of the dialling step asks for a message.
				status, ct, body = h.post("/twilio/voice/prompt?s=dialing&q="+seq, callerForm(call.CallSid, premiumPhone), testToken)
				assertTwiML(t, status, ct, body)
				if !strings.Contains(body, "<Record") || strings.Contains(body, "<Dial") {
					t.Errorf("prompt: %s", body)
				}
				// The Dial action moves the call on to voicemail.
				path := h.srv.url("/dial", url.Values{"q": {seq}, "n": {"0"}})[len(h.srv.PublicURL):]
				status, ct, body = h.post(path, callerForm(call.CallSid, premiumPhone, "DialCallStatus", "no-answer"), testToken)
				assertTwiML(t, status, ct, body)
				if !strings.Contains(body, "<Record") || strings.Contains(body, "<Dial") {
					t.Errorf("dial action: %s", body)
				}
				after := h.loadCall(call.CallSid)
				if after.Step != StepVoicemail || after.Outcome == OutcomeConnected {
					t.Errorf("call at %s, outcome %q; want voicemail", after.Step, after.Outcome)
				}
				if tk := h.ticketOf(call.CallSid); tk.RespondedAt != nil {
					t.Errorf("ticket responded by %q with no engineer offered", tk.Responder)
				}
				logged := strings.Count(h.logs.String(), "the call's dial steps cannot be read") > before
				if logged != tc.logged {
					t.Errorf("logged an error: %v, want %v", logged, tc.logged)
				}
			})
		}
	})
}
