package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"

	"supportline/config"
)

const callTestToken = "calltesttoken0123456789abcdef0123"

// lineServer is a tiny phone line: a PIN prompt, then a Dial with a whisper.
// It validates every signature as the real server does and records the
// forms it was sent by path.
type lineServer struct {
	*httptest.Server
	mu    sync.Mutex
	forms map[string][]map[string]string
	bad   int
}

func newLineServer(t *testing.T) *lineServer {
	s := &lineServer{forms: map[string][]map[string]string{}}
	send := func(w http.ResponseWriter, els ...twiml.Element) {
		doc, _ := twiml.Voice(els)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write([]byte(doc))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/twilio/voice", func(w http.ResponseWriter, r *http.Request) {
		send(w, &twiml.VoiceGather{Action: "/twilio/pin", InnerElements: []twiml.Element{&twiml.VoiceSay{Message: "Enter your PIN."}}},
			&twiml.VoiceSay{Message: "Goodbye."})
	})
	mux.HandleFunc("/twilio/pin", func(w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Get("Digits") != "1234" {
			send(w, &twiml.VoiceSay{Message: "Wrong PIN."}, &twiml.VoiceHangup{})
			return
		}
		send(w, &twiml.VoiceDial{Action: "/twilio/dialed", AnswerOnBridge: "true",
			InnerElements: []twiml.Element{&twiml.VoiceNumber{PhoneNumber: "+15555550111", Url: "/twilio/whisper"}}})
	})
	mux.HandleFunc("/twilio/whisper", func(w http.ResponseWriter, r *http.Request) {
		send(w, &twiml.VoiceGather{NumDigits: "1", Action: "/twilio/accept", InnerElements: []twiml.Element{&twiml.VoiceSay{Message: "Press 1 to accept."}}},
			&twiml.VoiceHangup{})
	})
	mux.HandleFunc("/twilio/accept", func(w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Get("Digits") != "1" {
			send(w, &twiml.VoiceHangup{})
			return
		}
		send(w)
	})
	mux.HandleFunc("/twilio/dialed", func(w http.ResponseWriter, r *http.Request) {
		send(w, &twiml.VoiceSay{Message: "Call ended: " + r.PostForm.Get("DialCallStatus")}, &twiml.VoiceHangup{})
	})
	mux.HandleFunc("/twilio/voice/status", func(w http.ResponseWriter, r *http.Request) { send(w) })
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		params := map[string]string{}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
		v := client.NewRequestValidator(callTestToken)
		s.mu.Lock()
		s.forms[r.URL.Path] = append(s.forms[r.URL.Path], params)
		ok := v.Validate(s.URL+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
		if !ok {
			s.bad++
		}
		s.mu.Unlock()
		if !ok {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *lineServer) badSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bad
}

func (s *lineServer) seen(path string) []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forms[path]
}

func TestCallScripted(t *testing.T) {
	srv := newLineServer(t)
	t.Setenv("TWILIO_AUTH_TOKEN", callTestToken)
	c := newCLI(t)
	code, out, errs := c.run("call", "--url", srv.URL, "--digits", "1234#", "--engineer-keys", "+1 555 555 0111=1", "--to", "+18005550199")
	if code != 0 {
		t.Fatalf("call: %d %q %q", code, out, errs)
	}
	for _, want := range []string{`caller hears: "Enter your PIN."`, "caller presses 1234#", "+15555550111 presses 1",
		"is connected to the caller", `caller hears: "Call ended: completed"`, "call ended: completed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := srv.badSignatures(); n != 0 {
		t.Errorf("%d requests with a bad signature", n)
	}
	if st := srv.seen("/twilio/voice/status"); len(st) != 1 || st[0]["CallStatus"] != "completed" || st[0]["From"] != "+15555550100" {
		t.Errorf("status callback %v", st)
	}

	// The engineer does not answer: no whisper, DialCallStatus no-answer.
	code, out, _ = c.run("call", "--url", srv.URL, "--digits", "1234#", "--to", "+18005550199")
	if code != 0 || !strings.Contains(out, `"Call ended: no-answer"`) {
		t.Errorf("no answer: %d\n%s", code, out)
	}
}

func TestCallDefaultsToThePolicyLineNumber(t *testing.T) {
	srv := newLineServer(t)
	c := newCLI(t)
	code, out, errs := c.run("call", "--url", srv.URL, "--token", callTestToken, "--digits", ",", "--from", "anonymous")
	if code != 0 {
		t.Fatalf("call: %d %q %q", code, out, errs)
	}
	p, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	v := srv.seen("/twilio/voice")
	if len(v) != 1 || v[0]["To"] != p.Line.Number || v[0]["From"] != "anonymous" {
		t.Errorf("voice form %v, want To %s", v, p.Line.Number)
	}
	if !strings.Contains(out, "caller presses nothing") || !strings.Contains(out, `"Goodbye."`) {
		t.Errorf("silence not scripted:\n%s", out)
	}
}

func TestCallFailures(t *testing.T) {
	srv := newLineServer(t)
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	c := newCLI(t)
	// Without a token the demo token is used (and said): this server
	// rejects it, as a real one would.
	if code, _, errs := c.run("call", "--url", srv.URL, "--digits", "1"); code != 1 || !strings.Contains(errs, "using the demo auth token") || !strings.Contains(errs, "403") {
		t.Errorf("no token: %d %q", code, errs)
	}
	c.mustRun("migrate", "up") // call reads engineers, and reading never creates a database
	if code, _, errs := c.run("call", "--url", srv.URL, "--token", callTestToken, "--digits", "1", "--engineer-keys", "alice=1"); code != 2 || !strings.Contains(errs, `unknown engineer "alice"`) {
		t.Errorf("unknown handle: %d %q", code, errs)
	}
	// A wrong token: the server answers 403, which Twilio treats as 11200.
	code, out, errs := c.run("call", "--url", srv.URL, "--token", "wrong", "--digits", "1", "--to", "+18005550199")
	if code != 1 || !strings.Contains(errs, "the call failed the way Twilio would fail it: error 11200") || !strings.Contains(out, "application error") {
		t.Errorf("wrong token: %d %q %q", code, out, errs)
	}
	// Nobody listening.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	code, _, errs = c.run("call", "--url", dead.URL, "--token", callTestToken, "--digits", "1", "--to", "+18005550199")
	if code != 1 || !strings.Contains(errs, "11200") {
		t.Errorf("nobody listening: %d %q", code, errs)
	}
}

func TestCallInteractive(t *testing.T) {
	srv := newLineServer(t)
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: &out}
	o := callOptions{url: srv.URL, token: callTestToken, from: "+15555550100", to: "+18005550199", engineerKeys: "+15555550111=2", maxRequests: 50}
	if err := a.placeCall(context.Background(), o, true, strings.NewReader("1234#\n")); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	// What the caller hears is printed before the keys are asked for.
	if i, j := strings.Index(got, "Enter your PIN."), strings.Index(got, "keys ("); i < 0 || j < i {
		t.Errorf("prompt order:\n%s", got)
	}
	for _, want := range []string{"+15555550111 presses 2", "Call ended: completed", "call ended: completed"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// The transcript names the engineers --db knows by handle, whether
// --engineer-keys gave a handle or a number; with a database that is not
// there it shows numbers alone and creates no database.
func TestCallTranscriptNamesEngineers(t *testing.T) {
	srv := newLineServer(t)
	t.Setenv("TWILIO_AUTH_TOKEN", callTestToken)
	c := newCLI(t)
	code, out, errs := c.run("call", "--url", srv.URL, "--digits", "1234#", "--engineer-keys", "+15555550111=1", "--to", "+18005550199")
	if code != 0 || !strings.Contains(out, "dialling +15555550111 (") || strings.Contains(out, "alice") {
		t.Fatalf("no database: %d %q\n%s", code, errs, out)
	}
	if _, err := os.Stat(c.db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("call created the database %s: %v", c.db, err)
	}
	c.mustRun("engineer", "add", "--handle", "alice", "--name", "Alice Ng", "--phone", "+15555550111")
	for _, keys := range []string{"alice=1", "+15555550111=1"} {
		code, out, errs := c.run("call", "--url", srv.URL, "--digits", "1234#", "--engineer-keys", keys, "--to", "+18005550199")
		if code != 0 {
			t.Fatalf("%s: %d %q", keys, code, errs)
		}
		for _, want := range []string{"dialling alice (+15555550111) (", "alice (+15555550111) hears: \"Press 1 to accept.\"",
			"alice (+15555550111) presses 1", "alice (+15555550111) is connected to the caller"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", keys, want, out)
			}
		}
	}
}
