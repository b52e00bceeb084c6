package phone

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	good := map[string]string{
		"+17205550100":       "+17205550100",
		"+1 (720) 555-0100":  "+17205550100",
		" +44 20 7946 0958 ": "+442079460958",
		"+49.30.901820":      "+4930901820",
	}
	for in, want := range good {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
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
		_, err := Normalize(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Normalize(%q) error = %v; want it to mention %q", in, err, want)
		}
	}
}
