package ivr

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"supportline/contactinfo"
)

// What Twilio sends is checked here, once, where it arrives, so that every
// handler works on values both databases accept alike: SQLite stores a NUL
// byte, invalid UTF-8 or a 40-digit number that PostgreSQL refuses (the
// voicemail would then be lost on one engine only). A malformed value is
// never something Twilio sends. Where nobody is waiting on it (a forged or
// broken request, a callback) it is a 400 whose message names the field and
// what it must be, never the value; where a caller is on the line and the
// value is only detail (a duration, a child leg's SID), it is dropped with
// a warning and the call goes on. The fallback URL never refuses (see
// fallback.go).

// Bounds on what is stored or put in a URL.
const (
	maxURLLen   = 2048      // RecordingUrl, ErrorUrl
	maxTokenLen = 64        // SIDs, statuses, numbers, our own query values
	maxDigits   = 32        // a Gather's keys
	maxSeconds  = 1<<31 - 1 // durations: both engines' INTEGER
)

var (
	callSidRE      = regexp.MustCompile(`^CA[0-9a-f]{32}$`)
	recordingSidRE = regexp.MustCompile(`^RE[0-9a-f]{32}$`)
	accountSidRE   = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	// wordRE is the shape of our own query words (s: a step, why).
	wordRE = regexp.MustCompile(`^[a-z_]{1,32}$`)
)

// Twilio's documented values. CallStatus is what the status callback and
// every webhook carry; "initiated" comes with statusCallbackEvent.
var (
	callStatuses      = set("queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")
	dialCallStatuses  = set("completed", "answered", "busy", "no-answer", "failed", "canceled")
	recordingStatuses = set("in-progress", "completed", "absent", "failed")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// paramSpec says what a well-formed value of one parameter is.
type paramSpec struct {
	max  int               // bytes
	must string            // what a good value is, in the words of the 400
	ok   func(string) bool // the shape, checked after plainText
}

// twilioParams are the Twilio parameters the webhooks read besides the call
// parameters (readParams). The Record and Dial actions' details may also
// come in the query of a retried redirect (retryURL), where c.FormValue
// finds them too; they are checked the same way.
var twilioParams = map[string]paramSpec{
	"CallSid":           {maxTokenLen, "CA followed by 32 hex digits", callSidRE.MatchString},
	"AccountSid":        {maxTokenLen, "AC followed by 32 hex digits", accountSidRE.MatchString},
	"DialCallSid":       {maxTokenLen, "CA followed by 32 hex digits", callSidRE.MatchString},
	"RecordingSid":      {maxTokenLen, "RE followed by 32 hex digits", recordingSidRE.MatchString},
	"CallStatus":        {maxTokenLen, "a Twilio call status such as completed", func(s string) bool { return callStatuses[s] }},
	"DialCallStatus":    {maxTokenLen, "a Twilio dial status such as no-answer", func(s string) bool { return dialCallStatuses[s] }},
	"RecordingStatus":   {maxTokenLen, "a Twilio recording status such as completed", func(s string) bool { return recordingStatuses[s] }},
	"CallDuration":      {maxTokenLen, "a whole number of seconds below 2^31", isSeconds},
	"DialCallDuration":  {maxTokenLen, "a whole number of seconds below 2^31", isSeconds},
	"RecordingDuration": {maxTokenLen, "a whole number of seconds below 2^31", isSeconds},
	// The recording's address is texted to engineers: only https (what
	// Twilio and twiliosim send).
	"RecordingUrl": {maxURLLen, "an https URL of at most 2048 bytes", func(s string) bool { return isURL(s, "https") }},
	// Where Twilio failed: one of our own URLs, http in tests.
	"ErrorUrl":  {maxURLLen, "an http or https URL of at most 2048 bytes", func(s string) bool { return isURL(s, "https", "http") }},
	"ErrorCode": {maxTokenLen, "a Twilio error code (digits)", func(s string) bool { return len(s) <= 6 && isDigits(s) }},
}

// plainText reports whether s is text fit to store and log: at most max
// bytes of valid UTF-8 without control characters (NUL included).
func plainText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isSeconds accepts a non-negative whole number that fits both engines'
// INTEGER (PostgreSQL refuses 2^31 and more; SQLite would store it).
func isSeconds(s string) bool {
	_, ok := parseCount(s, maxSeconds)
	return ok
}

// parseCount parses a non-negative decimal integer of at most max: digits
// only (no sign, no spaces), so "-1", "+1" and " 1" are refused alike.
func parseCount(s string, max int64) (int64, bool) {
	if !isDigits(s) || len(s) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > max {
		return 0, false
	}
	return n, true
}

func isURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return true
		}
	}
	return false
}

// badParam is the 400 of a malformed parameter: it names the field and what
// it must be, never the value (which may be keyed digits, or megabytes).
func badParam(name, must string) error {
	return echo.NewHTTPError(http.StatusBadRequest, name+" must be "+must)
}

// param returns a Twilio parameter as c.FormValue finds it (the POST form,
// then the query): "" when absent or empty, a 400 (badParam) when malformed.
func param(c echo.Context, name string) (string, error) {
	spec, ok := twilioParams[name]
	if !ok {
		panic("ivr: no spec for Twilio parameter " + name) // a programming error, caught by any test
	}
	v := c.FormValue(name)
	if v == "" {
		return "", nil
	}
	if !plainText(v, spec.max) || !spec.ok(v) {
		return "", badParam(name, spec.must)
	}
	return v, nil
}

// optional is param for a detail the call can go on without: a malformed
// value is dropped (""), with a warning naming the field but not the value.
func (s *Server) optional(c echo.Context, name string) string {
	v, err := param(c, name)
	if err != nil {
		s.dropped(c, name)
	}
	return v
}

// seconds reads a duration parameter: ok is false when it is absent or
// malformed (negative, 2^31 or more, not a number), and a malformed one is
// dropped with a warning.
func (s *Server) seconds(c echo.Context, name string) (n int, ok bool) {
	v := s.optional(c, name)
	if v == "" {
		return 0, false
	}
	d, _ := parseCount(v, maxSeconds)
	return int(d), true
}

// dropped logs a malformed parameter that the call goes on without.
func (s *Server) dropped(c echo.Context, name string) {
	sid, _ := param(c, "CallSid")
	s.Log.Warn("malformed Twilio parameter dropped", "param", name, "call_sid", sid, "path", c.Request().URL.Path)
}

// params are the call parameters every webhook carries.
type params struct {
	CallSid string
	// From is the caller's number as Twilio sent it: an E.164 number or a
	// withheld placeholder (contactinfo.Caller decided which: Caller).
	From   string
	Caller contactinfo.CallerID
	To     string
	Digits string
}

// readParams validates the call parameters, and our own query parameters
// (checkQuery). Anything malformed is a 400: Twilio never sends it, so it
// is someone probing. A withheld caller ID is not malformed: such a caller
// is served like any unknown number.
func readParams(c echo.Context) (params, error) {
	p, bad := readCall(c)
	if len(bad) > 0 {
		return p, bad[0].err
	}
	return p, checkQuery(c)
}

// malformed is a call parameter that is not what Twilio sends.
type malformed struct {
	name string
	err  error // its 400 (badParam)
}

// readCall reads the call parameters every webhook carries and lists, in
// order, those that are malformed: readParams refuses the first, the
// fallback (which refuses nothing) logs them all.
func readCall(c echo.Context) (params, []malformed) {
	p := params{
		CallSid: c.FormValue("CallSid"),
		From:    c.FormValue("From"),
		To:      c.FormValue("To"),
		Digits:  c.FormValue("Digits"),
	}
	var bad []malformed
	if !callSidRE.MatchString(p.CallSid) {
		bad = append(bad, malformed{"CallSid", badParam("CallSid", twilioParams["CallSid"].must)})
	}
	caller, err := contactinfo.Caller(p.From)
	if err != nil {
		bad = append(bad, malformed{"From", badParam("From", "an E.164 number or a withheld-number placeholder such as anonymous")})
	}
	p.Caller = caller
	if to, err := contactinfo.Caller(p.To); err != nil || to.Withheld() {
		bad = append(bad, malformed{"To", badParam("To", "an E.164 number")})
	}
	if !validDigits(c, p.Digits) {
		bad = append(bad, malformed{"Digits", badParam("Digits", "keypad characters")})
	}
	if _, err := param(c, "AccountSid"); err != nil {
		bad = append(bad, malformed{"AccountSid", err})
	}
	return p, bad
}

// validDigits accepts a Gather's keys. The Record action's Digits is the
// key that ended the recording, or "hangup" when the caller hung up.
func validDigits(c echo.Context, d string) bool {
	if d == "hangup" && c.Path() == "/twilio/voice/recording" {
		return true
	}
	return len(d) <= maxDigits && strings.Trim(d, "0123456789*#") == ""
}

// queryParams are the parameters our own URLs carry (signed by Twilio with
// the rest of the URL, so only a holder of the auth token can forge them,
// but parsed as strictly as Twilio's): each present one must have its
// shape. Others are ignored.
var queryParams = map[string]paramSpec{
	"s":     {maxTokenLen, "a menu step", wordRE.MatchString},
	"why":   {maxTokenLen, "a word", wordRE.MatchString},
	"q":     {maxTokenLen, "a sequence number", isSeconds},
	"n":     {maxTokenLen, "a dial step number", isSeconds},
	"r":     {maxTokenLen, "a count of tries", isSeconds},
	"i":     {maxTokenLen, "an emergency number's index", isSeconds},
	"t":     {maxTokenLen, "a Unix time in seconds", func(s string) bool { _, ok := parseCount(s, 1<<62); return ok }},
	"c":     {maxTokenLen, "CA followed by 32 hex digits", callSidRE.MatchString},
	"empty": {maxTokenLen, "1", func(s string) bool { return s == "1" }},
}

// checkQuery validates the query parameters of our own URLs (queryParams).
func checkQuery(c echo.Context) error {
	q := c.QueryParams()
	for name, spec := range queryParams {
		vs := q[name]
		if len(vs) == 0 || vs[0] == "" {
			continue // absent; an empty value means nothing either
		}
		if v := vs[0]; !plainText(v, spec.max) || !spec.ok(v) {
			return badParam("query parameter "+name, spec.must)
		}
	}
	return nil
}

// readCallbackSid validates what the recording status callback carries of
// the call: its CallSid (required), AccountSid and our query. Twilio sends
// that callback without From or To.
func readCallbackSid(c echo.Context) (string, error) {
	sid, err := param(c, "CallSid")
	if err == nil && sid == "" {
		err = badParam("CallSid", twilioParams["CallSid"].must)
	}
	if err == nil {
		_, err = param(c, "AccountSid")
	}
	if err == nil {
		err = checkQuery(c)
	}
	return sid, err
}
