package tickets_test

import (
	"testing"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/sla"
	"supportline/tickets"
)

// ExplainPromise is the due time, warning and counted intervals that `sla
// due`, `sla explain` and the API's /sla/due and /sla/explain show.
func TestExplainPromise(t *testing.T) {
	policy := config.Default()
	// Standard S1 is 4h on business hours (Mon-Fri 09:00-17:00 Denver):
	// opened Friday 16:00 counts one hour Friday and three Monday.
	opened := mustTime(t, "2024-06-14T22:00:00Z")
	e, err := tickets.ExplainPromise(policy, "standard", 1, opened)
	if err != nil {
		t.Fatal(err)
	}
	if e.Promise.Plan != "standard" || e.Promise.Priority != 1 || e.Promise.Target.String() != "4h" || e.Promise.Calendar.Name() != "business" {
		t.Errorf("promise %+v", e.Promise)
	}
	if !e.Opened.Equal(opened) || e.Opened.Location() != opened.Location() {
		t.Errorf("opened %v, want %v as given", e.Opened, opened)
	}
	loc := e.Promise.Calendar.Location()
	if got := e.Due.Format(time.RFC3339); got != "2024-06-17T12:00:00-06:00" {
		t.Errorf("due %s, want 2024-06-17T12:00:00-06:00", got)
	}
	if got := e.WarnAt.Format(time.RFC3339); got != "2024-06-17T11:00:00-06:00" {
		t.Errorf("warn %s, want 2024-06-17T11:00:00-06:00", got)
	}
	if e.Due.Location() != loc || e.WarnAt.Location() != loc {
		t.Errorf("due %v, warn %v: want both in %v", e.Due, e.WarnAt, loc)
	}
	want := []sla.Interval{
		{Start: mustTime(t, "2024-06-14T16:00:00-06:00"), End: mustTime(t, "2024-06-14T17:00:00-06:00")},
		{Start: mustTime(t, "2024-06-17T09:00:00-06:00"), End: mustTime(t, "2024-06-17T12:00:00-06:00")},
	}
	if len(e.Intervals) != len(want) {
		t.Fatalf("intervals %v, want %v", e.Intervals, want)
	}
	for i := range want {
		if !e.Intervals[i].Start.Equal(want[i].Start) || !e.Intervals[i].End.Equal(want[i].End) {
			t.Errorf("interval %d: %v, want %v", i, e.Intervals[i], want[i])
		}
	}
	if sla.FormatDuration(e.Total) != "4h" {
		t.Errorf("total %s, want 4h", sla.FormatDuration(e.Total))
	}

	for _, tc := range []struct {
		plan     string
		priority int
	}{{"gold", 1}, {"standard", 9}} {
		if _, err := tickets.ExplainPromise(policy, tc.plan, tc.priority, opened); !errcode.Is(err, errcode.Invalid) {
			t.Errorf("%s priority %d: %v, want errcode.Invalid", tc.plan, tc.priority, err)
		}
	}
}
