package oncall

import "time"

// Shift is one stretch of uninterrupted coverage by one engineer: a rotation
// shift, or the part of it left between overrides, or the part of an
// override in force. Start and End are in the schedule's Location, half-open
// like everything else here, so one shift's End is the next one's Start.
type Shift struct {
	// Engineer is the handle on call.
	Engineer string
	// Start and End bound this coverage: the "since" and "until" an admin
	// sees, already cut where an override begins or ends.
	Start, End time.Time
	// Override is the override in force, or nil for a rotation shift. It is
	// a copy, so callers may keep it without aliasing their slice.
	Override *Override
}

// Resolve reports who is on call for s at at, and since and until when.
// Overrides for s (matched by name) take precedence over the rotation, the
// newest winning where they overlap. It returns false when nobody is: no
// override in force and either no members or at before the handoff anchor.
//
// For an override, Start and End are where it is actually in force: from its
// From, or the end of a newer override that cut into it, to its To, or the
// start of a newer override that cuts in. For a rotation shift they are the
// shift's boundaries pulled in to the nearest override end before at and
// override start after it. Pieces are not merged even when the same engineer
// is on both sides of a seam: a handoff is still a handoff.
//
// Resolve costs O(len(overrides)) plus a few time.Date calls however old the
// schedule is (up to 36h worth of boundaries within a day or so of a DST
// change, which is a handful for shifts of hours). An invalid schedule (see Validate) has no rotation;
// only its overrides apply.
func Resolve(s Schedule, overrides []Override, at time.Time) (Shift, bool) {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	// One pass finds the winning override, and, in case there is none, the
	// last override end before at and the first override start after it,
	// which are where the rotation shift gets cut.
	win := -1
	var lastEnd, nextStart time.Time
	for i := range overrides {
		o := &overrides[i]
		if !o.appliesTo(s.Name) {
			continue
		}
		switch {
		case !o.To.After(at):
			if o.To.After(lastEnd) {
				lastEnd = o.To
			}
		case o.From.After(at):
			if nextStart.IsZero() || o.From.Before(nextStart) {
				nextStart = o.From
			}
		default: // in force at at
			if win < 0 || o.newerThan(&overrides[win]) {
				win = i
			}
		}
	}
	if win >= 0 {
		o := overrides[win]
		start, end := o.From, o.To
		for i := range overrides {
			p := &overrides[i]
			if i == win || !p.appliesTo(s.Name) || !p.newerThan(&o) {
				continue
			}
			// p is newer yet not in force at at (it would have won), so it
			// lies wholly before or wholly after at and can only cut o's ends.
			if !p.To.After(at) {
				if p.To.After(start) {
					start = p.To
				}
			} else if p.From.Before(end) {
				end = p.From
			}
		}
		return Shift{Engineer: o.Engineer, Start: start.In(loc), End: end.In(loc), Override: &o}, true
	}

	r, ok := s.rotation()
	if !ok {
		return Shift{}, false
	}
	k, start, end, ok := r.locate(at)
	if !ok {
		return Shift{}, false
	}
	if lastEnd.After(start) {
		start = lastEnd
	}
	if !nextStart.IsZero() && nextStart.Before(end) {
		end = nextStart
	}
	return Shift{Engineer: r.member(k), Start: start.In(loc), End: end.In(loc)}, true
}

// Next lists up to n shifts from from on, overrides applied: the one in
// force at from first (its Start may be before from), then each following
// one, so that an override in the middle of a rotation shift shows as the
// rotation piece, the override, and the rest of the rotation shift. Where
// nobody is on call (before the handoff anchor, or between overrides of a
// schedule without members) the gap is skipped, not listed, and listing
// stops early when nobody will ever be on call again.
func Next(s Schedule, overrides []Override, from time.Time, n int) []Shift {
	if n <= 0 {
		return nil
	}
	out := make([]Shift, 0, n)
	at := from
	for len(out) < n {
		if sh, ok := Resolve(s, overrides, at); ok {
			out = append(out, sh)
			at = sh.End
			continue
		}
		next, ok := nextCoverage(s, overrides, at)
		if !ok {
			break
		}
		at = next
	}
	return out
}

// nextCoverage is the earliest instant after at, where nobody is on call,
// at which somebody is: an override's start or the rotation's first shift.
func nextCoverage(s Schedule, overrides []Override, at time.Time) (time.Time, bool) {
	var next time.Time
	found := false
	consider := func(t time.Time) {
		if t.After(at) && (!found || t.Before(next)) {
			next, found = t, true
		}
	}
	for i := range overrides {
		if o := &overrides[i]; o.appliesTo(s.Name) {
			consider(o.From)
		}
	}
	if r, ok := s.rotation(); ok {
		consider(r.boundary(0))
	}
	return next, found
}
