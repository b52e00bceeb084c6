package sla

import (
	"math"
	"time"
)

// Fraction returns the instant at which fraction f of the business time on c
// between opened and due has elapsed, in c's zone: the moment a breach
// watcher warns ("75% of the target is gone"). On [Always] it is absolute
// time, opened + f×(due−opened).
//
// f is clamped to [0, 1]: 0 gives the instant counting starts (opened, or the
// next opening after it), 1 gives due. f of the business time is rounded to
// the nearest nanosecond, so that 0.8 of 4h is exactly 3h12m and not a
// nanosecond more through floating-point error.
// Because [Elapsed] counts from opened whether or not it is business time,
// Fraction(opened, Due(opened, t, c), f, c) is f of the target's business
// time for any target, "next-business-day" included.
func Fraction(opened, due time.Time, f float64, c *Calendar) time.Time {
	if !due.After(opened) {
		return due.In(c.loc)
	}
	if math.IsNaN(f) || f <= 0 {
		return c.NextOpen(opened)
	}
	if f >= 1 {
		return due.In(c.loc)
	}
	total := Elapsed(opened, due, c)
	part := min(time.Duration(math.Round(float64(total)*f)), total)
	if c.always {
		return opened.Add(part).In(c.loc)
	}
	at, _ := c.advance(opened, part, false)
	return at
}
