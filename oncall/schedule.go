// Package oncall answers "who is on call for this schedule at this instant,
// since when and until when", from plain values: a rotation (Schedule) and
// the overrides the store loaded for it. It does no I/O and knows nothing of
// HTTP or telephony, so routing, the CLI and the SLA watcher can all ask the
// same question and get the same answer, and tests can ask it about any
// instant without a database or a clock.
//
// Time model. A rotation's shift boundaries are wall-clock times in the
// schedule's zone: boundary k is the civil time Handoff + k*Shift, added on
// the wall clock (ignoring DST), then turned into an instant with time.Date.
// A weekly Monday 09:00 handoff therefore stays at 09:00 local all year, and
// a 24h shift on a spring-forward day lasts 23 real hours (25 on fall-back).
package oncall

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/sla"
)

// Schedule is a rotation: Members take turns, one Shift each, starting at
// Handoff in Location.
//
// Before the handoff anchor nobody is on call from the rotation (only
// overrides apply). Extending the rotation backwards would invent a history
// nobody agreed to, and it would make the answer for a past instant change
// whenever an admin moves the anchor of a new rotation; "nobody" sends such a
// call to voicemail with a reason the admin can see and fix.
//
// Members may repeat: "alice,bob,alice" gives alice two shifts in three. That
// is a legitimate way to weight a rotation, so Validate allows it; shift k
// belongs to Members[k mod len(Members)] whatever the handles are.
//
// A handoff that falls in a spring-forward gap (02:30 on a day the clocks
// jump from 02:00 to 03:00) gets time.Date's normalization, which applies one
// of the two offsets around the transition, and which one depends on the
// zone: America/Denver 2026-03-08 02:30 becomes 01:30 MST (an hour early),
// Europe/London 2026-03-29 01:30 becomes 02:30 BST (an hour late). Likewise
// an ambiguous fall-back time is Denver's first 01:30 (MDT) but London's
// second (GMT). We accept Go's choice rather than invent a rule of our own
// because the store, the CLI and tests all use time.Date and must agree;
// admins who care should not hand off inside the DST hour.
//
// If a shift is shorter than a clock jump (a 30m shift across a 1h gap),
// normalization can put boundary k+1 before boundary k. A boundary never
// takes time backwards: shift k starts at the latest of boundaries 0..k, so
// a shift squeezed out by the jump is simply skipped.
type Schedule struct {
	// Name identifies the schedule; overrides name the schedule they cover.
	Name string
	// Location is the IANA zone the handoff is read in, never time.Local:
	// the answer must not depend on the server's zone.
	Location *time.Location
	// Shift is the length of one turn in wall-clock time (24h, 168h, 12h):
	// positive and a whole number of minutes, because handoffs are typed to
	// the minute and boundaries are computed in minutes.
	Shift time.Duration
	// Handoff is the wall-clock start of shift 0 in Location.
	Handoff Civil
	// Members are engineer handles in rotation order. An empty list is a
	// valid schedule that only overrides can staff.
	Members []string
}

// Validate reports every problem with s at once, each naming the schedule,
// so `schedule add` can show the admin everything to fix in one go. Each
// problem is an errcode.Invalid error with the field it is about
// (errcode.FieldOf the joined error is the first one's).
func (s Schedule) Validate() error {
	name := s.Name
	if strings.TrimSpace(name) == "" {
		name = "(unnamed)"
	}
	var errs []error
	add := func(field, format string, args ...any) {
		msg := fmt.Errorf("schedule %q: "+format, append([]any{name}, args...)...).Error()
		errs = append(errs, errcode.WithField(errcode.New(errcode.Invalid, msg), field))
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "name is empty")
	}
	switch s.Location {
	case nil:
		add("timezone", "no time zone")
	case time.Local:
		add("timezone", "time zone is the server's Local zone; name an IANA zone such as America/Denver")
	}
	switch {
	case s.Shift <= 0:
		add("shift", "shift %s must be positive", sla.FormatDuration(s.Shift))
	case s.Shift%time.Minute != 0:
		add("shift", "shift %s is not a whole number of minutes", sla.FormatDuration(s.Shift))
	}
	if err := s.Handoff.Validate(); err != nil {
		add("handoff", "handoff %s: %w", s.Handoff, err)
	}
	for i, m := range s.Members {
		if strings.TrimSpace(m) == "" {
			add("members", "member %d of %d has an empty handle", i+1, len(s.Members))
		}
	}
	return errors.Join(errs...)
}

// maxOffsetRange bounds how far apart any two UTC offsets of one zone are.
// The widest in tzdata is Pacific/Apia at 25h30m (from LMT -11:26 to +14:00);
// UTC-12 to UTC+14 is 26h. Boundaries whose civil times are at least this far
// apart are ordered like their civil times whatever offsets apply, which is
// what lets rotation look only at a few neighbours of a shift.
const maxOffsetRange = 36 * time.Hour

// rotation is a schedule reduced to the arithmetic: boundary k is the civil
// time base + k*step seconds, converted in loc.
type rotation struct {
	loc     *time.Location
	base    int64 // Handoff as naive (wall-clock-as-UTC) Unix seconds
	step    int64 // shift length in seconds, a multiple of 60
	members []string
	window  int64 // shifts spanned by maxOffsetRange, rounded up, plus one
}

// rotation returns the schedule's rotation, or false when it has none: no
// members, or a schedule Validate would reject. Resolve must not panic on a
// bad row, and an invalid rotation must not put a blank handle on call.
func (s Schedule) rotation() (rotation, bool) {
	if len(s.Members) == 0 || s.Location == nil || s.Location == time.Local ||
		s.Shift <= 0 || s.Shift%time.Minute != 0 || s.Handoff.Validate() != nil {
		return rotation{}, false
	}
	for _, m := range s.Members {
		if strings.TrimSpace(m) == "" {
			return rotation{}, false
		}
	}
	step := int64(s.Shift / time.Second)
	return rotation{
		loc:     s.Location,
		base:    s.Handoff.naiveSeconds(),
		step:    step,
		members: s.Members,
		window:  (int64(maxOffsetRange/time.Second)+step-1)/step + 1,
	}, true
}

// boundary is the start of shift k before the no-going-back rule: civil
// Handoff + k*Shift through time.Date. Splitting into days and seconds keeps
// the int arguments small on 32-bit platforms.
func (r rotation) boundary(k int64) time.Time {
	naive := r.base + k*r.step
	days, secs := floorDiv(naive, 86400), floorMod(naive, 86400)
	return time.Date(1970, time.January, 1+int(days), 0, 0, int(secs), 0, r.loc)
}

// member is the engineer of shift k (k >= 0).
func (r rotation) member(k int64) string {
	return r.members[k%int64(len(r.members))]
}

// locate finds the shift in force at t: the k >= 0 with start <= t < end,
// where start is the latest of boundaries 0..k and end is boundary k+1. It
// returns false before the first boundary. The cost does not grow with the
// age of the schedule: it estimates k from t's wall clock, corrects by a step
// or two, and only near a zone transition looks at the few neighbouring
// boundaries that normalization could have reordered.
func (r rotation) locate(t time.Time) (k int64, start, end time.Time, ok bool) {
	k = floorDiv(naiveSeconds(t, r.loc)-r.base, r.step)
	if k < -1 {
		k = -1
	}
	if k >= 0 {
		for start = r.boundary(k); start.After(t); start = r.boundary(k) {
			if k--; k < 0 {
				break
			}
		}
	}
	next := r.boundary(k + 1)
	for !next.After(t) {
		k, start = k+1, next
		next = r.boundary(k + 1)
	}
	// Now boundary(k) <= t < boundary(k+1) (or k == -1): a local crossing.
	if k < 0 {
		return 0, time.Time{}, time.Time{}, false
	}
	if r.ordered(start) {
		return k, start, next, true
	}
	// Slow path, near a transition. The shift in force is the one before the
	// first boundary after t. Any boundary after t that lies below k has a
	// civil time within maxOffsetRange of boundary k (farther ones are
	// ordered by their civil time and so are <= boundary(k) <= t).
	first := k + 1
	for j := k; j >= 0 && j > k-r.window; j-- {
		if b := r.boundary(j); b.After(t) {
			first, next = j, b
		}
	}
	k = first - 1
	if k < 0 {
		return 0, time.Time{}, time.Time{}, false
	}
	start = r.boundary(k)
	for j := k - 1; j >= 0 && j > k-r.window; j-- {
		if b := r.boundary(j); b.After(start) {
			start = b
		}
	}
	return k, start, next, true
}

// ordered reports that no boundary before start's can be later than start,
// so start begins its shift and no earlier boundary reaches past t. That
// holds when the zone period containing start has no transition within
// maxOffsetRange on either side: every boundary in that range then converts
// with the same offset, in order, and farther ones are ordered by their civil
// time anyway. (A boundary moved by normalization lies within one clock
// jump of a transition, and no jump exceeds maxOffsetRange, so start itself
// is never a normalized one here.)
func (r rotation) ordered(start time.Time) bool {
	from, to := start.ZoneBounds()
	return (from.IsZero() || !from.After(start.Add(-maxOffsetRange))) &&
		(to.IsZero() || to.After(start.Add(maxOffsetRange)))
}

// naiveSeconds is t's wall clock in loc read as if it were UTC.
func naiveSeconds(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return t.Unix() + int64(off)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	return a - floorDiv(a, b)*b
}
