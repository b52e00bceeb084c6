package sla

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{168 * time.Hour, "168h"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Minute, "45m"},
		{20 * time.Second, "20s"},
		{90 * time.Second, "1m30s"},
		{2*time.Hour + 30*time.Second, "2h30s"},
		{1500 * time.Millisecond, "1.5s"},
		{500 * time.Millisecond, "500ms"},
		{-90 * time.Minute, "-1h30m"},
	} {
		got := FormatDuration(c.d)
		if got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
		// What people read, they can type back.
		if back, err := time.ParseDuration(got); err != nil || back != c.d {
			t.Errorf("ParseDuration(%q) = %v %v, want %v", got, back, err, c.d)
		}
	}
}

// The default policy's escalation policy oncall names primary (step 1) and
// secondary (step 2); desk names desk.
