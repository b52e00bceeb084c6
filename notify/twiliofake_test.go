package notify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Test credentials: the shapes Twilio uses, values of our own.
const (
	testAccountSid = "AC0123456789abcdef0123456789abcdef"
	testAuthToken  = "tok3nTok3nTok3nTok3nTok3nTok3n99"
	testAPIKey     = "SKfedcba9876543210fedcba9876543210"
	testAPISecret  = "s3cretS3cretS3cretS3cretS3cret12"
	testFrom       = "+17205550100"
	testService    = "MG00112233445566778899aabbccddeeff"
)

// fakeTwilio stands in for Twilio's REST API (Messages.json of the
// 2010-04-01 API) behind twilio-go's HTTP client. It records every request
// and counts messages it accepted per body, so a test can tell "sent once"
// from "sent twice".
type fakeTwilio struct {
	srv *httptest.Server

	mu        sync.Mutex
	requests  []fakeRequest
	delivered map[string]int // body -> accepted (201) count
	// script answers requests in order; when it runs out, every request is
	// accepted.
	script []fakeAnswer
}

// fakeRequest is what the fake saw of one request.
type fakeRequest struct {
	Method, Host, Path string
	User, Pass         string
	BasicAuth          bool
	ContentType        string
	Form               url.Values
}

// fakeAnswer is a scripted answer: a status with a Twilio error body, or a
// dropped connection (a network error at the client).
type fakeAnswer struct {
	status int
	code   int
	msg    string
	drop   bool
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{delivered: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) then(answers ...fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, answers...)
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	user, pass, ok := r.BasicAuth()
	req := fakeRequest{
		Method: r.Method, Host: r.Header.Get("X-Original-Host"), Path: r.URL.Path,
		User: user, Pass: pass, BasicAuth: ok, ContentType: r.Header.Get("Content-Type"), Form: r.PostForm,
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	var ans fakeAnswer
	scripted := len(f.script) > 0
	if scripted {
		ans, f.script = f.script[0], f.script[1:]
	}
	n := len(f.requests)
	if !scripted {
		f.delivered[req.Form.Get("Body")]++
	}
	f.mu.Unlock()

	switch {
	case ans.drop:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case scripted:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ans.status)
		json.NewEncoder(w).Encode(map[string]any{
			"code": ans.code, "message": ans.msg, "status": ans.status,
			"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", ans.code),
		})
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{
			"sid": fakeSid(n), "account_sid": req.User, "to": req.Form.Get("To"), "from": req.Form.Get("From"),
			"body": req.Form.Get("Body"), "status": "queued", "num_segments": "1", "direction": "outbound-api",
			"api_version": "2010-04-01",
		})
	}
}

// fakeSid is the SID the fake gives its n-th request (1-based).
func fakeSid(n int) string { return fmt.Sprintf("SM%032x", n) }

func (f *fakeTwilio) seen() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeTwilio) deliveries(body string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delivered[body]
}

func (f *fakeTwilio) deliveredBodies() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.delivered))
	for k, v := range f.delivered {
		out[k] = v
	}
	return out
}

// transport sends every request to the fake, whatever host twilio-go's
// generated services put in the URL (api.twilio.com), and tells the fake
// which host that was.
func (f *fakeTwilio) transport() http.RoundTripper {
	target, _ := url.Parse(f.srv.URL)
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Original-Host", r.URL.Host)
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, ""
		return http.DefaultTransport.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sender returns a TwilioSender (account SID and auth token, from number)
// talking to the fake.
func (f *fakeTwilio) sender(t *testing.T) *TwilioSender {
	t.Helper()
	s, err := NewTwilioSender(TwilioConfig{
		AccountSid: testAccountSid, Username: testAccountSid, Password: testAuthToken,
		From: testFrom, Transport: f.transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
