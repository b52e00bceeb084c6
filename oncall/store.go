package oncall

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/sla"
	"supportline/store"
)

// Service keeps engineers, schedules and overrides in the database.
//
// Its methods open one transaction each and call lower-case helpers taking
// (ctx, tx, ...); [Snapshot] and the ...Tx methods take the caller's
// transaction, because the phone line and other domains read the roster as
// part of larger work. Every change writes an audit event, with the actor,
// in the same transaction. Build it as a literal with every field set.
type Service struct {
	DB *store.DB
	// Policy is the policy file in force. Its escalation policies name
	// schedules by name, so the rules that keep the two consistent
	// (RemoveSchedule, CheckPolicy) need it; the other methods do not read
	// it, and it may be nil for a Service that never calls those two.
	Policy *config.Policy
}

// StoredSchedule is a schedule as the database holds it: the rotation and
// its bookkeeping.
type StoredSchedule struct {
	ID int64
	Schedule
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MarshalJSON writes the schedule for people and scripts: the zone by name,
// the shift as typed ("168h", "1h30m") and in minutes, the handoff as typed.
func (s StoredSchedule) MarshalJSON() ([]byte, error) {
	zone := ""
	if s.Location != nil {
		zone = s.Location.String()
	}
	return json.Marshal(struct {
		Name         string    `json:"name"`
		Timezone     string    `json:"timezone"`
		Shift        string    `json:"shift"`
		ShiftMinutes int64     `json:"shift_minutes"`
		Handoff      string    `json:"handoff"`
		Members      []string  `json:"members"`
		CreatedAt    time.Time `json:"created_at"`
		UpdatedAt    time.Time `json:"updated_at"`
	}{s.Name, zone, sla.FormatDuration(s.Shift), int64(s.Shift / time.Minute), s.Handoff.String(), nonNil(s.Members), s.CreatedAt, s.UpdatedAt})
}

// NewSchedule is the input of [Service.AddSchedule].
type NewSchedule struct {
	// Name is how escalation policies refer to the schedule: lowercase
	// letters, digits, - and _, starting with a letter.
	Name string
	// Timezone is an IANA zone such as America/Denver.
	Timezone string
	// Shift is the length of one turn: positive, whole minutes.
	Shift time.Duration
	// Handoff is the wall-clock start of the first shift in Timezone.
	Handoff Civil
	// Members are engineer handles in rotation order; repeats are allowed,
	// and an empty list makes a schedule only overrides staff.
	Members []string
}

// scheduleRow is one row of schedules.
type scheduleRow struct {
	ID           int64     `db:"id"`
	Name         string    `db:"name"`
	Timezone     string    `db:"timezone"`
	ShiftMinutes int64     `db:"shift_minutes"`
	Handoff      string    `db:"handoff"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// schedule turns a row into a StoredSchedule. A zone or handoff the host can
// no longer read leaves Location nil or Handoff zero, which Validate reports
// and Resolve treats as "no rotation", rather than failing every read.
func (r scheduleRow) schedule(members []string) StoredSchedule {
	s := StoredSchedule{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	s.Name = r.Name
	if loc, err := loadZone(r.Timezone); err == nil {
		s.Location = loc
	}
	s.Shift = time.Duration(r.ShiftMinutes) * time.Minute
	s.Handoff, _ = ParseCivil(r.Handoff)
	s.Members = nonNil(members)
	return s
}

// AddSchedule creates a schedule with its members.
func (s *Service) AddSchedule(ctx context.Context, actor string, in NewSchedule) (StoredSchedule, error) {
	name := strings.TrimSpace(in.Name)
	if !nameRE.MatchString(name) {
		return StoredSchedule{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "schedule name %q: use 1 to 40 lowercase letters, digits, - and _, starting with a letter (e.g. primary)", in.Name), "name")
	}
	loc, err := loadZone(in.Timezone)
	if err != nil {
		return StoredSchedule{}, errcode.WithField(err, "timezone")
	}
	sch := Schedule{Name: name, Location: loc, Shift: in.Shift, Handoff: in.Handoff, Members: trimAll(in.Members)}
	if err := sch.Validate(); err != nil {
		return StoredSchedule{}, errcode.WithField(errcode.New(errcode.Invalid, oneLine(err)), errcode.FieldOf(err))
	}
	var out StoredSchedule
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		ids, err := engineerIDs(ctx, tx, sch.Members)
		if err != nil {
			return err
		}
		id, err := tx.Insert(ctx, `INSERT INTO schedules (name, timezone, shift_minutes, handoff, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			name, loc.String(), int64(sch.Shift/time.Minute), sch.Handoff.String(), tx.Now, tx.Now)
		if err != nil {
			return err
		}
		if err := insertMembers(ctx, tx, id, ids); err != nil {
			return err
		}
		out = StoredSchedule{ID: id, Schedule: sch, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		out.Members = nonNil(out.Members)
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "schedule.add", Subject: "schedule " + name,
			Detail: fmt.Sprintf("tz=%s shift=%s handoff=%s members=%s", loc, sla.FormatDuration(sch.Shift), sch.Handoff, strings.Join(sch.Members, ","))})
	})
	if store.IsUniqueViolation(err) {
		return StoredSchedule{}, errcode.WithField(errcode.Errorf(errcode.Conflict, "schedule %s already exists", name), "name")
	}
	if err != nil && errcode.CodeOf(err) == errcode.Internal {
		return StoredSchedule{}, fmt.Errorf("add schedule %s: %w", name, err)
	}
	return out, err
}

// Schedules lists every schedule by name, with members in rotation order.
func (s *Service) Schedules(ctx context.Context) ([]StoredSchedule, error) {
	var out []StoredSchedule
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = schedules(ctx, tx)
		return err
	})
	return out, err
}

// Schedule returns the named schedule.
func (s *Service) Schedule(ctx context.Context, name string) (StoredSchedule, error) {
	var out StoredSchedule
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = scheduleByName(ctx, tx, name, "")
		return err
	})
	return out, err
}

// SetMembers replaces a schedule's members (the new rotation order). The
// rotation keeps its anchor, so shift k now belongs to the k-th of the new
// list; overrides are untouched.
func (s *Service) SetMembers(ctx context.Context, actor, name string, members []string) (StoredSchedule, error) {
	members = trimAll(members)
	var out StoredSchedule
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = scheduleByName(ctx, tx, name, ""); err != nil {
			return err
		}
		next := out.Schedule
		next.Members = members
		if err := next.Validate(); err != nil {
			return errcode.WithField(errcode.New(errcode.Invalid, oneLine(err)), errcode.FieldOf(err))
		}
		ids, err := engineerIDs(ctx, tx, members)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM schedule_members WHERE schedule_id = ?`, out.ID); err != nil {
			return fmt.Errorf("clear members: %w", err)
		}
		if err := insertMembers(ctx, tx, out.ID, ids); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE schedules SET updated_at = ? WHERE id = ?`, tx.Now, out.ID); err != nil {
			return fmt.Errorf("touch schedule: %w", err)
		}
		old := strings.Join(out.Members, ",")
		out.Members, out.UpdatedAt = nonNil(members), tx.Now
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "schedule.set_members", Subject: "schedule " + out.Name,
			Detail: fmt.Sprintf("members %s -> %s", old, strings.Join(members, ","))})
	})
	if err != nil && errcode.CodeOf(err) == errcode.Internal {
		return StoredSchedule{}, fmt.Errorf("set members of %s: %w", name, err)
	}
	return out, err
}

// RemoveSchedule deletes a schedule with its members and overrides. A
// schedule that an escalation policy of s.Policy names is refused
// (errcode.Conflict, naming the steps) unless force is set: live calls
// would skip that step, which is a decision an admin makes knowingly. A
// forced removal says in its audit event which steps named the schedule.
func (s *Service) RemoveSchedule(ctx context.Context, actor, name string, force bool) (StoredSchedule, error) {
	if s.Policy == nil {
		return StoredSchedule{}, errors.New("remove schedule: oncall.Service has no Policy, so it cannot tell whether an escalation policy names the schedule")
	}
	uses := PolicyUses(s.Policy, name)
	if len(uses) > 0 && !force {
		return StoredSchedule{}, errcode.Errorf(errcode.Conflict, "schedule %s is named by %s in %s; live calls would skip it, so it is removed only when forced",
			name, strings.Join(uses, ", "), s.Policy.Source)
	}
	forced := ""
	if len(uses) > 0 {
		forced = "; forced, named by " + strings.Join(uses, ", ")
	}
	var out StoredSchedule
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		// Locked first (PostgreSQL), so that an override being added waits
		// or is waited for, and the count below is what the cascade deletes.
		if out, err = scheduleByName(ctx, tx, name, tx.ForUpdate()); err != nil {
			return err
		}
		var n int
		if err := tx.Get(ctx, &n, `SELECT count(*) FROM overrides WHERE schedule_id = ?`, out.ID); err != nil {
			return fmt.Errorf("count overrides: %w", err)
		}
		// The foreign keys cascade to members and overrides.
		if _, err := tx.Exec(ctx, `DELETE FROM schedules WHERE id = ?`, out.ID); err != nil {
			return fmt.Errorf("delete schedule: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "schedule.remove", Subject: "schedule " + out.Name,
			Detail: fmt.Sprintf("members=%s; %d override(s) deleted%s", strings.Join(out.Members, ","), n, forced)})
	})
	if err != nil && errcode.CodeOf(err) == errcode.Internal {
		return StoredSchedule{}, fmt.Errorf("remove schedule %s: %w", name, err)
	}
	return out, err
}

const scheduleColumns = `id, name, timezone, shift_minutes, handoff, created_at, updated_at`

// schedules reads every schedule with its members, ordered by name, in one
// statement (it is on the phone line's path: every routing decision).
func schedules(ctx context.Context, tx store.Querier) ([]StoredSchedule, error) {
	var rows []struct {
		scheduleRow
		Member *string `db:"member"`
	}
	err := tx.Select(ctx, &rows, `SELECT s.id, s.name, s.timezone, s.shift_minutes, s.handoff, s.created_at, s.updated_at,
			e.handle AS member
		FROM schedules s
		LEFT JOIN schedule_members m ON m.schedule_id = s.id
		LEFT JOIN engineers e ON e.id = m.engineer_id
		ORDER BY s.name, m.position`)
	if err != nil {
		return nil, fmt.Errorf("read schedules: %w", err)
	}
	var out []StoredSchedule
	var members []string
	for i, r := range rows {
		if r.Member != nil {
			members = append(members, *r.Member)
		}
		if i == len(rows)-1 || rows[i+1].ID != r.ID {
			out = append(out, r.scheduleRow.schedule(members))
			members = nil
		}
	}
	return out, nil
}

// scheduleByName reads one schedule with its members.
func scheduleByName(ctx context.Context, tx *store.Tx, name string, lock string) (StoredSchedule, error) {
	var r scheduleRow
	err := tx.Get(ctx, &r, `SELECT `+scheduleColumns+` FROM schedules WHERE name = ?`+lock, name)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredSchedule{}, errcode.Errorf(errcode.NotFound, "no schedule %q", name)
	}
	if err != nil {
		return StoredSchedule{}, fmt.Errorf("read schedule %s: %w", name, err)
	}
	var members []string
	if err := tx.Select(ctx, &members, `SELECT e.handle FROM schedule_members m JOIN engineers e ON e.id = m.engineer_id
		WHERE m.schedule_id = ? ORDER BY m.position`, r.ID); err != nil {
		return StoredSchedule{}, fmt.Errorf("read members of %s: %w", name, err)
	}
	return r.schedule(members), nil
}

func insertMembers(ctx context.Context, tx *store.Tx, scheduleID int64, engineerIDs []int64) error {
	for pos, id := range engineerIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO schedule_members (schedule_id, position, engineer_id) VALUES (?, ?, ?)`,
			scheduleID, pos, id); err != nil {
			return fmt.Errorf("add member %d: %w", pos, err)
		}
	}
	return nil
}

// zones caches loaded zones by name: time.LoadLocation parses the zone's
// tzdata on every call, which was a fifth of a Snapshot's cost, and a
// process's tzdata never changes.
var zones sync.Map // string -> *time.Location

// loadZone resolves an IANA zone, refusing "" and "Local", which would make
// the answer depend on the server's zone.
func loadZone(tz string) (*time.Location, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" || tz == "Local" {
		return nil, errcode.Errorf(errcode.Invalid, "time zone %q: name an IANA zone such as America/Denver", tz)
	}
	if loc, ok := zones.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, errcode.Errorf(errcode.Invalid, "unknown time zone %q (use an IANA name such as America/Denver)", tz)
	}
	zones.Store(tz, loc)
	return loc, nil
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// oneLine joins the lines of an errors.Join error, for a one-line message.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
