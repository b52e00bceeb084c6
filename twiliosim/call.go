// Package twiliosim is a Twilio stand-in for tests and for `supportline
// call`: it places an inbound call against a base URL exactly as Twilio
// does (form-encoded, signed webhooks with the incoming-call parameters),
// executes the TwiML it gets back (Say, Play, Pause, Gather, Redirect, Dial
// with whispers on the engineers' legs, Record, Hangup, Reject), fails the
// call where Twilio would fail it (HTTP errors, wrong Content-Type, invalid
// TwiML, a <Dial> in a whisper, a slow answer), requests the fallback URL
// with ErrorCode and ErrorUrl, sends the status callback, and records a
// transcript of what each party heard and pressed.
//
// Time is simulated: pauses, timeouts, rings and conversations advance a
// virtual clock (for CallDuration, DialCallDuration, RecordingDuration);
// nothing sleeps. Only the webhook round trips take real time.
package twiliosim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Special entries in Call.Caller and Call.EngineerKeys. Any other entry is
// keypad keys (0-9, *, #), or, at a <Record>, the message the caller says.
const (
	// HangUp hangs up at that prompt (caller or engineer).
	HangUp = "hangup"
	// NoAnswer (EngineerKeys) lets the engineer's phone ring out:
	// DialCallStatus no-answer. A number missing from EngineerKeys behaves
	// the same way.
	NoAnswer = "no-answer"
	// Busy (EngineerKeys): the engineer's line is busy.
	Busy = "busy"
	// Unreachable (EngineerKeys): the call to the engineer cannot be
	// placed: DialCallStatus failed.
	Unreachable = "failed"
)

// Defaults applied by Run to a Call's zero fields.
const (
	DefaultVoicePath          = "/twilio/voice"
	DefaultStatusCallbackPath = "/twilio/voice/status"
	DefaultFallbackPath       = "/twilio/voice/fallback"
	DefaultTimeout            = 15 * time.Second // Twilio waits this long for an answer
	DefaultMaxRequests        = 100
	DefaultTalkTime           = 60 * time.Second
)

// Call is one simulated inbound call and the behaviour of everyone on it.
// Fill it in and call Run; a Call can be run again (with a new CallSid
// unless CallSid is set).
type Call struct {
	// BaseURL is where requests go, e.g. http://127.0.0.1:8080.
	BaseURL string
	// PublicURL is what signatures are computed over in place of BaseURL
	// (the server's SUPPORTLINE_PUBLIC_URL); empty means BaseURL. Absolute
	// URLs in TwiML that start with it are requested under BaseURL.
	PublicURL string
	// VoicePath, StatusCallbackPath and FallbackPath are the phone number's
	// configured webhooks; empty means the Default* paths.
	VoicePath, StatusCallbackPath, FallbackPath string
	// NoFallback leaves the number without a Voice Fallback URL: a failed
	// call plays ApplicationError and ends.
	NoFallback bool
	// AuthToken signs every request (X-Twilio-Signature). Required.
	AuthToken string
	// AccountSid defaults to a random AC... SID.
	AccountSid string
	// From and To are the caller's and the dialled support number. Required.
	From, To string
	// CallSid defaults to a fresh NewCallSid().
	CallSid string
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Timeout bounds each webhook round trip (Twilio: 15 s); zero means
	// DefaultTimeout. Tests of slow answers set it short.
	Timeout time.Duration

	// Caller is the caller's script, one entry per <Gather> or <Record>:
	// keys ("12345678#"), a message at a <Record>, "" for silence, or
	// HangUp. When the script runs out the caller stays silent.
	Caller []string
	// Keys, when set, replaces Caller: it is asked at each <Gather> and
	// <Record> with what the caller heard since the last prompt, and returns
	// the keys (or message; "" = silence) and false to hang up.
	Keys func(prompt []string) (string, bool)
	// OnHear, when set, is told each thing the caller hears as it happens.
	OnHear func(text string)
	// OnEntry, when set, is told each transcript entry as it happens.
	OnEntry func(Entry)

	// EngineerKeys says what happens when a number is dialled, keyed by
	// the number: the keys the engineer presses at every <Gather> of the
	// whisper ("" = silence), HangUp, NoAnswer, Busy or Unreachable. A
	// number not in the map does not answer.
	EngineerKeys map[string]string
	// Names names the numbers that may be dialled, for people reading the
	// transcript: number -> an engineer's handle. The transcript then says
	// "dialling bob (+15555550112)"; a number not in it is shown alone.
	Names map[string]string
	// TalkTime is how long a bridged engineer and caller talk before the
	// engineer hangs up; zero means DefaultTalkTime.
	TalkTime time.Duration

	// MaxRequests bounds the webhook requests of one call (a loop guard;
	// the final status callback is not counted); zero means
	// DefaultMaxRequests.
	MaxRequests int
}

// sim is the state of one run of a Call.
type sim struct {
	c            Call
	ctx          context.Context
	res          *Result
	base, public string
	client       *http.Client
	now          time.Duration // the virtual clock
	requests     int
	callerNext   int    // next entry of c.Caller
	status       string // CallStatus sent with the caller's webhooks
	rejected     string // the <Reject> reason, if the call was rejected
}

// hop is a webhook request to make.
type hop struct {
	kind   string
	method string
	url    string // absolute, in the public URL space
	params url.Values
	after  *hop // sent right after this one, its answer ignored (recording status callback)
}

// leg is one party's side of the call.
type leg struct {
	name    string
	params  func() url.Values
	input   func(prompt []string) (string, bool)
	whisper bool
	heard   []string // since the last prompt
}

// outcome is how the execution of a document ended.
type outcome struct {
	next   *hop     // request this and go on with its answer
	fail   *Failure // the call failed
	hungUp bool     // the leg ended by <Hangup>, <Reject> or a party hanging up
}

// Run places the call and follows it to its end. A call that fails the way
// Twilio would fail it is not an error: see Result.Failure. Run returns an
// error for an unusable Call or when ctx ends first (with what happened so
// far).
func (c *Call) Run(ctx context.Context) (*Result, error) {
	s := &sim{c: *c, ctx: ctx, status: "ringing"}
	if err := s.defaults(); err != nil {
		return nil, err
	}
	s.res = &Result{CallSid: s.c.CallSid, From: s.c.From, To: s.c.To}
	caller := &leg{name: CallerLeg, params: s.callerParams, input: s.callerInput}

	out := s.follow(caller, &hop{kind: "voice", method: http.MethodPost, url: s.public + s.c.VoicePath, params: caller.params()})
	if out.fail != nil && ctx.Err() == nil {
		s.failed(out.fail)
		if out.fail.Code != CodeTooManyRequests && !s.c.NoFallback {
			params := caller.params()
			params.Set("ErrorCode", fmt.Sprint(out.fail.Code))
			params.Set("ErrorUrl", out.fail.URL)
			out = s.follow(caller, &hop{kind: "fallback", method: http.MethodPost, url: s.public + s.c.FallbackPath, params: params})
			if out.fail != nil && ctx.Err() == nil {
				s.failed(out.fail)
			}
		}
		if out.fail != nil && out.fail.Code != CodeTooManyRequests && ctx.Err() == nil {
			s.hear(caller, KindSay, ApplicationError, "Twilio's own message")
			s.add(CallerLeg, KindHangup, "", "Twilio ends the failed call")
		}
	}
	if err := ctx.Err(); err != nil {
		s.res.Status, s.res.Duration = "canceled", s.now
		return s.res, err
	}
	switch {
	case out.fail != nil && out.fail.Code == CodeTooManyRequests:
		s.add(CallerLeg, KindHangup, "", "twiliosim ends the call: request limit reached")
	case !out.hungUp && out.fail == nil:
		s.add(CallerLeg, KindHangup, "", "end of the TwiML document: Twilio ends the call")
	}

	s.res.Status = "completed"
	switch s.rejected {
	case "busy":
		s.res.Status = "busy"
	case "rejected":
		s.res.Status = "no-answer"
	}
	s.res.Duration = s.now
	params := caller.params()
	params.Set("CallStatus", s.res.Status)
	params.Set("CallDuration", fmt.Sprint(int(s.now/time.Second)))
	s.send(caller, &hop{kind: "status", method: http.MethodPost, url: s.public + s.c.StatusCallbackPath, params: params}, false)
	return s.res, ctx.Err()
}

func (s *sim) defaults() error {
	c := &s.c
	if c.BaseURL == "" || c.AuthToken == "" || c.From == "" || c.To == "" {
		return errors.New("twiliosim: a Call needs BaseURL, AuthToken, From and To")
	}
	if _, err := url.Parse(c.BaseURL); err != nil {
		return fmt.Errorf("twiliosim: BaseURL: %w", err)
	}
	s.base = strings.TrimRight(c.BaseURL, "/")
	s.public = strings.TrimRight(c.PublicURL, "/")
	if s.public == "" {
		s.public = s.base
	}
	if c.VoicePath == "" {
		c.VoicePath = DefaultVoicePath
	}
	if c.StatusCallbackPath == "" {
		c.StatusCallbackPath = DefaultStatusCallbackPath
	}
	if c.FallbackPath == "" {
		c.FallbackPath = DefaultFallbackPath
	}
	if c.AccountSid == "" {
		c.AccountSid = newSid("AC")
	}
	if c.CallSid == "" {
		c.CallSid = NewCallSid()
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = DefaultMaxRequests
	}
	if c.TalkTime <= 0 {
		c.TalkTime = DefaultTalkTime
	}
	s.client = c.Client
	if s.client == nil {
		s.client = http.DefaultClient
	}
	return nil
}

// callerParams are the incoming-call parameters Twilio sends with every
// webhook of the caller's leg.
func (s *sim) callerParams() url.Values {
	return url.Values{
		"AccountSid": {s.c.AccountSid},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {s.c.CallSid},
		"CallStatus": {s.status},
		"Called":     {s.c.To},
		"Caller":     {s.c.From},
		"Direction":  {"inbound"},
		"From":       {s.c.From},
		"To":         {s.c.To},
	}
}

func (s *sim) callerInput(prompt []string) (string, bool) {
	if s.c.Keys != nil {
		keys, ok := s.c.Keys(prompt)
		return keys, ok && keys != HangUp
	}
	if s.callerNext >= len(s.c.Caller) {
		return "", true
	}
	e := s.c.Caller[s.callerNext]
	s.callerNext++
	return e, e != HangUp
}

// follow requests h and executes what comes back, hop after hop, until the
// leg's TwiML ends, hangs up or fails.
func (s *sim) follow(l *leg, h *hop) outcome {
	for {
		doc, fail := s.fetch(l, h)
		if fail != nil {
			return outcome{fail: fail}
		}
		if l.name == CallerLeg {
			s.status = "in-progress"
		}
		out := s.execute(l, doc, h.url)
		if out.next == nil {
			return out
		}
		h = out.next
	}
}

// fetch requests a TwiML document and parses it, failing as Twilio fails.
func (s *sim) fetch(l *leg, h *hop) (*node, *Failure) {
	resp, body, fail := s.send(l, h, true)
	if h.after != nil {
		s.send(l, h.after, true)
	}
	if fail != nil {
		return nil, fail
	}
	failure := func(code int, format string, args ...any) *Failure {
		return &Failure{Code: code, URL: h.url, Reason: fmt.Sprintf(format, args...)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, failure(CodeHTTPRetrieval, "HTTP retrieval failure: %s answered %d", h.kind, resp.StatusCode)
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "text/xml" && mt != "application/xml") {
		return nil, failure(CodeContentType, "invalid Content-Type %q: TwiML must be text/xml or application/xml", ct)
	}
	if len(body) > maxBody {
		return nil, failure(CodeBodyTooLarge, "TwiML response body larger than 64 kB")
	}
	doc, err := parseTwiML(body, l.whisper)
	if err != nil {
		var de *docError
		if errors.As(err, &de) {
			return nil, failure(de.code, "%s", de.reason)
		}
		return nil, failure(CodeDocumentParse, "%v", err)
	}
	return doc, nil
}

const maxBody = 64 << 10

// send makes one signed webhook request and records it. counted requests
// are bound by MaxRequests. The body is read up to just past maxBody.
func (s *sim) send(l *leg, h *hop, counted bool) (*http.Response, []byte, *Failure) {
	failure := func(code int, format string, args ...any) *Failure {
		return &Failure{Code: code, URL: h.url, Reason: fmt.Sprintf(format, args...)}
	}
	if err := s.ctx.Err(); err != nil {
		return nil, nil, failure(CodeHTTPRetrieval, "%v", err)
	}
	if counted {
		if s.requests >= s.c.MaxRequests {
			return nil, nil, failure(CodeTooManyRequests, "more than %d webhook requests in one call: a loop?", s.c.MaxRequests)
		}
		s.requests++
	}
	method := strings.ToUpper(h.method)
	if method == "" {
		method = http.MethodPost
	}
	signURL, form := h.url, h.params
	if method == http.MethodGet {
		signURL, form = withQuery(h.url, h.params), nil
	}
	fetchURL := signURL
	if rest, ok := strings.CutPrefix(signURL, s.public); ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
		fetchURL = s.base + rest
	}
	rec := Request{Leg: l.name, Kind: h.kind, Method: method, Form: form}
	if u, err := url.Parse(fetchURL); err == nil {
		rec.URL = u.RequestURI()
	}
	defer func() { s.res.Requests = append(s.res.Requests, rec) }()

	ctx, cancel := context.WithTimeout(s.ctx, s.c.Timeout)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, fetchURL, body)
	if err != nil {
		rec.Err = err.Error()
		return nil, nil, failure(CodeInvalidURL, "invalid URL %q: %v", h.url, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set(SignatureHeader, Sign(s.c.AuthToken, signURL, form))
	req.Header.Set("User-Agent", "TwilioProxy/1.1 (twiliosim)")
	req.Header.Set("Accept", "*/*")

	start := time.Now()
	resp, err := s.client.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
	}
	rec.Duration = time.Since(start)
	if resp != nil {
		rec.Status = resp.StatusCode
	}
	if err != nil {
		rec.Err = err.Error()
		if s.ctx.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, failure(CodeHTTPRetrieval, "HTTP retrieval failure: no answer to the %s request within %s", h.kind, s.c.Timeout)
		}
		return nil, nil, failure(CodeHTTPRetrieval, "HTTP retrieval failure: %v", err)
	}
	return resp, data, nil
}

// withQuery appends params to rawURL's query, as Twilio does for GET.
func withQuery(rawURL string, params url.Values) string {
	if len(params) == 0 {
		return rawURL
	}
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	return rawURL + sep + params.Encode()
}

// resolve makes ref absolute against the current document's URL, like a
// browser; an empty ref is the document itself.
func resolve(doc, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return doc, nil
	}
	b, err := url.Parse(doc)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// named is how the transcript names a number: "bob (+15555550112)" when
// Names knows it, else the number.
func (c *Call) named(number string) string {
	if name := c.Names[number]; name != "" {
		return name + " (" + number + ")"
	}
	return number
}

// add appends a transcript entry at the current simulated time.
func (s *sim) add(legName string, kind Kind, text, detail string) {
	e := Entry{At: s.now, Leg: legName, Kind: kind, Text: text, Detail: detail}
	switch {
	case kind == KindDial:
		var who []string
		for _, n := range strings.Split(text, ", ") {
			who = append(who, s.c.named(n))
		}
		e.Who = strings.Join(who, ", ")
	case legName != CallerLeg:
		e.Who = s.c.named(legName)
	}
	s.res.Transcript = append(s.res.Transcript, e)
	if s.c.OnEntry != nil {
		s.c.OnEntry(e)
	}
}

// hear records something a leg hears and streams the caller's to OnHear.
func (s *sim) hear(l *leg, kind Kind, text, detail string) {
	s.add(l.name, kind, text, detail)
	shown := text
	if kind == KindPlay {
		shown = "[audio " + text + "]"
	}
	l.heard = append(l.heard, shown)
	if l.name == CallerLeg && s.c.OnHear != nil {
		s.c.OnHear(shown)
	}
}

// failed records a failure; the first one is the call's.
func (s *sim) failed(f *Failure) {
	if s.res.Failure == nil {
		s.res.Failure = f
	}
	s.add(CallerLeg, KindFailure, fmt.Sprintf("%d %s", f.Code, f.Reason), f.URL)
}
