package ivr

import (
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"
)

// fallback is the Voice Fallback URL: Twilio requests it when our primary
// webhook failed. It must work with the database down, so it reads only the
// policy file: it dials the emergency numbers in turn, or asks the caller
// to email support. It never refuses a signed request, whatever its form
// holds: a caller who reaches it has nowhere else to go (Twilio would say
// "an application error has occurred" and hang up), so a malformed field is
// logged and the numbers dialled anyway.
func (s *Server) fallback(c echo.Context) error {
	sid := s.fallbackCheck(c, "ErrorCode", "ErrorUrl")
	code, _ := param(c, "ErrorCode")
	errURL, _ := param(c, "ErrorUrl")
	s.Log.Error("twilio fell back", "call_sid", sid, "error_code", code, "error_url", errURL)
	var sp speech
	sp.say(s.words("apology"))
	s.emergency(&sp, 0)
	return send(c, sp)
}

// fallbackNext is the Dial action of an emergency dial: an answered call is
// over; otherwise try the next number. Like fallback it never refuses: a
// malformed DialCallStatus counts as not answered, a malformed index starts
// the list again.
func (s *Server) fallbackNext(c echo.Context) error {
	s.fallbackCheck(c, "DialCallStatus")
	var sp speech
	if st, _ := param(c, "DialCallStatus"); st == "completed" || st == "answered" {
		sp.hangup()
		return send(c, sp)
	}
	i := 0
	if v := c.QueryParam("i"); v != "" {
		n, ok := parseCount(v, maxSeconds)
		if !ok {
			s.Log.Warn("fallback: malformed emergency number index; dialling from the first", "path", c.Request().URL.Path)
		}
		i = int(n)
	}
	s.emergency(&sp, i)
	return send(c, sp)
}

// fallbackCheck looks at the call parameters of a fallback request (and the
// named Twilio parameters) without refusing any: it returns the CallSid
// when it is well-formed ("" otherwise) and logs one warning naming the
// malformed fields, never their values (Digits may be a PIN).
func (s *Server) fallbackCheck(c echo.Context, names ...string) string {
	p, bad := readCall(c)
	var malformedNames []string
	for _, m := range bad {
		malformedNames = append(malformedNames, m.name)
		if m.name == "CallSid" {
			p.CallSid = ""
		}
	}
	for _, name := range names {
		if _, err := param(c, name); err != nil {
			malformedNames = append(malformedNames, name)
		}
	}
	if len(malformedNames) > 0 {
		s.Log.Warn("fallback request with malformed parameters; dialling the emergency numbers anyway",
			"call_sid", p.CallSid, "path", c.Request().URL.Path, "malformed", malformedNames)
	}
	return p.CallSid
}

// emergency appends the dial of emergency number i, or, when there is none
// left, the email message and a hang-up.
func (s *Server) emergency(sp *speech, i int) {
	nums := s.Policy.Line.EmergencyNumbers
	if i < 0 || i >= len(nums) {
		sp.say(s.words("fallback_email", "email", spokenEmail(s.Policy.Line.SupportEmail)))
		sp.hangup()
		return
	}
	sp.add(&twiml.VoiceDial{
		Action:   s.url("/fallback/next", url.Values{"i": {strconv.Itoa(i + 1)}}),
		Timeout:  "25",
		CallerId: s.Policy.Line.Number,
		InnerElements: []twiml.Element{
			&twiml.VoiceNumber{PhoneNumber: nums[i]},
		},
	})
}
