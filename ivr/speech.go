package ivr

import (
	"fmt"
	"strings"
	"time"

	"supportline/sla"
)

// spokenEmail reads an address the way a person would say it.
func spokenEmail(addr string) string {
	r := strings.NewReplacer("@", " at ", ".", " dot ", "-", " dash ", "_", " underscore ")
	return r.Replace(addr)
}

// spokenDue says when a response is due: "within 1 hour" on the always
// clock, "by Monday, 12:00 PM MDT" on a business calendar.
func spokenDue(target string, due time.Time, cal *sla.Calendar) string {
	if cal == nil || cal.IsAlways() {
		t, err := sla.ParseTarget(target)
		if err == nil && t.Kind == sla.Duration {
			return "within " + spokenDuration(t.D)
		}
		return due.UTC().Format("Monday, 3:04 PM MST")
	}
	return due.In(cal.Location()).Format("Monday, 3:04 PM MST")
}

func spokenDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	default:
		return fmt.Sprintf("%s and %s", plural(int(d/time.Hour), "hour"), plural(int(d%time.Hour/time.Minute), "minute"))
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
