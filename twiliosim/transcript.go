package twiliosim

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"supportline/sla"
)

// Twilio error codes with which the simulator fails a call, as Twilio does.
const (
	CodeInvalidURL    = 11100 // a URL in the TwiML cannot be parsed
	CodeHTTPRetrieval = 11200 // non-2xx answer, timeout (15 s), connection failure
	CodeBodyTooLarge  = 11750 // response body over 64 kB
	CodeDocumentParse = 12100 // not well-formed XML, or a misplaced/second XML declaration
	CodeRootElement   = 12102 // the root element is not <Response>
	CodeSchema        = 12200 // unknown verb or attribute, bad nesting or attribute value
	CodeContentType   = 12300 // Content-Type not text/xml or application/xml
	CodeDialInDialLeg = 13201 // <Dial> in TwiML run on a dialled leg (the whisper)

	// CodeTooManyRequests is not Twilio's: the simulator's loop guard
	// (Call.MaxRequests) ended the call. No fallback is requested for it.
	CodeTooManyRequests = -1
)

// ApplicationError is what Twilio plays when a call fails and no fallback
// URL rescues it.
const ApplicationError = "We are sorry, an application error has occurred. Goodbye."

// Beep is what the caller hears (OnHear, the Keys prompt) when a <Record>
// starts with its beep: a prompt ending with it asks for a message.
const Beep = "[audio beep]"

// CallerLeg names the inbound caller's leg in transcript entries and
// requests; an engineer's leg is named by the number dialled.
const CallerLeg = "caller"

// Kind classifies a transcript entry.
type Kind string

// The kinds of transcript entries.
const (
	KindSay        Kind = "say"         // Text was spoken to Leg
	KindPlay       Kind = "play"        // the audio at URL Text was played to Leg
	KindPause      Kind = "pause"       // Leg heard silence; Text is the length
	KindKeys       Kind = "keys"        // Leg pressed Text at a <Gather> ("" = silence)
	KindRecord     Kind = "record"      // the caller left a message (Text), or silence ("")
	KindDial       Kind = "dial"        // the caller's leg dials Text
	KindAnswer     Kind = "answer"      // the dialled number Leg answered
	KindBridge     Kind = "bridge"      // Leg was connected to the caller
	KindDialResult Kind = "dial-result" // the <Dial> ended; Text is DialCallStatus
	KindHangup     Kind = "hangup"      // Leg hung up, or TwiML hung it up (Detail says which)
	KindReject     Kind = "reject"      // the call was rejected (Text is the reason)
	KindFailure    Kind = "failure"     // the call failed (Text is code and reason)
)

// Entry is one thing that happened on the call, in order.
type Entry struct {
	At     time.Duration `json:"at"` // simulated time since the call started
	Leg    string        `json:"leg"`
	Kind   Kind          `json:"kind"`
	Text   string        `json:"text"`
	Detail string        `json:"detail,omitempty"`
	// Who is how a person reading the transcript knows the engineer's leg
	// (Leg), or the numbers dialled (KindDial's Text): "bob
	// (+15555550112)" where Call.Names knows the number, else the number.
	Who string `json:"who,omitempty"`
}

// Transcript is what happened on a call, in order.
type Transcript []Entry

// Heard returns the texts spoken to a leg (CallerLeg or an engineer's
// number), in order.
func (t Transcript) Heard(leg string) []string {
	var out []string
	for _, e := range t {
		if e.Leg == leg && e.Kind == KindSay {
			out = append(out, e.Text)
		}
	}
	return out
}

// HeardText is Heard joined by newlines, for strings.Contains.
func (t Transcript) HeardText(leg string) string { return strings.Join(t.Heard(leg), "\n") }

// Pressed returns what a leg keyed at each prompt, in order ("" = silence).
func (t Transcript) Pressed(leg string) []string {
	var out []string
	for _, e := range t {
		if e.Leg == leg && e.Kind == KindKeys {
			out = append(out, e.Text)
		}
	}
	return out
}

// String renders the transcript for a person, one line per entry, the
// engineers' legs indented under the caller's.
func (t Transcript) String() string {
	var b strings.Builder
	for _, e := range t {
		fmt.Fprintf(&b, "%s %s\n", clock(e.At), e.line())
	}
	return b.String()
}

func (e Entry) line() string {
	who, indent := "caller", ""
	if e.Leg != CallerLeg {
		who, indent = e.Leg, "    "
		if e.Who != "" {
			who = e.Who
		}
	}
	detail := ""
	if e.Detail != "" {
		detail = " (" + e.Detail + ")"
	}
	switch e.Kind {
	case KindSay:
		return fmt.Sprintf("%s%s hears: %q%s", indent, who, e.Text, detail)
	case KindPlay:
		return fmt.Sprintf("%s%s hears audio %s%s", indent, who, e.Text, detail)
	case KindPause:
		return fmt.Sprintf("%s%s hears silence for %s", indent, who, e.Text)
	case KindKeys:
		if e.Text == "" {
			return fmt.Sprintf("%s%s presses nothing%s", indent, who, detail)
		}
		return fmt.Sprintf("%s%s presses %s%s", indent, who, e.Text, detail)
	case KindRecord:
		if e.Text == "" {
			return fmt.Sprintf("%s%s leaves no message (silence)", indent, who)
		}
		return fmt.Sprintf("%s%s leaves a message %q%s", indent, who, e.Text, detail)
	case KindDial:
		dialled := e.Text
		if e.Who != "" {
			dialled = e.Who
		}
		return fmt.Sprintf("%sdialling %s%s", indent, dialled, detail)
	case KindAnswer:
		return fmt.Sprintf("    %s answers%s", who, detail)
	case KindBridge:
		return fmt.Sprintf("    %s is connected to the caller%s", who, detail)
	case KindDialResult:
		return fmt.Sprintf("%sdial ends: DialCallStatus=%s%s", indent, e.Text, detail)
	case KindHangup:
		return fmt.Sprintf("%s%s hangs up%s", indent, who, detail)
	case KindReject:
		return fmt.Sprintf("call rejected (%s)%s", e.Text, detail)
	case KindFailure:
		return fmt.Sprintf("CALL FAILED: %s%s", e.Text, detail)
	}
	return fmt.Sprintf("%s%s %s %s%s", indent, who, e.Kind, e.Text, detail)
}

func clock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("[%02d:%02d]", s/60, s%60)
}

// Request is one webhook request the simulator made.
type Request struct {
	Leg      string        `json:"leg"`    // CallerLeg or the engineer's number
	Kind     string        `json:"kind"`   // voice, gather, dial, record, redirect, whisper, recording-status, status, fallback
	Method   string        `json:"method"` // GET or POST
	URL      string        `json:"url"`    // path and query, as the server saw them
	Form     url.Values    `json:"form"`   // POST parameters (GET: nil, they are in URL)
	Status   int           `json:"status"` // HTTP status; 0 when no answer came
	Duration time.Duration `json:"duration"`
	Err      string        `json:"error,omitempty"`
}

// Failure says why a call failed the way Twilio would fail it.
type Failure struct {
	Code   int    `json:"code"`   // a Code* constant
	URL    string `json:"url"`    // the URL whose answer failed (ErrorUrl)
	Reason string `json:"reason"` // in words
}

// Error makes a Failure usable as an error: code, reason and URL.
func (f *Failure) Error() string {
	return fmt.Sprintf("error %d: %s (%s)", f.Code, f.Reason, f.URL)
}

// Dial is the outcome of dialling one number.
type Dial struct {
	Number   string        `json:"number"`
	CallSid  string        `json:"call_sid"` // the child leg's DialCallSid
	Status   string        `json:"status"`   // DialCallStatus: completed, busy, no-answer, failed
	Bridged  bool          `json:"bridged"`  // the whisper ended without hanging up
	Duration time.Duration `json:"duration"` // DialCallDuration
}

// Recording is a message left at a <Record>.
type Recording struct {
	Sid      string        `json:"sid"`
	URL      string        `json:"url"`
	Duration time.Duration `json:"duration"`
	Digits   string        `json:"digits"` // the key that ended it, "" when it timed out
	Message  string        `json:"message"`
}

// Result is everything a simulated call did.
type Result struct {
	CallSid    string        `json:"call_sid"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Status     string        `json:"status"`   // final CallStatus: completed, busy, no-answer
	Duration   time.Duration `json:"duration"` // simulated; CallDuration
	Transcript Transcript    `json:"transcript"`
	Requests   []Request     `json:"requests"`
	Dials      []Dial        `json:"dials"`
	Recordings []Recording   `json:"recordings"`
	// Failure is the first fatal error of the call, nil when there was none.
	// A fallback URL may have rescued the call: it still failed.
	Failure *Failure `json:"failure,omitempty"`
}

// Failed reports whether the call failed the way Twilio would fail it.
func (r *Result) Failed() bool { return r.Failure != nil }

// String is the transcript with a heading and, when the call failed, why.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "call %s from %s to %s\n", r.CallSid, r.From, r.To)
	b.WriteString(r.Transcript.String())
	fmt.Fprintf(&b, "call ended: %s after %s (simulated), %d webhook requests\n", r.Status, sla.FormatDuration(r.Duration), len(r.Requests))
	if r.Failure != nil {
		fmt.Fprintf(&b, "FAILED: %v\n", r.Failure)
	}
	return b.String()
}
