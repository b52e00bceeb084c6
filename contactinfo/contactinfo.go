// Package contactinfo validates what admins type about people (customers'
// contacts and engineers): telephone numbers, normalised to E.164 (the form
// Twilio sends and expects: + then 8 to 15 digits, no leading zero), email
// addresses and names; and what the phone network says about a caller
// (Caller), so that the phone line and the PIN throttle agree on it.
package contactinfo

import (
	"net/mail"
	"strings"

	"supportline/errcode"
)

// Name trims a person's or company's name and checks it is present, at most
// 200 bytes and free of control characters; what names the field in the
// error ("contact name").
func Name(what, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errcode.Errorf(errcode.Invalid, "%s is required", what)
	case len(s) > 200:
		return "", errcode.Errorf(errcode.Invalid, "%s is longer than 200 characters", what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", errcode.Errorf(errcode.Invalid, "%s contains a control character", what)
		}
	}
	return s, nil
}

// Email trims an optional email address and checks it is a bare address
// ("jane@acme.example", not "Jane <jane@acme.example>"); empty is allowed.
// The error (errcode.Invalid) quotes the address.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if err := ValidEmail(s); err != nil {
		return "", errcode.Errorf(errcode.Invalid, "%q is not an email address: %s", s, errcode.Message(err))
	}
	return s, nil
}

// maxEmail is the longest address that fits a mail path (RFC 5321: 256
// octets with the angle brackets).
const maxEmail = 254

// ValidEmail reports whether s is exactly a bare email address, as a
// policy file must hold it: no name, no angle brackets, no surrounding
// space, at most 254 bytes. The error (errcode.Invalid) says what is wrong
// without repeating s, so callers can name the field in their own words.
func ValidEmail(s string) error {
	switch {
	case s == "":
		return errcode.New(errcode.Invalid, "is empty")
	case len(s) > maxEmail:
		return errcode.Errorf(errcode.Invalid, "is longer than %d characters", maxEmail)
	case strings.TrimSpace(s) != s:
		return errcode.New(errcode.Invalid, "has spaces around it")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return errcode.New(errcode.Invalid, "must be a bare address such as jane@acme.example")
	}
	if a.Address != s {
		return errcode.New(errcode.Invalid, "must be the address alone, without a name or angle brackets")
	}
	return nil
}

// Phone accepts an E.164 number written with the usual separators
// (spaces, dots, dashes, parentheses: "+1 (720) 555-0100") and returns it
// in strict E.164 ("+17205550100"). Anything else is an error saying why.
func Phone(s string) (string, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return "", errcode.New(errcode.Invalid, "phone number is empty; use E.164, e.g. +17205550100")
	}
	if in[0] != '+' {
		return "", errcode.Errorf(errcode.Invalid, "phone number %q must be in E.164 form, starting with + and the country code, e.g. +17205550100", s)
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range in[1:] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", errcode.Errorf(errcode.Invalid, "phone number %q contains %q; E.164 allows only + and digits", s, r)
		}
	}
	out := b.String()
	if err := ValidPhone(out); err != nil {
		return "", errcode.Errorf(errcode.Invalid, "phone number %q: %v", s, err)
	}
	return out, nil
}

// ValidPhone reports whether s is strict E.164: "+", a non-zero digit, and 8 to
// 15 digits in all. The error (errcode.Invalid) says what is wrong without
// repeating s, so callers can name the field in their own words.
func ValidPhone(s string) error {
	if len(s) < 2 || s[0] != '+' {
		return errcode.New(errcode.Invalid, "must start with + and the country code")
	}
	digits := s[1:]
	for _, r := range digits {
		if r < '0' || r > '9' {
			return errcode.New(errcode.Invalid, "must contain only digits after the +")
		}
	}
	if digits[0] == '0' {
		return errcode.New(errcode.Invalid, "country code cannot start with 0")
	}
	if len(digits) < 8 || len(digits) > 15 {
		return errcode.Errorf(errcode.Invalid, "must have 8 to 15 digits, not %d", len(digits))
	}
	return nil
}
