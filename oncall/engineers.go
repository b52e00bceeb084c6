package oncall

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"supportline/audit"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/store"
)

// Engineer is a person who takes live calls and text messages.
type Engineer struct {
	ID     int64  `db:"id" json:"-"`
	Handle string `db:"handle" json:"handle"`
	Name   string `db:"name" json:"name"`
	// Phone is E.164; calls are forwarded and SMS sent to it.
	Phone string `db:"phone" json:"phone"`
	// SMS is whether the engineer takes text messages (voicemail, SLA).
	SMS       bool      `db:"sms" json:"sms"`
	Email     string    `db:"email" json:"email,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// Schedules names the schedules the engineer is a member of; filled by
	// [Service.Engineers] and [Service.Engineer].
	Schedules []string `db:"-" json:"schedules"`
}

// NewEngineer is the input of [Service.AddEngineer].
type NewEngineer struct {
	Handle string
	Name   string
	Phone  string // E.164; separators are accepted and removed
	Email  string // optional
	// NoSMS marks an engineer who does not take text messages; the zero
	// value takes them.
	NoSMS bool
}

var (
	handleRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,39}$`)
	// nameRE is the policy file's rule for schedule names, so that every
	// name an escalation policy can hold can also be a schedule.
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
)

const engineerColumns = `e.id, e.handle, e.name, e.phone, e.sms, e.email, e.created_at`

// AddEngineer creates an engineer with a unique handle.
func (s *Service) AddEngineer(ctx context.Context, actor string, in NewEngineer) (Engineer, error) {
	e := Engineer{Handle: strings.TrimSpace(in.Handle), SMS: !in.NoSMS, Schedules: []string{}}
	if err := validHandle(e.Handle); err != nil {
		return Engineer{}, err
	}
	var err error
	if e.Name, err = contactinfo.Name("engineer name", in.Name); err != nil {
		return Engineer{}, errcode.WithField(err, "name")
	}
	if e.Phone, err = contactinfo.Phone(in.Phone); err != nil {
		return Engineer{}, errcode.WithField(err, "phone")
	}
	if e.Email, err = contactinfo.Email(in.Email); err != nil {
		return Engineer{}, errcode.WithField(err, "email")
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		e.CreatedAt = tx.Now
		e.ID, err = tx.Insert(ctx, `INSERT INTO engineers (handle, name, phone, sms, email, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			e.Handle, e.Name, e.Phone, e.SMS, e.Email, e.CreatedAt)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "engineer.add", Subject: "engineer " + e.Handle,
			Detail: fmt.Sprintf("name=%q phone=%s sms=%t", e.Name, e.Phone, e.SMS)})
	})
	if store.IsUniqueViolation(err) {
		return Engineer{}, errcode.WithField(errcode.Errorf(errcode.Conflict, "engineer %s already exists", e.Handle), "handle")
	}
	if err != nil {
		return Engineer{}, fmt.Errorf("add engineer %s: %w", e.Handle, err)
	}
	return e, nil
}

// Engineers lists every engineer by handle, each with the schedules they
// are in.
func (s *Service) Engineers(ctx context.Context) ([]Engineer, error) {
	var out []Engineer
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = engineers(ctx, tx)
		if err != nil {
			return err
		}
		var pairs []struct {
			EngineerID int64  `db:"engineer_id"`
			Schedule   string `db:"name"`
		}
		if err := tx.Select(ctx, &pairs, `SELECT DISTINCT m.engineer_id, s.name FROM schedule_members m
			JOIN schedules s ON s.id = m.schedule_id ORDER BY s.name`); err != nil {
			return fmt.Errorf("read schedule members: %w", err)
		}
		byID := map[int64][]string{}
		for _, p := range pairs {
			byID[p.EngineerID] = append(byID[p.EngineerID], p.Schedule)
		}
		for i := range out {
			out[i].Schedules = nonNil(byID[out[i].ID])
		}
		return nil
	})
	return out, err
}

// Engineer returns the engineer with the given handle.
func (s *Service) Engineer(ctx context.Context, handle string) (Engineer, error) {
	var e Engineer
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		e, err = s.EngineerTx(ctx, tx, handle)
		return err
	})
	return e, err
}

// EngineerTx returns the engineer with the given handle, read inside the
// caller's transaction, so that another domain (a ticket being assigned)
// sees the same engineer it commits against. No such engineer is an
// errcode.NotFound error.
func (s *Service) EngineerTx(ctx context.Context, tx *store.Tx, handle string) (Engineer, error) {
	e, err := engineerByHandle(ctx, tx, strings.TrimSpace(handle), "")
	if err != nil {
		return Engineer{}, err
	}
	if e.Schedules, err = schedulesOf(ctx, tx, e.ID); err != nil {
		return Engineer{}, err
	}
	return e, nil
}

// RemoveEngineer deletes an engineer. It is refused (errcode.Conflict)
// while the engineer is a member of a schedule, naming the schedules, or
// covers an override that has not ended; overrides of theirs that have
// ended are deleted with them (the audit log keeps the record).
func (s *Service) RemoveEngineer(ctx context.Context, actor, handle string) (Engineer, error) {
	var e Engineer
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = engineerByHandle(ctx, tx, handle, tx.ForUpdate()); err != nil {
			return err
		}
		if e.Schedules, err = schedulesOf(ctx, tx, e.ID); err != nil {
			return err
		}
		if len(e.Schedules) > 0 {
			return errcode.Errorf(errcode.Conflict, "engineer %s is a member of schedule(s) %s; take them out of the rotation first (schedule set-members)",
				e.Handle, strings.Join(e.Schedules, ", "))
		}
		var pending []int64
		if err := tx.Select(ctx, &pending, `SELECT id FROM overrides WHERE engineer_id = ? AND ends_at > ? ORDER BY id`, e.ID, tx.Now); err != nil {
			return fmt.Errorf("read overrides of %s: %w", e.Handle, err)
		}
		if len(pending) > 0 {
			ids := make([]string, len(pending))
			for i, id := range pending {
				ids[i] = fmt.Sprintf("#%d", id)
			}
			return errcode.Errorf(errcode.Conflict, "engineer %s covers override(s) %s, which have not ended; remove those first (override remove ID)",
				e.Handle, strings.Join(ids, ", "))
		}
		res, err := tx.Exec(ctx, `DELETE FROM overrides WHERE engineer_id = ?`, e.ID)
		if err != nil {
			return fmt.Errorf("delete ended overrides of %s: %w", e.Handle, err)
		}
		ended, _ := res.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM engineers WHERE id = ?`, e.ID); err != nil {
			return fmt.Errorf("delete engineer %s: %w", e.Handle, err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "engineer.remove", Subject: "engineer " + e.Handle,
			Detail: fmt.Sprintf("name=%q phone=%s; %d ended override(s) deleted", e.Name, e.Phone, ended)})
	})
	if err != nil && errcode.CodeOf(err) == errcode.Internal {
		return Engineer{}, fmt.Errorf("remove engineer %s: %w", handle, err)
	}
	return e, err
}

// engineers reads every engineer, ordered by handle.
func engineers(ctx context.Context, tx store.Querier) ([]Engineer, error) {
	var out []Engineer
	if err := tx.Select(ctx, &out, `SELECT `+engineerColumns+` FROM engineers e ORDER BY e.handle`); err != nil {
		return nil, fmt.Errorf("read engineers: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// engineerByHandle reads one engineer; lock is "" or a locking clause
// (tx.ForUpdate, tx.ForShare) that holds the row until the transaction ends.
func engineerByHandle(ctx context.Context, tx *store.Tx, handle string, lock string) (Engineer, error) {
	var e Engineer
	err := tx.Get(ctx, &e, `SELECT `+engineerColumns+` FROM engineers e WHERE e.handle = ?`+lock, handle)
	if errors.Is(err, sql.ErrNoRows) {
		return e, errcode.Errorf(errcode.NotFound, "no engineer %q", handle)
	}
	if err != nil {
		return e, fmt.Errorf("read engineer %s: %w", handle, err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

// schedulesOf names the schedules engineer id is a member of, sorted.
func schedulesOf(ctx context.Context, tx *store.Tx, id int64) ([]string, error) {
	var names []string
	err := tx.Select(ctx, &names, `SELECT DISTINCT s.name FROM schedule_members m JOIN schedules s ON s.id = m.schedule_id
		WHERE m.engineer_id = ? ORDER BY s.name`, id)
	if err != nil {
		return nil, fmt.Errorf("read schedules of engineer %d: %w", id, err)
	}
	return nonNil(names), nil
}

// engineerIDs maps handles to engineer ids, in order, repeats kept. Unknown
// handles are errcode.NotFound, all named at once.
func engineerIDs(ctx context.Context, tx *store.Tx, handles []string) ([]int64, error) {
	byHandle := make(map[string]int64, len(handles))
	if len(handles) > 0 {
		// Held until the schedule is written (PostgreSQL): an engineer
		// removed meanwhile waits, then finds the membership and refuses.
		var rows []struct {
			ID     int64  `db:"id"`
			Handle string `db:"handle"`
		}
		args := make([]any, len(handles))
		for i, h := range handles {
			args[i] = h
		}
		q := `SELECT id, handle FROM engineers WHERE handle IN (` + store.Marks(len(handles)) + `)` + tx.ForShare()
		if err := tx.Select(ctx, &rows, q, args...); err != nil {
			return nil, fmt.Errorf("read engineers: %w", err)
		}
		for _, r := range rows {
			byHandle[r.Handle] = r.ID
		}
	}
	ids := make([]int64, len(handles))
	var unknown []string
	for i, h := range handles {
		id, ok := byHandle[h]
		if !ok {
			unknown = append(unknown, h)
			continue
		}
		ids[i] = id
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errcode.WithField(errcode.Errorf(errcode.NotFound, "no engineer %s (add engineers before naming them in a schedule)", strings.Join(quoteAll(unknown), ", ")), "members")
	}
	return ids, nil
}

func validHandle(h string) error {
	if !handleRE.MatchString(h) {
		return errcode.WithField(errcode.Errorf(errcode.Invalid, "handle %q: use 1 to 40 lowercase letters, digits, '.', '-' or '_', starting with a letter (e.g. alice)", h), "handle")
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
