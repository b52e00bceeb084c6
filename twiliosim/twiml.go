package twiliosim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// node is one element of a parsed TwiML document.
type node struct {
	name  string
	attrs map[string]string
	text  string // the element's own character data, untrimmed
	kids  []*node
}

// attr returns the attribute's value, or def when it is absent.
func (n *node) attr(name, def string) string {
	if v, ok := n.attrs[name]; ok {
		return v
	}
	return def
}

// body is the element's character data without surrounding space.
func (n *node) body() string { return strings.TrimSpace(n.text) }

// spec says what a TwiML element may carry, after Twilio's TwiML reference
// (and the twilio-go twiml package, generated from the same schema).
type spec struct {
	attrs    []string
	kids     []string // allowed child elements
	text     bool     // character data allowed
	check    func(n *node) error
	ssmlKids bool // any SSML element below (Say)
}

var (
	methodAttr = func(n *node) error { return oneOf(n, "method", "GET", "POST") }

	// verbs is the attribute table: every attribute Twilio documents for the
	// verbs and nouns the simulator executes. Anything else is refused.
	verbs = map[string]spec{
		"Response": {kids: []string{"Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Record", "Hangup", "Reject"}},
		"Say": {attrs: []string{"voice", "loop", "language"}, text: true, ssmlKids: true,
			check: func(n *node) error { return intAttr(n, "loop", 0) }},
		"Play": {attrs: []string{"loop", "digits"}, text: true,
			check: func(n *node) error { return intAttr(n, "loop", 0) }},
		"Pause": {attrs: []string{"length"},
			check: func(n *node) error { return intAttr(n, "length", 0) }},
		"Gather": {attrs: []string{"input", "action", "method", "timeout", "speechTimeout", "maxSpeechTime",
			"profanityFilter", "finishOnKey", "numDigits", "partialResultCallback", "partialResultCallbackMethod",
			"language", "hints", "bargeIn", "debug", "actionOnEmptyResult", "speechModel", "enhanced"},
			kids: []string{"Say", "Play", "Pause"},
			check: func(n *node) error {
				return firstErr(methodAttr(n), intAttr(n, "timeout", 0), intAttr(n, "numDigits", 1),
					keysAttr(n, "finishOnKey"), oneOf(n, "actionOnEmptyResult", "true", "false"),
					oneOf(n, "input", "dtmf", "speech", "dtmf speech", "speech dtmf"))
			}},
		"Redirect": {attrs: []string{"method"}, text: true, check: func(n *node) error {
			if n.body() == "" {
				return errors.New("<Redirect> needs a URL")
			}
			return methodAttr(n)
		}},
		"Dial": {attrs: []string{"action", "method", "timeout", "hangupOnStar", "timeLimit", "callerId", "record",
			"trim", "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
			"recordingConfigurationId", "answerOnBridge", "ringTone", "recordingTrack", "sequential", "referUrl",
			"referMethod", "events", "passports"},
			kids: []string{"Number"}, text: true,
			check: func(n *node) error {
				err := firstErr(methodAttr(n), intAttr(n, "timeout", 1), intAttr(n, "timeLimit", 1),
					oneOf(n, "answerOnBridge", "true", "false"), oneOf(n, "hangupOnStar", "true", "false"))
				if err == nil && len(n.kids) == 0 && n.body() == "" {
					err = errors.New("<Dial> has nothing to dial")
				}
				if err == nil && len(n.kids) > 10 {
					err = errors.New("<Dial> may hold at most 10 <Number>s")
				}
				return err
			}},
		"Number": {attrs: []string{"sendDigits", "url", "method", "statusCallbackEvent", "statusCallback",
			"statusCallbackMethod", "byoc", "machineDetection", "amdStatusCallback", "amdStatusCallbackMethod",
			"machineDetectionTimeout", "machineDetectionSpeechThreshold", "machineDetectionSpeechEndThreshold",
			"machineDetectionSilenceTimeout"}, text: true,
			check: func(n *node) error {
				if n.body() == "" {
					return errors.New("<Number> needs a phone number")
				}
				return methodAttr(n)
			}},
		"Record": {attrs: []string{"action", "method", "timeout", "finishOnKey", "maxLength", "playBeep", "trim",
			"recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
			"transcribe", "transcribeCallback", "recordingConfigurationId"},
			check: func(n *node) error {
				return firstErr(methodAttr(n), oneOf(n, "recordingStatusCallbackMethod", "GET", "POST"),
					intAttr(n, "timeout", 0), intAttr(n, "maxLength", 1), keysAttr(n, "finishOnKey"),
					oneOf(n, "playBeep", "true", "false"))
			}},
		"Hangup": {},
		"Reject": {attrs: []string{"reason"}, check: func(n *node) error { return oneOf(n, "reason", "rejected", "busy") }},
	}

	// ssml are the SSML elements Twilio accepts inside <Say>.
	ssml = set("break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w", "amazon:effect", "amazon:domain")

	// unsimulated are Twilio verbs that are valid TwiML but that the
	// simulator does not execute: the phone line must not need them.
	unsimulated = set("Connect", "Enqueue", "Leave", "Pay", "Prompt", "Queue", "Refer", "Sms", "Start", "Stop", "Echo", "Conference", "Client", "Sip", "Stream", "Siprec")
)

// docError is a TwiML document Twilio refuses, with its error code.
type docError struct {
	code   int
	reason string
}

func (e *docError) Error() string { return e.reason }

// parseTwiML parses and validates a whole document before anything of it is
// executed, as Twilio does. whisper marks a document run on a <Dial>ed leg,
// where <Dial> is forbidden.
func parseTwiML(body []byte, whisper bool) (*node, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, err
	}
	if root.name != "Response" {
		return nil, &docError{CodeRootElement, fmt.Sprintf("the root element is <%s>, not <Response>", root.name)}
	}
	if err := validate(root, whisper); err != nil {
		return nil, err
	}
	return root, nil
}

// parseXML reads the document into a tree, refusing what is not one
// well-formed XML document with at most one declaration at its very start.
func parseXML(body []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var (
		root    *node
		stack   []*node
		started bool // anything seen: a declaration is only allowed first
	)
	bad := func(format string, args ...any) error {
		return &docError{CodeDocumentParse, "document parse failure: " + fmt.Sprintf(format, args...)}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("%v", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && started {
				return nil, bad("an XML declaration that is not at the very start of the document (a second declaration?)")
			}
		case xml.StartElement:
			n := &node{name: qname(t.Name), attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.attrs[qname(a.Name)] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, bad("more than one root element")
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, bad("text outside the root element")
			}
		case xml.Directive:
			return nil, bad("directives (<!DOCTYPE ...>) are not TwiML")
		}
		started = true
	}
	if root == nil {
		return nil, bad("no root element")
	}
	return root, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// validate checks element names, nesting, attributes and their values
// against the table.
func validate(n *node, whisper bool) error {
	sp, ok := verbs[n.name]
	if !ok {
		if unsimulated[n.name] {
			return &docError{CodeSchema, fmt.Sprintf("<%s> is TwiML but twiliosim does not simulate it (the phone line must not need it)", n.name)}
		}
		return &docError{CodeSchema, fmt.Sprintf("unknown verb <%s>", n.name)}
	}
	if whisper && n.name == "Dial" {
		return &docError{CodeDialInDialLeg, "<Dial> in a TwiML document run on a dialled leg (a <Number url> whisper)"}
	}
	if whisper && (n.name == "Record" || n.name == "Reject") {
		return &docError{CodeSchema, fmt.Sprintf("<%s> in a whisper: only Say, Play, Pause, Gather, Redirect and Hangup are simulated there", n.name)}
	}
	allowed := set(sp.attrs...)
	var names []string
	for a := range n.attrs {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if !allowed[a] {
			return &docError{CodeSchema, fmt.Sprintf("attribute %q is not allowed on <%s>", a, n.name)}
		}
	}
	if !sp.text && n.body() != "" {
		return &docError{CodeSchema, fmt.Sprintf("<%s> may not contain text (%q)", n.name, n.body())}
	}
	if sp.check != nil {
		if err := sp.check(n); err != nil {
			return &docError{CodeSchema, fmt.Sprintf("<%s>: %v", n.name, err)}
		}
	}
	kids := set(sp.kids...)
	for _, k := range n.kids {
		if sp.ssmlKids {
			if !ssml[k.name] {
				return &docError{CodeSchema, fmt.Sprintf("<%s> is not allowed inside <%s>", k.name, n.name)}
			}
			continue // SSML attributes are not simulated; their text is spoken
		}
		if !kids[k.name] {
			if _, known := verbs[k.name]; !known && !unsimulated[k.name] {
				return &docError{CodeSchema, fmt.Sprintf("unknown verb <%s> inside <%s>", k.name, n.name)}
			}
			return &docError{CodeSchema, fmt.Sprintf("<%s> is not allowed inside <%s>", k.name, n.name)}
		}
		if err := validate(k, whisper); err != nil {
			return err
		}
	}
	return nil
}

// spoken is the text a <Say> speaks, SSML children included.
func spoken(n *node) string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		b.WriteString(n.text)
		for _, k := range n.kids {
			b.WriteString(" ")
			walk(k)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// oneOf checks an optional attribute against its allowed values (methods
// case-insensitively, as Twilio does).
func oneOf(n *node, name string, values ...string) error {
	v, ok := n.attrs[name]
	if !ok {
		return nil
	}
	for _, want := range values {
		if v == want || (name == "method" || strings.HasSuffix(name, "Method")) && strings.EqualFold(v, want) {
			return nil
		}
	}
	return fmt.Errorf("%s=%q: want one of %s", name, v, strings.Join(values, ", "))
}

// intAttr checks an optional integer attribute with a minimum.
func intAttr(n *node, name string, min int) error {
	v, ok := n.attrs[name]
	if !ok {
		return nil
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || i < min {
		return fmt.Errorf("%s=%q: want an integer >= %d", name, v, min)
	}
	return nil
}

// keysAttr checks a finishOnKey-style attribute: keypad keys or empty.
func keysAttr(n *node, name string) error {
	v := n.attrs[name]
	if strings.Trim(v, "0123456789*#") != "" {
		return fmt.Errorf("%s=%q: want keypad keys (0-9, *, #) or empty", name, v)
	}
	return nil
}

// intOr returns the integer attribute, or def when absent (validated before).
func intOr(n *node, name string, def int) int {
	if v, ok := n.attrs[name]; ok {
		if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return i
		}
	}
	return def
}
