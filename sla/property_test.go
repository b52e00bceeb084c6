package sla

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rickar/cal/v2/us"
)

var (
	propStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	propEnd   = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
)

// propSpecs are the calendars the properties run on.
var propSpecs = []calSpec{denverSpec, ny8Spec, sixDaySpec, lateSpec, fullSpec, nightSpec, santiagoSpec, santiagoSundaySpec}

// randInstant returns an instant in 2024-2030. A third are on a 15-minute
// grid so that openings and closings are hit exactly; the rest carry
// nanoseconds.
func randInstant(r *rand.Rand) time.Time {
	span := propEnd.Sub(propStart)
	t := propStart.Add(time.Duration(r.Int64N(int64(span))))
	if r.IntN(3) == 0 {
		t = t.Truncate(15 * time.Minute)
	}
	return t
}

// randTarget returns a duration target (1m to 60h, mostly short) or a
// business-day target (1 to 7).
func randTarget(r *rand.Rand) Target {
	switch r.IntN(4) {
	case 0:
		return Target{Kind: BusinessDays, N: 1 + r.IntN(7)}
	case 1:
		return Target{Kind: Duration, D: time.Duration(1+r.IntN(60)) * time.Hour, unit: 'h'}
	}
	return Target{Kind: Duration, D: time.Duration(1+r.IntN(600)) * time.Minute, unit: 'm'}
}

// atWindowEdge reports whether t is business time or exactly a closing
// instant (the last nanosecond before it is business time).
func atWindowEdge(c *Calendar, t time.Time) bool {
	return c.IsOpen(t) || c.IsOpen(t.Add(-time.Nanosecond))
}

// checkDue states every property of one Due call; it is shared by the
// seeded tests and the fuzz target.
func checkDue(t *testing.T, c *Calendar, opened time.Time, target Target) {
	t.Helper()
	due := Due(opened, target, c)
	if due.Location() != c.Location() {
		t.Fatalf("%s %v from %v: due in %v", c.Name(), target, opened, due.Location())
	}
	if due.Before(opened) {
		t.Fatalf("%s %v from %v: due %v is before opening", c.Name(), target, opened, due)
	}
	if !atWindowEdge(c, due) {
		t.Fatalf("%s %v from %v: due %v is neither business time nor a closing instant", c.Name(), target, opened, due)
	}
	switch target.Kind {
	case Duration, BusinessDays:
		if got, want := Elapsed(opened, due, c), target.amount(c); got != want {
			t.Fatalf("%s %v from %v: Elapsed(opened, due %v) = %v, want %v", c.Name(), target, opened, due, got, want)
		}
		// The last nanosecond before due was counted, so due is the earliest
		// instant with that much business time behind it.
		if !c.IsOpen(due.Add(-time.Nanosecond)) {
			t.Fatalf("%s %v from %v: due %v not preceded by business time", c.Name(), target, opened, due)
		}
	case NextBusinessDay:
		od := opened.In(c.Location())
		dd := due.Add(-time.Nanosecond).In(c.Location())
		if !dateAfter(dd, od) || !c.IsOpen(due.Add(-time.Nanosecond)) {
			t.Fatalf("%s next-business-day from %v: due %v", c.Name(), opened, due)
		}
	}
	var sum time.Duration
	for _, iv := range Counted(opened, target, c) {
		if !c.IsOpen(iv.Start) || !c.IsOpen(iv.End.Add(-time.Nanosecond)) || iv.Start.Before(opened) || iv.End.After(due) {
			t.Fatalf("%s %v from %v: counted interval %v is not business time within [opened, due)", c.Name(), target, opened, iv)
		}
		sum += iv.End.Sub(iv.Start)
	}
	if el := Elapsed(opened, due, c); sum != el {
		t.Fatalf("%s %v from %v: Counted sums to %v, Elapsed %v", c.Name(), target, opened, sum, el)
	}
}

func dateAfter(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC).After(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC))
}

func TestDueProperties2024To2030(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i, spec := range propSpecs {
		c := spec.build(t)
		t.Run(spec.name+" "+spec.tz, func(t *testing.T) {
			r := rand.New(rand.NewPCG(20240614, uint64(i)))
			for range n {
				opened := randInstant(r)
				a, b := randTarget(r), randTarget(r)
				checkDue(t, c, opened, a)
				if r.IntN(10) == 0 {
					checkDue(t, c, opened, Target{Kind: NextBusinessDay})
				}

				// Due never decreases when opened moves later.
				later := opened.Add(time.Duration(r.Int64N(int64(72 * time.Hour))))
				if r.IntN(4) == 0 {
					later = opened.Add(time.Duration(1 + r.IntN(1000))) // nanoseconds
				}
				for _, tg := range []Target{a, {Kind: NextBusinessDay}} {
					if d1, d2 := Due(opened, tg, c), Due(later, tg, c); d2.Before(d1) {
						t.Fatalf("%v: Due(%v) = %v but Due(%v) = %v", tg, opened, d1, later, d2)
					}
				}

				// Due(Due(t, a), b) == Due(t, a+b) for targets of one kind.
				if sum, ok := a.Add(b); ok {
					chained := Due(Due(opened, a, c), b, c)
					if direct := Due(opened, sum, c); !chained.Equal(direct) {
						t.Fatalf("from %v: Due(Due(%v), %v) = %v, Due(%v) = %v", opened, a, b, chained, sum, direct)
					}
				}

				// NextOpen is business time with nothing counted before it.
				next := c.NextOpen(opened)
				if !c.IsOpen(next) || next.Before(opened) || Elapsed(opened, next, c) != 0 {
					t.Fatalf("NextOpen(%v) = %v", opened, next)
				}
				if c.IsOpen(opened) != next.Equal(opened) {
					t.Fatalf("IsOpen(%v) = %v but NextOpen = %v", opened, c.IsOpen(opened), next)
				}
			}
		})
	}
}

// businessMinute is the reference definition of business time, written
// from the contract's words: the local wall-clock time is in [open, close)
// on a listed weekday whose local date is not a holiday. Holidays come from
// rickar/cal, not from the code under test.
type reference struct {
	loc         *time.Location
	days        map[time.Weekday]bool
	open, close int
	holidays    map[string]bool
}

func newReference(t *testing.T, s calSpec) *reference {
	loc, err := time.LoadLocation(s.tz)
	if err != nil {
		t.Fatal(err)
	}
	ref := &reference{loc: loc, days: map[time.Weekday]bool{}, holidays: map[string]bool{}}
	for _, d := range s.days {
		ref.days[dayNames[d]] = true
	}
	var h, m int
	fmt.Sscanf(s.open, "%d:%d", &h, &m)
	ref.open = h*60 + m
	fmt.Sscanf(s.close, "%d:%d", &h, &m)
	ref.close = h*60 + m
	for _, hol := range s.holidays {
		if hol != "us-federal" {
			ref.holidays[hol] = true
			continue
		}
		for y := 2023; y <= 2032; y++ {
			for _, h := range us.Holidays {
				if h == us.Juneteenth && y < 2021 {
					continue
				}
				_, obs := h.Calc(y)
				ref.holidays[obs.Format(time.DateOnly)] = true
			}
		}
	}
	return ref
}

func (r *reference) businessMinute(m time.Time) bool {
	l := m.In(r.loc)
	if !r.days[l.Weekday()] || r.holidays[l.Format(time.DateOnly)] {
		return false
	}
	wall := l.Hour()*60 + l.Minute()
	return r.open <= wall && wall < r.close
}

// elapsed and due step minute by minute; from must be on a minute.
func (r *reference) elapsed(from, to time.Time) time.Duration {
	var n time.Duration
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		if r.businessMinute(m) {
			n += time.Minute
		}
	}
	return n
}

func (r *reference) due(from time.Time, d time.Duration) time.Time {
	m := from
	for ; d > 0; m = m.Add(time.Minute) {
		if r.businessMinute(m) {
			d -= time.Minute
		}
	}
	return m
}

// The wall-clock reference and the window arithmetic must agree on a
// 5-minute grid, which hits every opening and closing exactly. Half the
// cases start near a DST transition or a holiday, where they could differ.
func TestAgainstMinuteSteppingReference(t *testing.T) {
	hot := []string{
		"2024-03-08", "2024-03-09", "2024-03-10", "2024-11-01", "2024-11-02", "2024-11-03",
		"2025-03-08", "2025-03-09", "2025-11-01", "2025-11-02", "2026-03-08", "2026-11-01",
		"2024-08-30", "2024-11-27", "2026-07-02", "2027-12-23", "2027-12-30", "2029-11-09",
		"2024-02-28", "2028-02-28", "2025-12-23", "2026-12-23", "2028-12-23",
	}
	n := 250
	if testing.Short() {
		n = 40
	}
	// Santiago is left out: there the windows are time.Date-built and the
	// wall clock disagrees for the hour before its midnight transition,
	// which is the point of building windows with time.Date.
	for i, spec := range propSpecs[:6] {
		c := spec.build(t)
		ref := newReference(t, spec)
		t.Run(spec.name+" "+spec.tz, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(i)))
			for range n {
				var from time.Time
				if r.IntN(2) == 0 {
					day, _ := time.ParseInLocation(time.DateOnly, hot[r.IntN(len(hot))], ref.loc)
					from = day.Add(time.Duration(r.IntN(48*12)) * 5 * time.Minute)
				} else {
					from = randInstant(r).Truncate(5 * time.Minute)
				}
				to := from.Add(time.Duration(r.IntN(4*24*12)) * 5 * time.Minute)
				if got, want := Elapsed(from, to, c), ref.elapsed(from, to); got != want {
					t.Fatalf("Elapsed(%v, %v) = %v, reference %v", from, to, got, want)
				}
				d := time.Duration(1+r.IntN(24*12)) * 5 * time.Minute
				if got, want := Due(from, Target{Kind: Duration, D: d}, c), ref.due(from, d); !got.Equal(want) {
					t.Fatalf("Due(%v, %v) = %v, reference %v", from, d, got, want)
				}
			}
		})
	}
}

// IsOpen and Elapsed are computed by different paths; stepping IsOpen must
// add up to Elapsed on every calendar, including Santiago's.
func TestElapsedAgreesWithIsOpen(t *testing.T) {
	for i, spec := range propSpecs {
		c := spec.build(t)
		t.Run(spec.name+" "+spec.tz, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(i)))
			starts := []time.Time{
				mustTime(t, "2024-09-06T20:00:00-04:00"), // Santiago spring-forward Saturday night
				mustTime(t, "2024-09-07T23:30:00-04:00"), // inside Sunday's early window
				mustTime(t, "2025-04-05T20:00:00-03:00"), // Santiago fall-back
				mustTime(t, "2024-03-09T20:00:00-07:00"), // Denver spring-forward
				mustTime(t, "2024-11-02T20:00:00-06:00"), // Denver fall-back
			}
			for range 40 {
				starts = append(starts, randInstant(r).Truncate(5*time.Minute))
			}
			for _, from := range starts {
				to := from.Add(60 * time.Hour)
				var want time.Duration
				for m := from; m.Before(to); m = m.Add(5 * time.Minute) {
					if c.IsOpen(m) {
						want += 5 * time.Minute
					}
				}
				if got := Elapsed(from, to, c); got != want {
					t.Fatalf("Elapsed(%v, %v) = %v, IsOpen stepping %v", from, to, got, want)
				}
			}
		})
	}
}

func FuzzDue(f *testing.F) {
	f.Add(int64(0), int64(60), uint8(0), uint8(0), int64(3600))
	f.Add(int64(7*24*3600), int64(5), uint8(1), uint8(1), int64(1))
	f.Add(int64(100*24*3600+1), int64(600), uint8(2), uint8(2), int64(86400))
	f.Add(int64(-5), int64(1), uint8(3), uint8(4), int64(0))
	cals := make([]*Calendar, 0, len(propSpecs)+1)
	for _, s := range propSpecs {
		cals = append(cals, s.build(f))
	}
	cals = append(cals, Always())
	span := int64(propEnd.Sub(propStart) / time.Second)
	f.Fuzz(func(t *testing.T, sec, amount int64, kind, cal uint8, shift int64) {
		c := cals[int(cal)%len(cals)]
		opened := propStart.Add(time.Duration(((sec%span)+span)%span) * time.Second)
		var target Target
		switch kind % 3 {
		case 0:
			target = Target{Kind: Duration, D: time.Duration(1+((amount%6000)+6000)%6000) * time.Minute}
		case 1:
			target = Target{Kind: BusinessDays, N: 1 + int(((amount%10)+10)%10)}
		default:
			target = Target{Kind: NextBusinessDay}
		}
		if !c.IsAlways() {
			checkDue(t, c, opened, target)
		}
		later := opened.Add(time.Duration(((shift%(1<<40))+(1<<40))%(1<<40)) * time.Nanosecond)
		if d1, d2 := Due(opened, target, c), Due(later, target, c); d2.Before(d1) {
			t.Fatalf("%s %v: Due(%v) = %v but Due(%v) = %v", c.Name(), target, opened, d1, later, d2)
		}
		if sum, ok := target.Add(target); ok {
			if a, b := Due(Due(opened, target, c), target, c), Due(opened, sum, c); !a.Equal(b) {
				t.Fatalf("%s from %v: Due(Due(%v), %v) = %v, Due(%v) = %v", c.Name(), opened, target, target, a, sum, b)
			}
		}
	})
}
