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

// CallForTicket returns the call that opened the ticket with row id
// ticketID; a ticket opened otherwise has none (errcode.NotFound). It only
// reads.
func CallForTicket(ctx context.Context, db *store.DB, ticketID int64) (CallSummary, error) {
	var c CallSummary
	err := db.InTx(ctx, func(tx *store.Tx) error {
		// The opening call is the one whose ticket_id points at the ticket;
		// the earliest wins should a later call ever point there too.
		return tx.Get(ctx, &c, `SELECT call_sid, from_number, created_at, ended_at, status, duration, outcome
			FROM calls WHERE ticket_id = ? ORDER BY created_at, call_sid LIMIT 1`, ticketID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return CallSummary{}, errcode.Errorf(errcode.NotFound, "no call opened ticket id %d", ticketID)
	}
	if err != nil {
		return CallSummary{}, fmt.Errorf("read call of ticket id %d: %w", ticketID, err)
	}
	c.Started = c.Started.UTC()
	if c.Ended != nil {
		u := c.Ended.UTC()
		c.Ended = &u
	}
	return c, nil
}
