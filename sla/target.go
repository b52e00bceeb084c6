package sla

import (
	"strconv"
	"strings"
	"time"
)

// TargetKind says how a [Target] is counted.
type TargetKind int

// Target kinds. The zero TargetKind is not a valid kind, so a zero Target is
// recognisably unset.
const (
	// Duration is an amount of business time ("45m", "4h"), or of absolute
	// time on [Always].
	Duration TargetKind = iota + 1
	// BusinessDays is N working-day lengths of business time ("2bd").
	BusinessDays
	// NextBusinessDay is the closing time of the next business day
	// ("next-business-day").
	NextBusinessDay
)

// String names the kind for logs and errors.
func (k TargetKind) String() string {
	switch k {
	case Duration:
		return "duration"
	case BusinessDays:
		return "business-days"
	case NextBusinessDay:
		return "next-business-day"
	}
	return "TargetKind(" + strconv.Itoa(int(k)) + ")"
}

// Limits on what a target may say. A year covers any real contract and
// keeps a typo ("4000000m") from turning into years of window walking.
const (
	maxTargetMinutes = 366 * 24 * 60
	maxTargetHours   = 366 * 24
	maxBusinessDays  = 366
)

// NextBusinessDayTarget is the spelling of the [NextBusinessDay] target.
const NextBusinessDayTarget = "next-business-day"

// Target is a response-time promise as written in the policy file. D is set
// for [Duration], N for [BusinessDays]; build one with [ParseTarget] so that
// [Target.String] gives back exactly what was written.
type Target struct {
	Kind TargetKind
	D    time.Duration
	N    int
	unit byte // 'm' or 'h' as written, for String
}

// ParseTarget reads "45m", "4h", "90m", "2bd" or "next-business-day". The
// number is a positive whole number without sign, leading zero or spaces;
// "1.5h" must be written "90m". Errors are *[FieldError] with Field "target".
func ParseTarget(s string) (Target, error) {
	bad := func(format string, args ...any) (Target, error) {
		return Target{}, fieldErr("target", s, format, args...)
	}
	if s == NextBusinessDayTarget {
		return Target{Kind: NextBusinessDay}, nil
	}
	if strings.TrimSpace(s) == "" {
		return bad(`empty target (want e.g. "45m", "4h", "2bd" or "next-business-day")`)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return bad("target %q must not contain spaces", s)
	}
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	num, unit := s[:digits], s[digits:]
	switch {
	case strings.HasPrefix(s, "-"):
		return bad("target %q must be positive", s)
	case strings.HasPrefix(s, "+"):
		return bad("target %q: write the number without a sign", s)
	case strings.HasPrefix(unit, ".") || strings.HasPrefix(unit, ","):
		return bad("target %q: whole numbers only (write 1.5h as 90m)", s)
	case num == "":
		return bad(`target %q has no number (want e.g. "4h")`, s)
	case unit == "":
		return bad(`target %q has no unit (want m, h or bd, e.g. "%sh")`, s, num)
	}
	var limit int
	switch unit {
	case "m":
		limit = maxTargetMinutes
	case "h":
		limit = maxTargetHours
	case "bd":
		limit = maxBusinessDays
	default:
		return bad(`unknown unit %q in target %q (want m, h, bd or "next-business-day")`, unit, s)
	}
	if len(num) > 1 && num[0] == '0' {
		return bad("target %q: no leading zeros", s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n > limit {
		return bad("target %q is too large (at most %d%s)", s, limit, unit)
	}
	if n == 0 {
		return bad("target %q must be positive", s)
	}
	switch unit {
	case "m":
		return Target{Kind: Duration, D: time.Duration(n) * time.Minute, unit: 'm'}, nil
	case "h":
		return Target{Kind: Duration, D: time.Duration(n) * time.Hour, unit: 'h'}, nil
	}
	return Target{Kind: BusinessDays, N: n}, nil
}

// String returns the target as written: "90m" stays "90m", "2bd" stays
// "2bd". A Duration target built by hand prints in hours when whole, else
// minutes. A Target with no valid kind prints "invalid".
func (t Target) String() string {
	switch t.Kind {
	case NextBusinessDay:
		return NextBusinessDayTarget
	case BusinessDays:
		return strconv.Itoa(t.N) + "bd"
	case Duration:
		switch {
		case t.D%time.Hour == 0 && t.unit != 'm':
			return strconv.FormatInt(int64(t.D/time.Hour), 10) + "h"
		case t.D%time.Minute == 0:
			return strconv.FormatInt(int64(t.D/time.Minute), 10) + "m"
		}
		return t.D.String()
	}
	return "invalid"
}

// Add returns the sum of two targets of the same summable kind (two
// durations, or two business-day counts); ok is false otherwise. It exists
// so that Due(Due(t, a), b) == Due(t, a+b) can be stated and tested.
func (t Target) Add(u Target) (Target, bool) {
	if t.Kind != u.Kind {
		return Target{}, false
	}
	switch t.Kind {
	case Duration:
		unit := byte('m')
		if t.unit == 'h' && u.unit == 'h' {
			unit = 'h'
		}
		return Target{Kind: Duration, D: t.D + u.D, unit: unit}, true
	case BusinessDays:
		return Target{Kind: BusinessDays, N: t.N + u.N}, true
	}
	return Target{}, false
}

// amount returns the business time t asks for on c: D, or N working days.
// NextBusinessDay and invalid targets ask for none.
func (t Target) amount(c *Calendar) time.Duration {
	switch t.Kind {
	case Duration:
		return max(t.D, 0)
	case BusinessDays:
		return time.Duration(max(t.N, 0)) * c.WorkdayLength()
	}
	return 0
}

// absolute returns the elapsed time t stands for on [Always]: a business
// day and the next business day are both 24 hours.
func (t Target) absolute() time.Duration {
	switch t.Kind {
	case Duration:
		return max(t.D, 0)
	case BusinessDays:
		return time.Duration(max(t.N, 0)) * 24 * time.Hour
	case NextBusinessDay:
		return 24 * time.Hour
	}
	return 0
}
