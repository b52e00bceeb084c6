package oncall

import (
	"context"
	"fmt"
	"time"

	"supportline/store"
)

// Roster is what one routing decision needs, read at once: every schedule,
// the overrides of a window, and every engineer.
type Roster struct {
	// Schedules are every schedule in the database, by name.
	Schedules map[string]Schedule
	// Overrides are those overlapping the window Snapshot was asked for.
	Overrides []Override
	// Engineers are every engineer, by handle.
	Engineers map[string]Engineer
}

// Snapshot reads the roster through tx (a transaction, for one consistent
// view, or statements outside one): every schedule with its members,
// every engineer, and the overrides in force at some instant of the closed
// window [from, to] (starting at or before to and ending after from).
// Snapshot(ctx, tx, at, at) is exactly what deciding a call at at needs.
func Snapshot(ctx context.Context, tx store.Querier, from, to time.Time) (Roster, error) {
	r := Roster{Schedules: map[string]Schedule{}, Engineers: map[string]Engineer{}}
	scheds, err := schedules(ctx, tx)
	if err != nil {
		return Roster{}, err
	}
	for _, s := range scheds {
		r.Schedules[s.Name] = s.Schedule
	}
	os, err := overrides(ctx, tx, "o.starts_at <= ? AND o.ends_at > ?", to, from)
	if err != nil {
		return Roster{}, err
	}
	r.Overrides = plain(os)
	engs, err := engineers(ctx, tx)
	if err != nil {
		return Roster{}, err
	}
	for _, e := range engs {
		r.Engineers[e.Handle] = e
	}
	return r, nil
}

// Coverage is who covers a schedule over a stretch of time, or why nobody
// does.
type Coverage struct {
	Schedule string `json:"schedule"`
	Timezone string `json:"timezone"`
	// Engineer is the handle on call; "" when nobody is.
	Engineer string `json:"engineer,omitempty"`
	// Name is the engineer's name.
	Name string `json:"name,omitempty"`
	// Since and Until bound the coverage, in the schedule's zone, with
	// overrides applied.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Override is the ID of the override in force, 0 for the rotation.
	Override int64 `json:"override,omitempty"`
	// Nobody says why nobody is on call, when nobody is.
	Nobody string `json:"nobody,omitempty"`
}

// OnCall reports, for every schedule in name order, who is on call at at
// and since and until when. Admin views read every override of the
// schedules, so that "since" and "until" are exact however long the shift.
func (s *Service) OnCall(ctx context.Context, at time.Time) ([]Coverage, error) {
	var out []Coverage
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		scheds, os, byHandle, err := everything(ctx, tx)
		if err != nil {
			return err
		}
		for _, sch := range scheds {
			sh, ok := Resolve(sch.Schedule, os, at)
			if !ok {
				out = append(out, Coverage{Schedule: sch.Name, Timezone: zoneOf(sch.Schedule), Nobody: WhyNobody(sch.Schedule, at)})
				continue
			}
			out = append(out, coverage(sch.Schedule, sh, byHandle))
		}
		return nil
	})
	return out, err
}

// Upcoming returns the named schedule and its next n shifts from from on,
// overrides applied, the one in force at from first (see Next).
func (s *Service) Upcoming(ctx context.Context, name string, from time.Time, n int) (StoredSchedule, []Coverage, error) {
	var sch StoredSchedule
	out := []Coverage{}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if sch, err = scheduleByName(ctx, tx, name, ""); err != nil {
			return err
		}
		os, err := overrides(ctx, tx, "s.name = ?", name)
		if err != nil {
			return err
		}
		engs, err := engineers(ctx, tx)
		if err != nil {
			return err
		}
		byHandle := map[string]Engineer{}
		for _, e := range engs {
			byHandle[e.Handle] = e
		}
		for _, sh := range Next(sch.Schedule, plain(os), from, n) {
			out = append(out, coverage(sch.Schedule, sh, byHandle))
		}
		return nil
	})
	return sch, out, err
}

// everything reads every schedule, override and engineer.
func everything(ctx context.Context, tx *store.Tx) ([]StoredSchedule, []Override, map[string]Engineer, error) {
	scheds, err := schedules(ctx, tx)
	if err != nil {
		return nil, nil, nil, err
	}
	os, err := overrides(ctx, tx, "1 = 1")
	if err != nil {
		return nil, nil, nil, err
	}
	engs, err := engineers(ctx, tx)
	if err != nil {
		return nil, nil, nil, err
	}
	byHandle := map[string]Engineer{}
	for _, e := range engs {
		byHandle[e.Handle] = e
	}
	return scheds, plain(os), byHandle, nil
}

func coverage(s Schedule, sh Shift, byHandle map[string]Engineer) Coverage {
	c := Coverage{Schedule: s.Name, Timezone: zoneOf(s), Engineer: sh.Engineer, Name: byHandle[sh.Engineer].Name,
		Since: sh.Start, Until: sh.End}
	if sh.Override != nil {
		c.Override = sh.Override.ID
	}
	return c
}

func zoneOf(s Schedule) string {
	if s.Location == nil {
		return ""
	}
	return s.Location.String()
}

// WhyNobody says, in words, why nobody from the rotation of s is on call at
// at: the schedule is invalid, has no members, or its rotation has not
// started. It is meant for when Resolve found nobody (so no override of s
// is in force at at either).
func WhyNobody(s Schedule, at time.Time) string {
	if err := s.Validate(); err != nil {
		return fmt.Sprintf("schedule %s is invalid (%s) and no override is in force", s.Name, oneLine(err))
	}
	if len(s.Members) == 0 {
		return fmt.Sprintf("schedule %s has no members and no override is in force", s.Name)
	}
	if start := s.Handoff.In(s.Location); at.Before(start) {
		return fmt.Sprintf("the rotation of %s starts %s and no override is in force", s.Name, start.Format("Mon 2006-01-02 15:04 MST"))
	}
	return fmt.Sprintf("nobody is on call in %s", s.Name)
}
