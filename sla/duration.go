package sla

import (
	"strconv"
	"strings"
	"time"
)

// FormatDuration writes d the way people type it and read it: 168h, 1h30m,
// 45m, 20s, 2h30s. Go's own form (168h0m0s) reached audit details and
// command output and read like a machine's; this one drops the zero units
// and is still accepted by time.ParseDuration, so what an admin sees can be
// typed back. A remainder below a second is kept as Go writes it (1.5s,
// 500ms) rather than rounded away, because the value shown must be the
// value in force.
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < 0:
		// -d overflows for the most negative duration; Go's form is as good
		// as any for a value nobody types.
		if d == time.Duration(-1<<63) {
			return d.String()
		}
		return "-" + FormatDuration(-d)
	case d < time.Minute:
		return d.String()
	}
	var b strings.Builder
	if h := d / time.Hour; h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10))
		b.WriteByte('h')
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10))
		b.WriteByte('m')
	}
	if r := d % time.Minute; r > 0 {
		b.WriteString(r.String())
	}
	return b.String()
}
