package twiliosim

import (
	"context"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"
)

const engineer = "+15555550111"

// supportPhone is a small version of the phone line: support ID, a
// one-key menu, then a Dial with a whisper that asks to press 1.
func supportPhone(t *testing.T) *phone {
	p := newPhone(t)
	p.handle("/twilio/voice", p.twiml(
		// A relative action with a query: resolved against the document
		// URL, like a browser, and signed with its query.
		&twiml.VoiceGather{Action: "menu?step=id", FinishOnKey: "#", InnerElements: []twiml.Element{
			&twiml.VoiceSay{Message: "Welcome to Example support. Enter your support ID, then press pound."},
		}},
		&twiml.VoiceSay{Message: "We did not get your support ID. Goodbye."},
		&twiml.VoiceHangup{},
	))
	p.handle("/twilio/menu", func(w http.ResponseWriter, r *http.Request) {
		if d := r.PostForm.Get("Digits"); d != "12345678" {
			p.send(w, &twiml.VoiceSay{Message: "Unknown ID " + d}, &twiml.VoiceHangup{})
			return
		}
		p.send(w, &twiml.VoiceGather{Action: "/twilio/route", NumDigits: "1", InnerElements: []twiml.Element{
			&twiml.VoiceSay{Message: "For priority 1, press 1."},
		}}, &twiml.VoiceRedirect{Url: "/twilio/menu-again"})
	})
	p.handle("/twilio/route", p.twiml(
		&twiml.VoiceSay{Message: "Connecting you to the engineer on call."},
		&twiml.VoiceDial{Action: "/twilio/dialed", Timeout: "20", AnswerOnBridge: "true", CallerId: "+18005550199",
			InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: engineer, Url: "/twilio/whisper"}}},
		&twiml.VoiceSay{Message: "never reached: verbs after a Dial with an action do not run"},
	))
	p.handle("/twilio/whisper", p.twiml(
		&twiml.VoiceGather{NumDigits: "1", Action: "/twilio/whisper/answer", InnerElements: []twiml.Element{
			&twiml.VoiceSay{Message: "Priority 1 call from Acme. Press 1 to accept."},
		}},
		&twiml.VoiceHangup{},
	))
	p.handle("/twilio/whisper/answer", func(w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Get("Digits") == "1" {
			p.send(w, &twiml.VoiceSay{Message: "Connecting."})
			return
		}
		p.send(w, &twiml.VoiceHangup{})
	})
	p.handle("/twilio/dialed", func(w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Get("DialCallStatus") == "completed" {
			p.send(w, &twiml.VoiceSay{Message: "Thank you for calling."}, &twiml.VoiceHangup{})
			return
		}
		p.send(w, &twiml.VoiceSay{Message: "Nobody answered. Goodbye."}, &twiml.VoiceHangup{})
	})
	return p
}

func kinds(res *Result) []string {
	var out []string
	for _, r := range res.Requests {
		out = append(out, r.Leg+":"+r.Kind)
	}
	return out
}

func TestEngineerAccepts(t *testing.T) {
	p := supportPhone(t)
	c := p.call("12345678#", "1")
	c.EngineerKeys = map[string]string{engineer: "1"}
	res, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Status != "completed" {
		t.Fatalf("call failed: %s", res)
	}
	want := []string{"caller:voice", "caller:gather", "caller:gather", engineer + ":whisper", engineer + ":gather", "caller:dial", "caller:status"}
	if got := kinds(res); !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	if got := p.paths(); !reflect.DeepEqual(got, []string{"/twilio/voice", "/twilio/menu", "/twilio/route", "/twilio/whisper", "/twilio/whisper/answer", "/twilio/dialed", "/twilio/voice/status"}) {
		t.Errorf("paths %v", got)
	}

	// The incoming-call parameters, ringing first, then in-progress.
	voice := p.seen("/twilio/voice")[0]
	sidRE := regexp.MustCompile(`^CA[0-9a-f]{32}$`)
	for k, v := range map[string]string{"CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
		"From": "+15555550100", "Caller": "+15555550100", "To": "+18005550199", "Called": "+18005550199"} {
		if voice.Get(k) != v {
			t.Errorf("voice %s = %q, want %q", k, voice.Get(k), v)
		}
	}
	if !sidRE.MatchString(voice.Get("CallSid")) || !regexp.MustCompile(`^AC[0-9a-f]{32}$`).MatchString(voice.Get("AccountSid")) {
		t.Errorf("voice sids: %v", voice)
	}
	menu := p.seen("/twilio/menu")[0]
	if menu.Get("Digits") != "12345678" || menu.Get("CallStatus") != "in-progress" || menu.Get("CallSid") != res.CallSid {
		t.Errorf("menu form %v", menu)
	}
	if got := res.Requests[1].URL; got != "/twilio/menu?step=id" {
		t.Errorf("relative action requested as %q", got)
	}

	// The engineer's leg: its own CallSid, the parent's, the callerId.
	wh := p.seen("/twilio/whisper")[0]
	if !sidRE.MatchString(wh.Get("CallSid")) || wh.Get("CallSid") == res.CallSid || wh.Get("ParentCallSid") != res.CallSid ||
		wh.Get("To") != engineer || wh.Get("From") != "+18005550199" || wh.Get("Direction") != "outbound-dial" {
		t.Errorf("whisper form %v", wh)
	}
	if ans := p.seen("/twilio/whisper/answer")[0]; ans.Get("Digits") != "1" || ans.Get("CallSid") != wh.Get("CallSid") {
		t.Errorf("whisper answer form %v", ans)
	}
	dialed := p.seen("/twilio/dialed")[0]
	if dialed.Get("DialCallStatus") != "completed" || dialed.Get("DialCallSid") != wh.Get("CallSid") || dialed.Get("CallSid") != res.CallSid {
		t.Errorf("dial action form %v", dialed)
	}
	if secs, _ := strconv.Atoi(dialed.Get("DialCallDuration")); secs < 60 {
		t.Errorf("DialCallDuration %q, want the talk time at least", dialed.Get("DialCallDuration"))
	}
	if len(res.Dials) != 1 || !res.Dials[0].Bridged || res.Dials[0].Status != "completed" {
		t.Errorf("dials %+v", res.Dials)
	}
	st := p.seen("/twilio/voice/status")[0]
	if st.Get("CallStatus") != "completed" || st.Get("CallDuration") != strconv.Itoa(int(res.Duration.Seconds())) {
		t.Errorf("status callback %v (duration %s)", st, res.Duration)
	}

	if got := res.Transcript.Heard(engineer); !reflect.DeepEqual(got, []string{"Priority 1 call from Acme. Press 1 to accept.", "Connecting."}) {
		t.Errorf("engineer heard %q", got)
	}
	if got := res.Transcript.Pressed(CallerLeg); !reflect.DeepEqual(got, []string{"12345678#", "1"}) {
		t.Errorf("caller pressed %q", got)
	}
	heard := res.Transcript.HeardText(CallerLeg)
	if !strings.Contains(heard, "Thank you for calling.") || strings.Contains(heard, "never reached") {
		t.Errorf("caller heard %q", heard)
	}
	text := res.String()
	for _, want := range []string{"caller presses 12345678#", engineer + " presses 1", engineer + " is connected", "DialCallStatus=completed", "call ended: completed"} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
}

func TestEngineerDeclinesOrIsAbsent(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keys       map[string]string
		status     string
		bridged    bool
		whispered  bool
		engPressed []string
	}{
		{"declines with 2", map[string]string{engineer: "2"}, "completed", false, true, []string{"2"}},
		{"silent at the whisper", map[string]string{engineer: ""}, "completed", false, true, []string{""}},
		{"hangs up at the whisper", map[string]string{engineer: HangUp}, "completed", false, true, nil},
		{"no answer", nil, "no-answer", false, false, nil},
		{"explicit no answer", map[string]string{engineer: NoAnswer}, "no-answer", false, false, nil},
		{"busy", map[string]string{engineer: Busy}, "busy", false, false, nil},
		{"unreachable", map[string]string{engineer: Unreachable}, "failed", false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := supportPhone(t)
			c := p.call("12345678#", "1")
			c.EngineerKeys = tc.keys
			res, err := c.Run(context.Background())
			if err != nil || res.Failed() {
				t.Fatalf("%v %s", err, res)
			}
			dialed := p.seen("/twilio/dialed")
			if len(dialed) != 1 || dialed[0].Get("DialCallStatus") != tc.status {
				t.Fatalf("dial action %v, want DialCallStatus %s", dialed, tc.status)
			}
			if !sidRE(dialed[0].Get("DialCallSid")) {
				t.Errorf("DialCallSid %q", dialed[0].Get("DialCallSid"))
			}
			if res.Dials[0].Bridged != tc.bridged {
				t.Errorf("bridged %v", res.Dials[0].Bridged)
			}
			if got := len(p.seen("/twilio/whisper")) == 1; got != tc.whispered {
				t.Errorf("whisper requested: %v", got)
			}
			if got := res.Transcript.Pressed(engineer); !reflect.DeepEqual(got, tc.engPressed) {
				t.Errorf("engineer pressed %q, want %q", got, tc.engPressed)
			}
			if tc.status != "completed" && dialed[0].Get("DialCallDuration") != "0" {
				t.Errorf("DialCallDuration %q for %s", dialed[0].Get("DialCallDuration"), tc.status)
			}
		})
	}
}

func sidRE(s string) bool { return regexp.MustCompile(`^CA[0-9a-f]{32}$`).MatchString(s) }

func TestDialWithoutActionContinues(t *testing.T) {
	p := newPhone(t)
	p.handle("/twilio/voice", p.twiml(
		&twiml.VoiceDial{Timeout: "5", InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: engineer}}},
		&twiml.VoiceSay{Message: "after the dial"},
	))
	res, err := p.call().Run(context.Background())
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	if got := res.Transcript.Heard(CallerLeg); !reflect.DeepEqual(got, []string{"after the dial"}) {
		t.Errorf("heard %q", got)
	}
}

func TestRecord(t *testing.T) {
	setup := func(t *testing.T) *phone {
		p := newPhone(t)
		p.handle("/twilio/voice", p.twiml(
			&twiml.VoiceSay{Message: "Leave a message after the beep."},
			&twiml.VoiceRecord{Action: "/twilio/recorded", MaxLength: "300", FinishOnKey: "#", PlayBeep: "true", RecordingStatusCallback: "/twilio/recording"},
			&twiml.VoiceSay{Message: "We did not receive a message."},
			&twiml.VoiceHangup{},
		))
		p.handle("/twilio/recorded", p.twiml(&twiml.VoiceSay{Message: "Your message was recorded."}, &twiml.VoiceHangup{}))
		p.handle("/twilio/recording", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		return p
	}
	t.Run("a message", func(t *testing.T) {
		p := setup(t)
		res, err := p.call("the server is down#").Run(context.Background())
		if err != nil || res.Failed() {
			t.Fatal(err, res)
		}
		act, cb := p.seen("/twilio/recorded"), p.seen("/twilio/recording")
		if len(act) != 1 || len(cb) != 1 {
			t.Fatalf("action %v, status callback %v", act, cb)
		}
		if !regexp.MustCompile(`^RE[0-9a-f]{32}$`).MatchString(act[0].Get("RecordingSid")) || act[0].Get("Digits") != "#" ||
			act[0].Get("RecordingDuration") != "36" || !strings.HasSuffix(act[0].Get("RecordingUrl"), "/Recordings/"+act[0].Get("RecordingSid")) {
			t.Errorf("record action form %v", act[0])
		}
		if cb[0].Get("RecordingStatus") != "completed" || cb[0].Get("RecordingSid") != act[0].Get("RecordingSid") ||
			cb[0].Get("RecordingUrl") != act[0].Get("RecordingUrl") || cb[0].Get("RecordingDuration") != "36" || cb[0].Get("CallSid") != res.CallSid {
			t.Errorf("recording status callback %v", cb[0])
		}
		if heard := res.Transcript.HeardText(CallerLeg); !strings.Contains(heard, "recorded") || strings.Contains(heard, "did not receive") {
			t.Errorf("heard %q", heard)
		}
		if len(res.Recordings) != 1 || res.Recordings[0].Message != "the server is down" {
			t.Errorf("recordings %+v", res.Recordings)
		}
	})
	t.Run("silence", func(t *testing.T) {
		p := setup(t)
		res, err := p.call("").Run(context.Background())
		if err != nil || res.Failed() {
			t.Fatal(err, res)
		}
		if n := len(p.seen("/twilio/recorded")) + len(p.seen("/twilio/recording")); n != 0 {
			t.Errorf("%d requests for an empty recording", n)
		}
		if heard := res.Transcript.HeardText(CallerLeg); !strings.Contains(heard, "We did not receive a message.") {
			t.Errorf("heard %q", heard)
		}
	})
}

func TestGatherInputRules(t *testing.T) {
	p := newPhone(t)
	p.handle("/twilio/voice", func(w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Has("Digits") {
			p.send(w, &twiml.VoiceSay{Message: "got " + r.PostForm.Get("Digits")})
			return
		}
		p.send(w,
			&twiml.VoiceGather{NumDigits: "3", Timeout: "3"}, // silence: falls through
			&twiml.VoiceSay{Message: "fell through"},
			&twiml.VoiceGather{Action: "/twilio/empty", ActionOnEmptyResult: "true"}, // silence: posts Digits=""
		)
	})
	p.handle("/twilio/empty", func(w http.ResponseWriter, r *http.Request) {
		p.send(w,
			&twiml.VoiceSay{Message: "empty " + strconv.Quote(r.PostForm.Get("Digits"))},
			&twiml.VoiceGather{NumDigits: "2"}, // no action: the current document's URL
		)
	})
	res, err := p.call("", "", "#12345").Run(context.Background())
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	want := []string{"fell through", `empty ""`, `empty "12"`}
	if got := res.Transcript.Heard(CallerLeg); !reflect.DeepEqual(got, want) {
		t.Errorf("heard %q, want %q", got, want)
	}
	if got := p.seen("/twilio/empty"); len(got) != 2 || got[1].Get("Digits") != "12" {
		t.Errorf("posts to the current document: %v", got)
	}
}

func TestGetMethodAndPublicURL(t *testing.T) {
	p := newPhone(t)
	p.public = "https://support.example.com" // the server validates against its public URL
	p.handle("/twilio/voice", p.twiml(
		&twiml.VoiceGather{Action: "https://support.example.com/twilio/next?x=1", Method: "GET", NumDigits: "1"},
	))
	p.handle("/twilio/next", p.twiml(&twiml.VoiceRedirect{Url: "/twilio/last", Method: "GET"}))
	p.handle("/twilio/last", p.twiml(&twiml.VoiceSay{Message: "done"}))
	res, err := p.call("4").Run(context.Background())
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	next := p.seen("/twilio/next")
	if len(next) != 1 || next[0].Get("x") != "1" || next[0].Get("Digits") != "4" || next[0].Get("CallSid") != res.CallSid {
		t.Errorf("GET action query %v", next)
	}
	if len(p.seen("/twilio/last")) != 1 || res.Transcript.HeardText(CallerLeg) != "done" {
		t.Errorf("redirect not followed: %s", res)
	}
}

func TestHangupMidMenuSendsOnlyTheStatusCallback(t *testing.T) {
	p := supportPhone(t)
	res, err := p.call("12345678#", HangUp).Run(context.Background())
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	if got := p.paths(); !reflect.DeepEqual(got, []string{"/twilio/voice", "/twilio/menu", "/twilio/voice/status"}) {
		t.Errorf("paths %v", got)
	}
	if st := p.seen("/twilio/voice/status")[0]; st.Get("CallStatus") != "completed" {
		t.Errorf("status %v", st)
	}
}

func TestRedirectLoopCaughtByTheLimit(t *testing.T) {
	p := newPhone(t)
	p.handle("/twilio/voice", p.twiml(&twiml.VoiceRedirect{Url: "/twilio/voice"}))
	p.handle("/twilio/voice/fallback", p.twiml(&twiml.VoiceSay{Message: "fallback"}))
	c := p.call()
	c.MaxRequests = 10
	res, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failure == nil || res.Failure.Code != CodeTooManyRequests {
		t.Fatalf("failure %v", res.Failure)
	}
	if n := len(p.seen("/twilio/voice")); n != 10 {
		t.Errorf("%d voice requests, want 10", n)
	}
	if len(p.seen("/twilio/voice/fallback")) != 0 || len(p.seen("/twilio/voice/status")) != 1 {
		t.Errorf("paths %v", p.paths())
	}
}

func TestInteractiveKeys(t *testing.T) {
	p := supportPhone(t)
	var prompts [][]string
	var heard []string
	c := p.call()
	c.Keys = func(prompt []string) (string, bool) {
		prompts = append(prompts, prompt)
		if len(prompts) == 1 {
			return "12345678#", true
		}
		return "", false
	}
	c.OnHear = func(s string) { heard = append(heard, s) }
	res, err := c.Run(context.Background())
	if err != nil || res.Failed() {
		t.Fatal(err, res)
	}
	want := [][]string{{"Welcome to Example support. Enter your support ID, then press pound."}, {"For priority 1, press 1."}}
	if !reflect.DeepEqual(prompts, want) {
		t.Errorf("prompts %q", prompts)
	}
	if len(heard) != 2 {
		t.Errorf("OnHear got %q", heard)
	}
}

func TestSignatureVector(t *testing.T) {
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	form := map[string][]string{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"}, "To": {"+18005551212"}}
	sig := Sign("12345", u, form)
	if sig != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Fatalf("Sign = %q", sig)
	}
	params := map[string]string{}
	for k, v := range form {
		params[k] = v[0]
	}
	v := client.NewRequestValidator("12345")
	if !v.Validate(u, params, sig) {
		t.Error("twilio-go rejects our signature")
	}
	other := client.NewRequestValidator("54321")
	if v.Validate(u+"&baz=3", params, sig) || other.Validate(u, params, sig) {
		t.Error("signature does not depend on the URL and token")
	}
}

func TestPostAndNewRequest(t *testing.T) {
	p := newPhone(t)
	p.handle("/twilio/voice", p.twiml(&twiml.VoiceSay{Message: "hi"}))
	form := map[string][]string{"CallSid": {NewCallSid()}, "From": {"+15555550100"}}
	resp, err := Post(context.Background(), p.srv.URL+"/twilio/voice?a=b", form, testToken)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("signed Post: %d", resp.StatusCode)
	}
	req, _ := NewRequest(context.Background(), p.srv.URL+"/twilio/voice", "", form, testToken)
	req.Header.Set(SignatureHeader, "AAAA"+req.Header.Get(SignatureHeader)[4:])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered signature: %d", resp.StatusCode)
	}
	p.mu.Lock()
	p.badSigs = nil // the tampered request was meant to fail
	p.mu.Unlock()
}

// The transcript names an engineer by handle where Call.Names knows the
// number, on the dial and on every line of the engineer's leg; the
// Transcript's Leg stays the number (Heard and Pressed are keyed by it).
func TestTranscriptNamesEngineers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names map[string]string
		want  []string
	}{
		{"named", map[string]string{engineer: "bob"}, []string{"dialling bob (" + engineer + ")",
			"    bob (" + engineer + ") answers", "    bob (" + engineer + ") presses 1",
			"    bob (" + engineer + ") is connected to the caller"}},
		{"unknown number", map[string]string{"+15555550177": "carol"}, []string{"dialling " + engineer + " (",
			"    " + engineer + " answers", "    " + engineer + " presses 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := supportPhone(t)
			c := p.call("12345678#", "1")
			c.EngineerKeys = map[string]string{engineer: "1"}
			c.Names = tc.names
			res, err := c.Run(context.Background())
			if err != nil || res.Failed() {
				t.Fatalf("call: %v %s", err, res)
			}
			text := res.String()
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("transcript lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "carol") {
				t.Errorf("a number never dialled is named:\n%s", text)
			}
			if got := res.Transcript.Pressed(engineer); !reflect.DeepEqual(got, []string{"1"}) {
				t.Errorf("Pressed(%s) = %q: the leg must stay the number", engineer, got)
			}
		})
	}
}
