package twiliosim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The SMS sender signs as Twilio does (the server checks it with its own
// copy of the algorithm here), sends Twilio's parameters, and reads the
// reply as Twilio would: <Message> texts, an empty <Response/>, plain
// text; a non-2xx, a wrong Content-Type, a second XML declaration or a
// verb it does not run are failures with Twilio's codes.
func TestSMSSend(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	var answer func(w http.ResponseWriter)
	var seen url.Values
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		seen = r.PostForm
		if got, want := r.Header.Get(SignatureHeader), Sign(token, "https://support.example.com/twilio/sms", r.PostForm); got != want {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		answer(w)
	}))
	defer ts.Close()
	xmlAnswer := func(doc string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			io.WriteString(w, doc)
		}
	}
	for _, tc := range []struct {
		name    string
		answer  func(w http.ResponseWriter)
		replies []string
		code    int
	}{
		{"message", xmlAnswer(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>Ticket 100123 &amp; more</Message></Response>`), []string{"Ticket 100123 & more"}, 0},
		{"body noun", xmlAnswer(`<Response><Message><Body>hi</Body></Message></Response>`), []string{"hi"}, 0},
		{"empty response", xmlAnswer(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`), nil, 0},
		{"plain text", func(w http.ResponseWriter) { w.Header().Set("Content-Type", "text/plain"); io.WriteString(w, "ok") }, []string{"ok"}, 0},
		{"500", func(w http.ResponseWriter) { http.Error(w, "boom", 500) }, nil, CodeHTTPRetrieval},
		{"html", func(w http.ResponseWriter) { w.Header().Set("Content-Type", "text/html"); io.WriteString(w, "<p>") }, nil, CodeContentType},
		{"two declarations", xmlAnswer(`<?xml version="1.0"?><?xml version="1.0"?><Response/>`), nil, CodeDocumentParse},
		{"voice verb", xmlAnswer(`<Response><Say>hi</Say></Response>`), nil, CodeSchema},
		{"bad attribute", xmlAnswer(`<Response><Message loop="2">hi</Message></Response>`), nil, CodeSchema},
		{"not Response", xmlAnswer(`<Message>hi</Message>`), nil, CodeRootElement},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer = tc.answer
			m := &SMS{BaseURL: ts.URL, PublicURL: "https://support.example.com", AuthToken: token,
				From: "+15555550111", To: "+17205550100", Body: "ack  100123"}
			res, err := m.Send(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.code != 0 {
				if res.Failure == nil || res.Failure.Code != tc.code {
					t.Errorf("failure %v, want code %d", res.Failure, tc.code)
				}
				return
			}
			if res.Failure != nil || strings.Join(res.Replies, "|") != strings.Join(tc.replies, "|") {
				t.Errorf("replies %q failure %v, want %q", res.Replies, res.Failure, tc.replies)
			}
			sid := seen.Get("MessageSid")
			if sid != res.MessageSid || len(sid) != 34 || !strings.HasPrefix(sid, "SM") || seen.Get("SmsSid") != sid ||
				seen.Get("Body") != "ack  100123" || seen.Get("From") != "+15555550111" || seen.Get("NumMedia") != "0" ||
				!strings.HasPrefix(seen.Get("AccountSid"), "AC") || seen.Get("ApiVersion") != "2010-04-01" {
				t.Errorf("form %v", seen)
			}
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		answer = xmlAnswer(`<Response/>`)
		m := &SMS{BaseURL: ts.URL, PublicURL: "https://support.example.com", AuthToken: "other", From: "+15555550111", To: "+17205550100"}
		res, err := m.Send(context.Background())
		if err != nil || res.Failure == nil || res.Status != http.StatusForbidden {
			t.Errorf("res %+v, %v; want a 403 failure", res, err)
		}
	})
}
