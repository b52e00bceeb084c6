package twiliosim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// DefaultSMSPath is the phone number's "A message comes in" webhook when
// SMS.Path is empty.
const DefaultSMSPath = "/twilio/sms"

// NewMessageSid returns a fresh message SID: "SM" and 32 lowercase hex
// digits.
func NewMessageSid() string { return newSid("SM") }

// SMS is one simulated incoming text message: Send posts it to the
// number's Messaging webhook exactly as Twilio does (a form-encoded POST
// signed with X-Twilio-Signature, with the parameters Twilio sends for an
// SMS without media) and reads the TwiML answer's <Message> texts, the
// replies Twilio would text back. An SMS can be sent again: with MessageSid
// set it is a replay of the same message, as when Twilio retries.
type SMS struct {
	// BaseURL is where the request goes, e.g. http://127.0.0.1:8080.
	BaseURL string
	// PublicURL is what the signature is computed over in place of
	// BaseURL (the server's SUPPORTLINE_PUBLIC_URL); empty means BaseURL.
	PublicURL string
	// Path is the webhook's path; empty means DefaultSMSPath.
	Path string
	// AuthToken signs the request. Required.
	AuthToken string
	// AccountSid defaults to a random AC... SID.
	AccountSid string
	// MessageSid defaults to a fresh NewMessageSid() on each Send.
	MessageSid string
	// From is the sender's number, To the support line's. Required.
	From, To string
	// Body is the text.
	Body string
	// Client sends the request; nil means http.DefaultClient.
	Client *http.Client
	// Timeout bounds the round trip (Twilio waits 15 s); zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// SMSResult is what came of sending an SMS.
type SMSResult struct {
	// MessageSid is the SID the message was sent with.
	MessageSid string `json:"message_sid"`
	// Status is the webhook's HTTP status (0 when no answer came).
	Status int `json:"status"`
	// Replies are the texts of the answer's <Message> verbs, in order:
	// what Twilio would text back to From. None for an empty <Response/>.
	Replies []string `json:"replies"`
	// Failure is set when Twilio would have logged an error instead of
	// replying (a non-2xx answer, a wrong Content-Type, invalid TwiML).
	Failure *Failure `json:"failure,omitempty"`
	// Duration is the round trip's real time.
	Duration time.Duration `json:"duration"`
}

// Failed reports whether Twilio would have failed the webhook.
func (r *SMSResult) Failed() bool { return r.Failure != nil }

// Form is the webhook's POST parameters for the message with SID sid.
func (m *SMS) Form(sid string) url.Values {
	account := m.AccountSid
	if account == "" {
		account = newSid("AC")
	}
	return url.Values{
		"MessageSid":    {sid},
		"SmsSid":        {sid},
		"SmsMessageSid": {sid},
		"AccountSid":    {account},
		"From":          {m.From},
		"To":            {m.To},
		"Body":          {m.Body},
		"NumMedia":      {"0"},
		"NumSegments":   {strconv.Itoa(segments(m.Body))},
		"SmsStatus":     {"received"},
		"ApiVersion":    {"2010-04-01"},
	}
}

// Request builds the signed webhook request for the message with SID sid,
// for tests that change it before sending (a bad signature, a replay).
func (m *SMS) Request(ctx context.Context, sid string) (*http.Request, error) {
	if m.AuthToken == "" {
		return nil, errors.New("twiliosim: SMS.AuthToken is required")
	}
	if m.From == "" || m.To == "" {
		return nil, errors.New("twiliosim: SMS.From and SMS.To are required")
	}
	base := strings.TrimRight(m.BaseURL, "/")
	public := strings.TrimRight(m.PublicURL, "/")
	if public == "" {
		public = base
	}
	path := m.Path
	if path == "" {
		path = DefaultSMSPath
	}
	req, err := NewRequest(ctx, base+path, public+path, m.Form(sid), m.AuthToken)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "*/*")
	return req, nil
}

// Send posts the message and reads the reply.
func (m *SMS) Send(ctx context.Context) (*SMSResult, error) {
	sid := m.MessageSid
	if sid == "" {
		sid = NewMessageSid()
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := m.Request(ctx, sid)
	if err != nil {
		return nil, err
	}
	client := m.Client
	if client == nil {
		client = http.DefaultClient
	}
	res := &SMSResult{MessageSid: sid, Replies: []string{}}
	fail := func(code int, format string, args ...any) (*SMSResult, error) {
		res.Failure = &Failure{Code: code, URL: req.URL.String(), Reason: fmt.Sprintf(format, args...)}
		return res, nil
	}
	start := time.Now()
	resp, err := client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		res.Status = resp.StatusCode
	}
	res.Duration = time.Since(start)
	if err != nil {
		return fail(CodeHTTPRetrieval, "HTTP retrieval failure: %v", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail(CodeHTTPRetrieval, "HTTP retrieval failure: the SMS webhook answered %d", resp.StatusCode)
	}
	if len(body) > maxBody {
		return fail(CodeBodyTooLarge, "TwiML response body larger than 64 kB")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return res, nil // an empty answer: Twilio replies nothing
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err == nil && mt == "text/plain":
		// Twilio texts a plain-text answer back as it is.
		res.Replies = append(res.Replies, string(body))
		return res, nil
	case err != nil || (mt != "text/xml" && mt != "application/xml"):
		return fail(CodeContentType, "invalid Content-Type %q: TwiML must be text/xml or application/xml", ct)
	}
	replies, err := parseMessaging(body)
	if err != nil {
		var de *docError
		if errors.As(err, &de) {
			return fail(de.code, "%s", de.reason)
		}
		return fail(CodeDocumentParse, "%v", err)
	}
	res.Replies = replies
	return res, nil
}

// messagingAttrs are the attributes Twilio documents for <Message>.
var messagingAttrs = set("to", "from", "action", "method", "statusCallback")

// parseMessaging reads a Messaging TwiML answer: <Response> with <Message>
// verbs, each with its text as character data or in a <Body> noun (and
// optional <Media> nouns, not simulated). Anything else is refused as
// Twilio refuses it; <Redirect> is valid TwiML that the simulator does not
// follow, so it is refused too, saying so.
func parseMessaging(body []byte) ([]string, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, err
	}
	if root.name != "Response" {
		return nil, &docError{CodeRootElement, fmt.Sprintf("the root element is <%s>, not <Response>", root.name)}
	}
	if len(root.attrs) > 0 || root.body() != "" {
		return nil, &docError{CodeSchema, "<Response> takes no attributes or text"}
	}
	out := []string{}
	for _, n := range root.kids {
		if n.name != "Message" {
			return nil, &docError{CodeSchema, fmt.Sprintf("<%s> is not a Messaging verb the simulator runs (only <Message>)", n.name)}
		}
		for a := range n.attrs {
			if !messagingAttrs[a] {
				return nil, &docError{CodeSchema, fmt.Sprintf("<Message> has no attribute %q", a)}
			}
		}
		text := n.text
		for _, k := range n.kids {
			switch k.name {
			case "Body":
				text += k.text
			case "Media":
			default:
				return nil, &docError{CodeSchema, fmt.Sprintf("<%s> is not allowed in <Message>", k.name)}
			}
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return nil, &docError{CodeSchema, "<Message> without a body"}
		}
		if n := len(utf16.Encode([]rune(text))); n > 1600 {
			return nil, &docError{CodeSchema, fmt.Sprintf("<Message> body of %d characters; Twilio sends at most 1600", n)}
		}
		out = append(out, text)
	}
	return out, nil
}

// segments is how many SMS segments Twilio counts for body: 160
// characters (153 when split) in GSM-7, 70 (67) otherwise. Close enough
// for NumSegments: GSM-7's extension characters are counted as one.
func segments(body string) int {
	n, per, split := len(body), 160, 153
	for _, r := range body {
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r') {
			n, per, split = len(utf16.Encode([]rune(body))), 70, 67
			break
		}
	}
	if n <= per {
		return 1
	}
	return (n + split - 1) / split
}
