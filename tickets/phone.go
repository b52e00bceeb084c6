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
// the ticket change together), so these methods take a *store.Tx.

// ForAccountTx reads ticket number when it belongs to accountID; a ticket of
// another account is not found, exactly like a number that does not exist,
// so a caller learns nothing about other customers' tickets.
func (s *Service) ForAccountTx(ctx context.Context, tx *store.Tx, number, accountID int64) (Ticket, error) {
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

// AddEventTx appends an event to a ticket's history at q's instant. One
// statement: inside the caller's transaction, or on its own (q a
// *store.Q) where losing it is harmless.
func (s *Service) AddEventTx(ctx context.Context, q store.Querier, ticketID int64, kind EventKind, detail string) error {
	_, _, err := addEvent(ctx, q, ticketID, kind, q.At(), detail, "")
	return err
}

// WhisperKey is the de-duplication key of what happened to the engineer's
// leg at dial step n (0-based) of a ticket's call: declined, not answered,
// busy. One event per leg, whichever webhook reports it first (the
// engineer's key press, the Dial action) and however often Twilio replays
// it. Migration 00010 gives older events the same keys.
func WhisperKey(n int) string { return fmt.Sprintf("whisper:step%d", n+1) }

// AddEventOnceTx appends an event unless the ticket already has one with
// key (see [WhisperKey]), and reports whether it did: for what a replayed
// webhook may report twice, or what another webhook has already said
// better (the Dial action's "answered but did not accept" after the
// engineer's own "declined"). The key, not the detail, decides, so that
// rewording a message cannot record it twice. An empty key is a bug.
//
// One statement, so q may be a transaction or a *store.Q.
func (s *Service) AddEventOnceTx(ctx context.Context, q store.Querier, ticketID int64, key string, kind EventKind, detail string) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("record %s event of ticket id %d once: no key", kind, ticketID)
	}
	_, ok, err := addEvent(ctx, q, ticketID, kind, q.At(), detail, key)
	return ok, err
}

// AcceptedTx records inside tx that the engineer with handle accepted the
// ticket's call: a `whisper` event and, unless the ticket has its first
// response already or was resolved meanwhile, the first response (the SLA
// clock stops), in two statements. The engineer is connected either way.
//
// The handle comes from the roster the call was routed with, so it was an
// engineer's when the call was routed; it is not looked up again. An
// engineer removed while their phone rang still answered the customer,
// and that response is a fact the SLA must count: it is recorded under the
// handle they had, as the audit log keeps removed engineers' handles too.
func (s *Service) AcceptedTx(ctx context.Context, tx *store.Tx, ticketID int64, handle string) error {
	now := tx.Now
	var due time.Time
	err := tx.Get(ctx, &due, `UPDATE tickets SET responded_at = ?, responder = ?
		WHERE id = ? AND responded_at IS NULL AND status <> ? RETURNING response_due`,
		now, handle, ticketID, StatusResolved)
	notes := []Note{{EventWhisper, handle + " accepted"}}
	switch {
	case err == nil:
		notes = append(notes, Note{EventResponded, responded(handle, now, due)})
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("respond to ticket id %d: %w", ticketID, err)
	}
	if err := addNotes(ctx, tx, ticketID, now, notes); err != nil {
		return fmt.Errorf("record the acceptance of ticket id %d: %w", ticketID, err)
	}
	return nil
}

// AttachRecordingTx stores a voicemail on the ticket. Twilio reports one
// recording twice (the Record action, then the status callback with its
// SID); the first report attaches it and returns true, later ones only fill
// in what was missing.
func (s *Service) AttachRecordingTx(ctx context.Context, tx *store.Tx, ticketID int64, url, sid string, seconds int) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE tickets SET recording_url = ?, recording_sid = ?, recording_duration = ?
		WHERE id = ? AND recording_url = ''`, url, sid, seconds, ticketID)
	if err != nil {
		return false, fmt.Errorf("attach recording: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, s.AddEventTx(ctx, tx, ticketID, EventVoicemail, fmt.Sprintf("%d s: %s", seconds, url))
	}
	if sid != "" {
		if _, err := tx.Exec(ctx, `UPDATE tickets SET recording_sid = ? WHERE id = ? AND recording_sid = ''`, sid, ticketID); err != nil {
			return false, fmt.Errorf("attach recording sid: %w", err)
		}
	}
	return false, nil
}

// EscalateTx marks the ticket escalated; only the first call returns true.
func (s *Service) EscalateTx(ctx context.Context, tx *store.Tx, ticketID int64, by string) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE tickets SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL`, tx.Now, ticketID)
	if err != nil {
		return false, fmt.Errorf("escalate ticket: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	return true, s.AddEventTx(ctx, tx, ticketID, EventEscalated, "by "+by)
}
