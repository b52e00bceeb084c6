package oncall

import (
	"strings"
	"testing"
	"time"
)

func TestParseCivil(t *testing.T) {
	good := []struct {
		in   string
		want Civil
	}{
		{"2026-01-05T09:00", Civil{2026, time.January, 5, 9, 0}},
		{"2028-02-29T23:59", Civil{2028, time.February, 29, 23, 59}},
		{"0001-01-01T00:00", Civil{1, time.January, 1, 0, 0}},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCivil(tc.in)
			if err != nil {
				t.Fatalf("ParseCivil(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseCivil(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if got.String() != tc.in {
				t.Fatalf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}

	bad := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "want YYYY-MM-DDTHH:MM"},
		{"space instead of T", "2026-01-05 09:00", "want YYYY-MM-DDTHH:MM"},
		{"lower-case t", "2026-01-05t09:00", "want YYYY-MM-DDTHH:MM"},
		{"single-digit fields", "2026-1-5T9:00", "want YYYY-MM-DDTHH:MM"},
		{"seconds", "2026-01-05T09:00:00", "want YYYY-MM-DDTHH:MM"},
		{"offset", "2026-01-05T09:00-07:00", "no zone"},
		{"Z suffix", "2026-01-05T09:00Z", "no zone"},
		{"date only", "2026-01-05", "want YYYY-MM-DDTHH:MM"},
		{"signed year", "+026-01-05T09:00", "want YYYY-MM-DDTHH:MM"},
		{"letters", "2026-0a-05T09:00", "want YYYY-MM-DDTHH:MM"},
		{"year zero", "0000-01-05T09:00", "year 0 out of range"},
		{"month 0", "2026-00-05T09:00", "month 0 out of range"},
		{"month 13", "2026-13-05T09:00", "month 13 out of range"},
		{"day 0", "2026-01-00T09:00", "day 0 out of range"},
		{"30 February", "2026-02-30T09:00", "day 30 out of range for February 2026"},
		{"29 February in a common year", "2026-02-29T09:00", "day 29 out of range for February 2026"},
		{"31 April", "2026-04-31T09:00", "day 31 out of range for April 2026"},
		{"hour 24", "2026-01-05T24:00", "hour 24 out of range"},
		{"minute 60", "2026-01-05T09:60", "minute 60 out of range"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCivil(tc.in)
			if err == nil {
				t.Fatalf("ParseCivil(%q) = %v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.in) {
				t.Fatalf("ParseCivil(%q) error %q, want it to quote the input and say %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestCivilIn(t *testing.T) {
	// Pins time.Date's normalization of nonexistent and ambiguous wall-clock
	// times, which the Schedule documentation promises. If a Go release
	// changes it, this is where we find out.
	tests := []struct {
		name, zone, civil, want string
	}{
		{"America/Denver spring-forward gap goes an hour early", "America/Denver", "2026-03-08T02:30", "2026-03-08T01:30:00-07:00"},
		{"Europe/London spring-forward gap goes an hour late", "Europe/London", "2026-03-29T01:30", "2026-03-29T02:30:00+01:00"},
		{"America/Denver fall-back hour is the first (MDT)", "America/Denver", "2026-11-01T01:30", "2026-11-01T01:30:00-06:00"},
		{"Europe/London fall-back hour is the second (GMT)", "Europe/London", "2026-10-25T01:30", "2026-10-25T01:30:00Z"},
		{"ordinary time", "America/Denver", "2026-07-01T09:00", "2026-07-01T09:00:00-06:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustCivil(t, tc.civil).In(mustLoc(t, tc.zone)).Format(time.RFC3339)
			if got != tc.want {
				t.Fatalf("%s in %s = %s, want %s", tc.civil, tc.zone, got, tc.want)
			}
		})
	}
}
