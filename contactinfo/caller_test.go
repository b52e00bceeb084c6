package contactinfo

import (
	"strings"
	"testing"

	"supportline/errcode"
)

func TestCaller(t *testing.T) {
	withheld := CallerID{Kind: CallerWithheld}
	good := []struct {
		name, in string
		want     CallerID
	}{
		{"a number", "+17205550100", CallerID{Kind: CallerNumber, Number: "+17205550100"}},
		{"the shortest number", "+12345678", CallerID{Kind: CallerNumber, Number: "+12345678"}},
		{"the longest number", "+123456789012345", CallerID{Kind: CallerNumber, Number: "+123456789012345"}},
		{"ANONYMOUS keyed", "+266696687", withheld},
		{"RESTRICTED keyed", "+7378742833", withheld},
		{"BLOCKED keyed, 7 digits", "+2562533", withheld},
		{"UNKNOWN keyed, 7 digits", "+8656696", withheld},
		{"UNAVAILABLE keyed", "+86282452253", withheld},
		{"anonymous", "anonymous", withheld},
		{"Anonymous", "Anonymous", withheld},
		{"ANONYMOUS", "ANONYMOUS", withheld},
		{"Restricted", "Restricted", withheld},
		{"restricted", "restricted", withheld},
		{"Unknown", "Unknown", withheld},
		{"unknown", "unknown", withheld},
		{"Unavailable", "Unavailable", withheld},
		{"Blocked", "Blocked", withheld},
		{"empty", "", withheld},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Caller(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("Caller(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if got.Withheld() != (tc.want.Kind == CallerWithheld) {
				t.Errorf("Withheld() = %v", got.Withheld())
			}
		})
	}
	bad := []struct{ name, in, want string }{
		{"no plus", "17205550100", "must start with +"},
		{"separators", "+1 (720) 555-0100", "only digits"},
		{"leading space", " +17205550100", "must start with +"},
		{"too short", "+1234567", "8 to 15 digits"},
		{"another 7-digit number", "+2562534", "8 to 15 digits"},
		{"too long", "+1234567890123456", "8 to 15 digits"},
		{"country code 0", "+0123456789", "cannot start with 0"},
		{"plus alone", "+", "must start with +"},
		{"a SIP address", "sip:alice@example.com", "must start with +"},
		{"a Twilio client", "client:alice", "must start with +"},
		{"NUL", "+1720555\x000100", "only digits"},
		{"NUL after a word", "anonymous\x00", "must start with +"},
		{"invalid UTF-8", "+1720\xff5550100", "only digits"},
		{"Kelvin sign in unknown", "un\u212anown", "must start with +"},
		{"a word with a space", "anonymous ", "must start with +"},
		{"another word", "private caller", "must start with +"},
		{"huge", "+1" + strings.Repeat("9", 10000), "8 to 15 digits"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Caller(tc.in)
			if err == nil {
				t.Fatalf("Caller(%q) = %+v, want an error", tc.in, got)
			}
			if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Caller(%q) error %q (%s), want an invalid error mentioning %q", tc.in, err, errcode.CodeOf(err), tc.want)
			}
			if len(tc.in) > 20 && strings.Contains(err.Error(), tc.in) {
				t.Errorf("the error repeats the value: %q", err)
			}
		})
	}
}

// Phone's errors are invalid input, like the rest of the package's.
func TestPhoneErrorsAreInvalid(t *testing.T) {
	for _, in := range []string{"", "7205550100", "+1720555010x", "+1234567"} {
		if _, err := Phone(in); !errcode.Is(err, errcode.Invalid) {
			t.Errorf("Phone(%q) error %v is %s, want invalid", in, err, errcode.CodeOf(err))
		}
	}
	if err := ValidPhone("+1"); !errcode.Is(err, errcode.Invalid) {
		t.Errorf("ValidPhone error %v is %s, want invalid", err, errcode.CodeOf(err))
	}
}
