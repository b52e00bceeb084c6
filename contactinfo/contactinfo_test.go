package contactinfo

import (
	"strings"
	"testing"

	"supportline/errcode"
)

func TestPhone(t *testing.T) {
	good := map[string]string{
		"+17205550100":       "+17205550100",
		"+1 (720) 555-0100":  "+17205550100",
		" +44 20 7946 0958 ": "+442079460958",
		"+49.30.901820":      "+4930901820",
	}
	for in, want := range good {
		got, err := Phone(in)
		if err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                  "empty",
		"7205550100":        "must be in E.164",
		"+1720555010x":      `contains 'x'`,
		"+0123456789":       "cannot start with 0",
		"+1234567":          "8 to 15 digits",
		"+1234567890123456": "8 to 15 digits",
		"+":                 "must start with +",
		"++17205550100":     `contains '+'`,
	}
	for in, want := range bad {
		_, err := Phone(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Phone(%q) error = %v; want it to mention %q", in, err, want)
		}
	}
}

func TestNameAndEmail(t *testing.T) {
	if got, err := Name("contact name", "  Jane Doe "); err != nil || got != "Jane Doe" {
		t.Errorf("Name = %q, %v", got, err)
	}
	for in, want := range map[string]string{"": "is required", "a\x07b": "control character", strings.Repeat("x", 201): "longer than 200"} {
		if _, err := Name("contact name", in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Name(%q) error = %v, want %q", in, err, want)
		}
	}
	if got, err := Email(" jane@acme.example "); err != nil || got != "jane@acme.example" {
		t.Errorf("Email = %q, %v", got, err)
	}
	if got, err := Email(""); err != nil || got != "" {
		t.Errorf("Email(empty) = %q, %v", got, err)
	}
	for _, in := range []string{"nope", "Jane <jane@acme.example>", "a@"} {
		if _, err := Email(in); err == nil || !strings.Contains(err.Error(), "not an email address") {
			t.Errorf("Email(%q) error = %v", in, err)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for _, in := range []string{"jane@acme.example", "j.doe+support@mail.acme.example"} {
		if err := ValidEmail(in); err != nil {
			t.Errorf("ValidEmail(%q) = %v", in, err)
		}
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "is empty"},
		{"no at", "support-at-example", "bare address"},
		{"no domain", "a@", "bare address"},
		{"with a name", "Support <support@acme.example>", "without a name"},
		{"in brackets", "<support@acme.example>", "without a name"},
		{"spaces around", " support@acme.example", "spaces around"},
		{"too long", strings.Repeat("a", 250) + "@acme.example", "longer than 254"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidEmail(tc.in)
			if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ValidEmail(%q) = %v (%s), want invalid %q", tc.in, err, errcode.CodeOf(err), tc.want)
			}
			if tc.in != "" && strings.Contains(err.Error(), tc.in) {
				t.Errorf("the error repeats the value: %q", err)
			}
		})
	}
	// Email quotes the (trimmed) address and says why.
	if _, err := Email("Jane <jane@acme.example>"); !errcode.Is(err, errcode.Invalid) ||
		err.Error() != `"Jane <jane@acme.example>" is not an email address: must be the address alone, without a name or angle brackets` {
		t.Errorf("Email error = %v", err)
	}
}
