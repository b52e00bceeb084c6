package twiliosim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"
)

const testToken = "0123456789abcdef0123456789abcdef"

// phone is a small TwiML application for tests: it checks every request's
// signature with twilio-go's RequestValidator against its public URL + path
// + query and the POST form, as the real server does, and remembers what it
// was sent.
type phone struct {
	t      *testing.T
	srv    *httptest.Server
	mux    *http.ServeMux
	public string // the URL signatures are validated against; srv.URL by default

	mu       sync.Mutex
	requests []*http.Request // with PostForm parsed
	badSigs  []string
}

func newPhone(t *testing.T) *phone {
	t.Helper()
	p := &phone{t: t, mux: http.NewServeMux()}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.public = p.srv.URL
	t.Cleanup(func() {
		p.srv.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.badSigs) > 0 {
			t.Errorf("requests with a bad signature: %v", p.badSigs)
		}
	})
	// The status callback's answer is ignored by Twilio; answer like the
	// real server will.
	p.handle("/twilio/voice/status", p.twiml())
	return p
}

func (p *phone) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	params := map[string]string{}
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	v := client.NewRequestValidator(testToken)
	full := p.public + r.URL.RequestURI()
	p.mu.Lock()
	p.requests = append(p.requests, r)
	if !v.Validate(full, params, r.Header.Get(SignatureHeader)) {
		p.badSigs = append(p.badSigs, r.Method+" "+full)
		p.mu.Unlock()
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	p.mu.Unlock()
	p.mux.ServeHTTP(w, r)
}

func (p *phone) handle(pattern string, h http.HandlerFunc) { p.mux.HandleFunc(pattern, h) }

// twiml answers with the document twilio-go renders for the elements.
func (p *phone) twiml(els ...twiml.Element) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { p.send(w, els...) }
}

func (p *phone) send(w http.ResponseWriter, els ...twiml.Element) {
	doc, err := twiml.Voice(els)
	if err != nil {
		p.t.Errorf("twiml.Voice: %v", err)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write([]byte(doc))
}

// seen returns the forms posted to a path (GET: the query), in order.
func (p *phone) seen(path string) []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []url.Values
	for _, r := range p.requests {
		if r.URL.Path == path {
			if r.Method == http.MethodGet {
				out = append(out, r.URL.Query())
			} else {
				out = append(out, r.PostForm)
			}
		}
	}
	return out
}

func (p *phone) paths() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.requests {
		out = append(out, r.URL.Path)
	}
	return out
}

// call returns a Call against the phone with the test token.
func (p *phone) call(caller ...string) *Call {
	return &Call{BaseURL: p.srv.URL, PublicURL: p.public, AuthToken: testToken, From: "+15555550100", To: "+18005550199", Caller: caller}
}
