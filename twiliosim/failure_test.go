package twiliosim

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/twiml"
)

// TestFailures checks each way Twilio fails a call, with and without a
// fallback URL.
func TestFailures(t *testing.T) {
	raw := func(ct, body string) func(p *phone) http.HandlerFunc {
		return func(p *phone) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				w.Write([]byte(body))
			}
		}
	}
	doc := func(els ...twiml.Element) string {
		s, _ := twiml.Voice(els)
		return s
	}
	for _, tc := range []struct {
		name    string
		voice   func(p *phone) http.HandlerFunc
		whisper func(p *phone) http.HandlerFunc // when set, the voice URL dials a whisper
		timeout time.Duration
		code    int
		reason  string
	}{
		{name: "non-2xx answer", code: CodeHTTPRetrieval, reason: "answered 500",
			voice: func(p *phone) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }
			}},
		{name: "wrong content type", code: CodeContentType, reason: "text/html",
			voice: raw("text/html; charset=utf-8", doc(&twiml.VoiceSay{Message: "hi"}))},
		{name: "no content type", code: CodeContentType, reason: "Content-Type",
			voice: func(p *phone) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header()["Content-Type"] = nil
					w.Write([]byte(doc(&twiml.VoiceSay{Message: "hi"})))
				}
			}},
		{name: "application/xml accepted, then a 404", code: CodeHTTPRetrieval, reason: "answered 404",
			voice: raw("application/xml", doc(&twiml.VoiceRedirect{Url: "/nowhere"}))},
		// Echo's c.XMLBlob writes xml.Header before a document that has its own.
		{name: "two XML declarations", code: CodeDocumentParse, reason: "declaration",
			voice: raw("text/xml; charset=utf-8", xml.Header+doc(&twiml.VoiceSay{Message: "hi"}))},
		{name: "not XML", code: CodeDocumentParse, reason: "parse",
			voice: raw("text/xml", "<Response><Say>unclosed</Response>")},
		{name: "root is not Response", code: CodeRootElement, reason: "<Say>",
			voice: raw("text/xml", `<?xml version="1.0" encoding="UTF-8"?><Say>hi</Say>`)},
		{name: "unknown verb", code: CodeSchema, reason: "unknown verb <Sya>",
			voice: raw("text/xml", `<?xml version="1.0" encoding="UTF-8"?><Response><Sya>hi</Sya></Response>`)},
		{name: "verb not simulated", code: CodeSchema, reason: "<Enqueue>",
			voice: raw("text/xml", `<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue>q</Enqueue></Response>`)},
		{name: "unknown attribute", code: CodeSchema, reason: `"colour"`,
			voice: func(p *phone) http.HandlerFunc {
				return p.twiml(&twiml.VoiceSay{Message: "hi", OptionalAttributes: map[string]string{"colour": "red"}})
			}},
		{name: "bad attribute value", code: CodeSchema, reason: "numDigits",
			voice: func(p *phone) http.HandlerFunc { return p.twiml(&twiml.VoiceGather{NumDigits: "one"}) }},
		{name: "verb nested where it may not be", code: CodeSchema, reason: "<Dial> is not allowed inside <Gather>",
			voice: func(p *phone) http.HandlerFunc {
				return p.twiml(&twiml.VoiceGather{InnerElements: []twiml.Element{&twiml.VoiceDial{Number: engineer}}})
			}},
		{name: "Dial in a whisper", code: CodeDialInDialLeg, reason: "<Dial>",
			whisper: func(p *phone) http.HandlerFunc {
				return p.twiml(&twiml.VoiceSay{Message: "whisper"}, &twiml.VoiceDial{Number: "+15555550122"})
			}},
		{name: "whisper answers 500", code: CodeHTTPRetrieval, reason: "whisper answered 500",
			whisper: func(p *phone) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }
			}},
		{name: "body over 64 kB", code: CodeBodyTooLarge, reason: "64 kB",
			voice: func(p *phone) http.HandlerFunc {
				return p.twiml(&twiml.VoiceSay{Message: strings.Repeat("long ", 14000)})
			}},
		{name: "slow answer", code: CodeHTTPRetrieval, reason: "within 200ms", timeout: 200 * time.Millisecond,
			voice: func(p *phone) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					select { // answers only after the simulator has given up
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					p.send(w, &twiml.VoiceSay{Message: "too late"})
				}
			}},
	} {
		for _, fallback := range []bool{true, false} {
			name := tc.name + " without fallback"
			if fallback {
				name = tc.name + " with fallback"
			}
			t.Run(name, func(t *testing.T) {
				p := newPhone(t)
				if tc.voice != nil {
					p.handle("/twilio/voice", tc.voice(p))
				} else {
					p.handle("/twilio/voice", p.twiml(&twiml.VoiceDial{InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: engineer, Url: "/twilio/whisper"}}}))
					p.handle("/twilio/whisper", tc.whisper(p))
				}
				p.handle("/twilio/voice/fallback", p.twiml(&twiml.VoiceSay{Message: "Please email support@example.com."}, &twiml.VoiceHangup{}))
				c := p.call()
				c.NoFallback = !fallback
				c.Timeout = tc.timeout
				c.EngineerKeys = map[string]string{engineer: "1"}
				res, err := c.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if !res.Failed() || res.Failure.Code != tc.code || !strings.Contains(res.Failure.Reason, tc.reason) {
					t.Fatalf("failure %+v, want %d %q\n%s", res.Failure, tc.code, tc.reason, res)
				}
				heard := res.Transcript.HeardText(CallerLeg)
				fb := p.seen("/twilio/voice/fallback")
				if fallback {
					if len(fb) != 1 || fb[0].Get("ErrorCode") != strconv.Itoa(tc.code) || fb[0].Get("ErrorUrl") != res.Failure.URL || fb[0].Get("CallSid") != res.CallSid {
						t.Fatalf("fallback requests %v (failure %+v)", fb, res.Failure)
					}
					if !strings.Contains(heard, "Please email support@example.com.") || strings.Contains(heard, "application error") {
						t.Errorf("heard %q", heard)
					}
				} else {
					if len(fb) != 0 || !strings.HasSuffix(heard, ApplicationError) {
						t.Errorf("fallback %v, heard %q", fb, heard)
					}
				}
				if st := p.seen("/twilio/voice/status"); len(st) != 1 || st[0].Get("CallStatus") != "completed" {
					t.Errorf("status callback %v", st)
				}
				if !strings.Contains(res.String(), "FAILED: error ") {
					t.Errorf("String lacks the failure:\n%s", res)
				}
			})
		}
	}
}

func TestRejectSetsTheFinalStatus(t *testing.T) {
	for reason, status := range map[string]string{"busy": "busy", "rejected": "no-answer", "": "no-answer"} {
		p := newPhone(t)
		p.handle("/twilio/voice", p.twiml(&twiml.VoiceReject{Reason: reason}, &twiml.VoiceSay{Message: "unreachable"}))
		res, err := p.call().Run(context.Background())
		if err != nil || res.Failed() {
			t.Fatal(err, res)
		}
		if st := p.seen("/twilio/voice/status"); res.Status != status || st[0].Get("CallStatus") != status {
			t.Errorf("reason %q: status %s, callback %v", reason, res.Status, st)
		}
		if len(res.Transcript.Heard(CallerLeg)) != 0 {
			t.Errorf("verbs after <Reject> ran: %s", res)
		}
	}
}
