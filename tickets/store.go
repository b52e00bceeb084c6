package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// OpenInput is what opening a ticket needs.
type OpenInput struct {
	AccountID int64
	// ContactID is the named contact who called, when known; it must belong
	// to the account.
	ContactID *int64
	// Plan is the account's plan; with Priority it selects the promise.
	Plan     string
	Priority int
	// CallSid is the phone call that opens the ticket, if any; a call opens
	// at most one ticket (errcode.Conflict for a second).
	CallSid *string
	// Then are events to record after `opened`, at the same instant and in
	// the same statement (the phone line's `routed`).
	Then []Note
}

// Note is an event to record: its kind and what it says.
type Note struct {
	Kind   EventKind
	Detail string
}

// OpenTx opens a ticket inside tx, its SLA clock starting at tx.Now. The
// response due time and the warning instant come from the plan's promise for
// the priority and are stored in UTC with the target as written and the
// calendar name, so that a later policy edit does not move them. An
// `opened` event is written in the same transaction.
//
// A plan without an SLA for the priority (or an unknown plan) is
// errcode.Invalid; an unknown account or contact is errcode.NotFound.
func (s *Service) OpenTx(ctx context.Context, tx *store.Tx, in OpenInput) (Ticket, error) {
	policy := s.Policy
	if !validPriority(in.Priority) {
		return Ticket{}, errcode.Errorf(errcode.Invalid, "priority %d is not a priority level (1 to 8)", in.Priority)
	}
	promise, err := PromiseOf(policy, in.Plan, in.Priority)
	if err != nil {
		return Ticket{}, err
	}
	opened := tx.Now
	due := promise.Due(opened).UTC()
	warn := promise.WarnAt(opened, due, policy.SLA.WarnAt).UTC()
	t := Ticket{
		AccountID:   in.AccountID,
		ContactID:   in.ContactID,
		Plan:        in.Plan,
		Priority:    in.Priority,
		OpenedAt:    opened,
		Target:      promise.Target.String(),
		Clock:       promise.Calendar.Name(),
		ResponseDue: due,
		WarnAt:      warn,
		Status:      StatusOpen,
		CallSid:     in.CallSid,
	}
	var ids struct {
		ID            int64  `db:"id"`
		Number        int64  `db:"number"`
		AccountNumber string `db:"account_number"`
	}
	// The account (and the contact's belonging to it) is checked by the
	// insert itself: it inserts nothing otherwise, and only then is the
	// reason looked up. No number in the column list: a sequence
	// (PostgreSQL) or the row id (SQLite) provides it, so the SQL is the
	// same on both engines.
	q := `INSERT INTO tickets
		(account_id, contact_id, plan, priority, opened_at, target, clock, response_due, warn_at, status, call_sid)
		SELECT a.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM accounts a WHERE a.id = ?`
	args := []any{t.ContactID, t.Plan, t.Priority, t.OpenedAt, t.Target, t.Clock, t.ResponseDue, t.WarnAt, t.Status, t.CallSid, t.AccountID}
	if in.ContactID != nil {
		q += ` AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = ? AND c.account_id = a.id AND c.removed_at IS NULL)`
		args = append(args, *in.ContactID)
	}
	q += ` RETURNING id, number, (SELECT number FROM accounts WHERE id = account_id) AS account_number`
	err = tx.Get(ctx, &ids, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, whyNotOpened(ctx, tx, in)
	}
	if store.IsUniqueViolation(err) && in.CallSid != nil {
		// The call's ticket exists: a copy of the same webhook opened it.
		return Ticket{}, errcode.Errorf(errcode.Conflict, "call %s already has a ticket", *in.CallSid)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("open ticket for account id %d: %w", in.AccountID, err)
	}
	t.AccountNumber = ids.AccountNumber
	t.ID, t.Number = ids.ID, ids.Number
	detail := fmt.Sprintf("plan %s priority %d: respond within %s on %s, due %s, warn at %s",
		t.Plan, t.Priority, t.Target, t.Clock, t.ResponseDue.Format(time.RFC3339), t.WarnAt.Format(time.RFC3339))
	notes := append([]Note{{EventOpened, detail}}, in.Then...)
	if err := addNotes(ctx, tx, t.ID, opened, notes); err != nil {
		return Ticket{}, fmt.Errorf("record the events of opening ticket %d: %w", t.Number, err)
	}
	return t, nil
}

// addNotes records events on a ticket at `at` in one statement, their ids
// in the order given.
func addNotes(ctx context.Context, tx *store.Tx, ticketID int64, at time.Time, notes []Note) error {
	rows := make([]string, len(notes))
	args := make([]any, 0, 4*len(notes))
	for i, n := range notes {
		rows[i] = "(" + store.Marks(4) + ")"
		args = append(args, ticketID, n.Kind, at, n.Detail)
	}
	_, err := tx.Exec(ctx, `INSERT INTO ticket_events (ticket_id, kind, at, detail) VALUES `+strings.Join(rows, ", "), args...)
	return err
}

// whyNotOpened says why Open's insert found no account to open a ticket
// on: an unknown account, or a contact that is removed, unknown or of
// another account.
func whyNotOpened(ctx context.Context, tx *store.Tx, in OpenInput) error {
	var owner struct {
		Number  string `db:"number"`
		Contact *int64 `db:"contact_account"`
	}
	var contactID int64
	if in.ContactID != nil {
		contactID = *in.ContactID
	}
	err := tx.Get(ctx, &owner, `SELECT a.number, c.account_id AS contact_account
		FROM accounts a LEFT JOIN contacts c ON c.id = ? AND c.removed_at IS NULL
		WHERE a.id = ?`, contactID, in.AccountID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errcode.Errorf(errcode.NotFound, "no account with id %d", in.AccountID)
	case err != nil:
		return fmt.Errorf("open ticket: read account %d: %w", in.AccountID, err)
	case in.ContactID != nil && owner.Contact == nil:
		return errcode.Errorf(errcode.NotFound, "no current contact with id %d", *in.ContactID)
	case in.ContactID != nil && *owner.Contact != in.AccountID:
		return errcode.Errorf(errcode.Invalid, "contact %d is not a contact of account %s", *in.ContactID, owner.Number)
	}
	return fmt.Errorf("open ticket for account %s: nothing inserted", owner.Number)
}

// ticketColumns selects a Ticket from "tickets t". The account number comes
// from a subquery rather than a join so that FOR UPDATE locks ticket rows
// only, never the account.
const ticketColumns = `t.id, t.number, t.account_id,
	(SELECT a.number FROM accounts a WHERE a.id = t.account_id) AS account_number,
	t.contact_id, t.plan, t.priority, t.opened_at, t.target, t.clock, t.response_due, t.warn_at,
	t.responded_at, t.responder, t.status, t.resolved_at,
	t.call_sid, t.recording_url, t.recording_sid, t.recording_duration, t.escalated_at`

// get reads one ticket, locking its row for the rest of tx when lock is set.
func get(ctx context.Context, tx *store.Tx, number int64, lock bool) (Ticket, error) {
	q := `SELECT ` + ticketColumns + ` FROM tickets t WHERE t.number = ?`
	if lock {
		q += tx.ForUpdate()
	}
	var t Ticket
	err := tx.Get(ctx, &t, q, number)
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, errcode.Errorf(errcode.NotFound, "no ticket %d", number)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("read ticket %d: %w", number, err)
	}
	t.normalize()
	return t, nil
}

// normalize puts every time in UTC, whatever zone the driver used.
func (t *Ticket) normalize() {
	t.OpenedAt, t.ResponseDue, t.WarnAt = t.OpenedAt.UTC(), t.ResponseDue.UTC(), t.WarnAt.UTC()
	for _, p := range []**time.Time{&t.RespondedAt, &t.ResolvedAt, &t.EscalatedAt} {
		if *p != nil {
			u := (**p).UTC()
			*p = &u
		}
	}
}

func events(ctx context.Context, tx *store.Tx, ticketID int64) ([]Event, error) {
	var out []Event
	err := tx.Select(ctx, &out, `SELECT id, ticket_id, kind, at, detail FROM ticket_events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("read events of ticket id %d: %w", ticketID, err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// addEvent records an event and returns its id; ok is false when the
// database refused it as a second warning or breach of the ticket (the
// partial unique index ticket_events_once decides, so racing watchers cannot
// both win).
//
// A non-empty key makes the event one of a kind: a second event with the
// same key on the ticket is refused the same way (ticket_events_key).
func addEvent(ctx context.Context, tx store.Querier, ticketID int64, kind EventKind, at time.Time, detail, key string) (id int64, ok bool, err error) {
	var dedup *string
	if key != "" {
		dedup = &key
	}
	err = tx.Get(ctx, &id, `INSERT INTO ticket_events (ticket_id, kind, at, detail, dedup_key) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`, ticketID, kind, at, detail, dedup)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("record %s event of ticket id %d: %w", kind, ticketID, err)
	}
	return id, true, nil
}
