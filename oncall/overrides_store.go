package oncall

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
)

// StoredOverride is an override as the database holds it.
type StoredOverride struct {
	Override
	// CreatedBy is the actor who added it.
	CreatedBy string
	// StartedNow is set by AddOverride when the start asked for was already
	// past: the override starts when it was added instead (From), and
	// AskedFrom keeps what was asked. Read back later, an override does not
	// say it (the database keeps only its bounds).
	StartedNow bool
	AskedFrom  time.Time
}

// MarshalJSON writes the override with RFC 3339 bounds in UTC; an
// override that AddOverride started now says so (started_now, asked_from).
func (o StoredOverride) MarshalJSON() ([]byte, error) {
	var asked *time.Time
	if o.StartedNow {
		t := o.AskedFrom.UTC()
		asked = &t
	}
	return json.Marshal(struct {
		ID         int64      `json:"id"`
		Schedule   string     `json:"schedule"`
		Engineer   string     `json:"engineer"`
		From       time.Time  `json:"from"`
		To         time.Time  `json:"to"`
		CreatedAt  time.Time  `json:"created_at"`
		CreatedBy  string     `json:"created_by"`
		StartedNow bool       `json:"started_now,omitempty"`
		AskedFrom  *time.Time `json:"asked_from,omitempty"`
	}{o.ID, o.Schedule, o.Engineer, o.From.UTC(), o.To.UTC(), o.CreatedAt.UTC(), o.CreatedBy, o.StartedNow, asked})
}

// NewOverride is the input of [Service.AddOverride]. From and To are as an
// admin types them: RFC 3339 instants, or wall-clock times YYYY-MM-DDTHH:MM
// read in the schedule's zone (see [ParseInstant]).
type NewOverride struct {
	Schedule string
	Engineer string
	From, To string
}

// ParseInstant reads an RFC 3339 instant ("2026-11-21T09:00:00-07:00"), or a
// wall-clock time "2026-11-21T09:00" in loc. A wall-clock time in a DST gap
// or fall-back hour gets time.Date's choice, as handoffs do (see Schedule).
func ParseInstant(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	c, err := ParseCivil(s)
	if err != nil || loc == nil {
		zone := "the schedule's zone"
		if loc != nil {
			zone = loc.String()
		}
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 instant such as 2026-11-21T09:00:00-07:00 nor a wall-clock time YYYY-MM-DDTHH:MM in %s", s, zone)
	}
	return c.In(loc), nil
}

// AddOverride puts an engineer on call for a schedule over [From, To).
// Where it overlaps older overrides, it wins. The past cannot be changed:
// an override that ends at or before now is refused (errcode.Invalid), and
// one that starts before now starts now, with StartedNow set so that the
// admin is told (whoever was on call meanwhile was on call).
func (s *Service) AddOverride(ctx context.Context, actor string, in NewOverride) (StoredOverride, error) {
	var out StoredOverride
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		// Both rows are held (PostgreSQL) until the override is in: a
		// schedule or engineer removed meanwhile waits, then sees it.
		sch, err := scheduleByName(ctx, tx, strings.TrimSpace(in.Schedule), tx.ForShare())
		if err != nil {
			return errcode.WithField(err, "schedule")
		}
		eng, err := engineerByHandle(ctx, tx, strings.TrimSpace(in.Engineer), tx.ForShare())
		if err != nil {
			return errcode.WithField(err, "engineer")
		}
		from, err := ParseInstant(in.From, sch.Location)
		if err != nil {
			return errcode.WithField(errcode.New(errcode.Invalid, "from: "+err.Error()), "from")
		}
		to, err := ParseInstant(in.To, sch.Location)
		if err != nil {
			return errcode.WithField(errcode.New(errcode.Invalid, "to: "+err.Error()), "to")
		}
		// Both engines keep microseconds; trimming here makes what is stored
		// equal to what is returned.
		from, to = from.Truncate(time.Microsecond).UTC(), to.Truncate(time.Microsecond).UTC()
		if !to.After(from) {
			return errcode.WithField(errcode.Errorf(errcode.Invalid, "the override must end after it starts (from %s, to %s)",
				from.In(sch.Location).Format(time.RFC3339), to.In(sch.Location).Format(time.RFC3339)), "to")
		}
		now := tx.Now.Truncate(time.Microsecond).UTC()
		if !to.After(now) {
			return errcode.WithField(errcode.Errorf(errcode.Invalid, "the override would end %s, which is already past (it is now %s); an override can only cover time still to come",
				to.In(sch.Location).Format(time.RFC3339), now.In(sch.Location).Format(time.RFC3339)), "to")
		}
		out = StoredOverride{Override: Override{Schedule: sch.Name, Engineer: eng.Handle, From: from, To: to, CreatedAt: tx.Now}, CreatedBy: actor}
		note := ""
		if from.Before(now) {
			out.StartedNow, out.AskedFrom = true, from
			out.From, from = now, now
			note = fmt.Sprintf(" (asked from %s, already past: starts now)", out.AskedFrom.Format(time.RFC3339))
		}
		out.ID, err = tx.Insert(ctx, `INSERT INTO overrides (schedule_id, engineer_id, starts_at, ends_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			sch.ID, eng.ID, from, to, tx.Now, actor)
		if err != nil {
			return fmt.Errorf("insert override: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "override.add", Subject: fmt.Sprintf("override %d", out.ID),
			Detail: fmt.Sprintf("schedule=%s engineer=%s from=%s to=%s%s", sch.Name, eng.Handle, from.Format(time.RFC3339), to.Format(time.RFC3339), note)})
	})
	if err != nil && errcode.CodeOf(err) == errcode.Internal {
		return StoredOverride{}, fmt.Errorf("add override: %w", err)
	}
	return out, err
}

// Overrides lists overrides ordered by start: of one schedule, or of all
// when schedule is "", and only those ending after endsAfter unless it is
// zero.
func (s *Service) Overrides(ctx context.Context, schedule string, endsAfter time.Time) ([]StoredOverride, error) {
	var out []StoredOverride
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		where, args := []string{"1 = 1"}, []any{}
		if schedule != "" {
			if _, err := scheduleByName(ctx, tx, schedule, ""); err != nil {
				return err
			}
			where, args = append(where, "s.name = ?"), append(args, schedule)
		}
		if !endsAfter.IsZero() {
			where, args = append(where, "o.ends_at > ?"), append(args, endsAfter)
		}
		var err error
		out, err = overrides(ctx, tx, strings.Join(where, " AND "), args...)
		return err
	})
	return out, err
}

// Override returns the override with id; none is errcode.NotFound. Faces
// read it to ask, before removing it, whether the caller may change its
// schedule.
func (s *Service) Override(ctx context.Context, id int64) (StoredOverride, error) {
	var found []StoredOverride
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		var err error
		found, err = overrides(ctx, q, "o.id = ?", id)
		return err
	})
	if err != nil {
		return StoredOverride{}, fmt.Errorf("read override %d: %w", id, err)
	}
	if len(found) == 0 {
		return StoredOverride{}, errcode.Errorf(errcode.NotFound, "no override #%d", id)
	}
	return found[0], nil
}

// RemoveOverride deletes an override.
func (s *Service) RemoveOverride(ctx context.Context, actor string, id int64) (StoredOverride, error) {
	var out StoredOverride
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		found, err := overrides(ctx, tx, "o.id = ?", id)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return errcode.Errorf(errcode.NotFound, "no override #%d", id)
		}
		out = found[0]
		if _, err := tx.Exec(ctx, `DELETE FROM overrides WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete override %d: %w", id, err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "override.remove", Subject: fmt.Sprintf("override %d", id),
			Detail: fmt.Sprintf("schedule=%s engineer=%s from=%s to=%s", out.Schedule, out.Engineer, out.From.Format(time.RFC3339), out.To.Format(time.RFC3339))})
	})
	if err != nil && errcode.CodeOf(err) == errcode.Internal {
		return StoredOverride{}, fmt.Errorf("remove override %d: %w", id, err)
	}
	return out, err
}

// overrideRow is one row of overrides joined with its names.
type overrideRow struct {
	ID        int64     `db:"id"`
	Schedule  string    `db:"schedule"`
	Engineer  string    `db:"engineer"`
	StartsAt  time.Time `db:"starts_at"`
	EndsAt    time.Time `db:"ends_at"`
	CreatedAt time.Time `db:"created_at"`
	CreatedBy string    `db:"created_by"`
}

// overrides reads the overrides matching where (over o, s and e), ordered
// by start then id, times in UTC.
func overrides(ctx context.Context, tx store.Querier, where string, args ...any) ([]StoredOverride, error) {
	var rows []overrideRow
	err := tx.Select(ctx, &rows, `SELECT o.id, s.name AS schedule, e.handle AS engineer, o.starts_at, o.ends_at, o.created_at, o.created_by
		FROM overrides o JOIN schedules s ON s.id = o.schedule_id JOIN engineers e ON e.id = o.engineer_id
		WHERE `+where+` ORDER BY o.starts_at, o.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read overrides: %w", err)
	}
	out := make([]StoredOverride, len(rows))
	for i, r := range rows {
		out[i] = StoredOverride{Override: Override{ID: r.ID, Schedule: r.Schedule, Engineer: r.Engineer,
			From: r.StartsAt.UTC(), To: r.EndsAt.UTC(), CreatedAt: r.CreatedAt.UTC()}, CreatedBy: r.CreatedBy}
	}
	return out, nil
}

// plain strips the bookkeeping, for Resolve.
func plain(os []StoredOverride) []Override {
	out := make([]Override, len(os))
	for i, o := range os {
		out[i] = o.Override
	}
	return out
}
