package twiliosim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"supportline/sla"
)

// execute runs a validated document on a leg, verb after verb, the way
// Twilio does, and says how it ended.
func (s *sim) execute(l *leg, doc *node, docURL string) outcome {
	for _, v := range doc.kids {
		switch v.name {
		case "Say", "Play", "Pause":
			s.media(l, v)
		case "Gather":
			if out, done := s.gather(l, v, docURL); done {
				return out
			}
		case "Redirect":
			target, err := resolve(docURL, v.body())
			if err != nil {
				return outcome{fail: &Failure{Code: CodeInvalidURL, URL: docURL, Reason: fmt.Sprintf("<Redirect> URL %q: %v", v.body(), err)}}
			}
			return outcome{next: &hop{kind: "redirect", method: v.attr("method", http.MethodPost), url: target, params: l.params()}}
		case "Dial":
			if out, done := s.dial(l, v, docURL); done {
				return out
			}
		case "Record":
			if out, done := s.record(l, v, docURL); done {
				return out
			}
		case "Hangup":
			s.add(l.name, KindHangup, "", "<Hangup> ends the leg")
			return outcome{hungUp: true}
		case "Reject":
			s.rejected = v.attr("reason", "rejected")
			s.add(l.name, KindReject, s.rejected, "")
			return outcome{hungUp: true}
		}
	}
	return outcome{}
}

// media plays a <Say>, <Play> or <Pause> to the leg.
func (s *sim) media(l *leg, v *node) {
	loop := intOr(v, "loop", 1)
	detail := ""
	if loop != 1 {
		detail = fmt.Sprintf("loop=%d", loop)
	}
	if loop < 1 {
		loop = 1 // loop="0" repeats until the caller acts; count one pass
	}
	switch v.name {
	case "Say":
		text := spoken(v)
		s.hear(l, KindSay, text, detail)
		words := len(strings.Fields(text))
		s.now += time.Duration(loop) * time.Duration(max(1, (words*2+4)/5)) * time.Second // 2.5 words a second
	case "Play":
		if d := v.attr("digits", ""); d != "" {
			s.hear(l, KindPlay, "DTMF "+d, detail)
		} else {
			s.hear(l, KindPlay, v.body(), detail)
		}
		s.now += time.Duration(loop) * 5 * time.Second
	case "Pause":
		n := intOr(v, "length", 1)
		s.add(l.name, KindPause, fmt.Sprintf("%ds", n), "")
		s.now += time.Duration(n) * time.Second
	}
}

// prompt asks the leg's party for input with what they heard since the
// last prompt.
func (s *sim) prompt(l *leg) (string, bool) {
	heard := l.heard
	l.heard = nil
	return l.input(heard)
}

// gather runs a <Gather>: nested media, then one input entry. done is
// false when it falls through to the next verb.
func (s *sim) gather(l *leg, v *node, docURL string) (out outcome, done bool) {
	for _, k := range v.kids {
		s.media(l, k)
	}
	entry, ok := s.prompt(l)
	if !ok {
		s.add(l.name, KindHangup, "", "hung up at the prompt")
		return outcome{hungUp: true}, true
	}
	finish := v.attr("finishOnKey", "#")
	numDigits := intOr(v, "numDigits", 0)
	timeout := time.Duration(intOr(v, "timeout", 5)) * time.Second
	keys := keypad(entry)
	var notes []string
	if keys != entry {
		notes = append(notes, "non-keypad characters ignored")
	}
	digits, finished := collect(keys, finish, numDigits)
	if !strings.Contains(v.attr("input", "dtmf"), "dtmf") {
		digits, finished = "", false
		notes = append(notes, "input="+v.attr("input", "")+": keys not listened to")
	}
	s.now += time.Duration(utf8.RuneCountInString(keys)) * time.Second
	if !finished {
		s.now += timeout // input ends when the timeout passes
	}
	if digits != keys {
		notes = append(notes, "Digits="+strconv.Quote(digits))
	}
	if digits == "" && keys == "" {
		notes = append(notes, "timeout")
	}
	s.add(l.name, KindKeys, keys, strings.Join(notes, ", "))
	if digits == "" && v.attr("actionOnEmptyResult", "false") != "true" {
		return outcome{}, false
	}
	target, err := resolve(docURL, v.attr("action", ""))
	if err != nil {
		return outcome{fail: &Failure{Code: CodeInvalidURL, URL: docURL, Reason: fmt.Sprintf("<Gather action> %q: %v", v.attr("action", ""), err)}}, true
	}
	params := l.params()
	params.Set("Digits", digits)
	return outcome{next: &hop{kind: "gather", method: v.attr("method", http.MethodPost), url: target, params: params}}, true
}

// keypad keeps the keypad keys of an entry.
func keypad(entry string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789*#", r) {
			return r
		}
		return -1
	}, entry)
}

// collect applies finishOnKey and numDigits to the keys pressed: the
// finishOnKey ends input (and is not part of Digits) only after at least one
// digit; numDigits ends it when reached. finished is false when input ended
// by the timeout.
func collect(keys, finish string, numDigits int) (digits string, finished bool) {
	for _, k := range keys {
		if finish != "" && strings.ContainsRune(finish, k) {
			if digits != "" {
				return digits, true
			}
			continue
		}
		digits += string(k)
		if numDigits > 0 && len(digits) >= numDigits {
			return digits, true
		}
	}
	return digits, false
}

// record runs a <Record>: the caller's next entry is the message.
func (s *sim) record(l *leg, v *node, docURL string) (outcome, bool) {
	if v.attr("playBeep", "true") == "true" {
		s.hear(l, KindPlay, "beep", "")
	}
	entry, ok := s.prompt(l)
	if !ok {
		s.add(l.name, KindHangup, "", "hung up instead of leaving a message")
		return outcome{hungUp: true}, true
	}
	finish := v.attr("finishOnKey", "1234567890*#")
	message, digits := entry, ""
	if r, size := utf8.DecodeLastRuneInString(entry); size > 0 && finish != "" && strings.ContainsRune(finish, r) {
		message, digits = entry[:len(entry)-size], string(r)
	}
	message = strings.TrimSpace(message)
	if message == "" {
		// Twilio does not request the action for an empty recording: the
		// next verb runs.
		s.now += time.Duration(intOr(v, "timeout", 5)) * time.Second
		s.add(l.name, KindRecord, "", "")
		return outcome{}, false
	}
	length := max(1, 2*utf8.RuneCountInString(message))
	if m := intOr(v, "maxLength", 3600); length > m {
		length = m
	}
	s.now += time.Duration(length) * time.Second
	rec := Recording{Sid: newSid("RE"), Duration: time.Duration(length) * time.Second, Digits: digits, Message: message}
	rec.URL = "https://api.twilio.com/2010-04-01/Accounts/" + s.c.AccountSid + "/Recordings/" + rec.Sid
	s.res.Recordings = append(s.res.Recordings, rec)
	detail := fmt.Sprintf("%ds, %s", length, rec.Sid)
	if digits != "" {
		detail += ", ended with " + digits
	}
	s.add(l.name, KindRecord, message, detail)

	target, err := resolve(docURL, v.attr("action", ""))
	if err != nil {
		return outcome{fail: &Failure{Code: CodeInvalidURL, URL: docURL, Reason: fmt.Sprintf("<Record action> %q: %v", v.attr("action", ""), err)}}, true
	}
	params := l.params()
	params.Set("RecordingUrl", rec.URL)
	params.Set("RecordingSid", rec.Sid)
	params.Set("RecordingDuration", strconv.Itoa(length))
	params.Set("Digits", digits)
	next := &hop{kind: "record", method: v.attr("method", http.MethodPost), url: target, params: params}
	if cb := v.attr("recordingStatusCallback", ""); cb != "" {
		cbURL, err := resolve(docURL, cb)
		if err != nil {
			return outcome{fail: &Failure{Code: CodeInvalidURL, URL: docURL, Reason: fmt.Sprintf("<Record recordingStatusCallback> %q: %v", cb, err)}}, true
		}
		next.after = &hop{kind: "recording-status", method: v.attr("recordingStatusCallbackMethod", http.MethodPost), url: cbURL, params: url.Values{
			"AccountSid":        {s.c.AccountSid},
			"CallSid":           {s.c.CallSid},
			"RecordingSid":      {rec.Sid},
			"RecordingUrl":      {rec.URL},
			"RecordingStatus":   {"completed"},
			"RecordingDuration": {strconv.Itoa(length)},
			"RecordingChannels": {"1"},
			"RecordingSource":   {"RecordVerb"},
		}}
	}
	return outcome{next: next}, true
}

// target is one number a <Dial> rings.
type target struct {
	number, url, method string
}

// dial runs a <Dial> on the caller's leg. The numbers ring at once in
// Twilio; the simulator takes the first that answers in document order.
func (s *sim) dial(l *leg, v *node, docURL string) (outcome, bool) {
	timeout := time.Duration(intOr(v, "timeout", 30)) * time.Second
	callerID := v.attr("callerId", s.c.From)
	var targets []target
	for _, n := range v.kids {
		targets = append(targets, target{number: n.body(), url: n.attr("url", ""), method: n.attr("method", http.MethodPost)})
	}
	if len(targets) == 0 {
		targets = append(targets, target{number: v.body()})
	}
	var numbers []string
	for _, t := range targets {
		numbers = append(numbers, t.number)
	}
	var opts []string
	opts = append(opts, fmt.Sprintf("timeout %ds", int(timeout/time.Second)))
	if v.attr("answerOnBridge", "false") == "true" {
		opts = append(opts, "answerOnBridge")
	}
	opts = append(opts, "callerId "+callerID)
	s.add(l.name, KindDial, strings.Join(numbers, ", "), strings.Join(opts, ", "))

	d := Dial{Status: "no-answer"}
	var answered *target
	busy, failed := 0, 0
	for i := range targets {
		t := &targets[i]
		switch keys, ok := s.c.EngineerKeys[t.number]; {
		case !ok || keys == NoAnswer:
		case keys == Busy:
			busy++
		case keys == Unreachable:
			failed++
		default:
			answered = t
		}
		if answered != nil {
			break
		}
	}
	start := s.now
	switch {
	case answered != nil:
		d.Number, d.CallSid, d.Status = answered.number, newSid("CA"), "completed"
		s.now += min(5*time.Second, timeout)
		start = s.now
		s.add(answered.number, KindAnswer, "", "DialCallSid "+d.CallSid)
		bridged := true
		if answered.url != "" {
			out, fail := s.whisper(answered, d.CallSid, callerID, docURL)
			if fail != nil {
				return outcome{fail: fail}, true
			}
			bridged = !out.hungUp
		}
		if bridged {
			d.Bridged = true
			s.add(answered.number, KindBridge, "", "")
			s.now += s.c.TalkTime
			s.add(answered.number, KindHangup, "", fmt.Sprintf("after talking %s", sla.FormatDuration(s.c.TalkTime)))
		}
	case busy+failed == len(targets) && busy > 0:
		d.Number, d.CallSid, d.Status = targets[0].number, newSid("CA"), "busy"
		s.now += time.Second
	case failed == len(targets):
		d.Number, d.CallSid, d.Status = targets[0].number, newSid("CA"), "failed"
		s.now += time.Second
	default:
		d.Number, d.CallSid = targets[0].number, newSid("CA")
		s.now += timeout
		start = s.now
	}
	if d.Status == "completed" {
		d.Duration = s.now - start
	}
	s.res.Dials = append(s.res.Dials, d)
	secs := strconv.Itoa(int(d.Duration / time.Second))
	s.add(l.name, KindDialResult, d.Status, fmt.Sprintf("%s, DialCallSid %s, DialCallDuration %ss", d.Number, d.CallSid, secs))

	action := v.attr("action", "")
	if action == "" {
		return outcome{}, false // the caller is still there: the document goes on
	}
	targetURL, err := resolve(docURL, action)
	if err != nil {
		return outcome{fail: &Failure{Code: CodeInvalidURL, URL: docURL, Reason: fmt.Sprintf("<Dial action> %q: %v", action, err)}}, true
	}
	params := l.params()
	params.Set("DialCallStatus", d.Status)
	params.Set("DialCallSid", d.CallSid)
	params.Set("DialCallDuration", secs)
	return outcome{next: &hop{kind: "dial", method: v.attr("method", http.MethodPost), url: targetURL, params: params}}, true
}

// whisper runs the <Number url> TwiML on the engineer's leg with the
// engineer's keys. A failure there fails the call.
func (s *sim) whisper(t *target, childSid, callerID, docURL string) (outcome, *Failure) {
	u, err := resolve(docURL, t.url)
	if err != nil {
		return outcome{}, &Failure{Code: CodeInvalidURL, URL: docURL, Reason: fmt.Sprintf("<Number url> %q: %v", t.url, err)}
	}
	keys := s.c.EngineerKeys[t.number]
	eng := &leg{
		name:    t.number,
		whisper: true,
		params: func() url.Values {
			return url.Values{
				"AccountSid":    {s.c.AccountSid},
				"ApiVersion":    {"2010-04-01"},
				"CallSid":       {childSid},
				"CallStatus":    {"in-progress"},
				"Called":        {t.number},
				"Caller":        {callerID},
				"Direction":     {"outbound-dial"},
				"From":          {callerID},
				"To":            {t.number},
				"ParentCallSid": {s.c.CallSid},
			}
		},
		input: func([]string) (string, bool) { return keys, keys != HangUp },
	}
	out := s.follow(eng, &hop{kind: "whisper", method: t.method, url: u, params: eng.params()})
	if out.fail != nil {
		s.add(t.number, KindHangup, "", "the whisper failed")
		return out, out.fail
	}
	return out, nil
}
