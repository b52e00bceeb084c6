package console

import (
	"testing"
	"time"
)

// when writes an instant in the zone asked for, UTC for none or a name
// that is no zone, and the cached zone answers as the first lookup did.
func TestWhen(t *testing.T) {
	at := time.Date(2026, 11, 18, 15, 4, 0, 0, time.UTC) // Wednesday
	for _, tc := range []struct{ name, zone, want string }{
		{"UTC when no zone", "", "Wed 18 Nov 2026 15:04 UTC"},
		{"America/Denver in November (MST)", "America/Denver", "Wed 18 Nov 2026 08:04 MST"},
		{"America/Denver again, from the cache", "America/Denver", "Wed 18 Nov 2026 08:04 MST"},
		{"UTC for a name that is no zone", "Mars/Olympus", "Wed 18 Nov 2026 15:04 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := when(at, tc.zone); got != tc.want {
				t.Errorf("when(%s, %q) = %q, want %q", at, tc.zone, got, tc.want)
			}
		})
	}
	if got := when(time.Time{}, "America/Denver"); got != "" {
		t.Errorf("when(zero) = %q, want empty", got)
	}
}

// formInstant takes what the console's time fields send, in UTC.
func TestFormInstant(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-21T09:00", time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), true},
		{"2026-11-21T09:00:30", time.Date(2026, 11, 21, 9, 0, 30, 0, time.UTC), true},
		{"2026-11-21T03:00:00-07:00", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), true},
		{"2026-11-21", time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), true},
		{"tomorrow", time.Time{}, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := formInstant(tc.in)
			if ok != tc.ok || !got.Equal(tc.want) || (ok && got.Location() != time.UTC) {
				t.Errorf("formInstant(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
