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
// to email support.
func (s *Server) fallback(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	s.Log.Error("twilio fell back", "call_sid", p.CallSid,
		"error_code", c.FormValue("ErrorCode"), "error_url", c.FormValue("ErrorUrl"))
	var sp speech
	sp.say(s.words("apology"))
	s.emergency(&sp, 0)
	return send(c, sp)
}

// fallbackNext is the Dial action of an emergency dial: an answered call is
// over; otherwise try the next number.
func (s *Server) fallbackNext(c echo.Context) error {
	if _, err := readParams(c); err != nil {
		return err
	}
	var sp speech
	if c.FormValue("DialCallStatus") == "completed" {
		sp.hangup()
		return send(c, sp)
	}
	i, _ := strconv.Atoi(c.QueryParam("i"))
	s.emergency(&sp, i)
	return send(c, sp)
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
