package ivr

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/audit"
	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/twiliosim"
)

// Requests without a valid signature get 403 and change nothing.
func TestBadSignatureChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		// A call in progress, hung up at the priority menu, whose state a
		// forged request could try to move.
		res := h.run(h.call(premiumPhone, h.pin+"#", twiliosim.HangUp))
		call := h.loadCall(res.CallSid)
		before := h.rowCounts()

		sid := twiliosim.NewCallSid()
		cases := []struct {
			name, path string
			form       url.Values
			sign       func(*http.Request)
		}{
			{"missing signature on a new call", "/twilio/voice", callerForm(sid, premiumPhone),
				func(r *http.Request) { r.Header.Del(twiliosim.SignatureHeader) }},
			{"wrong token on a new call", "/twilio/voice", callerForm(sid, premiumPhone),
				func(r *http.Request) {
					r.Header.Set(twiliosim.SignatureHeader, twiliosim.Sign("wrong-token", h.srv.PublicURL+"/twilio/voice", callerForm(sid, premiumPhone)))
				}},
			{"signed for another URL", h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):], callerForm(res.CallSid, premiumPhone, "Digits", "2"),
				func(r *http.Request) {
					r.Header.Set(twiliosim.SignatureHeader, twiliosim.Sign(testToken, h.srv.PublicURL+"/twilio/voice", callerForm(res.CallSid, premiumPhone, "Digits", "2")))
				}},
			{"form changed after signing", h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):], callerForm(res.CallSid, premiumPhone, "Digits", "2"),
				func(r *http.Request) {
					r.Header.Set(twiliosim.SignatureHeader, twiliosim.Sign(testToken, h.srv.PublicURL+r.URL.RequestURI(), callerForm(res.CallSid, premiumPhone, "Digits", "1")))
				}},
			{"missing signature on the status callback", "/twilio/voice/status", callerForm(res.CallSid, premiumPhone, "CallStatus", "failed"),
				func(r *http.Request) { r.Header.Del(twiliosim.SignatureHeader) }},
			{"missing signature on the fallback", "/twilio/voice/fallback", callerForm(sid, premiumPhone),
				func(r *http.Request) { r.Header.Del(twiliosim.SignatureHeader) }},
		}
		for _, tc := range cases {
			req, err := twiliosim.NewRequest(context.Background(), h.ts.URL+tc.path, h.srv.PublicURL+tc.path, tc.form, testToken)
			if err != nil {
				t.Fatal(err)
			}
			tc.sign(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", tc.name, resp.StatusCode)
			}
		}
		if after := h.rowCounts(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: before %v, after %v", before, after)
		}
		if again := h.loadCall(res.CallSid); !reflect.DeepEqual(call, again) {
			t.Errorf("call row changed:\n%+v\n%+v", call, again)
		}
		if n := strings.Count(h.logs.String(), "twilio signature rejected"); n != len(cases) {
			t.Errorf("%d rejections logged, want %d", n, len(cases))
		}
	})
}

// Malformed call parameters are a 400 and change nothing.
func TestInvalidParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		before := h.rowCounts()
		sid := twiliosim.NewCallSid()
		for _, tc := range []struct {
			name string
			path string
			form url.Values
		}{
			{"short CallSid", "/twilio/voice", callerForm("CA123", premiumPhone)},
			{"uppercase hex CallSid", "/twilio/voice", callerForm("CA"+strings.ToUpper(sid[2:]), premiumPhone)},
			{"no CallSid", "/twilio/voice", callerForm("", premiumPhone)},
			{"From not E.164", "/twilio/voice", callerForm(sid, "5555550100")},
			{"From with SQL", "/twilio/voice", callerForm(sid, "+1'; DROP TABLE calls;--")},
			{"To not E.164", "/twilio/voice", callerForm(sid, premiumPhone, "To", "support")},
			{"Digits not keys", "/twilio/voice/step?s=pin&q=0", callerForm(sid, premiumPhone, "Digits", "12ab")},
			{"bad CallSid on the status callback", "/twilio/voice/status", callerForm("CA"+strings.Repeat("z", 32), premiumPhone, "CallStatus", "completed")},
		} {
			status, _, body := h.post(tc.path, tc.form, testToken)
			if status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400: %s", tc.name, status, body)
			}
		}
		if after := h.rowCounts(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: before %v, after %v", before, after)
		}
		// Withheld numbers are valid callers: asked for the support ID.
		res := h.run(h.call("anonymous", twiliosim.HangUp))
		heardAll(t, res, twiliosim.CallerLeg, "Please enter your eight digit support ID")
	})
}

// findRequest returns the first caller request whose URL contains part.
func findRequest(t testing.TB, res *twiliosim.Result, kind, part string) twiliosim.Request {
	t.Helper()
	for _, r := range res.Requests {
		if r.Leg == twiliosim.CallerLeg && r.Kind == kind && strings.Contains(r.URL, part) {
			return r
		}
	}
	t.Fatalf("no %s request to %s in:\n%s", kind, part, res)
	return twiliosim.Request{}
}

// A Gather webhook sent again (Twilio retrying, or an attacker replaying a
// captured request) has no second effect: no second PIN attempt, no second
// ticket, and the answer is valid TwiML for the call's current step.
func TestReplayedGather(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		bad := wrongPIN(h.pin)
		h.secret(bad)
		res := h.run(h.call(strangerPhone, h.contact.SupportID+"#", bad+"#", h.contact.SupportID+"#", h.pin+"#", "2", "Help#"))
		tk := h.ticketOf(res.CallSid)
		verifies := h.count("audit_events", "action = 'pin.verify'")
		failures := h.count("pin_failures", "")
		before := h.rowCounts()
		call := h.loadCall(res.CallSid)

		var pinReqs []twiliosim.Request
		for _, r := range res.Requests {
			if r.Kind == "gather" && strings.Contains(r.URL, "s=pin") {
				pinReqs = append(pinReqs, r)
			}
		}
		if len(pinReqs) != 2 {
			t.Fatalf("PIN requests %+v", pinReqs)
		}
		replays := append(pinReqs, findRequest(t, res, "gather", "s=priority"), findRequest(t, res, "voice", "/twilio/voice"))
		for _, r := range replays {
			for range 2 {
				status, ct, body := h.post(r.URL, r.Form, testToken)
				assertTwiML(t, status, ct, body)
				if !strings.Contains(body, "<Hangup") {
					t.Errorf("replay of %s on a finished call: %s", r.URL, body)
				}
			}
		}
		if n := h.count("audit_events", "action = 'pin.verify'"); n != verifies {
			t.Errorf("PIN verifications %d after replays, want %d", n, verifies)
		}
		if n := h.count("pin_failures", ""); n != failures {
			t.Errorf("calling-number failures %d after replays, want %d", n, failures)
		}
		if st := h.pinStatus(h.contact.SupportID); st.Failures != 0 {
			t.Errorf("PIN failures %d after replays", st.Failures)
		}
		if after := h.rowCounts(); !reflect.DeepEqual(before, after) {
			t.Errorf("rows changed: before %v, after %v", before, after)
		}
		if again := h.loadCall(res.CallSid); !reflect.DeepEqual(call, again) {
			t.Errorf("call row changed:\n%+v\n%+v", call, again)
		}
		if again := h.ticketOf(res.CallSid); len(again.Events) != len(tk.Events) {
			t.Errorf("ticket events %v, were %v", eventKinds(again), eventKinds(tk))
		}
	})
}

// An engineer's decline changes no call state, so Twilio retrying the
// whisper's Gather action while the call still rings that step must not
// record the decline twice.
func TestReplayedDecline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.severity1("Help#", map[string]string{alicePhone: "2", carolPhone: ""}))
		var answer *twiliosim.Request
		for i, r := range res.Requests {
			if r.Leg == alicePhone && strings.Contains(r.URL, "/whisper/answer") {
				answer = &res.Requests[i]
			}
		}
		if answer == nil {
			t.Fatalf("no whisper answer from alice:\n%s", res)
		}
		// Put the call back where it was when alice answered: ringing step 1.
		ctx := context.Background()
		if err := h.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE calls SET step = ?, dial_step = 0, outcome = '' WHERE call_sid = ?`, StepDialing, res.CallSid)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			status, ct, body := h.post(answer.URL, answer.Form, testToken)
			assertTwiML(t, status, ct, body)
			if !strings.Contains(body, "<Hangup") {
				t.Errorf("replayed decline: %s", body)
			}
		}
		n := 0
		for _, e := range h.ticketOf(res.CallSid).Events {
			if e.Kind == tickets.EventWhisper && e.Detail == "alice declined (step 1)" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d decline events for alice at step 1, want 1", n)
		}
	})
}

// Copies of one priority webhook arriving at once: exactly one opens a
// ticket, the others re-prompt.
func TestConcurrentDuplicateWebhooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		for round := range 3 {
			res := h.run(h.call(premiumPhone, h.pin+"#", twiliosim.HangUp))
			call := h.loadCall(res.CallSid)
			if call.Step != StepPriority {
				t.Fatalf("call at %s", call.Step)
			}
			path := h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):]
			form := callerForm(res.CallSid, premiumPhone, "Digits", "2")
			bodies := h.postConcurrently(path, form, 8)
			if n := h.count("tickets", "call_sid = ?", res.CallSid); n != 1 || h.count("tickets", "") != round+1 {
				t.Errorf("%d tickets from 8 copies of one webhook", n)
			}
			told := 0
			for _, b := range bodies {
				if strings.Contains(b, "Your ticket number is") {
					told++
				}
				if strings.Contains(b, "One moment please.") {
					t.Errorf("a copy answered as if the database had failed: %s", b)
				}
			}
			if told != 1 {
				t.Errorf("%d answers told a ticket number:\n%s", told, strings.Join(bodies, "\n"))
			}
		}
	})
}

// Copies of one PIN webhook at once: one verification, one failure.
func TestConcurrentDuplicatePIN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		bad := wrongPIN(h.pin)
		h.secret(bad)
		res := h.run(h.call(premiumPhone, twiliosim.HangUp))
		call := h.loadCall(res.CallSid)
		if call.Step != StepPIN {
			t.Fatalf("call at %s", call.Step)
		}
		path := h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):]
		h.postConcurrently(path, callerForm(res.CallSid, premiumPhone, "Digits", bad), 8)
		if n := h.count("audit_events", "action = 'pin.verify'"); n != 1 {
			t.Errorf("%d verifications from 8 copies of one PIN webhook", n)
		}
		if st := h.pinStatus(h.contact.SupportID); st.Failures != 1 {
			t.Errorf("%d failures counted", st.Failures)
		}
		if c := h.loadCall(res.CallSid); c.PINAttempts != 1 {
			t.Errorf("%d PIN attempts on the call", c.PINAttempts)
		}
	})
}

// Copies of one Dial action at once: the step moves on once, with one
// whisper event.
func TestConcurrentDuplicateDialAction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		res := h.run(h.call(premiumPhone, h.pin+"#", twiliosim.HangUp))
		call := h.loadCall(res.CallSid)
		// Severity 1, confirmed: the ticket opens and the call is dialling
		// alice (nobody follows the Dial here).
		for _, d := range []string{"1", "1"} {
			status, ct, body := h.post(h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):], callerForm(res.CallSid, premiumPhone, "Digits", d), testToken)
			assertTwiML(t, status, ct, body)
			call = h.loadCall(res.CallSid)
		}
		if call.Step != StepDialing || call.DialStep != 0 || call.TicketID == nil {
			t.Fatalf("call %+v", call)
		}
		path := h.srv.url("/dial", url.Values{"q": {itoa(int64(call.Seq))}, "n": {"0"}})[len(h.srv.PublicURL):]
		form := callerForm(res.CallSid, premiumPhone, "DialCallStatus", "no-answer", "DialCallSid", twiliosim.NewCallSid(), "DialCallDuration", "0")
		for _, b := range h.postConcurrently(path, form, 8) {
			if !strings.Contains(b, carolPhone) {
				t.Errorf("answer does not dial carol next: %s", b)
			}
		}
		after := h.loadCall(res.CallSid)
		if after.DialStep != 1 || after.Seq != call.Seq+1 {
			t.Errorf("dial step %d seq %d, want 1 and %d", after.DialStep, after.Seq, call.Seq+1)
		}
		tk := h.ticketOf(res.CallSid)
		n := 0
		for _, e := range tk.Events {
			if e.Kind == tickets.EventWhisper {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d whisper events from 8 copies of one Dial action: %v", n, eventKinds(tk))
		}
	})
}

// postConcurrently sends n copies of one signed webhook at once and returns
// the answers.
func (h *harness) postConcurrently(path string, form url.Values, n int) []string {
	h.t.Helper()
	var wg sync.WaitGroup
	bodies := make([]string, n)
	start := make(chan struct{})
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := twiliosim.Post(context.Background(), h.ts.URL+path, form, testToken)
			if err != nil {
				h.t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			bodies[i] = string(b)
			assertTwiML(h.t, resp.StatusCode, resp.Header.Get("Content-Type"), bodies[i])
		}()
	}
	close(start)
	wg.Wait()
	return bodies
}

// With the database closed the line still answers: "one moment" while it
// retries, then the fallback behaviour (dial the emergency number, then the
// email words). Twilio's fallback URL, requested after a failed webhook,
// answers the same without the database.
func TestFallbackDatabaseClosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.allowErrors("webhook backend failure", "twilio fell back", "status callback", "path=/twilio/voice/status status=500")
		emergency := h.policy.Line.EmergencyNumbers[0]
		email := "We are sorry, our support line is having trouble. Please email support at example dot com. Goodbye."
		h.dbClosed = true
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		t.Run("the call in progress", func(t *testing.T) {
			res := h.runMayFail(h.call(premiumPhone, h.pin+"#"))
			if res.Failure != nil {
				t.Fatalf("call failed: %v\n%s", res.Failure, res)
			}
			heardAll(t, res, twiliosim.CallerLeg, "One moment please.", "We are sorry, something went wrong on our side.", email)
			if len(res.Dials) != 1 || res.Dials[0].Number != emergency {
				t.Errorf("dials %+v, want the emergency number %s", res.Dials, emergency)
			}
		})

		t.Run("the fallback URL", func(t *testing.T) {
			c := h.call(premiumPhone, h.pin+"#")
			c.VoicePath = "/twilio/voice/missing" // the primary webhook fails: Twilio asks the fallback
			c.EngineerKeys[emergency] = "1"
			res := h.runMayFail(c)
			if res.Failure == nil || res.Failure.Code != twiliosim.CodeHTTPRetrieval {
				t.Fatalf("failure %v, want the primary to fail with 11200", res.Failure)
			}
			fb := findRequest(t, res, "fallback", "/twilio/voice/fallback")
			if fb.Status != 200 || fb.Form.Get("ErrorCode") != "11200" {
				t.Errorf("fallback request %+v", fb)
			}
			if len(res.Dials) != 1 || res.Dials[0].Number != emergency || !res.Dials[0].Bridged {
				t.Errorf("dials %+v, want the emergency number answered", res.Dials)
			}
			heardAll(t, res, twiliosim.CallerLeg, "We are sorry, something went wrong on our side.")
		})

		t.Run("raw", func(t *testing.T) {
			sid := twiliosim.NewCallSid()
			status, ct, body := h.post("/twilio/voice/fallback", callerForm(sid, premiumPhone, "ErrorCode", "11200", "ErrorUrl", h.srv.PublicURL+"/twilio/voice"), testToken)
			assertTwiML(t, status, ct, body)
			if !strings.Contains(body, emergency) || !strings.Contains(body, "/twilio/voice/fallback/next?i=1") {
				t.Errorf("fallback TwiML does not dial %s: %s", emergency, body)
			}
			status, ct, body = h.post("/twilio/voice/fallback/next?i=1", callerForm(sid, premiumPhone, "DialCallStatus", "no-answer"), testToken)
			assertTwiML(t, status, ct, body)
			if !strings.Contains(body, email) || !strings.Contains(body, "<Hangup") {
				t.Errorf("after the last emergency number: %s", body)
			}
		})
	})
}

// Without emergency numbers the fallback asks the caller to email.
func TestFallbackWithoutEmergencyNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, func(p *config.Policy) { p.Line.EmergencyNumbers = nil })
		h.allowErrors("twilio fell back")
		status, ct, body := h.post("/twilio/voice/fallback", callerForm(twiliosim.NewCallSid(), premiumPhone, "ErrorCode", "11200"), testToken)
		assertTwiML(t, status, ct, body)
		if strings.Contains(body, "<Dial") || !strings.Contains(body, "Please email support at example dot com.") {
			t.Errorf("fallback: %s", body)
		}
	})
}

// A transient database error in a webhook: the caller hears "one moment
// please", the redirect re-prompts the step, and the call goes on to its
// ticket.
func TestTransientErrorRecovered(t *testing.T) {
	for _, step := range []string{"incoming", "load", "pin-claim", "ticket", "recording"} {
		t.Run(step, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				h := newHarness(t, db)
				h.allowErrors("webhook backend failure")
				h.clock.Set(saturdayNight)
				script := []string{h.pin + "#", "2", "Printer on fire#"}
				switch step {
				case "ticket":
					// The priority menu is played again.
					script = []string{h.pin + "#", "2", "2", "Printer on fire#"}
				case "load", "pin-claim":
					// The first Gather action (the PIN) fails: the PIN is asked again.
					script = []string{h.pin + "#", h.pin + "#", "2", "Printer on fire#"}
				}
				h.failNext(step, 1)
				res := h.run(h.call(premiumPhone, script...))
				if h.faultCount(step) != 1 {
					t.Fatalf("fault at %s injected %d times", step, h.faultCount(step))
				}
				heardAll(t, res, twiliosim.CallerLeg, "One moment please.", "Your ticket number is")
				heardNone(t, res, twiliosim.CallerLeg, "something went wrong")
				tk := h.ticketOf(res.CallSid)
				if tk.RecordingURL == "" {
					t.Errorf("no recording on the ticket:\n%s", res)
				}
				if n := h.count("tickets", ""); n != 1 {
					t.Errorf("%d tickets", n)
				}
				if c := h.loadCall(res.CallSid); c.Outcome != OutcomeVoicemail {
					t.Errorf("outcome %q", c.Outcome)
				}
				if n := len(h.outbox()); n != 1 {
					t.Errorf("%d SMS queued, want 1", n)
				}
				if n := len(res.Recordings); n != 1 {
					t.Errorf("the caller was asked for %d messages, want 1", n)
				}
			})
		})
	}
}

// A Dial action that fails is tried again by itself: the engineer who did
// not answer is not rung again, and the call moves on (transient failure)
// or, once the caller's patience is spent, falls back to the emergency
// numbers (a database that still reads but cannot write, as during a
// failover).
func TestDialActionFailure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int
	}{{"transient", 1}, {"persistent", 100}} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				h := newHarness(t, db)
				h.allowErrors("webhook backend failure")
				h.failNext("dial", tc.failures)
				res := h.run(h.severity1("The database cluster is down#", map[string]string{
					alicePhone: "", carolPhone: "1", h.policy.Line.EmergencyNumbers[0]: "1"}))
				if res.Failed() {
					t.Fatalf("call failed:\n%s", res)
				}
				var rung []string
				for _, d := range res.Dials {
					rung = append(rung, d.Number)
				}
				heard := res.Transcript.HeardText(twiliosim.CallerLeg)
				switch tc.failures {
				case 1:
					if !slices.Equal(rung, []string{alicePhone, carolPhone}) || !res.Dials[1].Bridged {
						t.Fatalf("rang %v, want alice then carol, who accepts:\n%s", rung, res)
					}
					if n := strings.Count(heard, "One moment please."); n != 1 {
						t.Errorf("one moment said %d times, want 1:\n%s", n, res.Transcript)
					}
					tk := h.ticketOf(res.CallSid)
					if !hasEvent(tk, tickets.EventWhisper, "alice answered but did not accept (step 1)") || tk.Responder != "carol" {
						t.Errorf("events %v, responder %v", eventKinds(tk), tk.Responder)
					}
				default:
					if !slices.Equal(rung, []string{alicePhone, h.policy.Line.EmergencyNumbers[0]}) {
						t.Fatalf("rang %v, want alice once, then the emergency number:\n%s", rung, res)
					}
					if n := strings.Count(heard, "One moment please."); n != patienceTries {
						t.Errorf("one moment said %d times, want %d:\n%s", n, patienceTries, res.Transcript)
					}
					heardAll(t, res, twiliosim.CallerLeg, "We are sorry, something went wrong on our side.")
				}
			})
		})
	}
}

// A database that keeps failing: "one moment please" for as long as the
// caller's patience lasts, then the apology and the fallback behaviour,
// never a Twilio application error.
func TestPersistentErrorFallsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.allowErrors("webhook backend failure")
		h.failNext("load", 100)
		h.failNext("prompt", 100)
		res := h.run(h.call(premiumPhone, h.pin+"#"))
		heard := res.Transcript.HeardText(twiliosim.CallerLeg)
		if n := strings.Count(heard, "One moment please."); n != patienceTries {
			t.Errorf("one moment said %d times, want %d:\n%s", n, patienceTries, res.Transcript)
		}
		heardAll(t, res, twiliosim.CallerLeg, "We are sorry, something went wrong on our side.")
		if len(res.Dials) != 1 || res.Dials[0].Number != h.policy.Line.EmergencyNumbers[0] {
			t.Errorf("dials %+v", res.Dials)
		}
	})
}

// Every URL the line gives Twilio, and every answer, is free of PINs; the
// verification is audited without the digits.
func TestNoPINAnywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		bad := wrongPIN(h.pin)
		h.secret(bad)
		res := h.run(h.call(strangerPhone, h.contact.SupportID+"#", bad+"#", h.contact.SupportID+"#", h.pin+"#", "2", "Call me#"))
		h.ticketOf(res.CallSid)
		events, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			for _, s := range h.secrets {
				if strings.Contains(e.Detail+e.Subject+e.Caller, s) {
					t.Errorf("audit event %+v holds PIN digits", e)
				}
			}
		}
		// The harness checks every requested URL, the logs and the calls
		// table.
	})
}

// A status callback the database refuses is answered 200 (Twilio never
// sends it again) and recorded in the background once the database is
// back; when it never comes back the retries end with an error log; and
// stopping the server makes one last try at once rather than wait.
func TestStatusCallbackRetried(t *testing.T) {
	statusOf := func(t *testing.T, db *store.DB, sid string) string {
		t.Helper()
		var st string
		err := db.Statements(context.Background(), func(q *store.Q) error {
			return q.Get(context.Background(), &st, `SELECT status FROM calls WHERE call_sid = ?`, sid)
		})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	t.Run("recovered", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			h := newHarness(t, db)
			h.failNext("status", 2) // the webhook and the first retry
			res := h.run(h.call(premiumPhone, h.pin+"#", "2", "Printer on fire#"))
			h.srv.retries.wg.Wait() // the retries end on their own
			if got := statusOf(t, db, res.CallSid); got != "completed" {
				t.Fatalf("status %q after the retries, want completed", got)
			}
			if h.faultCount("status") != 2 || !strings.Contains(h.logs.String(), "status callback recorded") {
				t.Fatalf("faults %d, logs:\n%s", h.faultCount("status"), h.logs.String())
			}
		})
	})
	t.Run("given up", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			h := newHarness(t, db)
			h.allowErrors("status callback not recorded")
			h.failNext("status", 100)
			res := h.run(h.call(premiumPhone, h.pin+"#", "2", "Printer on fire#"))
			h.srv.retries.wg.Wait()
			if got := statusOf(t, db, res.CallSid); got != "" {
				t.Fatalf("status %q with the database refusing every try", got)
			}
			if h.faultCount("status") != 4 {
				t.Fatalf("%d tries, want the webhook and three retries", h.faultCount("status"))
			}
		})
	})
	t.Run("shutdown", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			h := newHarness(t, db)
			h.srv.retries.delays = []time.Duration{time.Hour}
			h.failNext("status", 1)
			res := h.run(h.call(premiumPhone, h.pin+"#", "2", "Printer on fire#"))
			h.srv.Close() // does not wait the hour
			if got := statusOf(t, db, res.CallSid); got != "completed" {
				t.Fatalf("status %q after the last try at shutdown, want completed", got)
			}
		})
	})
}

// Twenty people of one customer call at once with the contact's right PIN
// (an outage: everyone phones): all reach the priority menu, nobody hears
// "locked", and the contact's failure count stays at zero.
func TestSimultaneousRightPINCallers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		// A real hash (tens of milliseconds), so that the attempts overlap.
		h.srv.Pins.Policy.Argon2 = config.Default().Pins.Argon2
		pin, err := h.srv.Pins.Rotate(context.Background(), "test", h.contact.SupportID)
		if err != nil {
			t.Fatal(err)
		}
		h.pin = pin
		h.secret(pin)
		const n = 20
		results := make([]*twiliosim.Result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := h.call(strangerPhone, h.contact.SupportID+"#", h.pin+"#", twiliosim.HangUp)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				res, err := c.Run(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = res
			})
		}
		wg.Wait()
		for i, res := range results {
			if res == nil {
				continue
			}
			heard := res.Transcript.HeardText(twiliosim.CallerLeg)
			if strings.Contains(heard, "locked") || !strings.Contains(heard, "Severity 1") {
				t.Errorf("caller %d did not reach the priority menu:\n%s", i, res.Transcript)
			}
		}
		if st := h.pinStatus(h.contact.SupportID); st.Failures != 0 {
			t.Errorf("failures = %d after %d right PINs, want 0", st.Failures, n)
		}
	})
}
