package pins

import (
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

// CallerKey returns the per-number throttle bucket of a calling number as the
// phone line received it: the number in strict E.164, or AnonymousCaller for
// an empty, withheld ("anonymous", "Restricted", +266696687, +2562533, ...)
// or malformed number. What counts as withheld is contactinfo.Caller's
// decision, the same the phone line makes. The key is also what the audit
// log records as the caller.
func CallerKey(number string) string {
	id, err := contactinfo.Caller(number)
	if err != nil {
		// A number written the way admins type it ("+1 (720) 555-0100") is
		// the same caller as its strict form, so it shares that bucket.
		n, perr := contactinfo.Phone(number)
		if perr != nil {
			return AnonymousCaller
		}
		if id, err = contactinfo.Caller(n); err != nil {
			return AnonymousCaller
		}
	}
	if id.Withheld() {
		return AnonymousCaller
	}
	return id.Number
}
