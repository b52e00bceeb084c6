package contactinfo

import (
	"supportline/errcode"
)

// CallerKind says what the network told us about who is calling.
type CallerKind string

// The kinds of caller ID.
const (
	// CallerNumber is a calling number in strict E.164.
	CallerNumber CallerKind = "number"
	// CallerWithheld is a caller whose number was withheld, or that the
	// network could not tell: Twilio sends a placeholder instead.
	CallerWithheld CallerKind = "withheld"
)

// CallerID is the calling number of a phone call as Twilio reports it
// (From, Caller).
type CallerID struct {
	Kind CallerKind
	// Number is the strict E.164 number when Kind is CallerNumber, and ""
	// when the number is withheld: a placeholder is no one's number.
	Number string
}

// Withheld reports whether the caller's number is unknown.
func (c CallerID) Withheld() bool { return c.Kind != CallerNumber }

// withheldNumbers are the placeholders Twilio and carriers put in From when
// the caller ID is withheld: the keypad spellings of ANONYMOUS, RESTRICTED,
// BLOCKED, UNKNOWN and UNAVAILABLE. Some have E.164's shape (so they must be
// recognised by value before the shape is checked, or a withheld caller
// would be taken for the owner of +266696687) and some are shorter than
// E.164 allows (so a check of the shape alone would refuse the caller).
var withheldNumbers = map[string]bool{
	"+266696687":   true, // ANONYMOUS
	"+7378742833":  true, // RESTRICTED
	"+2562533":     true, // BLOCKED
	"+8656696":     true, // UNKNOWN
	"+86282452253": true, // UNAVAILABLE
}

// withheldWords are the same placeholders spelt out; Twilio's
// capitalisation varies ("anonymous", "Anonymous", "Restricted", ...), so
// they are compared in ASCII lower case.
var withheldWords = map[string]bool{
	"anonymous":   true,
	"restricted":  true,
	"blocked":     true,
	"unknown":     true,
	"unavailable": true,
}

// Caller is the one place that decides what a calling number is: a number
// (strict E.164, exactly as Twilio sends it, no separators), a withheld
// placeholder (see withheldNumbers and withheldWords; an empty From is
// withheld too), or anything else, which is an errcode.Invalid error.
// The phone line serves withheld callers like any unknown number, and the
// PIN throttle puts them all in one bucket; neither may look a contact up
// by a placeholder.
func Caller(s string) (CallerID, error) {
	if s == "" || withheldNumbers[s] || withheldWords[asciiLower(s)] {
		return CallerID{Kind: CallerWithheld}, nil
	}
	if err := ValidPhone(s); err != nil {
		// The value is not repeated: it came from the network and may be
		// anything, of any length.
		return CallerID{}, errcode.Errorf(errcode.Invalid,
			"caller number %s (E.164, or a withheld-number placeholder such as anonymous)", errcode.Message(err))
	}
	return CallerID{Kind: CallerNumber, Number: s}, nil
}

// asciiLower lower-cases s if it is short and plain ASCII letters, and
// returns "" otherwise, so that Unicode case folding (the Kelvin sign is a
// "k") cannot turn some other text into a placeholder.
func asciiLower(s string) string {
	if len(s) > len("unavailable") {
		return ""
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z':
		default:
			return ""
		}
	}
	return string(b)
}
