package oncall

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// reference answers the same question as Resolve the slow, obvious way: it
// walks the rotation from the anchor one shift at a time (stepping the wall
// clock with time.Time.Add in UTC, not Resolve's arithmetic), and finds
// overrides and the edges of a piece of coverage by scanning everything.
type reference struct {
	s         Schedule
	overrides []Override
	// starts[k] is when shift k starts: the latest boundary among 0..k, since
	// a boundary never takes time backwards.
	starts []time.Time
}

func newReference(s Schedule, overrides []Override, until time.Time) *reference {
	r := &reference{s: s, overrides: overrides}
	if len(s.Members) == 0 {
		return r
	}
	h := s.Handoff
	wall := time.Date(h.Year, h.Month, h.Day, h.Hour, h.Minute, 0, 0, time.UTC)
	var latest time.Time
	for {
		b := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, s.Location)
		if len(r.starts) == 0 || b.After(latest) {
			latest = b
		}
		r.starts = append(r.starts, latest)
		if latest.After(until) {
			return r
		}
		wall = wall.Add(s.Shift)
	}
}

// owner identifies who covers an instant: an override ID, a rotation shift
// index, or nobody.
type owner struct {
	override int64 // 0 when not an override
	shift    int   // -1 when not a rotation shift
}

var nobody = owner{0, -1}

func (r *reference) owner(t time.Time) owner {
	var best *Override
	for i := range r.overrides {
		o := &r.overrides[i]
		if o.Schedule != r.s.Name || o.Engineer == "" || !o.From.Before(o.To) {
			continue
		}
		if t.Before(o.From) || !t.Before(o.To) {
			continue
		}
		if best == nil || o.CreatedAt.After(best.CreatedAt) || (o.CreatedAt.Equal(best.CreatedAt) && o.ID > best.ID) {
			best = o
		}
	}
	if best != nil {
		return owner{best.ID, -1}
	}
	k := r.shiftAt(t)
	if k < 0 {
		return nobody
	}
	return owner{0, k}
}

// shiftAt is the last shift that has started by t, or -1.
func (r *reference) shiftAt(t time.Time) int {
	return sort.Search(len(r.starts), func(i int) bool { return r.starts[i].After(t) }) - 1
}

func (r *reference) engineer(o owner) string {
	if o.override != 0 {
		for _, ov := range r.overrides {
			if ov.ID == o.override {
				return ov.Engineer
			}
		}
	}
	return r.s.Members[o.shift%len(r.s.Members)]
}

// resolve finds the piece of coverage around t by trying every instant at
// which ownership could change (every override edge and the nearby shift
// starts) and keeping the nearest ones where it does.
func (r *reference) resolve(t time.Time) (engineer string, start, end time.Time, ok bool) {
	who := r.owner(t)
	if who == nobody {
		return "", time.Time{}, time.Time{}, false
	}
	var edges []time.Time
	for _, o := range r.overrides {
		edges = append(edges, o.From, o.To)
	}
	k := r.shiftAt(t)
	for i := max(k-3, 0); i <= k+3 && i < len(r.starts); i++ {
		edges = append(edges, r.starts[i])
	}
	slices.SortFunc(edges, func(a, b time.Time) int { return a.Compare(b) })
	for i := len(edges) - 1; i >= 0; i-- {
		if e := edges[i]; !e.After(t) && r.owner(e.Add(-time.Nanosecond)) != who {
			start = e
			break
		}
	}
	for _, e := range edges {
		if e.After(t) && r.owner(e) != who {
			end = e
			break
		}
	}
	return r.engineer(who), start, end, true
}

func TestResolveAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260105, 5))
	lo := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	randInstant := func(from, to time.Time) time.Time {
		return from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)/time.Second))) * time.Second)
	}
	handles := []string{"alice", "bob", "carol", "dave", "erin", "frank"}

	configs := []struct {
		zone    string
		shift   time.Duration
		members int
		handoff string // "" for a random one
	}{
		{"America/Denver", 24 * time.Hour, 3, "2026-01-05T09:00"},
		{"America/Denver", 168 * time.Hour, 4, ""},
		{"America/Denver", 12 * time.Hour, 2, "2026-03-01T02:30"}, // in the gap on 2026-03-08
		{"Europe/London", 24 * time.Hour, 1, "2025-10-26T01:30"},  // ambiguous on fall-back days
		{"Europe/London", 168 * time.Hour, 3, ""},
		{"Europe/London", 12 * time.Hour, 4, ""},
		{"Australia/Lord_Howe", 24 * time.Hour, 2, "2026-04-05T01:45"}, // 30-minute DST
		{"Pacific/Auckland", 168 * time.Hour, 2, ""},
		{"America/St_Johns", 24 * time.Hour, 3, ""},
		{"Asia/Kolkata", 12 * time.Hour, 1, ""},
		{"UTC", 168 * time.Hour, 2, "2027-06-07T00:00"}, // anchor mid-range: nobody before it
		{"America/Denver", 24 * time.Hour, 0, "2026-01-05T09:00"},
		// Shorter than a clock jump: exercises the reordering path.
		{"Europe/London", 30 * time.Minute, 3, "2026-01-01T00:00"},
		{"Australia/Lord_Howe", 20 * time.Minute, 2, "2026-01-01T00:10"},
		{"America/Denver", 25 * time.Minute, 4, "2026-01-01T00:00"},
		{"Europe/London", 45 * time.Minute, 3, ""},
	}
	type fixture struct {
		s           Schedule
		ref         *reference
		transitions []time.Time // the zone's offset changes in [lo, hi]
	}
	var fixtures []fixture
	nextID := int64(1)
	for i, c := range configs {
		s := Schedule{Name: "s" + string(rune('a'+i)), Location: mustLoc(t, c.zone), Shift: c.shift}
		if c.handoff != "" {
			s.Handoff = mustCivil(t, c.handoff)
		} else {
			wall := randInstant(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
			s.Handoff = Civil{wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute()}
		}
		for range c.members {
			s.Members = append(s.Members, handles[rng.IntN(len(handles))]) // repeats allowed
		}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		var overrides []Override
		for range 25 {
			o := Override{
				ID:        nextID,
				Schedule:  s.Name,
				Engineer:  handles[rng.IntN(len(handles))],
				From:      randInstant(lo, hi).Truncate(time.Minute),
				CreatedAt: randInstant(lo.AddDate(-1, 0, 0), hi).Truncate(time.Hour),
			}
			nextID++
			o.To = o.From.Add(time.Duration(1+rng.IntN(14*24*60)) * time.Minute)
			switch p := rng.IntN(20); {
			case p < 6 && len(overrides) > 0: // nested in or overlapping an earlier one
				base := overrides[rng.IntN(len(overrides))]
				o.From = base.From.Add(time.Duration(rng.Int64N(int64(base.To.Sub(base.From)/time.Minute)+1)) * time.Minute)
				o.To = o.From.Add(time.Duration(1+rng.IntN(3*24*60)) * time.Minute)
			case p < 8 && len(overrides) > 0: // same CreatedAt: ID decides
				o.CreatedAt = overrides[rng.IntN(len(overrides))].CreatedAt
			case p == 8:
				o.Schedule = "other"
			case p == 9:
				o.To = o.From
			}
			overrides = append(overrides, o)
		}
		rng.Shuffle(len(overrides), func(i, j int) { overrides[i], overrides[j] = overrides[j], overrides[i] })
		var transitions []time.Time
		for at := lo.In(s.Location); ; {
			_, end := at.ZoneBounds()
			if end.IsZero() || end.After(hi) {
				break
			}
			transitions, at = append(transitions, end), end
		}
		fixtures = append(fixtures, fixture{s, newReference(s, overrides, hi.AddDate(0, 0, 30)), transitions})
	}

	const instants = 10000
	for i := range instants {
		f := fixtures[i%len(fixtures)]
		var at time.Time
		switch p := rng.IntN(10); {
		case p < 3:
			at = randInstant(lo, hi)
		case p < 5 && len(f.transitions) > 0: // within a few shifts of a DST change
			tr := f.transitions[rng.IntN(len(f.transitions))]
			near := 3*f.s.Shift + 2*time.Hour
			at = randInstant(tr.Add(-near), tr.Add(near))
		case p < 7 && len(f.ref.overrides) > 0: // at or near an override edge
			o := f.ref.overrides[rng.IntN(len(f.ref.overrides))]
			edge := o.From
			if rng.IntN(2) == 0 {
				edge = o.To
			}
			at = edge.Add(time.Duration(rng.IntN(3)-1) * time.Second)
		default: // at or near a shift start
			if len(f.ref.starts) == 0 {
				at = randInstant(lo, hi)
				break
			}
			k := f.ref.shiftAt(randInstant(lo, hi))
			edge := f.ref.starts[max(k, 0)]
			at = edge.Add([]time.Duration{-time.Second, 0, time.Second, -time.Hour, 90 * time.Minute}[rng.IntN(5)])
		}
		if rng.IntN(2) == 0 {
			at = at.UTC()
		}

		got, ok := Resolve(f.s, f.ref.overrides, at)
		engineer, start, end, wantOK := f.ref.resolve(at)
		if ok != wantOK || got.Engineer != engineer || !got.Start.Equal(start) || !got.End.Equal(end) {
			t.Fatalf("schedule %s (%s, %v from %s, members %v) at %s:\n got %s, %v\nwant %s [%s, %s), %v",
				f.s.Name, f.s.Location, f.s.Shift, f.s.Handoff, f.s.Members, at.Format(time.RFC3339),
				fmtShift(got), ok, engineer, start.Format(time.RFC3339), end.Format(time.RFC3339), wantOK)
		}
		if ok && (got.Start.Location() != f.s.Location || got.End.Location() != f.s.Location || got.Start.After(at) || !got.End.After(at)) {
			t.Fatalf("schedule %s at %s: %s is not in %s or does not contain the instant", f.s.Name, at, fmtShift(got), f.s.Location)
		}
		if ok && i%50 == 0 {
			// Next from the same instant starts with the same shift and, once
			// the rotation has started, runs on without a seam.
			next := Next(f.s, f.ref.overrides, at, 4)
			if len(next) == 0 || fmtShift(next[0]) != fmtShift(got) {
				t.Fatalf("schedule %s at %s: Next starts with %v, want %s", f.s.Name, at, next, fmtShift(got))
			}
			for j := 1; j < len(next) && len(f.ref.starts) > 0 && !at.Before(f.ref.starts[0]); j++ {
				if !next[j-1].End.Equal(next[j].Start) {
					t.Fatalf("schedule %s from %s: Next shift %d ends %s, shift %d starts %s", f.s.Name, at, j-1, next[j-1].End, j, next[j].Start)
				}
			}
		}
	}
}
