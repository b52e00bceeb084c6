package oncall_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// The store tests run on SQLite and PostgreSQL (storetest.Each); the
// frozen clock starts at 2026-11-18 15:00 UTC (Wednesday 08:00 in Denver).

func mustEngineer(tb testing.TB, st *oncall.Service, handle, phone string) oncall.Engineer {
	tb.Helper()
	e, err := st.AddEngineer(context.Background(), "admin", oncall.NewEngineer{Handle: handle, Name: strings.ToUpper(handle[:1]) + handle[1:], Phone: phone})
	if err != nil {
		tb.Fatalf("add engineer %s: %v", handle, err)
	}
	return e
}

func mustSchedule(tb testing.TB, st *oncall.Service, name, tz string, shift time.Duration, handoff string, members ...string) oncall.StoredSchedule {
	tb.Helper()
	h, err := oncall.ParseCivil(handoff)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := st.AddSchedule(context.Background(), "admin", oncall.NewSchedule{Name: name, Timezone: tz, Shift: shift, Handoff: h, Members: members})
	if err != nil {
		tb.Fatalf("add schedule %s: %v", name, err)
	}
	return s
}

func mustOverride(tb testing.TB, st *oncall.Service, schedule, engineer, from, to string) oncall.StoredOverride {
	tb.Helper()
	o, err := st.AddOverride(context.Background(), "admin", oncall.NewOverride{Schedule: schedule, Engineer: engineer, From: from, To: to})
	if err != nil {
		tb.Fatalf("add override: %v", err)
	}
	return o
}

func mustParse(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func wantCode(t *testing.T, err error, code errcode.Code, contains string) {
	t.Helper()
	if errcode.CodeOf(err) != code || !strings.Contains(errcode.Message(err), contains) {
		t.Fatalf("error = %v (code %q), want code %q containing %q", err, errcode.CodeOf(err), code, contains)
	}
}

func actions(t *testing.T, db *store.DB) []string {
	t.Helper()
	evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Actor+" "+e.Action+" "+e.Subject)
	}
	return out
}

func TestEngineers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db}
		alice, err := st.AddEngineer(ctx, "admin", oncall.NewEngineer{Handle: "alice", Name: " Alice Ng ", Phone: "+1 (720) 555-0111", Email: "alice@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if alice.Phone != "+17205550111" || alice.Name != "Alice Ng" || !alice.SMS {
			t.Fatalf("added %+v, want normalised phone, trimmed name, SMS on", alice)
		}
		if _, err := st.AddEngineer(ctx, "admin", oncall.NewEngineer{Handle: "bob", Name: "Bob", Phone: "+17205550112", NoSMS: true}); err != nil {
			t.Fatal(err)
		}
		// Every handle the Go check accepts, the database's CHECK accepts too.
		odd, err := st.AddEngineer(ctx, "admin", oncall.NewEngineer{Handle: "j.doe_2-x", Name: "J Doe", Phone: "+447700900123"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RemoveEngineer(ctx, "admin", odd.Handle); err != nil {
			t.Fatal(err)
		}
		t.Run("bad input is refused and nothing is stored", func(t *testing.T) {
			for _, c := range []struct {
				in   oncall.NewEngineer
				code errcode.Code
				msg  string
			}{
				{oncall.NewEngineer{Handle: "alice", Name: "Other", Phone: "+17205550100"}, errcode.Conflict, "engineer alice already exists"},
				{oncall.NewEngineer{Handle: "Carol", Name: "Carol", Phone: "+17205550100"}, errcode.Invalid, `handle "Carol"`},
				{oncall.NewEngineer{Handle: "carol", Name: "", Phone: "+17205550100"}, errcode.Invalid, "engineer name is required"},
				{oncall.NewEngineer{Handle: "carol", Name: "Carol", Phone: "720-555-0100"}, errcode.Invalid, "E.164"},
				{oncall.NewEngineer{Handle: "carol", Name: "Carol", Phone: "+17205550100", Email: "not an email"}, errcode.Invalid, "not an email address"},
			} {
				_, err := st.AddEngineer(ctx, "admin", c.in)
				wantCode(t, err, c.code, c.msg)
			}
			es, err := st.Engineers(ctx)
			if err != nil || len(es) != 2 {
				t.Fatalf("engineers after bad input: %d %v, want 2", len(es), err)
			}
		})
		es, err := st.Engineers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if es[0].Handle != "alice" || es[1].Handle != "bob" || es[1].SMS || es[0].Email != "alice@example.com" {
			t.Fatalf("Engineers = %+v", es)
		}
		if got := actions(t, db); len(got) != 4 || got[0] != "admin engineer.add engineer alice" || got[3] != "admin engineer.remove engineer j.doe_2-x" {
			t.Fatalf("audit = %q", got)
		}
	})
}

func TestSchedulesRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db, Policy: config.Default()}
		mustEngineer(t, st, "alice", "+17205550111")
		mustEngineer(t, st, "bob", "+17205550112")
		// Repeated members weight the rotation; order must survive the trip.
		added := mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-01-05T09:00", "alice", "bob", "alice")
		got, err := st.Schedule(ctx, "primary")
		if err != nil {
			t.Fatal(err)
		}
		if got.Location.String() != "America/Denver" || got.Shift != 168*time.Hour || got.Handoff.String() != "2026-01-05T09:00" ||
			strings.Join(got.Members, ",") != "alice,bob,alice" || got.ID != added.ID {
			t.Fatalf("Schedule = %+v", got)
		}
		t.Run("bad input is refused and nothing is stored", func(t *testing.T) {
			h, _ := oncall.ParseCivil("2026-01-05T09:00")
			for _, c := range []struct {
				name string
				in   oncall.NewSchedule
				code errcode.Code
				msg  string
			}{
				{"duplicate", oncall.NewSchedule{Name: "primary", Timezone: "UTC", Shift: time.Hour, Handoff: h}, errcode.Conflict, "schedule primary already exists"},
				{"bad name", oncall.NewSchedule{Name: "Primary 2", Timezone: "UTC", Shift: time.Hour, Handoff: h}, errcode.Invalid, "schedule name"},
				{"bad zone", oncall.NewSchedule{Name: "second", Timezone: "America/Denvr", Shift: time.Hour, Handoff: h}, errcode.Invalid, `unknown time zone "America/Denvr"`},
				{"Local zone", oncall.NewSchedule{Name: "second", Timezone: "Local", Shift: time.Hour, Handoff: h}, errcode.Invalid, "IANA"},
				{"zero shift", oncall.NewSchedule{Name: "second", Timezone: "UTC", Shift: 0, Handoff: h}, errcode.Invalid, "must be positive"},
				{"seconds in shift", oncall.NewSchedule{Name: "second", Timezone: "UTC", Shift: 90 * time.Second, Handoff: h}, errcode.Invalid, "whole number of minutes"},
				{"no handoff", oncall.NewSchedule{Name: "second", Timezone: "UTC", Shift: time.Hour}, errcode.Invalid, "handoff"},
				{"unknown members", oncall.NewSchedule{Name: "second", Timezone: "UTC", Shift: time.Hour, Handoff: h, Members: []string{"alice", "zed", "yan"}}, errcode.NotFound, `no engineer "yan", "zed"`},
				{"empty member", oncall.NewSchedule{Name: "second", Timezone: "UTC", Shift: time.Hour, Handoff: h, Members: []string{"alice", " "}}, errcode.Invalid, "empty handle"},
			} {
				t.Run(c.name, func(t *testing.T) {
					_, err := st.AddSchedule(ctx, "admin", c.in)
					wantCode(t, err, c.code, c.msg)
				})
			}
			ss, err := st.Schedules(ctx)
			if err != nil || len(ss) != 1 {
				t.Fatalf("schedules after bad input: %d %v, want 1", len(ss), err)
			}
		})
		t.Run("set members", func(t *testing.T) {
			s, err := st.SetMembers(ctx, "admin", "primary", []string{"bob"})
			if err != nil || strings.Join(s.Members, ",") != "bob" {
				t.Fatalf("SetMembers = %v %v", s.Members, err)
			}
			_, err = st.SetMembers(ctx, "admin", "primary", []string{"zed"})
			wantCode(t, err, errcode.NotFound, `no engineer "zed"`)
			_, err = st.SetMembers(ctx, "admin", "nope", []string{"bob"})
			wantCode(t, err, errcode.NotFound, `no schedule "nope"`)
			got, _ := st.Schedule(ctx, "primary")
			if strings.Join(got.Members, ",") != "bob" {
				t.Fatalf("members after refused changes = %v, want bob", got.Members)
			}
		})
		t.Run("remove deletes members and overrides", func(t *testing.T) {
			mustSchedule(t, st, "spare", "Europe/London", 12*time.Hour, "2026-01-05T08:00", "alice")
			mustOverride(t, st, "spare", "bob", "2026-12-01T08:00", "2026-12-02T08:00")
			if _, err := st.RemoveSchedule(ctx, "admin", "spare", false); err != nil {
				t.Fatal(err)
			}
			os, err := st.Overrides(ctx, "", time.Time{})
			if err != nil || len(os) != 0 {
				t.Fatalf("overrides after removing their schedule: %v %v", os, err)
			}
			es, _ := st.Engineers(ctx)
			if strings.Join(es[0].Schedules, ",") != "" || strings.Join(es[1].Schedules, ",") != "primary" {
				t.Fatalf("engineer schedules = %v / %v", es[0].Schedules, es[1].Schedules)
			}
			_, err = st.RemoveSchedule(ctx, "admin", "spare", false)
			wantCode(t, err, errcode.NotFound, `no schedule "spare"`)
		})
		got2 := actions(t, db)
		want := []string{"engineer.add", "engineer.add", "schedule.add", "schedule.set_members", "schedule.add", "override.add", "schedule.remove"}
		if len(got2) != len(want) {
			t.Fatalf("audit = %q, want actions %q", got2, want)
		}
		for i, w := range want {
			if !strings.HasPrefix(got2[i], "admin "+w+" ") {
				t.Errorf("audit[%d] = %q, want %s by admin", i, got2[i], w)
			}
		}
	})
}

func TestRemoveEngineer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db}
		mustEngineer(t, st, "alice", "+17205550111")
		mustEngineer(t, st, "bob", "+17205550112")
		mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-01-05T09:00", "alice", "bob")
		mustSchedule(t, st, "secondary", "America/Denver", 168*time.Hour, "2026-01-05T09:00", "bob", "alice")

		_, err := st.RemoveEngineer(ctx, "admin", "alice")
		wantCode(t, err, errcode.Conflict, "engineer alice is a member of schedule(s) primary, secondary")

		for _, name := range []string{"primary", "secondary"} {
			if _, err := st.SetMembers(ctx, "admin", name, []string{"bob"}); err != nil {
				t.Fatal(err)
			}
		}
		// The clock is 2026-11-18 15:00 UTC: one override ended, one has not.
		// The ended one was added while it was still to come (AddOverride
		// refuses the past).
		clock := storetest.ClockOf(db)
		now := clock.Now()
		clock.Set(mustParse(t, "2026-10-31T00:00:00Z"))
		past := mustOverride(t, st, "primary", "alice", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z")
		future := mustOverride(t, st, "primary", "alice", "2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z")
		clock.Set(now)
		_, err = st.RemoveEngineer(ctx, "admin", "alice")
		wantCode(t, err, errcode.Conflict, "covers override(s) #"+itoa(future.ID)+", which have not ended")

		storetest.ClockOf(db).Set(mustParse(t, "2026-11-19T00:00:00Z")) // the second ends now
		if _, err := st.RemoveEngineer(ctx, "admin", "alice"); err != nil {
			t.Fatal(err)
		}
		os, _ := st.Overrides(ctx, "", time.Time{})
		if len(os) != 0 {
			t.Fatalf("ended overrides of a removed engineer remain: %+v (past was #%d)", os, past.ID)
		}
		_, err = st.Engineer(ctx, "alice")
		wantCode(t, err, errcode.NotFound, `no engineer "alice"`)
		_, err = st.RemoveEngineer(ctx, "admin", "alice")
		wantCode(t, err, errcode.NotFound, `no engineer "alice"`)
		got := actions(t, db)
		if last := got[len(got)-1]; last != "admin engineer.remove engineer alice" {
			t.Fatalf("last audit event = %q", last)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db}
		mustEngineer(t, st, "alice", "+17205550111")
		mustEngineer(t, st, "dave", "+17205550114")
		mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-01-05T09:00", "alice")

		t.Run("wall-clock bounds are read in the schedule's zone", func(t *testing.T) {
			// 2026-03-08 is the spring-forward day in Denver: 00:00 is MST,
			// 12:00 is MDT. Added the week before, while it is to come.
			clock := storetest.ClockOf(db)
			now := clock.Now()
			clock.Set(mustParse(t, "2026-03-01T00:00:00Z"))
			o := mustOverride(t, st, "primary", "dave", "2026-03-08T00:00", "2026-03-08T12:00")
			clock.Set(now)
			if !o.From.Equal(mustParse(t, "2026-03-08T07:00:00Z")) || !o.To.Equal(mustParse(t, "2026-03-08T18:00:00Z")) {
				t.Fatalf("override bounds %s - %s", o.From, o.To)
			}
			if o.CreatedBy != "admin" {
				t.Fatalf("created_by = %q", o.CreatedBy)
			}
			list, err := st.Overrides(ctx, "primary", time.Time{})
			if err != nil || len(list) != 1 || !list[0].From.Equal(o.From) || !list[0].To.Equal(o.To) || list[0].Engineer != "dave" {
				t.Fatalf("Overrides = %+v %v", list, err)
			}
		})
		t.Run("bad input", func(t *testing.T) {
			for _, c := range []struct {
				in   oncall.NewOverride
				code errcode.Code
				msg  string
			}{
				{oncall.NewOverride{Schedule: "nope", Engineer: "dave", From: "2026-12-01T00:00", To: "2026-12-02T00:00"}, errcode.NotFound, `no schedule "nope"`},
				{oncall.NewOverride{Schedule: "primary", Engineer: "zed", From: "2026-12-01T00:00", To: "2026-12-02T00:00"}, errcode.NotFound, `no engineer "zed"`},
				{oncall.NewOverride{Schedule: "primary", Engineer: "dave", From: "2026-12-02T00:00", To: "2026-12-02T00:00"}, errcode.Invalid, "must end after it starts"},
				{oncall.NewOverride{Schedule: "primary", Engineer: "dave", From: "2026-12-02T00:00:00Z", To: "2026-12-01T00:00:00Z"}, errcode.Invalid, "must end after it starts"},
				{oncall.NewOverride{Schedule: "primary", Engineer: "dave", From: "tomorrow", To: "2026-12-01T00:00"}, errcode.Invalid, "in America/Denver"},
			} {
				_, err := st.AddOverride(ctx, "admin", c.in)
				wantCode(t, err, c.code, c.msg)
			}
			if list, _ := st.Overrides(ctx, "", time.Time{}); len(list) != 1 {
				t.Fatalf("overrides after bad input = %d, want 1", len(list))
			}
		})
		t.Run("list filters and remove", func(t *testing.T) {
			future := mustOverride(t, st, "primary", "dave", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")
			// The clock is 2026-11-18: only the December one has not ended.
			list, err := st.Overrides(ctx, "", db.Now())
			if err != nil || len(list) != 1 || list[0].ID != future.ID {
				t.Fatalf("Overrides(ending after now) = %+v %v", list, err)
			}
			_, err = st.Overrides(ctx, "nope", time.Time{})
			wantCode(t, err, errcode.NotFound, `no schedule "nope"`)
			if _, err := st.RemoveOverride(ctx, "admin", future.ID); err != nil {
				t.Fatal(err)
			}
			_, err = st.RemoveOverride(ctx, "admin", future.ID)
			wantCode(t, err, errcode.NotFound, "no override #")
		})
	})
}

// weeklyPrimary adds engineers alice, bob and dave, and a weekly "primary"
// rotation of alice and bob handing off on Mondays at 09:00 Denver.
func weeklyPrimary(t *testing.T, db *store.DB) *oncall.Service {
	t.Helper()
	st := &oncall.Service{DB: db}
	mustEngineer(t, st, "alice", "+17205550111")
	mustEngineer(t, st, "bob", "+17205550112")
	mustEngineer(t, st, "dave", "+17205550114")
	mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice", "bob")
	return st
}

func TestSnapshot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := weeklyPrimary(t, db)
		mustSchedule(t, st, "empty", "UTC", 24*time.Hour, "2026-01-01T00:00")
		at := mustParse(t, "2026-11-18T12:00:00-07:00")
		ended := mustOverride(t, st, "primary", "dave", "2026-11-18T10:00:00-07:00", "2026-11-18T12:00:00-07:00") // ends at at: out
		older := mustOverride(t, st, "primary", "bob", "2026-11-18T11:00:00-07:00", "2026-11-18T14:00:00-07:00")
		storetest.ClockOf(db).Advance(time.Minute)                                                                // created later: wins where they overlap
		newer := mustOverride(t, st, "primary", "dave", "2026-11-18T12:00:00-07:00", "2026-11-18T13:00:00-07:00") // starts at at: in
		mustOverride(t, st, "primary", "alice", "2026-11-18T12:00:01-07:00", "2026-11-18T13:00:00-07:00")         // after at: out

		var r oncall.Roster
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			r, err = oncall.Snapshot(ctx, tx, at, at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Schedules) != 2 || len(r.Engineers) != 3 || r.Engineers["dave"].Phone != "+17205550114" {
			t.Fatalf("roster: %d schedules, engineers %v", len(r.Schedules), r.Engineers)
		}
		var ids []int64
		for _, o := range r.Overrides {
			ids = append(ids, o.ID)
		}
		if len(ids) != 2 || ids[0] != older.ID || ids[1] != newer.ID {
			t.Fatalf("overrides in force at %s: %v, want [%d %d] (not #%d which ended then)", at, ids, older.ID, newer.ID, ended.ID)
		}
		sh, ok := oncall.Resolve(r.Schedules["primary"], r.Overrides, at)
		if !ok || sh.Engineer != "dave" || sh.Override == nil || sh.Override.ID != newer.ID {
			t.Fatalf("Resolve on the snapshot = %+v %v, want dave by the newer override", sh, ok)
		}
		if _, ok := oncall.Resolve(r.Schedules["empty"], r.Overrides, at); ok {
			t.Fatal("a schedule without members has someone on call")
		}
		// A wider window takes in the override starting a second after at.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			r, err = oncall.Snapshot(ctx, tx, at, at.Add(time.Second))
			return err
		})
		if err != nil || len(r.Overrides) != 3 {
			t.Fatalf("window [at, at+1s]: %d overrides %v, want 3", len(r.Overrides), err)
		}
	})
}

func TestOnCallAndUpcoming(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := weeklyPrimary(t, db)
		mustSchedule(t, st, "empty", "UTC", 24*time.Hour, "2026-01-01T00:00")
		o := mustOverride(t, st, "primary", "dave", "2026-11-25T09:00", "2026-11-26T09:00")

		cs, err := st.OnCall(ctx, mustParse(t, "2026-11-24T12:00:00-07:00"))
		if err != nil || len(cs) != 2 {
			t.Fatalf("OnCall = %+v %v", cs, err)
		}
		if cs[0].Schedule != "empty" || cs[0].Engineer != "" || !strings.Contains(cs[0].Nobody, "no members") {
			t.Fatalf("empty schedule: %+v", cs[0])
		}
		// bob's week (Mon 11-23 09:00), cut short where dave's override starts.
		p := cs[1]
		if p.Engineer != "bob" || p.Name != "Bob" || p.Since.Format(time.RFC3339) != "2026-11-23T09:00:00-07:00" ||
			p.Until.Format(time.RFC3339) != "2026-11-25T09:00:00-07:00" || p.Override != 0 {
			t.Fatalf("primary: %+v", p)
		}

		s, shifts, err := st.Upcoming(ctx, "primary", mustParse(t, "2026-11-24T12:00:00-07:00"), 4)
		if err != nil || s.Name != "primary" {
			t.Fatal(err)
		}
		var got []string
		for _, c := range shifts {
			got = append(got, c.Engineer+" "+c.Since.Format(time.RFC3339)+" "+c.Until.Format(time.RFC3339)+" "+itoa(c.Override))
		}
		want := []string{
			"bob 2026-11-23T09:00:00-07:00 2026-11-25T09:00:00-07:00 0",
			"dave 2026-11-25T09:00:00-07:00 2026-11-26T09:00:00-07:00 " + itoa(o.ID),
			"bob 2026-11-26T09:00:00-07:00 2026-11-30T09:00:00-07:00 0",
			"alice 2026-11-30T09:00:00-07:00 2026-12-07T09:00:00-07:00 0",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("Upcoming:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		_, _, err = st.Upcoming(ctx, "nope", time.Now(), 3)
		wantCode(t, err, errcode.NotFound, `no schedule "nope"`)
	})
}

// Removing an engineer while a schedule naming them, or an override for
// them, is being added: each pair ends with one side refused in words
// (Conflict or NotFound), never an internal foreign-key error, and no
// schedule or override is left pointing at a removed engineer.
func TestRemoveEngineerRacesAdds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db}
		mustSchedule(t, st, "desk", "America/Denver", 24*time.Hour, "2026-11-16T09:00")
		const rounds = 20
		for i := range rounds {
			handle := "eng" + strconv.Itoa(i)
			mustEngineer(t, st, handle, "+1720555"+strconv.Itoa(1000+i))
			errs := make(chan error, 3)
			go func() {
				_, err := st.RemoveEngineer(ctx, "admin", handle)
				errs <- err
			}()
			go func() {
				h, _ := oncall.ParseCivil("2026-11-16T09:00")
				_, err := st.AddSchedule(ctx, "admin", oncall.NewSchedule{Name: "s" + strconv.Itoa(i), Timezone: "America/Denver",
					Shift: 24 * time.Hour, Handoff: h, Members: []string{handle}})
				errs <- err
			}()
			go func() {
				_, err := st.AddOverride(ctx, "admin", oncall.NewOverride{Schedule: "desk", Engineer: handle,
					From: "2026-12-01T09:00", To: "2026-12-01T17:00"})
				errs <- err
			}()
			for range 3 {
				if err := <-errs; err != nil {
					if c := errcode.CodeOf(err); c != errcode.Conflict && c != errcode.NotFound {
						t.Fatalf("round %d: %v (code %s), want success, Conflict or NotFound", i, err, c)
					}
				}
			}
		}
		var dangling int
		if err := db.Statements(ctx, func(q *store.Q) error {
			return q.Get(ctx, &dangling, `SELECT
				(SELECT count(*) FROM schedule_members m WHERE NOT EXISTS (SELECT 1 FROM engineers e WHERE e.id = m.engineer_id)) +
				(SELECT count(*) FROM overrides o WHERE NOT EXISTS (SELECT 1 FROM engineers e WHERE e.id = o.engineer_id))`)
		}); err != nil {
			t.Fatal(err)
		}
		if dangling != 0 {
			t.Fatalf("%d members or overrides point at removed engineers", dangling)
		}
	})
}
