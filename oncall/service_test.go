package oncall_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// lastEvent is the newest audit event.
func lastEvent(t *testing.T, db *store.DB) audit.Event {
	t.Helper()
	evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit list: %d events, %v", len(evs), err)
	}
	return evs[len(evs)-1]
}

func rosterVersion(t *testing.T, db *store.DB) int64 {
	t.Helper()
	var v int64
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) { v, err = oncall.Version(context.Background(), tx); return err })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRemoveScheduleNamedByPolicy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db, Policy: config.Default()}
		mustEngineer(t, st, "alice", "+17205550111")
		mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")
		mustSchedule(t, st, "spare", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")

		t.Run("named by a policy: refused without force, in words", func(t *testing.T) {
			_, err := st.RemoveSchedule(ctx, "admin", "primary", false)
			wantCode(t, err, errcode.Conflict, "schedule primary is named by escalation policy oncall step 1 in (built-in default); live calls would skip it, so it is removed only when forced")
			if _, err := st.Schedule(ctx, "primary"); err != nil {
				t.Fatalf("refused removal removed it: %v", err)
			}
		})
		t.Run("without a policy the service cannot tell and refuses", func(t *testing.T) {
			_, err := (&oncall.Service{DB: db}).RemoveSchedule(ctx, "admin", "spare", false)
			if err == nil || errcode.CodeOf(err) != errcode.Internal {
				t.Fatalf("RemoveSchedule without a policy: %v, want an internal error", err)
			}
			if _, err := st.Schedule(ctx, "spare"); err != nil {
				t.Fatalf("spare is gone: %v", err)
			}
		})
		t.Run("not named: removed without force", func(t *testing.T) {
			if _, err := st.RemoveSchedule(ctx, "admin", "spare", false); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("forced: removed, and the audit event says what it overrode", func(t *testing.T) {
			s, err := st.RemoveSchedule(ctx, "admin", "primary", true)
			if err != nil || s.Name != "primary" {
				t.Fatalf("forced remove = %+v %v", s, err)
			}
			_, err = st.Schedule(ctx, "primary")
			wantCode(t, err, errcode.NotFound, `no schedule "primary"`)
			ev := lastEvent(t, db)
			if ev.Action != "schedule.remove" || !strings.Contains(ev.Detail, "forced, named by escalation policy oncall step 1") {
				t.Fatalf("audit event %+v", ev)
			}
		})
	})
}

func TestCheckPolicy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db, Policy: config.Default()}
		mustEngineer(t, st, "alice", "+17205550111")
		mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")
		c, err := st.CheckPolicy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Missing, ",") != "desk,secondary" || len(c.Problems) != 2 {
			t.Fatalf("CheckPolicy = %+v, want desk and secondary missing, one problem each", c)
		}
		p := c.Problems[0]
		if p.File != "(built-in default)" || p.Path != "escalation_policies.desk.steps[0].schedule" ||
			!strings.Contains(p.Msg, `escalation policy desk step 1 names schedule "desk", which is not in the database `+db.String()) {
			t.Fatalf("first problem = %+v", p)
		}
		if c.Problems[1].Path != "escalation_policies.oncall.steps[1].schedule" {
			t.Fatalf("second problem = %+v", c.Problems[1])
		}
		mustSchedule(t, st, "secondary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")
		mustSchedule(t, st, "desk", "America/Denver", 24*time.Hour, "2026-11-16T09:00")
		if c, err := st.CheckPolicy(ctx); err != nil || len(c.Missing) != 0 || len(c.Problems) != 0 {
			t.Fatalf("every schedule present: %+v %v", c, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestSetEngineer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db}
		mustEngineer(t, st, "alice", "+17205550111")
		mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")
		var rosters oncall.Rosters
		phoneInRoster := func() string {
			t.Helper()
			var r oncall.Roster
			v := rosterVersion(t, db)
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) { r, err = rosters.Snapshot(ctx, tx, v, db.Now(), db.Now()); return err }); err != nil {
				t.Fatal(err)
			}
			return r.Engineers["alice"].Phone
		}
		if got := phoneInRoster(); got != "+17205550111" {
			t.Fatalf("cached roster phone = %s", got)
		}

		t.Run("only the field given changes, audited old -> new, roster read again", func(t *testing.T) {
			before := rosterVersion(t, db)
			e, changes, err := st.SetEngineer(ctx, "admin", "alice", oncall.EngineerChange{Phone: ptr("+1 720 555 0199")})
			if err != nil {
				t.Fatal(err)
			}
			if e.Phone != "+17205550199" || e.Name != "Alice" || !e.SMS || strings.Join(e.Schedules, ",") != "primary" {
				t.Fatalf("SetEngineer = %+v", e)
			}
			if len(changes) != 1 || changes[0] != (oncall.FieldChange{Field: "phone", Old: "+17205550111", New: "+17205550199"}) {
				t.Fatalf("changes = %+v", changes)
			}
			ev := lastEvent(t, db)
			if ev.Action != "engineer.set" || ev.Actor != "admin" || ev.Subject != "engineer alice" || ev.Detail != "phone +17205550111 -> +17205550199" {
				t.Fatalf("audit event %+v", ev)
			}
			if after := rosterVersion(t, db); after <= before {
				t.Fatalf("roster version %d -> %d, want raised", before, after)
			}
			if got := phoneInRoster(); got != "+17205550199" {
				t.Fatalf("the cached roster still dials %s", got)
			}
			got, _ := st.Engineer(ctx, "alice")
			if got.Phone != "+17205550199" || got.Name != "Alice" || got.Email != "" || !got.SMS {
				t.Fatalf("stored %+v", got)
			}
		})
		t.Run("several fields, e-mail set then cleared", func(t *testing.T) {
			_, changes, err := st.SetEngineer(ctx, "admin", "alice", oncall.EngineerChange{Name: ptr(" Alice Ng "), Email: ptr("alice@example.com"), SMS: ptr(false)})
			if err != nil || len(changes) != 3 {
				t.Fatalf("SetEngineer = %+v %v", changes, err)
			}
			if ev := lastEvent(t, db); ev.Detail != `name "Alice" -> "Alice Ng"; email (none) -> alice@example.com; sms on -> off` {
				t.Fatalf("detail %q", ev.Detail)
			}
			e, _, err := st.SetEngineer(ctx, "admin", "alice", oncall.EngineerChange{Email: ptr("")})
			if err != nil || e.Email != "" || e.Name != "Alice Ng" || e.SMS {
				t.Fatalf("clear email = %+v %v", e, err)
			}
			if ev := lastEvent(t, db); ev.Detail != "email alice@example.com -> (none)" {
				t.Fatalf("detail %q", ev.Detail)
			}
		})
		t.Run("the value it already has is no change: nothing written", func(t *testing.T) {
			before, events := rosterVersion(t, db), len(actions(t, db))
			_, changes, err := st.SetEngineer(ctx, "admin", "alice", oncall.EngineerChange{Phone: ptr("+17205550199"), SMS: ptr(false)})
			if err != nil || len(changes) != 0 {
				t.Fatalf("SetEngineer = %+v %v, want no changes", changes, err)
			}
			if rosterVersion(t, db) != before || len(actions(t, db)) != events {
				t.Fatal("an unchanged engineer was written or audited")
			}
		})
		t.Run("bad input is refused in words and nothing changes", func(t *testing.T) {
			events := len(actions(t, db))
			for _, c := range []struct {
				handle string
				in     oncall.EngineerChange
				code   errcode.Code
				msg    string
			}{
				{"alice", oncall.EngineerChange{}, errcode.Invalid, "nothing to change for engineer alice"},
				{"alice", oncall.EngineerChange{Phone: ptr("720-555-0100")}, errcode.Invalid, "E.164"},
				{"alice", oncall.EngineerChange{Name: ptr(" ")}, errcode.Invalid, "engineer name is required"},
				{"alice", oncall.EngineerChange{Email: ptr("not an email"), Phone: ptr("+17205550100")}, errcode.Invalid, "not an email address"},
				{"zed", oncall.EngineerChange{Phone: ptr("+17205550100")}, errcode.NotFound, `no engineer "zed"`},
			} {
				_, _, err := st.SetEngineer(ctx, "admin", c.handle, c.in)
				wantCode(t, err, c.code, c.msg)
			}
			got, _ := st.Engineer(ctx, "alice")
			if got.Phone != "+17205550199" || len(actions(t, db)) != events {
				t.Fatalf("after bad input: %+v, %d events (was %d)", got, len(actions(t, db)), events)
			}
		})
	})
}

func TestEngineerTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &oncall.Service{DB: db}
		mustEngineer(t, st, "alice", "+17205550111")
		mustSchedule(t, st, "primary", "America/Denver", 168*time.Hour, "2026-11-16T09:00", "alice")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			e, err := st.EngineerTx(ctx, tx, "alice")
			if err != nil || e.Phone != "+17205550111" || strings.Join(e.Schedules, ",") != "primary" {
				t.Errorf("EngineerTx(alice) = %+v %v", e, err)
			}
			_, err = st.EngineerTx(ctx, tx, "zed")
			wantCode(t, err, errcode.NotFound, `no engineer "zed"`)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The frozen clock is 2026-11-18 15:00 UTC, 08:00 in Denver.
func TestAddOverrideAndThePast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := weeklyPrimary(t, db)
		if ev := lastEvent(t, db); ev.Action != "schedule.add" || !strings.Contains(ev.Detail, " shift=168h ") {
			t.Fatalf("schedule.add detail %q, want shift=168h", ev.Detail)
		}
		t.Run("ending in the past is refused", func(t *testing.T) {
			for _, to := range []string{"2026-11-18T08:00", "2026-11-18T07:59", "2026-11-18T15:00:00Z"} {
				_, err := st.AddOverride(ctx, "admin", oncall.NewOverride{Schedule: "primary", Engineer: "dave", From: "2026-11-17T09:00", To: to})
				wantCode(t, err, errcode.Invalid, "which is already past (it is now 2026-11-18T08:00:00-07:00)")
			}
			if os, _ := st.Overrides(ctx, "", time.Time{}); len(os) != 0 {
				t.Fatalf("refused overrides stored: %+v", os)
			}
		})
		t.Run("starting in the past starts now and says so", func(t *testing.T) {
			o, err := st.AddOverride(ctx, "admin", oncall.NewOverride{Schedule: "primary", Engineer: "dave", From: "2026-11-17T09:00", To: "2026-11-18T17:00"})
			if err != nil {
				t.Fatal(err)
			}
			now := mustParse(t, "2026-11-18T15:00:00Z")
			if !o.StartedNow || !o.From.Equal(now) || !o.AskedFrom.Equal(mustParse(t, "2026-11-17T16:00:00Z")) {
				t.Fatalf("override %+v, want started now", o)
			}
			js, _ := json.Marshal(o)
			if !strings.Contains(string(js), `"started_now":true`) || !strings.Contains(string(js), `"asked_from":"2026-11-17T16:00:00Z"`) {
				t.Fatalf("json %s", js)
			}
			list, _ := st.Overrides(ctx, "primary", time.Time{})
			if len(list) != 1 || !list[0].From.Equal(now) {
				t.Fatalf("stored %+v, want from now", list)
			}
			if got, err := st.Override(ctx, o.ID); err != nil || got.ID != o.ID || got.Schedule != "primary" || got.Engineer != "dave" || !got.From.Equal(now) {
				t.Fatalf("Override(%d) = %+v, %v", o.ID, got, err)
			}
			if _, err := st.Override(ctx, o.ID+1000); !errcode.Is(err, errcode.NotFound) || err.Error() != fmt.Sprintf("no override #%d", o.ID+1000) {
				t.Fatalf("Override of an unknown id: %v", err)
			}
			if ev := lastEvent(t, db); !strings.Contains(ev.Detail, "from=2026-11-18T15:00:00Z") || !strings.Contains(ev.Detail, "already past: starts now") {
				t.Fatalf("audit detail %q", ev.Detail)
			}
			cs, _ := st.OnCall(ctx, now)
			if len(cs) != 1 || cs[0].Engineer != "dave" {
				t.Fatalf("on call now: %+v, want dave", cs)
			}
		})
		t.Run("starting in the future is kept as asked", func(t *testing.T) {
			o, err := st.AddOverride(ctx, "admin", oncall.NewOverride{Schedule: "primary", Engineer: "bob", From: "2026-11-20T09:00", To: "2026-11-21T09:00"})
			if err != nil || o.StartedNow || !o.From.Equal(mustParse(t, "2026-11-20T16:00:00Z")) {
				t.Fatalf("override %+v %v", o, err)
			}
			if js, _ := json.Marshal(o); strings.Contains(string(js), "started_now") {
				t.Fatalf("json %s", js)
			}
		})
	})
}
