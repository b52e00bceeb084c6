package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// The phone line works inside its own transactions (the call's state and
// the ticket change together), so these helpers take a *store.Tx.

// ForAccount reads ticket number when it belongs to accountID; a ticket of
// another account is not found, exactly like a number that does not exist,
// so a caller learns nothing about other customers' tickets.
func ForAccount(ctx context.Context, tx *store.Tx, number, accountID int64) (Ticket, error) {
	var t Ticket
	err := tx.Get(ctx, &t, `SELECT `+ticketColumns+` FROM tickets t WHERE t.number = ? AND t.account_id = ?`, number, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errcode.Errorf(errcode.NotFound, "no ticket %d on this account", number)
	}
	if err != nil {
		return t, fmt.Errorf("read ticket %d: %w", number, err)
	}
	t.normalize()
	return t, nil
}

// AddEvent appends an event to a ticket's history at tx.Now.
func AddEvent(ctx context.Context, tx *store.Tx, ticketID int64, kind EventKind, detail string) error {
	_, _, err := addEvent(ctx, tx, ticketID, kind, tx.Now, detail)
	return err
}

// AddEventOnce appends an event unless the ticket already has one of that
// kind saying the same: for what a replayed webhook may report twice (an
// engineer declining the whisper changes no state a replay could see).
func AddEventOnce(ctx context.Context, tx *store.Tx, ticketID int64, kind EventKind, detail string) error {
	return AddEventUnless(ctx, tx, ticketID, kind, detail, detail)
}

// AddEventUnless appends an event unless the ticket already has one of that
// kind whose detail is unless: for a report that another has already said
// better (the Dial action's "answered but did not accept" after the engineer's own
// "declined").
func AddEventUnless(ctx context.Context, tx *store.Tx, ticketID int64, kind EventKind, detail, unless string) error {
	_, err := tx.Exec(ctx, `INSERT INTO ticket_events (ticket_id, kind, at, detail)
		SELECT ?, ?, ?, ? WHERE NOT EXISTS
			(SELECT 1 FROM ticket_events WHERE ticket_id = ? AND kind = ? AND detail = ?)`,
		ticketID, kind, tx.Now, detail, ticketID, kind, unless)
	if err != nil {
		return fmt.Errorf("record %s event of ticket id %d: %w", kind, ticketID, err)
	}
	return nil
}

// Accepted records inside tx that engineer accepted the ticket's call: a
// `whisper` event and, unless the ticket has its first response already
// or was resolved meanwhile, the first response (the SLA clock stops), in
// two statements. The engineer is connected either way.
func Accepted(ctx context.Context, tx *store.Tx, ticketID int64, engineer string) error {
	now := tx.Now
	var due time.Time
	err := tx.Get(ctx, &due, `UPDATE tickets SET responded_at = ?, responder = ?
		WHERE id = ? AND responded_at IS NULL AND status <> ? RETURNING response_due`,
		now, engineer, ticketID, StatusResolved)
	notes := []Note{{EventWhisper, engineer + " accepted"}}
	switch {
	case err == nil:
		notes = append(notes, Note{EventResponded, responded(engineer, now, due)})
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("respond to ticket id %d: %w", ticketID, err)
	}
	if err := addNotes(ctx, tx, ticketID, now, notes); err != nil {
		return fmt.Errorf("record the acceptance of ticket id %d: %w", ticketID, err)
	}
	return nil
}

// AttachRecording stores a voicemail on the ticket. Twilio reports one
// recording twice (the Record action, then the status callback with its
// SID); the first report attaches it and returns true, later ones only fill
// in what was missing.
func AttachRecording(ctx context.Context, tx *store.Tx, ticketID int64, url, sid string, seconds int) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE tickets SET recording_url = ?, recording_sid = ?, recording_duration = ?
		WHERE id = ? AND recording_url = ''`, url, sid, seconds, ticketID)
	if err != nil {
		return false, fmt.Errorf("attach recording: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, AddEvent(ctx, tx, ticketID, EventVoicemail, fmt.Sprintf("%d s: %s", seconds, url))
	}
	if sid != "" {
		if _, err := tx.Exec(ctx, `UPDATE tickets SET recording_sid = ? WHERE id = ? AND recording_sid = ''`, sid, ticketID); err != nil {
			return false, fmt.Errorf("attach recording sid: %w", err)
		}
	}
	return false, nil
}

// Escalate marks the ticket escalated; only the first call returns true.
func Escalate(ctx context.Context, tx *store.Tx, ticketID int64, by string) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE tickets SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL`, tx.Now, ticketID)
	if err != nil {
		return false, fmt.Errorf("escalate ticket: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	return true, AddEvent(ctx, tx, ticketID, EventEscalated, "by "+by)
}
