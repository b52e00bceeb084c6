package ivr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// Calls reads the phone line's calls for people: `ticket show` today, the
// admin API next. The phone line itself (Server) writes them.
type Calls struct {
	DB *store.DB
}

// CallSummary is what an admin sees of a call: who called, when, how it
// ended. It leaves out the call's menu state (support ID, attempts, route).
type CallSummary struct {
	CallSid string     `db:"call_sid" json:"call_sid"`
	From    string     `db:"from_number" json:"from"`
	Started time.Time  `db:"created_at" json:"started"`
	Ended   *time.Time `db:"ended_at" json:"ended,omitempty"`
	// Status is Twilio's final call status (completed, busy, ...); empty
	// while the call is in progress or its status callback never came.
	Status string `db:"status" json:"status"`
	// Duration is Twilio's call duration in seconds, when reported.
	Duration *int    `db:"duration" json:"duration,omitempty"`
	Outcome  Outcome `db:"outcome" json:"outcome"`
}

const summaryColumns = `call_sid, from_number, created_at, ended_at, status, duration, outcome`

// ForTicket returns the call that opened the ticket with row id ticketID; a
// ticket opened otherwise has none (errcode.NotFound).
func (s *Calls) ForTicket(ctx context.Context, ticketID int64) (CallSummary, error) {
	// The opening call is the one whose ticket_id points at the ticket;
	// the earliest wins should a later call ever point there too.
	c, err := s.summary(ctx, `WHERE ticket_id = ? ORDER BY created_at, call_sid LIMIT 1`, ticketID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errcode.Errorf(errcode.NotFound, "no call opened ticket id %d", ticketID)
	}
	if err != nil {
		return c, fmt.Errorf("read call of ticket id %d: %w", ticketID, err)
	}
	return c, nil
}

// Get returns the call with Twilio's CallSid sid (errcode.NotFound when
// there is none).
func (s *Calls) Get(ctx context.Context, sid string) (CallSummary, error) {
	c, err := s.summary(ctx, `WHERE call_sid = ?`, sid)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errcode.Errorf(errcode.NotFound, "no call %q", sid)
	}
	if err != nil {
		return c, fmt.Errorf("read call %s: %w", sid, err)
	}
	return c, nil
}

// summary reads one call's summary, selected by where, in UTC.
func (s *Calls) summary(ctx context.Context, where string, args ...any) (CallSummary, error) {
	var c CallSummary
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.Get(ctx, &c, `SELECT `+summaryColumns+` FROM calls `+where, args...)
	})
	if err != nil {
		return CallSummary{}, err
	}
	c.Started = c.Started.UTC()
	if c.Ended != nil {
		u := c.Ended.UTC()
		c.Ended = &u
	}
	return c, nil
}
