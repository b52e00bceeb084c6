package sla

import (
	"errors"
	"testing"
	"time"
)

func TestParseTargetAcceptsAndRoundTrips(t *testing.T) {
	tests := []struct {
		in   string
		kind TargetKind
		d    time.Duration
		n    int
	}{
		{"45m", Duration, 45 * time.Minute, 0},
		{"90m", Duration, 90 * time.Minute, 0},
		{"60m", Duration, time.Hour, 0},
		{"4h", Duration, 4 * time.Hour, 0},
		{"1h", Duration, time.Hour, 0},
		{"8784h", Duration, 8784 * time.Hour, 0},
		{"2bd", BusinessDays, 0, 2},
		{"10bd", BusinessDays, 0, 10},
		{"next-business-day", NextBusinessDay, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.kind || got.D != tt.d || got.N != tt.n {
				t.Errorf("ParseTarget(%q) = %v %v %v, want %v %v %v", tt.in, got.Kind, got.D, got.N, tt.kind, tt.d, tt.n)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
		})
	}
}

func TestParseTargetRejects(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"empty", "", `empty target (want e.g. "45m", "4h", "2bd" or "next-business-day")`},
		{"blank", "  ", `empty target (want e.g. "45m", "4h", "2bd" or "next-business-day")`},
		{"zero", "0h", `target "0h" must be positive`},
		{"zero business days", "0bd", `target "0bd" must be positive`},
		{"negative", "-1h", `target "-1h" must be positive`},
		{"signed", "+1h", `target "+1h": write the number without a sign`},
		{"fraction", "1.5h", `target "1.5h": whole numbers only (write 1.5h as 90m)`},
		{"inner space", "4 h", `target "4 h" must not contain spaces`},
		{"trailing space", "4h ", `target "4h " must not contain spaces`},
		{"days are not a unit", "1d", `unknown unit "d" in target "1d" (want m, h, bd or "next-business-day")`},
		{"seconds are not a unit", "30s", `unknown unit "s" in target "30s" (want m, h, bd or "next-business-day")`},
		{"upper-case unit", "4H", `unknown unit "H" in target "4H" (want m, h, bd or "next-business-day")`},
		{"Go duration syntax", "1h30m", `unknown unit "h30m" in target "1h30m" (want m, h, bd or "next-business-day")`},
		{"no unit", "4", `target "4" has no unit (want m, h or bd, e.g. "4h")`},
		{"no number", "h", `target "h" has no number (want e.g. "4h")`},
		{"misspelt keyword", "next-businessday", `target "next-businessday" has no number (want e.g. "4h")`},
		{"leading zero", "04h", `target "04h": no leading zeros`},
		{"too many hours", "9000h", `target "9000h" is too large (at most 8784h)`},
		{"too many business days", "400bd", `target "400bd" is too large (at most 366bd)`},
		{"overflow", "99999999999999999999m", `target "99999999999999999999m" is too large (at most 527040m)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err == nil {
				t.Fatalf("ParseTarget(%q) accepted: %v", tt.in, got)
			}
			if err.Error() != tt.msg {
				t.Errorf("message\n got %s\nwant %s", err, tt.msg)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "target" || fe.Value != tt.in {
				t.Errorf("want *FieldError{target, %q}, got %#v", tt.in, err)
			}
		})
	}
}

func TestTargetAdd(t *testing.T) {
	tests := []struct {
		name, a, b, want string
		ok               bool
	}{
		{"hours and hours", "1h", "3h", "4h", true},
		{"minutes and hours", "30m", "1h", "90m", true},
		{"business days", "2bd", "3bd", "5bd", true},
		{"hours and business days", "1h", "1bd", "", false},
		{"next business day twice", "next-business-day", "next-business-day", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mustTarget(t, tt.a).Add(mustTarget(t, tt.b))
			if ok != tt.ok || (ok && got.String() != tt.want) {
				t.Errorf("%s + %s = %v, %v; want %s, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTargetStringForHandBuiltValues(t *testing.T) {
	tests := []struct {
		name string
		t    Target
		want string
	}{
		{"whole hours", Target{Kind: Duration, D: 2 * time.Hour}, "2h"},
		{"minutes", Target{Kind: Duration, D: 150 * time.Minute}, "150m"},
		{"seconds fall back to Go syntax", Target{Kind: Duration, D: 90 * time.Second}, "1m30s"},
		{"business days", Target{Kind: BusinessDays, N: 3}, "3bd"},
		{"zero value", Target{}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	if NextBusinessDay.String() != "next-business-day" || TargetKind(0).String() != "TargetKind(0)" {
		t.Error("TargetKind.String")
	}
}
