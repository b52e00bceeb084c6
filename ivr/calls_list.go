package ivr

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// Page sizes of [Calls.List].
const (
	// DefaultListLimit is how many calls a page has when CallFilter.Limit
	// is 0.
	DefaultListLimit = 50
	// MaxListLimit is the most calls one page may have.
	MaxListLimit = 1000
)

// CallFilter selects a page of [Calls.List]: newest first, Limit calls
// after the page whose Next is Cursor (the first page when empty).
type CallFilter struct {
	Limit  int
	Cursor string
}

// CallPage is one page of calls, newest first.
type CallPage struct {
	Calls []CallSummary `json:"calls"`
	// Next is the CallFilter.Cursor of the following page; empty on the
	// last.
	Next string `json:"next_cursor,omitempty"`
}

// callCursor is where a page of calls ended: the last call's start and
// CallSid (the tie-breaker), as base64url of this JSON.
type callCursor struct {
	Started time.Time `json:"t"`
	Sid     string    `json:"c"`
}

func (c callCursor) encode() string { return store.EncodeCursor(c) }

func decodeCallCursor(s string) (callCursor, error) {
	const list = "a call list"
	var c callCursor
	if err := store.DecodeCursor(s, &c, list); err != nil {
		return callCursor{}, err
	}
	if c.Started.IsZero() || !strings.HasPrefix(c.Sid, "CA") {
		return callCursor{}, store.BadCursor(s, list)
	}
	c.Started = c.Started.UTC()
	return c, nil
}

// List returns a page of calls, newest first, and the cursor of the next
// page when there is one. Pages are cut by keyset on (start, CallSid), not
// by offset, so a call that starts meanwhile neither repeats nor skips one.
// A limit outside 1 to MaxListLimit or a malformed cursor is
// errcode.Invalid.
func (s *Calls) List(ctx context.Context, f CallFilter) (CallPage, error) {
	switch {
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	case f.Limit < 1 || f.Limit > MaxListLimit:
		return CallPage{}, errcode.Errorf(errcode.Invalid, "limit must be 1 to %d, not %d", MaxListLimit, f.Limit)
	}
	q := `SELECT ` + summaryColumns + ` FROM calls`
	var args []any
	if f.Cursor != "" {
		after, err := decodeCallCursor(f.Cursor)
		if err != nil {
			return CallPage{}, err
		}
		q += ` WHERE (created_at, call_sid) < (?, ?)`
		args = append(args, after.Started, after.Sid)
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, call_sid DESC LIMIT %d`, f.Limit+1)
	var rows []CallSummary
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.Select(ctx, &rows, q, args...) })
	if err != nil {
		return CallPage{}, fmt.Errorf("list calls: %w", err)
	}
	for i := range rows {
		rows[i].Started = rows[i].Started.UTC()
		if rows[i].Ended != nil {
			u := rows[i].Ended.UTC()
			rows[i].Ended = &u
		}
	}
	p := CallPage{Calls: rows}
	if len(rows) > f.Limit {
		p.Calls = rows[:f.Limit]
		last := p.Calls[f.Limit-1]
		p.Next = callCursor{Started: last.Started, Sid: last.CallSid}.encode()
	}
	if p.Calls == nil {
		p.Calls = []CallSummary{}
	}
	return p, nil
}

// LiveCall is a call in progress, as the console's dashboard shows it:
// where it is in the menu, whose it is, since when.
type LiveCall struct {
	CallSid string    `db:"call_sid" json:"call_sid"`
	From    string    `db:"from_number" json:"from"`
	Started time.Time `db:"created_at" json:"started"`
	// Step is the menu step the call is at (a state of the call machine).
	Step Step `db:"step" json:"step"`
	// Account is the caller's account once the support ID was verified;
	// empty before.
	Account     string `db:"account_number" json:"account,omitempty"`
	AccountName string `db:"account_name" json:"account_name,omitempty"`
	Priority    *int   `db:"priority" json:"priority,omitempty"`
}

// maxCallAge is the longest a call lasts (Twilio's own limit is four
// hours): an older call without an end lost its status callback, and is
// not "in progress".
const maxCallAge = 4 * time.Hour

// InProgress returns up to limit calls that have not ended, oldest first,
// and how many there are in all.
func (s *Calls) InProgress(ctx context.Context, limit int) ([]LiveCall, int, error) {
	var out []LiveCall
	var total int
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		since := q.At().Add(-maxCallAge)
		if err := q.Get(ctx, &total, `SELECT count(*) FROM calls WHERE ended_at IS NULL AND created_at > ?`, since); err != nil {
			return err
		}
		return q.Select(ctx, &out, fmt.Sprintf(`SELECT c.call_sid, c.from_number, c.created_at, c.step, c.priority,
				COALESCE(a.number, '') AS account_number, COALESCE(a.name, '') AS account_name
			FROM calls c LEFT JOIN accounts a ON a.id = c.account_id
			WHERE c.ended_at IS NULL AND c.created_at > ? ORDER BY c.created_at, c.call_sid LIMIT %d`, limit), since)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list calls in progress: %w", err)
	}
	for i := range out {
		out[i].Started = out[i].Started.UTC()
	}
	return out, total, nil
}
