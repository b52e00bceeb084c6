package sla

import (
	"fmt"
	"math"
	"time"
)

// maxScanDays bounds every search for a business window. A calendar has at
// least one weekday and holidays are sparse, so running past it means a bug,
// and a clear panic beats an endless loop.
const maxScanDays = 50 * 366

// yearTable holds one calendar's business windows for every local date of
// one year. Windows are whole seconds since the Unix epoch, computed with
// time.Date per local date, so DST days get their true length; cum makes
// Elapsed O(1) per year.
type yearTable struct {
	year  int
	start []int64         // opening instant of each day, Unix seconds
	end   []int64         // closing instant; end == start: no window (closed or holiday)
	cum   []time.Duration // cum[i]: business time in the windows of days [0, i); cum[len] is the year's total
	hol   []bool          // observed holiday
}

// table returns the window table of year y, building and caching it on
// first use. Concurrent first uses may both build; one result wins and both
// are equal.
func (c *Calendar) table(y int) *yearTable {
	slot := y - cacheFirstYear
	if slot < 0 || slot >= cacheYears {
		return c.buildYear(y)
	}
	if t := c.years[slot].Load(); t != nil {
		return t
	}
	t := c.buildYear(y)
	if c.years[slot].CompareAndSwap(nil, t) {
		return t
	}
	return c.years[slot].Load()
}

func (c *Calendar) buildYear(y int) *yearTable {
	n := 365
	if isLeap(y) {
		n = 366
	}
	tab := &yearTable{
		year:  y,
		start: make([]int64, n),
		end:   make([]int64, n),
		cum:   make([]time.Duration, n+1),
		hol:   make([]bool, n),
	}
	if !c.always {
		for _, d := range c.holidayDays(y) {
			tab.hol[d] = true
		}
	}
	jan1 := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Weekday()
	// Windows of consecutive dates must not overlap; in every real zone they
	// cannot, but clamping keeps the invariant the arithmetic relies on even
	// for odd transitions. December 31 of the previous year is checked by
	// weekday only: a holiday there could only make the clamp stricter than
	// needed, and only for a window that would overlap anyway.
	prevEnd := int64(math.MinInt64)
	if c.days[(int(jan1)+6)%7] {
		_, prevEnd = c.rawWindow(y, 0)
	}
	var total time.Duration
	for i := range n {
		tab.cum[i] = total
		if !c.days[(int(jan1)+i)%7] || tab.hol[i] {
			continue
		}
		s, e := c.rawWindow(y, i+1)
		s = max(s, prevEnd)
		if e <= s {
			continue
		}
		tab.start[i], tab.end[i] = s, e
		prevEnd = e
		total += time.Duration(e-s) * time.Second
	}
	tab.cum[n] = total
	return tab
}

// rawWindow returns the opening and closing instants of the local date
// January yday of year y (yday may exceed 31; time.Date normalises it, and
// a close of 24:00 becomes the next local midnight the same way).
func (c *Calendar) rawWindow(y, yday int) (start, end int64) {
	s := time.Date(y, time.January, yday, c.open/60, c.open%60, 0, 0, c.loc)
	e := time.Date(y, time.January, yday, c.close/60, c.close%60, 0, 0, c.loc)
	return s.Unix(), e.Unix()
}

// pos is one local date of a calendar: a year table and a day index in it.
type pos struct {
	tab *yearTable
	i   int
}

func (p pos) start() int64 { return p.tab.start[p.i] }
func (p pos) end() int64   { return p.tab.end[p.i] }
func (p pos) open() bool   { return p.tab.end[p.i] > p.tab.start[p.i] }

// Window bounds are whole seconds, so comparing t.Unix() (which floors)
// against them is exact: t < b exactly when t.Unix() < b.
func (p pos) contains(t time.Time) bool {
	u := t.Unix()
	return p.open() && p.start() <= u && u < p.end()
}

// overlap returns the business time of p's window that lies before t.
func (p pos) overlap(t time.Time) time.Duration {
	if !p.open() {
		return 0
	}
	u := t.Unix()
	switch {
	case u < p.start():
		return 0
	case u >= p.end():
		return time.Duration(p.end()-p.start()) * time.Second
	}
	return t.Sub(time.Unix(p.start(), 0))
}

// locate returns the local date of t in c's zone.
func (c *Calendar) locate(t time.Time) pos {
	y, m, d := t.In(c.loc).Date()
	return pos{c.table(y), yearDay(y, m, d)}
}

func (c *Calendar) next(p pos) pos {
	if p.i+1 < len(p.tab.start) {
		return pos{p.tab, p.i + 1}
	}
	return pos{c.table(p.tab.year + 1), 0}
}

func (c *Calendar) prev(p pos) pos {
	if p.i > 0 {
		return pos{p.tab, p.i - 1}
	}
	t := c.table(p.tab.year - 1)
	return pos{t, len(t.start) - 1}
}

// nextWindow returns the first date after p that has a window.
func (c *Calendar) nextWindow(p pos) pos {
	for range maxScanDays {
		p = c.next(p)
		if p.open() {
			return p
		}
	}
	panic(fmt.Sprintf("sla: calendar %q has no business time within %d days", c.name, maxScanDays))
}

// firstWindowEndingAfter returns the date whose window is the first to end
// after t: the window containing t, or else the next one. The search starts
// a day early because, around a transition at local midnight, the previous
// date's window may reach past the first instant of t's date.
func (c *Calendar) firstWindowEndingAfter(t time.Time) pos {
	p := c.prev(c.locate(t))
	u := t.Unix()
	if p.open() && u < p.end() {
		return p
	}
	for range maxScanDays {
		p = c.next(p)
		if p.open() && u < p.end() {
			return p
		}
	}
	panic(fmt.Sprintf("sla: calendar %q has no business time within %d days", c.name, maxScanDays))
}

// cumulative returns the business time from the first day of originYear's
// table up to t. originYear must not be after the year of the date before
// t's local date. Windows two or more dates away from t's date lie entirely
// before or after t, so only three windows need a partial look.
func (c *Calendar) cumulative(t time.Time, p pos, originYear int) time.Duration {
	q := c.prev(p)
	g := q.tab.cum[q.i]
	for y := originYear; y < q.tab.year; y++ {
		tab := c.table(y)
		g += tab.cum[len(tab.cum)-1]
	}
	return g + q.overlap(t) + p.overlap(t) + c.next(p).overlap(t)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

var daysBefore = [12]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

// yearDay returns the 0-based day of the year of a valid date.
func yearDay(y int, m time.Month, d int) int {
	n := daysBefore[m-1] + d - 1
	if m > time.February && isLeap(y) {
		n++
	}
	return n
}
