package pins

import (
	"strings"

	"supportline/contactinfo"
)

// AnonymousCaller is the throttle bucket shared by every call whose number is
// withheld or not a valid E.164 number.
//
// Sharing one bucket means withholding caller ID cannot be used to escape the
// per-number limit; the cost is that while someone hammers the line
// anonymously, genuine anonymous callers are refused too (they can call again
// with their number shown, or an admin can wait out the hour).
const AnonymousCaller = "anonymous"

// withheld are the placeholders carriers and Twilio put in From when the
// caller ID is withheld: the keypad spellings of ANONYMOUS, RESTRICTED,
// UNAVAILABLE, BLOCKED and UNKNOWN. Some are valid E.164 by shape, so they
// must be recognised by value.
var withheld = map[string]bool{
	"+266696687":   true, // ANONYMOUS
	"+7378742833":  true, // RESTRICTED
	"+86282452253": true, // UNAVAILABLE
	"+2562533":     true, // BLOCKED
	"+8656696":     true, // UNKNOWN
}

// CallerKey returns the per-number throttle bucket of a calling number as the
// phone line received it: the number in strict E.164, or AnonymousCaller for
// an empty, withheld ("anonymous", "Restricted", +266696687, ...) or
// malformed number. The key is also what the audit log records as the caller.
func CallerKey(number string) string {
	n, err := contactinfo.Phone(strings.TrimSpace(number))
	if err != nil || withheld[n] {
		return AnonymousCaller
	}
	return n
}
