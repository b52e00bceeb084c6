package tickets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"supportline/accounts"
	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
)

// Service is the tickets domain: what every face (CLI, phone line, later
// the admin API and console) does to a ticket. Build it as a literal with
// every field set; the fields do not change afterwards.
type Service struct {
	DB *store.DB
	// Policy gives a new ticket its promise (plan x priority) and tells
	// [TimeLeft] which calendar a ticket's clock runs on.
	Policy *config.Policy
	// Engineers is asked, inside the ticket's transaction, whether the
	// engineer named as a responder exists (engineers are oncall's).
	Engineers *oncall.Service
	// Accounts checks and finds the account a list is narrowed to
	// (accounts are theirs, and so is what a valid account number is).
	Accounts *accounts.Service
}

// MaxNoteLen is the longest note, in characters: a note says what was done
// or agreed, in a sentence or a paragraph; documents belong elsewhere.
const MaxNoteLen = 2000

// Get returns the ticket with the given number and its events.
func (s *Service) Get(ctx context.Context, number int64) (Ticket, error) {
	var t Ticket
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = get(ctx, tx, number, false); err != nil {
			return err
		}
		t.Events, err = events(ctx, tx, t.ID)
		return err
	})
	return t, err
}

// Acknowledge records the first response to ticket number, given by the
// engineer with handle by other means than the phone line (a call back, an
// e-mail), and audits it as actor's. The engineer must exist
// (errcode.NotFound otherwise), checked in the same transaction as the
// response, so an engineer removed meanwhile cannot become a responder.
//
// changed is false when the ticket already had its first response (kept,
// whoever gave it: the phone line, an earlier acknowledgement); a ticket
// resolved without a response cannot get one (errcode.Conflict).
func (s *Service) Acknowledge(ctx context.Context, actor string, number int64, handle string) (t Ticket, changed bool, err error) {
	if err := needActor(actor); err != nil {
		return Ticket{}, false, err
	}
	handle = strings.TrimSpace(handle)
	if handle == "" {
		return Ticket{}, false, errcode.WithField(errcode.New(errcode.Invalid, "the engineer who responded is required (the handle of an engineer, see supportline engineer list)"), "engineer")
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		e, err := s.Engineers.EngineerTx(ctx, tx, handle) // none: oncall's words, as everywhere
		if err != nil {
			return errcode.WithField(err, "engineer")
		}
		if t, err = get(ctx, tx, number, true); err != nil {
			return err
		}
		if t.RespondedAt != nil {
			return nil
		}
		if t.Status == StatusResolved {
			return errcode.Errorf(errcode.Conflict, "ticket %d was resolved without a response", number)
		}
		now := tx.Now
		if _, err := tx.Exec(ctx, `UPDATE tickets SET responded_at = ?, responder = ? WHERE id = ?`, now, e.Handle, t.ID); err != nil {
			return fmt.Errorf("respond to ticket %d: %w", number, err)
		}
		t.RespondedAt, t.Responder, changed = &now, e.Handle, true
		detail := responded(e.Handle, now, t.ResponseDue)
		if _, _, err := addEvent(ctx, tx, t.ID, EventResponded, now, detail, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "ticket.ack", t, detail)
	})
	if err != nil {
		return Ticket{}, false, err
	}
	return t, changed, nil
}

// responded is the detail of a `responded` event.
func responded(responder string, at, due time.Time) string {
	detail := "by " + responder
	if at.After(due) {
		detail += ", after the due time " + due.UTC().Format(time.RFC3339)
	}
	return detail
}

// Resolve closes ticket number as actor's doing; its `resolved` event says
// by whom. changed is false for a ticket that was resolved already (it is
// returned as it is). A resolved ticket never warns or breaches, even
// without a response.
func (s *Service) Resolve(ctx context.Context, actor string, number int64) (t Ticket, changed bool, err error) {
	if err := needActor(actor); err != nil {
		return Ticket{}, false, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if t, err = get(ctx, tx, number, true); err != nil {
			return err
		}
		if t.Status == StatusResolved {
			return nil
		}
		now := tx.Now
		if _, err := tx.Exec(ctx, `UPDATE tickets SET status = ?, resolved_at = ? WHERE id = ?`, StatusResolved, now, t.ID); err != nil {
			return fmt.Errorf("resolve ticket %d: %w", number, err)
		}
		t.Status, t.ResolvedAt, changed = StatusResolved, &now, true
		if _, _, err := addEvent(ctx, tx, t.ID, EventResolved, now, "by "+actor, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "ticket.resolve", t, "")
	})
	if err != nil {
		return Ticket{}, false, err
	}
	return t, changed, nil
}

// Reopen puts resolved ticket number back to open, as actor's doing (a
// `reopened` event and an audit event). Its promise is the one it was
// opened with: the due time and the warning time do not move, and a
// reopened ticket past them without a response warns and breaches like any
// other. changed is false for a ticket that is open already.
func (s *Service) Reopen(ctx context.Context, actor string, number int64) (t Ticket, changed bool, err error) {
	if err := needActor(actor); err != nil {
		return Ticket{}, false, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if t, err = get(ctx, tx, number, true); err != nil {
			return err
		}
		if t.Status != StatusResolved {
			return nil
		}
		was := *t.ResolvedAt
		if _, err := tx.Exec(ctx, `UPDATE tickets SET status = ?, resolved_at = NULL WHERE id = ?`, StatusOpen, t.ID); err != nil {
			return fmt.Errorf("reopen ticket %d: %w", number, err)
		}
		t.Status, t.ResolvedAt, changed = StatusOpen, nil, true
		if _, _, err := addEvent(ctx, tx, t.ID, EventReopened, tx.Now, "by "+actor, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "ticket.reopen", t, "resolved at "+was.UTC().Format(time.RFC3339))
	})
	if err != nil {
		return Ticket{}, false, err
	}
	return t, changed, nil
}

// Note adds a note by actor to ticket number's history (a `note` event
// whose detail is "by ACTOR: TEXT") and returns it. The text is one line of
// at most MaxNoteLen characters; blank, longer or multi-line text is
// errcode.Invalid. Resolved tickets take notes too: what was learnt after
// closing belongs with the ticket.
func (s *Service) Note(ctx context.Context, actor string, number int64, text string) (Event, error) {
	if err := needActor(actor); err != nil {
		return Event{}, err
	}
	text, err := noteText(text)
	if err != nil {
		return Event{}, errcode.WithField(err, "text")
	}
	var ev Event
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		t, err := get(ctx, tx, number, false)
		if err != nil {
			return err
		}
		ev = Event{TicketID: t.ID, Kind: EventNote, At: tx.Now, Detail: "by " + actor + ": " + text}
		if ev.ID, _, err = addEvent(ctx, tx, t.ID, ev.Kind, ev.At, ev.Detail, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "ticket.note", t, text)
	})
	if err != nil {
		return Event{}, err
	}
	return ev, nil
}

// noteText checks and trims the text of a note.
func noteText(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(text):
		return "", errcode.New(errcode.Invalid, "a note must be UTF-8 text")
	case n == 0:
		return "", errcode.New(errcode.Invalid, "a note needs some text (--text)")
	case n > MaxNoteLen:
		return "", errcode.Errorf(errcode.Invalid, "a note is at most %d characters, not %d", MaxNoteLen, n)
	case strings.IndexFunc(text, unicode.IsControl) >= 0:
		return "", errcode.New(errcode.Invalid, "a note is one line of text, without line breaks or control characters")
	}
	return text, nil
}

// needActor refuses a change without someone to answer for it: the audit
// event and the ticket's history name them.
func needActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return errcode.New(errcode.Invalid, "who is acting is required (the audit log and the ticket's history name them)")
	}
	return nil
}

// audit records a ticket action in the ticket's transaction, its subject
// "ticket:NUMBER" whatever the action.
func (s *Service) audit(ctx context.Context, tx *store.Tx, actor, action string, t Ticket, detail string) error {
	return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: action, AccountID: &t.AccountID,
		Subject: "ticket:" + strconv.FormatInt(t.Number, 10), Detail: detail})
}
