package routing_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"supportline/config"
	"supportline/oncall"
	"supportline/routing"
)

// coveragePolicy has a live calendar on each side of the Atlantic, one with
// holidays and one with evening hours, and the built-in 24x7 one; an
// escalation policy of two steps, one of one step, and one whose second
// step names a schedule the database does not hold ("ghost").
const coveragePolicy = `
line: {name: Test, number: "+17205550100", support_email: s@example.com, emergency_numbers: ["+17205550199"]}
calendars:
  business:
    timezone: America/Denver
    days: [mon, tue, wed, thu, fri]
    open: "09:00"
    close: "17:00"
    holidays: [us-federal, "2026-03-10"]
  evenings:
    timezone: Europe/London
    days: [fri, sat, sun]
    open: "00:30"
    close: "24:00"
priorities:
  - {level: 1, name: Critical, description: "Down."}
  - {level: 2, name: Major, description: "Hurting."}
  - {level: 3, name: Minor, description: "Annoying."}
escalation_policies:
  oncall:
    steps:
      - {schedule: primary, ring: 20s}
      - {schedule: secondary, ring: 20s}
  desk:
    steps:
      - {schedule: desk, ring: 25s}
  spooky:
    steps:
      - {schedule: secondary, ring: 20s}
      - {schedule: ghost, ring: 20s}
plans:
  free:
    phone: false
    message: "No phone."
  premium:
    phone: true
    priorities:
      1: {respond_within: 1h, clock: always, live: always, route: oncall}
      2: {respond_within: 2h, clock: business, live: business, route: desk}
      3: {respond_within: 4h, clock: business, live: evenings, route: spooky}
  gold:
    phone: true
    priorities:
      1: {respond_within: 1h, clock: always, live: always, route: oncall}
      2: {respond_within: 2h, clock: business, live: evenings, route: desk}
`

func mustPolicy(tb testing.TB, yaml string) *config.Policy {
	tb.Helper()
	p, err := config.Parse("coverage-test.yaml", []byte(yaml))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// bruteGaps answers ProjectCoverage's question the slow, obvious way: for
// every minute of the window and every plan priority routed live, is the
// live calendar open (sla's IsOpen) and does no step have a dialable
// engineer on call (oncall.Resolve at that minute)? It returns, per "live
// calendar/policy", the set of uncovered minutes (Unix minutes).
func bruteGaps(p *config.Policy, in routing.CoverageInput) map[string]map[int64]bool {
	onCall := map[string][]string{} // schedule -> per-minute engineer dialable, "" if not
	minutes := int(in.To.Sub(in.From) / time.Minute)
	for name, s := range in.Schedules {
		line := make([]string, minutes)
		for m := range minutes {
			at := in.From.Add(time.Duration(m) * time.Minute)
			if sh, ok := oncall.Resolve(s, in.Overrides, at); ok {
				if e, ok := in.Engineers[sh.Engineer]; ok && e.Phone != "" {
					line[m] = sh.Engineer
				}
			}
		}
		onCall[name] = line
	}
	out := map[string]map[int64]bool{}
	for _, plan := range p.PlanNames() {
		pl := p.Plans[plan]
		if !pl.Phone {
			continue
		}
		for _, pp := range pl.Priorities {
			key := pp.Live + "/" + pp.Route
			if _, done := out[key]; done {
				continue
			}
			set := map[int64]bool{}
			live := p.Calendar(pp.Live)
			for m := range minutes {
				at := in.From.Add(time.Duration(m) * time.Minute)
				if !live.IsOpen(at) {
					continue
				}
				covered := false
				for _, st := range p.EscalationPolicies[pp.Route].Steps {
					if line, ok := onCall[st.Schedule]; ok && line[m] != "" {
						covered = true
					}
				}
				if !covered {
					set[at.Unix()/60] = true
				}
			}
			out[key] = set
		}
	}
	return out
}

// randomRoster makes schedules primary, secondary and desk in zones with
// DST changes in the window (one with a 30-minute change), of random shift
// lengths, handoffs and members (some without a phone, one not in the
// database, some schedules without members), and random overrides.
func randomRoster(tb testing.TB, r *rand.Rand, from, to time.Time) (map[string]oncall.Schedule, []oncall.Override, map[string]routing.Engineer) {
	zones := []string{"America/Denver", "Europe/London", "Australia/Lord_Howe", "America/New_York", "UTC"}
	shifts := []time.Duration{30 * time.Minute, 90 * time.Minute, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour, 168 * time.Hour}
	handles := []string{"alice", "bob", "carol", "dave", "nophone", "ghost"} // ghost is no engineer
	engs := map[string]routing.Engineer{}
	for i, h := range handles[:5] {
		phone := fmt.Sprintf("+1720555011%d", i)
		if h == "nophone" {
			phone = ""
		}
		engs[h] = routing.Engineer{Handle: h, Name: strings.ToUpper(h[:1]) + h[1:], Phone: phone}
	}
	span := to.Sub(from)
	scheds := map[string]oncall.Schedule{}
	var ovs []oncall.Override
	id := int64(1)
	for _, name := range []string{"primary", "secondary", "desk"} {
		loc := mustLoc(tb, zones[r.IntN(len(zones))])
		// Handoffs from 10 days before the window to 3/4 of the way in, to
		// the minute, sometimes inside a DST hour.
		h := from.Add(-10*24*time.Hour + time.Duration(r.Int64N(int64(span*3/4+10*24*time.Hour)/int64(time.Minute)))*time.Minute).In(loc)
		var members []string
		for range r.IntN(4) {
			members = append(members, handles[r.IntN(len(handles))])
		}
		if r.IntN(5) == 0 {
			members = nil
		}
		scheds[name] = oncall.Schedule{Name: name, Location: loc, Shift: shifts[r.IntN(len(shifts))],
			Handoff: oncall.Civil{Year: h.Year(), Month: h.Month(), Day: h.Day(), Hour: h.Hour(), Minute: h.Minute()}, Members: members}
		for range r.IntN(9) {
			start := from.Add(-2*24*time.Hour + time.Duration(r.Int64N(int64(span+3*24*time.Hour)/int64(time.Minute)))*time.Minute)
			length := time.Duration(1+r.IntN(60*48)) * time.Minute
			ovs = append(ovs, oncall.Override{ID: id, Schedule: name, Engineer: handles[r.IntN(len(handles))],
				From: start, To: start.Add(length), CreatedAt: from.Add(time.Duration(r.IntN(5)) * time.Hour)})
			id++
		}
	}
	return scheds, ovs, engs
}

// ProjectCoverage against the minute-by-minute reference on random rosters,
// over windows that hold DST changes in America (2026-03-08, 2026-11-01),
// Europe (2026-03-29, 2026-10-25) and Lord Howe (30 minutes, 2026-04-05 and
// 2026-10-04), a us-federal holiday (Thanksgiving 2026-11-26, Presidents'
// Day 2026-02-16) and an explicit one (2026-03-10).
func TestProjectCoverageMatchesMinuteByMinute(t *testing.T) {
	p := mustPolicy(t, coveragePolicy)
	windows := []struct{ from, to string }{
		{"2026-02-14T00:00:00Z", "2026-02-20T00:00:00Z"},
		{"2026-03-05T00:07:00-07:00", "2026-03-13T00:00:00-06:00"},
		{"2026-03-26T12:00:00Z", "2026-04-07T00:00:00Z"},
		{"2026-10-02T00:00:00Z", "2026-10-08T00:00:00Z"},
		{"2026-10-23T00:00:00Z", "2026-11-04T00:00:00Z"},
		{"2026-11-24T09:00:00-07:00", "2026-11-30T09:00:00-07:00"},
	}
	seed := uint64(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix())
	for wi, w := range windows {
		from, to := mustTime(t, w.from), mustTime(t, w.to)
		for trial := range 4 {
			r := rand.New(rand.NewPCG(seed, uint64(wi*100+trial)))
			t.Run(fmt.Sprintf("%s trial %d", w.from[:10], trial), func(t *testing.T) {
				scheds, ovs, engs := randomRoster(t, r, from, to)
				in := routing.CoverageInput{Policy: p, From: from, To: to, Schedules: scheds, Overrides: ovs, Engineers: engs}
				got := routing.ProjectCoverage(in)
				want := bruteGaps(p, in)
				checkGaps(t, p, in, got, want)
			})
		}
	}
}

// checkGaps compares the gaps found with the reference minutes: every
// minute of a gap is uncovered, every uncovered minute is in a gap, gaps of
// one route neither overlap nor touch, and each is in its zone.
func checkGaps(t *testing.T, p *config.Policy, in routing.CoverageInput, got routing.Coverage, want map[string]map[int64]bool) {
	t.Helper()
	found := map[string]map[int64]bool{}
	last := map[string]time.Time{}
	for _, g := range got.Gaps {
		key := g.Calendar + "/" + g.Policy
		if found[key] == nil {
			found[key] = map[int64]bool{}
		}
		if !g.End.After(g.Start) || g.Start.Before(in.From) || g.End.After(in.To) {
			t.Fatalf("gap %s to %s is empty or outside the window", g.Start, g.End)
		}
		if g.Start.Unix()%60 != 0 || g.End.Unix()%60 != 0 {
			t.Errorf("gap %s to %s does not start and end on a minute", g.Start, g.End)
		}
		if l, ok := last[key]; ok && !g.Start.After(l) {
			t.Errorf("%s: gap from %s starts at or before the previous one's end %s: gaps must be maximal", key, g.Start, l)
		}
		last[key] = g.End
		zone := p.Calendar(g.Calendar).Location()
		if g.Calendar == "always" {
			zone = in.Schedules[p.EscalationPolicies[g.Policy].Steps[0].Schedule].Location
		}
		if g.Start.Location() != zone || g.End.Location() != zone {
			t.Errorf("gap %s is in %s, want %s", g.Why, g.Start.Location(), zone)
		}
		if g.Why == "" || len(g.Breaks) == 0 || len(g.Steps) == 0 {
			t.Errorf("gap %+v lacks words, promises or steps", g)
		}
		for m := g.Start.Unix() / 60; m < g.End.Unix()/60; m++ {
			found[key][m] = true
		}
	}
	for key, set := range want {
		for m := range set {
			if !found[key][m] {
				t.Errorf("%s: minute %s is uncovered but in no gap", key, time.Unix(m*60, 0).UTC())
				break
			}
		}
		for m := range found[key] {
			if !set[m] {
				t.Errorf("%s: minute %s is in a gap %s but covered", key, time.Unix(m*60, 0).UTC(), whyAt(got, key, m))
				break
			}
		}
	}
	for key := range found {
		if _, ok := want[key]; !ok {
			t.Errorf("gaps for %s, which no plan priority routes live", key)
		}
	}
}

func whyAt(c routing.Coverage, key string, minute int64) string {
	for _, g := range c.Gaps {
		if g.Calendar+"/"+g.Policy == key && g.Start.Unix()/60 <= minute && minute < g.End.Unix()/60 {
			return g.Why
		}
	}
	return ""
}

// The words of a gap and the schedule issues, on fixed rosters: the issue's
// own example (an override ended and the rotation has no members), a
// business calendar across the spring-forward weekend and a holiday, and a
// two-step policy with an engineer without a phone.
func TestCoverageWords(t *testing.T) {
	p := mustPolicy(t, coveragePolicy)
	denver := mustLoc(t, "America/Denver")
	civil := func(s string) oncall.Civil {
		c, err := oncall.ParseCivil(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	engs := map[string]routing.Engineer{
		"alice":   {Handle: "alice", Name: "Alice", Phone: "+17205550111"},
		"bob":     {Handle: "bob", Name: "Bob", Phone: "+17205550112"},
		"nophone": {Handle: "nophone", Name: "No Phone"},
	}
	gapsOf := func(c routing.Coverage, calendar, policy string) []routing.Gap {
		var out []routing.Gap
		for _, g := range c.Gaps {
			if g.Calendar == calendar && g.Policy == policy {
				out = append(out, g)
			}
		}
		return out
	}

	t.Run("an override ended and the rotation has no members (America/Denver, December)", func(t *testing.T) {
		from := mustTime(t, "2026-12-04T12:00:00-07:00")
		in := routing.CoverageInput{Policy: p, From: from, To: from.Add(3 * 24 * time.Hour), Engineers: engs,
			Schedules: map[string]oncall.Schedule{
				"primary":   {Name: "primary", Location: denver, Shift: 24 * time.Hour, Handoff: civil("2026-11-02T09:00")},
				"secondary": {Name: "secondary", Location: denver, Shift: 24 * time.Hour, Handoff: civil("2026-11-02T09:00"), Members: []string{"nophone"}},
			},
			Overrides: []oncall.Override{
				{ID: 3, Schedule: "primary", Engineer: "alice", From: mustTime(t, "2026-12-01T08:00:00-07:00"), To: mustTime(t, "2026-12-05T18:00:00-07:00")},
				{ID: 4, Schedule: "primary", Engineer: "bob", From: mustTime(t, "2026-12-06T08:00:00-07:00"), To: mustTime(t, "2026-12-20T08:00:00-07:00")},
			}}
		got := gapsOf(routing.ProjectCoverage(in), "always", "oncall")
		if len(got) != 1 {
			t.Fatalf("gaps %+v, want one", got)
		}
		g := got[0]
		want := "escalation policy oncall: nobody to dial from Sat 2026-12-05 18:00 MST to Sun 08:00 MST: " +
			"schedule primary: nobody on call: override #3 ended and the rotation has no members; " +
			"schedule secondary: nophone is on call by rotation but has no phone number"
		if g.Why != want {
			t.Errorf("why\n %s\nwant\n %s", g.Why, want)
		}
		if b := routing.Breaks(g.Breaks, "Severity"); b != "gold severity 1 (Critical), premium severity 1 (Critical)" {
			t.Errorf("breaks %q", b)
		}
		// With one step, the sentence is the issue's.
		one := mustPolicy(t, strings.Replace(coveragePolicy, "      - {schedule: secondary, ring: 20s}\n  desk:", "  desk:", 1))
		in.Policy = one
		g = gapsOf(routing.ProjectCoverage(in), "always", "oncall")[0]
		if want := "schedule primary: nobody on call from Sat 2026-12-05 18:00 MST to Sun 08:00 MST: override #3 ended and the rotation has no members"; g.Why != want {
			t.Errorf("why\n %s\nwant\n %s", g.Why, want)
		}
	})

	t.Run("business hours across spring forward and a holiday (America/Denver, March 2026)", func(t *testing.T) {
		from := mustTime(t, "2026-03-06T00:00:00-07:00") // Friday; DST starts Sunday 03-08; 03-10 is a holiday
		in := routing.CoverageInput{Policy: p, From: from, To: from.Add(6 * 24 * time.Hour), Engineers: engs,
			Schedules: map[string]oncall.Schedule{
				"desk": {Name: "desk", Location: denver, Shift: 24 * time.Hour, Handoff: civil("2026-03-11T09:00"), Members: []string{"alice"}},
			}}
		var got []string
		for _, g := range gapsOf(routing.ProjectCoverage(in), "business", "desk") {
			got = append(got, g.Start.Format(time.RFC3339)+"/"+g.End.Format(time.RFC3339))
		}
		want := []string{
			"2026-03-06T09:00:00-07:00/2026-03-06T17:00:00-07:00",
			"2026-03-09T09:00:00-06:00/2026-03-09T17:00:00-06:00",
			// 03-10 is a holiday; the rotation starts 03-11 09:00, as the calendar opens.
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("gaps\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
		}
	})

	t.Run("schedule issues", func(t *testing.T) {
		from := mustTime(t, "2026-12-01T00:00:00-07:00")
		in := routing.CoverageInput{Policy: p, From: from, To: from.Add(24 * time.Hour), Engineers: engs,
			Schedules: map[string]oncall.Schedule{
				"primary":   {Name: "primary", Location: denver, Shift: 168 * time.Hour, Handoff: civil("2027-01-04T09:00"), Members: []string{"alice"}},
				"secondary": {Name: "secondary", Location: denver, Shift: 168 * time.Hour, Handoff: civil("2026-11-02T09:00")},
				"desk":      {Name: "desk", Location: denver, Shift: 168 * time.Hour, Handoff: civil("2026-11-02T09:00"), Members: []string{"bob"}},
			}}
		var got []string
		for _, s := range routing.ProjectCoverage(in).Schedules {
			got = append(got, string(s.Problem)+" "+s.Schedule+": "+s.Why)
		}
		want := []string{
			"missing ghost: schedule ghost is named by the policy file but is not in the database (add it with supportline schedule add)",
			"not-started primary: the rotation of primary has not started: it starts Mon 2027-01-04 09:00 MST, and until then only overrides staff it",
			"no-members secondary: schedule secondary has no members: only overrides staff it (add members with supportline schedule set-members)",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("issues\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
		}
	})
}
