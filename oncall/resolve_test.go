package oncall

import (
	"fmt"
	"testing"
	"time"
)

// want is an expected Resolve answer; a zero want means nobody is on call.
// Start and End are RFC 3339 in the schedule's zone, so a test also checks
// that results come back in that zone.
type want struct {
	engineer   string
	start, end string
	override   int64 // ID of the override in force, 0 for a rotation shift
}

func checkResolve(t *testing.T, s Schedule, overrides []Override, at string, w want) {
	t.Helper()
	got, ok := Resolve(s, overrides, mustTime(t, at))
	if w == (want{}) {
		if ok {
			t.Fatalf("Resolve(%s) = %s, want nobody on call", at, fmtShift(got))
		}
		return
	}
	if !ok {
		t.Fatalf("Resolve(%s) = nobody, want %s [%s, %s)", at, w.engineer, w.start, w.end)
	}
	var gotID int64
	if got.Override != nil {
		gotID = got.Override.ID
	}
	if got.Engineer != w.engineer || got.Start.Format(time.RFC3339) != w.start ||
		got.End.Format(time.RFC3339) != w.end || gotID != w.override {
		t.Fatalf("Resolve(%s) = %s,\nwant %s [%s, %s) override %d", at, fmtShift(got), w.engineer, w.start, w.end, w.override)
	}
	if got.Start.Location() != s.Location || got.End.Location() != s.Location {
		t.Fatalf("Resolve(%s) returned times in %s/%s, want %s", at, got.Start.Location(), got.End.Location(), s.Location)
	}
}

func fmtShift(s Shift) string {
	id := int64(0)
	if s.Override != nil {
		id = s.Override.ID
	}
	return fmt.Sprintf("%s [%s, %s) override %d", s.Engineer, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), id)
}

func rotationOf(tb testing.TB, zone string, shift time.Duration, handoff string, members ...string) Schedule {
	tb.Helper()
	return Schedule{Name: "primary", Location: mustLoc(tb, zone), Shift: shift, Handoff: mustCivil(tb, handoff), Members: members}
}

func TestResolveAtHandoff(t *testing.T) {
	daily := rotationOf(t, "America/Denver", 24*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	weekly := rotationOf(t, "America/Denver", 168*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	tests := []struct {
		name string
		s    Schedule
		at   string
		want want
	}{
		{"24h: second before the anchor, nobody", daily, "2026-01-05T08:59:59-07:00", want{}},
		{"24h: at the anchor, first member", daily, "2026-01-05T09:00:00-07:00", want{"alice", "2026-01-05T09:00:00-07:00", "2026-01-06T09:00:00-07:00", 0}},
		{"24h: second after the anchor", daily, "2026-01-05T09:00:01-07:00", want{"alice", "2026-01-05T09:00:00-07:00", "2026-01-06T09:00:00-07:00", 0}},
		{"24h: second before first handoff", daily, "2026-01-06T08:59:59-07:00", want{"alice", "2026-01-05T09:00:00-07:00", "2026-01-06T09:00:00-07:00", 0}},
		{"24h: at first handoff", daily, "2026-01-06T09:00:00-07:00", want{"bob", "2026-01-06T09:00:00-07:00", "2026-01-07T09:00:00-07:00", 0}},
		{"24h: second after first handoff", daily, "2026-01-06T09:00:01-07:00", want{"bob", "2026-01-06T09:00:00-07:00", "2026-01-07T09:00:00-07:00", 0}},
		{"24h: instant given in UTC", daily, "2026-01-06T16:00:00Z", want{"bob", "2026-01-06T09:00:00-07:00", "2026-01-07T09:00:00-07:00", 0}},
		// 2026-07-01 is shift 177 (177 days after 2026-01-05), 177 mod 3 = 0.
		{"24h: second before handoff in July (MDT)", daily, "2026-07-01T08:59:59-06:00", want{"carol", "2026-06-30T09:00:00-06:00", "2026-07-01T09:00:00-06:00", 0}},
		{"24h: second after handoff in July (MDT)", daily, "2026-07-01T09:00:01-06:00", want{"alice", "2026-07-01T09:00:00-06:00", "2026-07-02T09:00:00-06:00", 0}},
		{"168h: second before the anchor, nobody", weekly, "2026-01-05T08:59:59-07:00", want{}},
		{"168h: at the anchor", weekly, "2026-01-05T09:00:00-07:00", want{"alice", "2026-01-05T09:00:00-07:00", "2026-01-12T09:00:00-07:00", 0}},
		{"168h: second before first handoff", weekly, "2026-01-12T08:59:59-07:00", want{"alice", "2026-01-05T09:00:00-07:00", "2026-01-12T09:00:00-07:00", 0}},
		{"168h: at first handoff", weekly, "2026-01-12T09:00:00-07:00", want{"bob", "2026-01-12T09:00:00-07:00", "2026-01-19T09:00:00-07:00", 0}},
		{"168h: second after first handoff", weekly, "2026-01-12T09:00:01-07:00", want{"bob", "2026-01-12T09:00:00-07:00", "2026-01-19T09:00:00-07:00", 0}},
		// Four years on: 2030-01-07 is week 209 (1463 days), 209 mod 3 = 2.
		{"168h: second before handoff four years on", weekly, "2030-01-07T08:59:59-07:00", want{"bob", "2029-12-31T09:00:00-07:00", "2030-01-07T09:00:00-07:00", 0}},
		{"168h: second after handoff four years on", weekly, "2030-01-07T09:00:01-07:00", want{"carol", "2030-01-07T09:00:00-07:00", "2030-01-14T09:00:00-07:00", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkResolve(t, tc.s, nil, tc.at, tc.want) })
	}
}

func TestResolveAcrossDST(t *testing.T) {
	denverDaily := rotationOf(t, "America/Denver", 24*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	denverWeekly := rotationOf(t, "America/Denver", 168*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	londonDaily := rotationOf(t, "Europe/London", 24*time.Hour, "2026-01-05T08:00", "alice", "bob")
	londonWeekly := rotationOf(t, "Europe/London", 168*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	tests := []struct {
		name     string
		s        Schedule
		at       string
		want     want
		duration time.Duration // real length of the shift, 0 to skip
	}{
		// America/Denver springs forward 2026-03-08 02:00 MST -> 03:00 MDT.
		{"Denver 24h: shift over spring-forward lasts 23h", denverDaily, "2026-03-08T03:30:00-06:00",
			want{"bob", "2026-03-07T09:00:00-07:00", "2026-03-08T09:00:00-06:00", 0}, 23 * time.Hour},
		{"Denver 24h: before the jump, same shift", denverDaily, "2026-03-08T01:59:59-07:00",
			want{"bob", "2026-03-07T09:00:00-07:00", "2026-03-08T09:00:00-06:00", 0}, 23 * time.Hour},
		{"Denver 24h: handoff at 09:00 MDT the day of the change", denverDaily, "2026-03-08T09:00:00-06:00",
			want{"carol", "2026-03-08T09:00:00-06:00", "2026-03-09T09:00:00-06:00", 0}, 24 * time.Hour},
		{"Denver 24h: 09:00 MST is still the old shift", denverDaily, "2026-03-08T08:59:59-06:00",
			want{"bob", "2026-03-07T09:00:00-07:00", "2026-03-08T09:00:00-06:00", 0}, 0},
		// America/Denver falls back 2026-11-01 02:00 MDT -> 01:00 MST.
		{"Denver 24h: shift over fall-back lasts 25h", denverDaily, "2026-11-01T01:30:00-07:00",
			want{"carol", "2026-10-31T09:00:00-06:00", "2026-11-01T09:00:00-07:00", 0}, 25 * time.Hour},
		{"Denver 24h: first 01:30 of fall-back day, same shift", denverDaily, "2026-11-01T01:30:00-06:00",
			want{"carol", "2026-10-31T09:00:00-06:00", "2026-11-01T09:00:00-07:00", 0}, 25 * time.Hour},
		{"Denver 24h: handoff at 09:00 MST after fall-back", denverDaily, "2026-11-01T09:00:00-07:00",
			want{"alice", "2026-11-01T09:00:00-07:00", "2026-11-02T09:00:00-07:00", 0}, 24 * time.Hour},
		{"Denver 168h: Monday 09:00 MST to Monday 09:00 MDT is 167h", denverWeekly, "2026-03-08T12:00:00-06:00",
			want{"carol", "2026-03-02T09:00:00-07:00", "2026-03-09T09:00:00-06:00", 0}, 167 * time.Hour},
		{"Denver 168h: second after the March handoff", denverWeekly, "2026-03-09T09:00:01-06:00",
			want{"alice", "2026-03-09T09:00:00-06:00", "2026-03-16T09:00:00-06:00", 0}, 168 * time.Hour},
		{"Denver 168h: Monday 09:00 MDT to Monday 09:00 MST is 169h", denverWeekly, "2026-11-01T12:00:00-07:00",
			want{"alice", "2026-10-26T09:00:00-06:00", "2026-11-02T09:00:00-07:00", 0}, 169 * time.Hour},
		{"Denver 168h: second before the November handoff", denverWeekly, "2026-11-02T08:59:59-07:00",
			want{"alice", "2026-10-26T09:00:00-06:00", "2026-11-02T09:00:00-07:00", 0}, 169 * time.Hour},
		// Europe/London springs forward 2026-03-29 01:00 GMT -> 02:00 BST.
		{"London 24h: shift over spring-forward lasts 23h", londonDaily, "2026-03-29T02:00:00+01:00",
			want{"alice", "2026-03-28T08:00:00Z", "2026-03-29T08:00:00+01:00", 0}, 23 * time.Hour},
		{"London 24h: handoff at 08:00 BST", londonDaily, "2026-03-29T08:00:00+01:00",
			want{"bob", "2026-03-29T08:00:00+01:00", "2026-03-30T08:00:00+01:00", 0}, 24 * time.Hour},
		// Europe/London falls back 2026-10-25 02:00 BST -> 01:00 GMT.
		{"London 24h: shift over fall-back lasts 25h", londonDaily, "2026-10-25T01:30:00Z",
			want{"alice", "2026-10-24T08:00:00+01:00", "2026-10-25T08:00:00Z", 0}, 25 * time.Hour},
		{"London 24h: second before handoff at 08:00 GMT", londonDaily, "2026-10-25T07:59:59Z",
			want{"alice", "2026-10-24T08:00:00+01:00", "2026-10-25T08:00:00Z", 0}, 25 * time.Hour},
		{"London 24h: handoff at 08:00 GMT", londonDaily, "2026-10-25T08:00:00Z",
			want{"bob", "2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z", 0}, 24 * time.Hour},
		{"London 168h: week over spring-forward is 167h", londonWeekly, "2026-03-29T12:00:00+01:00",
			want{"carol", "2026-03-23T09:00:00Z", "2026-03-30T09:00:00+01:00", 0}, 167 * time.Hour},
		{"London 168h: week over fall-back is 169h", londonWeekly, "2026-10-25T12:00:00Z",
			want{"carol", "2026-10-19T09:00:00+01:00", "2026-10-26T09:00:00Z", 0}, 169 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkResolve(t, tc.s, nil, tc.at, tc.want)
			if tc.duration != 0 {
				got, _ := Resolve(tc.s, nil, mustTime(t, tc.at))
				if d := got.End.Sub(got.Start); d != tc.duration {
					t.Fatalf("shift lasts %v, want %v", d, tc.duration)
				}
			}
		})
	}
}

func TestResolveHandoffInDSTHour(t *testing.T) {
	// A handoff typed inside the DST hour gets time.Date's normalization
	// (see Schedule); these pin what an admin will see.
	denverGap := rotationOf(t, "America/Denver", 24*time.Hour, "2026-03-01T02:30", "alice", "bob")
	londonGap := rotationOf(t, "Europe/London", 24*time.Hour, "2026-03-01T01:30", "alice", "bob")
	denverTwice := rotationOf(t, "America/Denver", 24*time.Hour, "2026-10-01T01:30", "alice", "bob")
	londonTwice := rotationOf(t, "Europe/London", 24*time.Hour, "2026-10-01T01:30", "alice", "bob")
	tests := []struct {
		name string
		s    Schedule
		at   string
		want want
	}{
		{"America/Denver 02:30 on 2026-03-08 does not exist: handoff at 01:30 MST", denverGap, "2026-03-08T01:45:00-07:00",
			want{"bob", "2026-03-08T01:30:00-07:00", "2026-03-09T02:30:00-06:00", 0}},
		{"America/Denver the shift before is 23h", denverGap, "2026-03-08T01:29:59-07:00",
			want{"alice", "2026-03-07T02:30:00-07:00", "2026-03-08T01:30:00-07:00", 0}},
		{"Europe/London 01:30 on 2026-03-29 does not exist: handoff at 02:30 BST", londonGap, "2026-03-29T02:15:00+01:00",
			want{"bob", "2026-03-28T01:30:00Z", "2026-03-29T02:30:00+01:00", 0}},
		{"Europe/London the next shift is 23h", londonGap, "2026-03-29T02:30:00+01:00",
			want{"alice", "2026-03-29T02:30:00+01:00", "2026-03-30T01:30:00+01:00", 0}},
		{"America/Denver 01:30 on 2026-11-01 happens twice: the first (MDT)", denverTwice, "2026-11-01T01:30:00-06:00",
			want{"bob", "2026-11-01T01:30:00-06:00", "2026-11-02T01:30:00-07:00", 0}},
		{"America/Denver second 01:30 on 2026-11-01 is mid-shift", denverTwice, "2026-11-01T01:30:00-07:00",
			want{"bob", "2026-11-01T01:30:00-06:00", "2026-11-02T01:30:00-07:00", 0}},
		{"Europe/London 01:30 on 2026-10-25 happens twice: the second (GMT)", londonTwice, "2026-10-25T01:30:00+01:00",
			want{"bob", "2026-10-24T01:30:00+01:00", "2026-10-25T01:30:00Z", 0}},
		{"Europe/London the 2026-10-25 shift starts at 01:30 GMT", londonTwice, "2026-10-25T01:30:00Z",
			want{"alice", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkResolve(t, tc.s, nil, tc.at, tc.want) })
	}
}

func TestResolveShiftShorterThanClockJump(t *testing.T) {
	// With 30m shifts, Europe/London's 2026-03-29 jump normalizes civil 01:00
	// and 01:30 to 02:00 and 02:30 BST, after the boundaries of 02:00 and
	// 02:30 BST themselves. Boundaries never go backwards, so shifts 2 (c)
	// and 5 (b) take the hour and shifts 3 and 4 are squeezed out.
	s := rotationOf(t, "Europe/London", 30*time.Minute, "2026-03-29T00:00", "a", "b", "c", "d")
	tests := []struct {
		name string
		at   string
		want want
	}{
		{"Europe/London before the jump", "2026-03-29T00:45:00Z", want{"b", "2026-03-29T00:30:00Z", "2026-03-29T02:00:00+01:00", 0}},
		{"Europe/London 02:10 BST is shift 2, not the local crossing of shift 4", "2026-03-29T02:10:00+01:00", want{"c", "2026-03-29T02:00:00+01:00", "2026-03-29T02:30:00+01:00", 0}},
		{"Europe/London 02:40 BST is shift 5", "2026-03-29T02:40:00+01:00", want{"b", "2026-03-29T02:30:00+01:00", "2026-03-29T03:00:00+01:00", 0}},
		{"Europe/London back to normal at 03:00 BST", "2026-03-29T03:00:00+01:00", want{"c", "2026-03-29T03:00:00+01:00", "2026-03-29T03:30:00+01:00", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkResolve(t, s, nil, tc.at, tc.want) })
	}

	// With 25m shifts the normalized boundaries land between the later ones:
	// starts are 01:15Z, 01:40Z, 01:05Z, 01:30Z, 01:55Z for shifts 3 to 7,
	// so shift 3 runs to 01:40Z, and shift 6 starts at 01:40Z, not its own
	// boundary 01:30Z.
	s25 := rotationOf(t, "Europe/London", 25*time.Minute, "2026-03-29T00:00", "a", "b", "c", "d")
	tests25 := []struct {
		name string
		at   string
		want want
	}{
		{"Europe/London 25m: 02:20 BST is shift 3", "2026-03-29T02:20:00+01:00", want{"d", "2026-03-29T02:15:00+01:00", "2026-03-29T02:40:00+01:00", 0}},
		{"Europe/London 25m: 02:45 BST is shift 6, from shift 4's boundary", "2026-03-29T02:45:00+01:00", want{"c", "2026-03-29T02:40:00+01:00", "2026-03-29T02:55:00+01:00", 0}},
	}
	for _, tc := range tests25 {
		t.Run(tc.name, func(t *testing.T) { checkResolve(t, s25, nil, tc.at, tc.want) })
	}
}

func TestResolveOverrides(t *testing.T) {
	// Rotation: 2026-06-10 09:00 MDT is shift 156 (alice), 06-11 bob, 06-12 carol.
	s := rotationOf(t, "America/Denver", 24*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	at := func(hhmm string) time.Time { return mustTime(t, "2026-06-10T"+hhmm+":00-06:00") }
	older := mustTime(t, "2026-06-01T10:00:00Z")
	newer := mustTime(t, "2026-06-02T10:00:00Z")
	ov := func(id int64, engineer, from, to string, created time.Time) Override {
		return Override{ID: id, Schedule: "primary", Engineer: engineer, From: at(from), To: at(to), CreatedAt: created}
	}
	dave := ov(1, "dave", "12:00", "18:00", older)
	const (
		shiftStart = "2026-06-10T09:00:00-06:00"
		shiftEnd   = "2026-06-11T09:00:00-06:00"
	)
	tests := []struct {
		name      string
		overrides []Override
		at        string
		want      want
	}{
		{"no overrides: whole rotation shift", nil, "2026-06-10T15:00:00-06:00", want{"alice", shiftStart, shiftEnd, 0}},
		{"second before override starts: rotation clipped to its start", []Override{dave}, "2026-06-10T11:59:59-06:00",
			want{"alice", shiftStart, "2026-06-10T12:00:00-06:00", 0}},
		{"override starting", []Override{dave}, "2026-06-10T12:00:00-06:00",
			want{"dave", "2026-06-10T12:00:00-06:00", "2026-06-10T18:00:00-06:00", 1}},
		{"second before override ends", []Override{dave}, "2026-06-10T17:59:59-06:00",
			want{"dave", "2026-06-10T12:00:00-06:00", "2026-06-10T18:00:00-06:00", 1}},
		{"override ending: rotation resumes from its end", []Override{dave}, "2026-06-10T18:00:00-06:00",
			want{"alice", "2026-06-10T18:00:00-06:00", shiftEnd, 0}},
		{"override given in UTC comes back in the schedule's zone", []Override{{ID: 9, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-06-10T18:00:00Z"), To: mustTime(t, "2026-06-11T00:00:00Z"), CreatedAt: older}},
			"2026-06-10T13:00:00-06:00", want{"dave", "2026-06-10T12:00:00-06:00", "2026-06-10T18:00:00-06:00", 9}},
		{"rotation clipped on both sides", []Override{ov(1, "dave", "10:00", "11:00", older), ov(2, "erin", "20:00", "21:00", older)},
			"2026-06-10T15:00:00-06:00", want{"alice", "2026-06-10T11:00:00-06:00", "2026-06-10T20:00:00-06:00", 0}},
		{"newer nested in older: older before the hole", []Override{dave, ov(2, "erin", "14:00", "15:00", newer)},
			"2026-06-10T13:00:00-06:00", want{"dave", "2026-06-10T12:00:00-06:00", "2026-06-10T14:00:00-06:00", 1}},
		{"newer nested in older: newer wins inside", []Override{dave, ov(2, "erin", "14:00", "15:00", newer)},
			"2026-06-10T14:30:00-06:00", want{"erin", "2026-06-10T14:00:00-06:00", "2026-06-10T15:00:00-06:00", 2}},
		{"newer nested in older: older after the hole", []Override{dave, ov(2, "erin", "14:00", "15:00", newer)},
			"2026-06-10T15:00:00-06:00", want{"dave", "2026-06-10T15:00:00-06:00", "2026-06-10T18:00:00-06:00", 1}},
		{"older nested in newer never shows", []Override{ov(1, "dave", "12:00", "18:00", newer), ov(2, "erin", "14:00", "15:00", older)},
			"2026-06-10T14:30:00-06:00", want{"dave", "2026-06-10T12:00:00-06:00", "2026-06-10T18:00:00-06:00", 1}},
		{"newer overlapping the end cuts the older short", []Override{dave, ov(2, "erin", "16:00", "20:00", newer)},
			"2026-06-10T13:00:00-06:00", want{"dave", "2026-06-10T12:00:00-06:00", "2026-06-10T16:00:00-06:00", 1}},
		{"newer overlapping the end runs to its own end", []Override{dave, ov(2, "erin", "16:00", "20:00", newer)},
			"2026-06-10T17:00:00-06:00", want{"erin", "2026-06-10T16:00:00-06:00", "2026-06-10T20:00:00-06:00", 2}},
		{"older overlapping the start of a newer is cut where the newer begins", []Override{ov(1, "dave", "16:00", "20:00", newer), ov(2, "erin", "12:00", "18:00", older)},
			"2026-06-10T13:00:00-06:00", want{"erin", "2026-06-10T12:00:00-06:00", "2026-06-10T16:00:00-06:00", 2}},
		{"older resumes where a newer ends inside it", []Override{ov(1, "dave", "10:00", "14:00", newer), ov(2, "erin", "12:00", "18:00", older)},
			"2026-06-10T14:00:00-06:00", want{"erin", "2026-06-10T14:00:00-06:00", "2026-06-10T18:00:00-06:00", 2}},
		{"same CreatedAt: higher ID wins, whatever the order", []Override{ov(8, "erin", "12:00", "18:00", older), ov(7, "dave", "12:00", "18:00", older)},
			"2026-06-10T13:00:00-06:00", want{"erin", "2026-06-10T12:00:00-06:00", "2026-06-10T18:00:00-06:00", 8}},
		{"back-to-back overrides: the second starts at the seam", []Override{ov(1, "dave", "12:00", "15:00", newer), ov(2, "erin", "15:00", "18:00", older)},
			"2026-06-10T15:00:00-06:00", want{"erin", "2026-06-10T15:00:00-06:00", "2026-06-10T18:00:00-06:00", 2}},
		{"override across a handoff: before it", []Override{{ID: 3, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-06-11T06:00:00-06:00"), To: mustTime(t, "2026-06-11T12:00:00-06:00"), CreatedAt: older}},
			"2026-06-11T05:00:00-06:00", want{"alice", shiftStart, "2026-06-11T06:00:00-06:00", 0}},
		{"override across a handoff: during it", []Override{{ID: 3, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-06-11T06:00:00-06:00"), To: mustTime(t, "2026-06-11T12:00:00-06:00"), CreatedAt: older}},
			"2026-06-11T09:00:00-06:00", want{"dave", "2026-06-11T06:00:00-06:00", "2026-06-11T12:00:00-06:00", 3}},
		{"override across a handoff: the next member after it", []Override{{ID: 3, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-06-11T06:00:00-06:00"), To: mustTime(t, "2026-06-11T12:00:00-06:00"), CreatedAt: older}},
			"2026-06-11T12:00:00-06:00", want{"bob", "2026-06-11T12:00:00-06:00", "2026-06-12T09:00:00-06:00", 0}},
		{"override for another schedule is ignored", []Override{{ID: 4, Schedule: "secondary", Engineer: "dave", From: at("12:00"), To: at("18:00"), CreatedAt: newer}},
			"2026-06-10T13:00:00-06:00", want{"alice", shiftStart, shiftEnd, 0}},
		{"empty override interval is ignored", []Override{ov(5, "dave", "12:00", "12:00", newer)},
			"2026-06-10T13:00:00-06:00", want{"alice", shiftStart, shiftEnd, 0}},
		{"reversed override interval is ignored", []Override{ov(5, "dave", "18:00", "12:00", newer)},
			"2026-06-10T13:00:00-06:00", want{"alice", shiftStart, shiftEnd, 0}},
		{"override with a blank engineer is ignored", []Override{ov(6, "", "12:00", "18:00", newer)},
			"2026-06-10T13:00:00-06:00", want{"alice", shiftStart, shiftEnd, 0}},
		{"override before the anchor covers it", []Override{{ID: 7, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-01-05T07:00:00-07:00"), To: mustTime(t, "2026-01-05T10:00:00-07:00"), CreatedAt: older}},
			"2026-01-05T08:00:00-07:00", want{"dave", "2026-01-05T07:00:00-07:00", "2026-01-05T10:00:00-07:00", 7}},
		{"before the anchor and outside any override: nobody", []Override{{ID: 7, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-01-05T07:00:00-07:00"), To: mustTime(t, "2026-01-05T10:00:00-07:00"), CreatedAt: older}},
			"2026-01-05T06:59:59-07:00", want{}},
		{"anchor reached inside an override: rotation starts at its end", []Override{{ID: 7, Schedule: "primary", Engineer: "dave",
			From: mustTime(t, "2026-01-05T07:00:00-07:00"), To: mustTime(t, "2026-01-05T10:00:00-07:00"), CreatedAt: older}},
			"2026-01-05T10:00:00-07:00", want{"alice", "2026-01-05T10:00:00-07:00", "2026-01-06T09:00:00-07:00", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkResolve(t, s, tc.overrides, tc.at, tc.want) })
	}
}

func TestResolveEmptyMembers(t *testing.T) {
	s := rotationOf(t, "Europe/London", 168*time.Hour, "2026-01-05T09:00")
	override := []Override{{ID: 1, Schedule: "primary", Engineer: "dave",
		From: mustTime(t, "2026-06-10T12:00:00+01:00"), To: mustTime(t, "2026-06-10T18:00:00+01:00")}}
	tests := []struct {
		name      string
		overrides []Override
		at        string
		want      want
	}{
		{"no members, no override: nobody", nil, "2026-06-10T13:00:00+01:00", want{}},
		{"no members, override in force", override, "2026-06-10T13:00:00+01:00",
			want{"dave", "2026-06-10T12:00:00+01:00", "2026-06-10T18:00:00+01:00", 1}},
		{"no members, override just ended: nobody", override, "2026-06-10T18:00:00+01:00", want{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkResolve(t, s, tc.overrides, tc.at, tc.want) })
	}
}

func TestResolveInvalidScheduleHasNoRotation(t *testing.T) {
	// A bad row must not panic or put a blank handle on call; its overrides
	// still apply, reported in UTC when there is no zone.
	at := mustTime(t, "2026-06-10T13:00:00Z")
	override := []Override{{ID: 1, Schedule: "broken", Engineer: "dave", From: at.Add(-time.Hour), To: at.Add(time.Hour)}}
	tests := []struct {
		name string
		s    Schedule
	}{
		{"nil location", Schedule{Name: "broken", Shift: 24 * time.Hour, Handoff: Civil{2026, 1, 5, 9, 0}, Members: []string{"alice"}}},
		{"zero shift", Schedule{Name: "broken", Location: time.UTC, Handoff: Civil{2026, 1, 5, 9, 0}, Members: []string{"alice"}}},
		{"shift not whole minutes", Schedule{Name: "broken", Location: time.UTC, Shift: 90 * time.Second, Handoff: Civil{2026, 1, 5, 9, 0}, Members: []string{"alice"}}},
		{"zero handoff", Schedule{Name: "broken", Location: time.UTC, Shift: time.Hour, Members: []string{"alice"}}},
		{"blank member", Schedule{Name: "broken", Location: time.UTC, Shift: time.Hour, Handoff: Civil{2026, 1, 5, 9, 0}, Members: []string{"alice", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.s.Validate() == nil {
				t.Fatal("test schedule should be invalid")
			}
			if got, ok := Resolve(tc.s, nil, at); ok {
				t.Fatalf("Resolve = %s, want nobody", fmtShift(got))
			}
			got, ok := Resolve(tc.s, override, at)
			if !ok || got.Engineer != "dave" || !got.Start.Equal(at.Add(-time.Hour)) || !got.End.Equal(at.Add(time.Hour)) {
				t.Fatalf("Resolve with override = %s, %v; want dave for the override's hour", fmtShift(got), ok)
			}
			if n := Next(tc.s, override, at.Add(-48*time.Hour), 3); len(n) != 1 || n[0].Engineer != "dave" {
				t.Fatalf("Next = %v, want only dave's override", n)
			}
		})
	}
}

func TestResolveOverrideIsACopy(t *testing.T) {
	s := rotationOf(t, "UTC", 24*time.Hour, "2026-01-05T09:00", "alice")
	overrides := []Override{{ID: 1, Schedule: "primary", Engineer: "dave",
		From: mustTime(t, "2026-06-10T12:00:00Z"), To: mustTime(t, "2026-06-10T18:00:00Z")}}
	got, ok := Resolve(s, overrides, mustTime(t, "2026-06-10T13:00:00Z"))
	if !ok || got.Override == nil {
		t.Fatalf("Resolve = %s, %v; want dave's override", fmtShift(got), ok)
	}
	overrides[0].Engineer = "mallory"
	if got.Override.Engineer != "dave" {
		t.Fatalf("Shift.Override aliases the caller's slice: engineer changed to %q", got.Override.Engineer)
	}
}

func TestNext(t *testing.T) {
	daily := rotationOf(t, "America/Denver", 24*time.Hour, "2026-01-05T09:00", "alice", "bob", "carol")
	dave := Override{ID: 1, Schedule: "primary", Engineer: "dave",
		From: mustTime(t, "2026-06-11T12:00:00-06:00"), To: mustTime(t, "2026-06-11T18:00:00-06:00")}
	empty := rotationOf(t, "America/Denver", 24*time.Hour, "2026-01-05T09:00")
	erin := Override{ID: 2, Schedule: "primary", Engineer: "erin",
		From: mustTime(t, "2026-06-12T12:00:00-06:00"), To: mustTime(t, "2026-06-12T14:00:00-06:00")}
	tests := []struct {
		name      string
		s         Schedule
		overrides []Override
		from      string
		n         int
		want      []want
	}{
		{"override in the middle splits bob's shift", daily, []Override{dave}, "2026-06-10T10:00:00-06:00", 5, []want{
			{"alice", "2026-06-10T09:00:00-06:00", "2026-06-11T09:00:00-06:00", 0},
			{"bob", "2026-06-11T09:00:00-06:00", "2026-06-11T12:00:00-06:00", 0},
			{"dave", "2026-06-11T12:00:00-06:00", "2026-06-11T18:00:00-06:00", 1},
			{"bob", "2026-06-11T18:00:00-06:00", "2026-06-12T09:00:00-06:00", 0},
			{"carol", "2026-06-12T09:00:00-06:00", "2026-06-13T09:00:00-06:00", 0},
		}},
		{"across America/Denver spring-forward", daily, nil, "2026-03-07T10:00:00-07:00", 3, []want{
			{"bob", "2026-03-07T09:00:00-07:00", "2026-03-08T09:00:00-06:00", 0},
			{"carol", "2026-03-08T09:00:00-06:00", "2026-03-09T09:00:00-06:00", 0},
			{"alice", "2026-03-09T09:00:00-06:00", "2026-03-10T09:00:00-06:00", 0},
		}},
		{"before the anchor: starts at the first shift", daily, nil, "2026-01-01T00:00:00-07:00", 2, []want{
			{"alice", "2026-01-05T09:00:00-07:00", "2026-01-06T09:00:00-07:00", 0},
			{"bob", "2026-01-06T09:00:00-07:00", "2026-01-07T09:00:00-07:00", 0},
		}},
		{"no members: overrides only, gaps skipped, stops early", empty, []Override{erin, dave}, "2026-06-01T00:00:00-06:00", 5, []want{
			{"dave", "2026-06-11T12:00:00-06:00", "2026-06-11T18:00:00-06:00", 1},
			{"erin", "2026-06-12T12:00:00-06:00", "2026-06-12T14:00:00-06:00", 2},
		}},
		{"no members, no overrides: nothing", empty, nil, "2026-06-01T00:00:00-06:00", 5, nil},
		{"n = 0: nothing", daily, nil, "2026-06-10T10:00:00-06:00", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Next(tc.s, tc.overrides, mustTime(t, tc.from), tc.n)
			if len(got) != len(tc.want) {
				t.Fatalf("Next returned %d shifts, want %d: %v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				var id int64
				if g.Override != nil {
					id = g.Override.ID
				}
				if g.Engineer != w.engineer || g.Start.Format(time.RFC3339) != w.start || g.End.Format(time.RFC3339) != w.end || id != w.override {
					t.Errorf("shift %d = %s, want %s [%s, %s) override %d", i, fmtShift(g), w.engineer, w.start, w.end, w.override)
				}
			}
			if tc.s.Members != nil {
				for i := 1; i < len(got); i++ {
					if !got[i-1].End.Equal(got[i].Start) {
						t.Errorf("shift %d ends %s but shift %d starts %s", i-1, got[i-1].End, i, got[i].Start)
					}
				}
			}
		})
	}
}
