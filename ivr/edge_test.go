package ivr

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"supportline/accounts"
	"supportline/config"
	"supportline/pins"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/twiliosim"
)

// withheldFroms are the From values Twilio sends for a withheld caller ID
// ("" is an empty From; a missing From is tested apart).
var withheldFroms = []string{
	"+266696687",   // ANONYMOUS
	"+7378742833",  // RESTRICTED
	"+2562533",     // BLOCKED
	"+8656696",     // UNKNOWN
	"+86282452253", // UNAVAILABLE
	"anonymous", "Anonymous", "Restricted", "restricted", "Unknown", "unknown", "Unavailable",
	"",
}

// twoEmergencyNumbers gives the fallback two numbers, so that its Dial
// action (/fallback/next?i=1) still dials one.
func twoEmergencyNumbers(p *config.Policy) {
	p.Line.EmergencyNumbers = []string{"+17205550199", "+17205550198"}
}

// A withheld caller ID is a caller like any unknown number: asked for the
// support ID on the primary URL, dialled through on the fallback, never
// matched to a contact by the placeholder, and throttled in one bucket.
func TestWithheldCallerIDIsServed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, twoEmergencyNumbers)
		h.allowErrors("twilio fell back")
		// A contact whose number is a placeholder by shape: a withheld
		// caller must not be taken for them.
		accts := &accounts.Service{DB: db, Policy: h.policy}
		if _, err := accts.AddContact(context.Background(), "test", accounts.NewContact{
			AccountNumber: h.premium.Number, Name: "Anna Nonymous", Phone: "+266696687"}); err != nil {
			t.Fatal(err)
		}
		ask := h.srv.words("ask_support_id")
		cases := map[string]url.Values{}
		for _, from := range withheldFroms {
			cases[fmt.Sprintf("From=%q", from)] = callerForm(twiliosim.NewCallSid(), from)
		}
		missing := callerForm(twiliosim.NewCallSid(), "")
		missing.Del("From")
		missing.Del("Caller")
		cases["no From"] = missing
		for name, form := range cases {
			t.Run(name, func(t *testing.T) {
				status, ct, body := h.post("/twilio/voice", form, testToken)
				assertTwiML(t, status, ct, body)
				doc := parseTwiML(t, body)
				gathers := doc.all("Gather")
				if len(gathers) != 1 || !slicesContain(gathers[0].texts("Say"), ask) {
					t.Errorf("want a Gather asking %q: %s", ask, body)
				}
				call := h.loadCall(form.Get("CallSid"))
				if call.Step != StepSupportID || call.ViaCallerID || call.ContactID != nil || call.From != form.Get("From") {
					t.Errorf("call row %+v", call)
				}

				fb := callerForm(twiliosim.NewCallSid(), form.Get("From"), "ErrorCode", "11200")
				if _, ok := form["From"]; !ok {
					fb.Del("From")
					fb.Del("Caller")
				}
				status, ct, body = h.post("/twilio/voice/fallback", fb, testToken)
				assertTwiML(t, status, ct, body)
				if got := parseTwiML(t, body).dialled(); len(got) != 1 || got[0] != h.policy.Line.EmergencyNumbers[0] {
					t.Errorf("fallback dials %v, want %s: %s", got, h.policy.Line.EmergencyNumbers[0], body)
				}
			})
		}

		// Wrong PINs from withheld numbers count in the one anonymous
		// bucket, whichever placeholder the network used.
		bad := wrongPIN(h.pin)
		h.secret(bad)
		for _, from := range []string{"+2562533", "+8656696", "Unavailable"} {
			res := h.run(h.call(from, h.contact.SupportID+"#", bad+"#", twiliosim.HangUp))
			heardAll(t, res, twiliosim.CallerLeg, ask)
		}
		if n := h.count("pin_failures", "caller = ?", pins.AnonymousCaller); n != 3 {
			t.Errorf("%d failures in the anonymous bucket, want 3", n)
		}
		if n := h.count("pin_failures", "caller <> ?", pins.AnonymousCaller); n != 0 {
			t.Errorf("%d failures in other buckets", n)
		}
	})
}

// The fallback URL answers every correctly signed request with TwiML that
// dials the emergency numbers, whatever its form holds, without the
// database (closed here).
func TestFallbackNeverRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, twoEmergencyNumbers)
		h.allowErrors("twilio fell back")
		h.secret("86420975")
		h.dbClosed = true
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		sid := twiliosim.NewCallSid()
		garbage := map[string]url.Values{
			"empty form":          {},
			"only a CallSid":      {"CallSid": {sid}},
			"short CallSid":       callerForm("CA123", premiumPhone),
			"CallSid with NUL":    callerForm(sid[:10]+"\x00"+sid[10:], premiumPhone),
			"From a SIP address":  callerForm(sid, "sip:alice@example.com"),
			"From with NUL":       callerForm(sid, "+1555\x005550100"),
			"From invalid UTF-8":  callerForm(sid, "+1555\xff5550100"),
			"From huge":           callerForm(sid, "+1"+strings.Repeat("5", 20000)),
			"To missing":          func() url.Values { f := callerForm(sid, premiumPhone); f.Del("To"); return f }(),
			"Digits with NUL":     callerForm(sid, premiumPhone, "Digits", "86420975\x00"),
			"AccountSid bad":      callerForm(sid, premiumPhone, "AccountSid", "AC\x00"),
			"ErrorCode with NUL":  callerForm(sid, premiumPhone, "ErrorCode", "112\x0000"),
			"ErrorUrl not a URL":  callerForm(sid, premiumPhone, "ErrorUrl", "javascript:alert(1)\xff"),
			"DialCallStatus junk": callerForm(sid, premiumPhone, "DialCallStatus", "completed\x00"),
		}
		first, second := h.policy.Line.EmergencyNumbers[0], h.policy.Line.EmergencyNumbers[1]
		for name, form := range garbage {
			t.Run(name, func(t *testing.T) {
				for _, tc := range []struct{ path, want string }{
					{"/twilio/voice/fallback", first},
					{"/twilio/voice/fallback/next?i=1", second},
					{"/twilio/voice/fallback/next?i=" + url.QueryEscape("1\x00"), first},
					{"/twilio/voice/fallback/next?i=-1", first},
				} {
					status, ct, body := h.post(tc.path, form, testToken)
					assertTwiML(t, status, ct, body)
					if got := parseTwiML(t, body).dialled(); len(got) != 1 || got[0] != tc.want {
						t.Errorf("%s dials %v, want %s: %s", tc.path, got, tc.want, body)
					}
				}
			})
		}
		if logs := h.logs.String(); !strings.Contains(logs, "fallback request with malformed parameters") ||
			strings.Contains(logs, "\x00") || strings.Contains(logs, "555555555555") {
			t.Errorf("want warnings naming the malformed fields, without their values:\n%.4000s", logs)
		}
	})
}

// Bad values: what a broken or hostile client might put in any field.
// Each carries the marker badMark, so that finding it in a row means a
// malformed value was stored.
const badMark = "ZZBAD"

func badValues(good string) map[string]string {
	return map[string]string{
		"NUL":           good + badMark + "\x00",
		"invalid UTF-8": good + badMark + "\xff\xfe",
		"control":       good + badMark + "\x1b[2J",
		"huge":          good + badMark + strings.Repeat("9", 20000),
	}
}

// badDurations are durations no engine should store: PostgreSQL refuses
// 2^31 and more; negatives mean nothing on either.
var badDurations = map[string]string{
	"negative": "-1",
	"2^31":     "2147483648",
	"2^63":     "9223372036854775808",
	"-2^63":    "-9223372036854775808",
	"signed":   "+5",
}

// Every webhook route, fed NUL bytes, invalid UTF-8, control characters,
// huge values and out-of-range durations in each field it reads: no 5xx on
// either engine, a 400 where the request can only be a probe, the call
// going on where a detail was dropped, the fallback always dialling, and
// nothing malformed stored.
func TestMalformedValuesOnEveryRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, twoEmergencyNumbers)
		h.allowErrors("twilio fell back")
		h.clock.Set(saturdayNight)
		voicemail := h.voicemailCall()
		h.clock.Set(wednesdayMorning)
		dialling := h.diallingCall()
		line := h.policy.Line.Number
		stranger := twiliosim.NewCallSid()
		status, ct, body := h.post("/twilio/voice", callerForm(stranger, strangerPhone), testToken)
		assertTwiML(t, status, ct, body)
		strangerCall := h.loadCall(stranger)

		legForm := url.Values{
			"AccountSid": {"AC0123456789abcdef0123456789abcdef"}, "ApiVersion": {"2010-04-01"},
			"CallSid": {twiliosim.NewCallSid()}, "CallStatus": {"in-progress"}, "Called": {alicePhone},
			"Caller": {line}, "Direction": {"outbound-dial"}, "From": {line}, "To": {alicePhone},
			"ParentCallSid": {dialling.CallSid}, "Digits": {"1"},
		}
		recording := url.Values{
			"RecordingUrl":      {"https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/RE0123456789abcdef0123456789abcdef"},
			"RecordingSid":      {"RE0123456789abcdef0123456789abcdef"},
			"RecordingDuration": {"12"},
		}
		withRec := func(f url.Values, status string) url.Values {
			for k, v := range recording {
				f[k] = v
			}
			if status != "" {
				f.Set("RecordingStatus", status)
			}
			return f
		}
		type route struct {
			path   string
			query  url.Values
			form   url.Values
			refuse []string // fields whose malformed value is a 400
			drop   []string // fields dropped with a warning: 200, the call goes on
			dial   bool     // the fallback: always 200 with a Dial
		}
		callFields := []string{"CallSid", "From", "To"}
		routes := []route{
			{path: "/twilio/voice", form: callerForm(twiliosim.NewCallSid(), strangerPhone),
				refuse: append(callFields, "Digits", "AccountSid", "?r")},
			{path: "/twilio/voice/step", query: url.Values{"s": {string(strangerCall.Step)}, "q": {"0"}},
				form: callerForm(stranger, strangerPhone, "Digits", "12345678"), refuse: append(callFields, "Digits", "AccountSid", "?s", "?q")},
			{path: "/twilio/voice/prompt", query: url.Values{"s": {string(strangerCall.Step)}, "q": {"0"}, "why": {"silence"}},
				form: callerForm(stranger, strangerPhone), refuse: append(callFields, "?s", "?q", "?why")},
			{path: "/twilio/voice/dial", query: url.Values{"q": {itoa(int64(dialling.Seq))}, "n": {"0"}},
				form:   callerForm(dialling.CallSid, premiumPhone, "DialCallStatus", "no-answer", "DialCallSid", twiliosim.NewCallSid(), "DialCallDuration", "0"),
				refuse: append(callFields, "?q", "?n"), drop: []string{"DialCallStatus", "DialCallSid", "DialCallDuration"}},
			{path: "/twilio/voice/whisper", query: url.Values{"c": {dialling.CallSid}, "n": {"0"}},
				form: legForm, refuse: append(callFields, "?c", "?n")},
			{path: "/twilio/voice/whisper/answer", query: url.Values{"c": {dialling.CallSid}, "n": {"0"}},
				form: legForm, refuse: append(callFields, "Digits", "?c", "?n")},
			{path: "/twilio/voice/recording", query: url.Values{"c": {voicemail}},
				form:   withRec(callerForm(voicemail, premiumPhone, "Digits", "#"), ""),
				refuse: append(callFields, "Digits", "?c", "?empty"), drop: []string{"RecordingUrl", "RecordingSid", "RecordingDuration"}},
			{path: "/twilio/voice/recording/status", query: url.Values{"c": {voicemail}},
				form: withRec(url.Values{"AccountSid": {"AC0123456789abcdef0123456789abcdef"}, "CallSid": {voicemail},
					"RecordingChannels": {"1"}, "RecordingSource": {"RecordVerb"}}, "completed"),
				refuse: []string{"CallSid", "AccountSid", "RecordingStatus", "RecordingUrl", "?c"}, drop: []string{"RecordingSid", "RecordingDuration"}},
			{path: "/twilio/voice/status", form: callerForm(stranger, strangerPhone, "CallStatus", "completed", "CallDuration", "7"),
				refuse: append(callFields, "CallStatus"), drop: []string{"CallDuration"}},
			{path: "/twilio/voice/fallback", form: callerForm(twiliosim.NewCallSid(), strangerPhone, "ErrorCode", "11200", "ErrorUrl", h.srv.PublicURL+"/twilio/voice"),
				drop: append(callFields, "Digits", "AccountSid", "ErrorCode", "ErrorUrl"), dial: true},
			{path: "/twilio/voice/fallback/next", query: url.Values{"i": {"1"}}, form: callerForm(twiliosim.NewCallSid(), strangerPhone, "DialCallStatus", "no-answer"),
				drop: append(callFields, "Digits", "DialCallStatus", "?i"), dial: true},
		}
		durations := map[string]bool{"DialCallDuration": true, "RecordingDuration": true, "CallDuration": true, "?q": true, "?n": true, "?r": true, "?i": true}
		for _, rt := range routes {
			for _, field := range append(append([]string{}, rt.refuse...), rt.drop...) {
				good := rt.form.Get(field)
				if q, ok := strings.CutPrefix(field, "?"); ok {
					good = rt.query.Get(q)
				}
				values := badValues(good)
				if durations[field] {
					for k, v := range badDurations {
						values[k] = v
					}
				}
				refused := slicesContain(rt.refuse, field)
				for kind, bad := range values {
					form, query := cloneValues(rt.form), cloneValues(rt.query)
					if q, ok := strings.CutPrefix(field, "?"); ok {
						query.Set(q, bad)
					} else {
						form.Set(field, bad)
					}
					target := rt.path
					if len(query) > 0 {
						target += "?" + query.Encode()
					}
					status, ct, body := h.post(target, form, testToken)
					name := fmt.Sprintf("%s %s %s", rt.path, field, kind)
					switch {
					case status >= 500:
						t.Errorf("%s: %d: %s", name, status, body)
					case strings.Contains(body, badMark) || strings.Contains(body, "99999999999"):
						t.Errorf("%s: the answer repeats the value: %.300s", name, body)
					case rt.dial:
						assertTwiML(t, status, ct, body)
						if len(parseTwiML(t, body).dialled()) != 1 {
							t.Errorf("%s: the fallback does not dial: %s", name, body)
						}
					case refused:
						if status != http.StatusBadRequest || !strings.Contains(body, `"error"`) ||
							!strings.Contains(body, strings.TrimPrefix(field, "?")) {
							t.Errorf("%s: %d %s, want a 400 naming the field", name, status, body)
						}
					default:
						assertTwiML(t, status, ct, body)
					}
				}
			}
		}
		h.assertNothingMalformedStored()
	})
}

// A malformed detail from Twilio while a caller is on the line is dropped
// and the call goes on: a voicemail whose duration is out of range is still
// attached (its duration unknown, 0), on the Record action and on the
// recording status callback; a Dial action whose DialCallStatus is broken
// rings the next engineer; a final status with a broken duration is still
// recorded.
func TestMalformedDetailsKeepTheCallGoing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		rec := func(n int) url.Values {
			sid := fmt.Sprintf("RE%032x", n)
			return url.Values{
				"RecordingUrl": {"https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/" + sid},
				"RecordingSid": {sid},
			}
		}
		bad := map[string]string{"2^31": "2147483648", "2^63": "9223372036854775808", "negative": "-5", "NUL": "12\x00", "huge": strings.Repeat("9", 5000)}
		n := 0
		for name, dur := range bad {
			for _, path := range []string{"/twilio/voice/recording", "/twilio/voice/recording/status"} {
				t.Run(name+" "+path, func(t *testing.T) {
					n++
					h.clock.Set(saturdayNight)
					sid := h.voicemailCall()
					form := rec(n)
					form.Set("RecordingDuration", dur)
					if path == "/twilio/voice/recording" {
						for k, v := range callerForm(sid, premiumPhone, "Digits", "#") {
							form[k] = v
						}
					} else {
						form.Set("CallSid", sid)
						form.Set("AccountSid", "AC0123456789abcdef0123456789abcdef")
						form.Set("RecordingStatus", "completed")
					}
					status, ct, body := h.post(path+"?c="+sid, form, testToken)
					assertTwiML(t, status, ct, body)
					tk := h.ticketOf(sid)
					if path == "/twilio/voice/recording" && !strings.Contains(body, "Your message is on ticket "+spoken(tk.Number)) {
						t.Errorf("the caller is not thanked for the message: %s", body)
					}
					if tk.RecordingURL != form.Get("RecordingUrl") || tk.RecordingSid != form.Get("RecordingSid") ||
						tk.RecordingDuration == nil || *tk.RecordingDuration != 0 {
						t.Errorf("ticket recording %q %q %v, want the recording with duration 0", tk.RecordingURL, tk.RecordingSid, tk.RecordingDuration)
					}
					if !hasEvent(tk, tickets.EventVoicemail, form.Get("RecordingUrl")) {
						t.Errorf("no voicemail event: %v", eventKinds(tk))
					}
				})
			}
		}
		if !strings.Contains(h.logs.String(), "malformed Twilio parameter dropped") {
			t.Error("no warning about the dropped durations")
		}

		t.Run("DialCallStatus", func(t *testing.T) {
			h.clock.Set(wednesdayMorning)
			call := h.diallingCall()
			path := h.srv.url("/dial", url.Values{"q": {itoa(int64(call.Seq))}, "n": {"0"}})[len(h.srv.PublicURL):]
			status, ct, body := h.post(path, callerForm(call.CallSid, premiumPhone, "DialCallStatus", "no-answer\x00",
				"DialCallSid", "CA\xff", "DialCallDuration", "2147483648"), testToken)
			assertTwiML(t, status, ct, body)
			if got := parseTwiML(t, body).dialled(); len(got) != 1 || got[0] != carolPhone {
				t.Errorf("dials %v, want carol next: %s", got, body)
			}
			if after := h.loadCall(call.CallSid); after.DialStep != 1 {
				t.Errorf("dial step %d, want 1", after.DialStep)
			}
		})

		t.Run("CallDuration", func(t *testing.T) {
			res := h.run(h.call(strangerPhone, twiliosim.HangUp))
			for _, d := range []string{"2147483648", "-1", "9223372036854775808"} {
				status, ct, body := h.post("/twilio/voice/status", callerForm(res.CallSid, strangerPhone, "CallStatus", "busy", "CallDuration", d), testToken)
				assertTwiML(t, status, ct, body)
				if c := h.loadCall(res.CallSid); c.Status != "busy" || c.Duration != nil {
					t.Errorf("CallDuration %s: status %q duration %v, want busy and no duration", d, c.Status, c.Duration)
				}
			}
		})
		h.assertNothingMalformedStored()
	})
}

// Twilio's Record action reports a caller who hung up to end the message
// with Digits=hangup: the message is kept.
func TestRecordingEndedByHangup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		sid := h.voicemailCall()
		form := callerForm(sid, premiumPhone, "Digits", "hangup", "RecordingSid", "RE0123456789abcdef0123456789abcdef",
			"RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/RE0123456789abcdef0123456789abcdef",
			"RecordingDuration", "9")
		status, ct, body := h.post("/twilio/voice/recording?c="+sid, form, testToken)
		assertTwiML(t, status, ct, body)
		if tk := h.ticketOf(sid); tk.RecordingURL == "" || tk.RecordingDuration == nil || *tk.RecordingDuration != 9 {
			t.Errorf("ticket recording %q %v", tk.RecordingURL, tk.RecordingDuration)
		}
		// Elsewhere "hangup" is not a key.
		status, _, body = h.post("/twilio/voice/step?s=support_id&q=0", callerForm(sid, premiumPhone, "Digits", "hangup"), testToken)
		if status != http.StatusBadRequest {
			t.Errorf("Digits=hangup on a Gather action: %d %s", status, body)
		}
	})
}

// voicemailCall places a call from the premium contact that chooses
// Severity 2 when nobody is on call for it (Saturday night) and hangs up at
// the beep, leaving the call at the voicemail step with its ticket.
func (h *harness) voicemailCall() string {
	h.t.Helper()
	res := h.run(h.call(premiumPhone, h.pin+"#", "2", twiliosim.HangUp))
	if c := h.loadCall(res.CallSid); c.Step != StepVoicemail || c.TicketID == nil {
		h.t.Fatalf("call not at voicemail: %+v\n%s", c, res)
	}
	return res.CallSid
}

// diallingCall leaves a Severity 1 call ringing alice (step 0), its Dial
// action not yet requested.
func (h *harness) diallingCall() Call {
	h.t.Helper()
	res := h.run(h.call(premiumPhone, h.pin+"#", twiliosim.HangUp))
	call := h.loadCall(res.CallSid)
	for _, d := range []string{"1", "1"} {
		status, ct, body := h.post(h.srv.stepURL("/step", &call)[len(h.srv.PublicURL):], callerForm(res.CallSid, premiumPhone, "Digits", d), testToken)
		assertTwiML(h.t, status, ct, body)
		call = h.loadCall(res.CallSid)
	}
	if call.Step != StepDialing || call.DialStep != 0 || call.TicketID == nil {
		h.t.Fatalf("call not dialling: %+v", call)
	}
	return call
}

// assertNothingMalformedStored reads every row a webhook may write and
// fails on a value carrying badMark, a NUL, invalid UTF-8, text longer than
// any field allows, or a duration outside 0..2^31-1.
func (h *harness) assertNothingMalformedStored() {
	h.t.Helper()
	for _, table := range []string{"calls", "tickets", "ticket_events", "audit_events", "pin_failures", "outbox"} {
		cols, rows := storetest.Rows(h.t, h.db, table)
		for _, row := range rows {
			for i, v := range row {
				col := table + "." + cols[i]
				switch v := v.(type) {
				case string:
					h.checkStoredText(col, v)
				case int64:
					if strings.Contains(cols[i], "duration") && (v < 0 || v > maxSeconds) {
						h.t.Errorf("%s = %d", col, v)
					}
				}
			}
		}
	}
}

func (h *harness) checkStoredText(col, s string) {
	h.t.Helper()
	if strings.Contains(s, badMark) || strings.ContainsRune(s, 0) || !utf8.ValidString(s) || len(s) > 4096 {
		h.t.Errorf("%s holds a malformed value: %.200q", col, s)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func slicesContain(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// twimlNode is a TwiML element parsed without knowing its verbs.
type twimlNode struct {
	XMLName xml.Name
	Text    string      `xml:",chardata"`
	Kids    []twimlNode `xml:",any"`
}

func parseTwiML(t testing.TB, body string) twimlNode {
	t.Helper()
	var n twimlNode
	if err := xml.Unmarshal([]byte(body), &n); err != nil {
		t.Fatalf("parse TwiML: %v\n%s", err, body)
	}
	return n
}

// all returns the elements named name at any depth, in document order.
func (n twimlNode) all(name string) []twimlNode {
	var out []twimlNode
	for _, k := range n.Kids {
		if k.XMLName.Local == name {
			out = append(out, k)
		}
		out = append(out, k.all(name)...)
	}
	return out
}

// texts returns the text of the elements named name under n.
func (n twimlNode) texts(name string) []string {
	var out []string
	for _, k := range n.all(name) {
		out = append(out, strings.TrimSpace(k.Text))
	}
	return out
}

// dialled returns the numbers the document's Dials ring.
func (n twimlNode) dialled() []string {
	var out []string
	for _, d := range n.all("Dial") {
		out = append(out, d.texts("Number")...)
	}
	return out
}
