package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// DefaultListLimit is how many events a page of [Service.ListPage] (and
// [Service.List]) has when Filter.Limit is 0; MaxListLimit is the most it
// may have.
const (
	DefaultListLimit = 1000
	MaxListLimit     = 10000
)

// Filter narrows [Service.ListPage] and [Service.List]: every condition set
// must hold.
type Filter struct {
	SupportID string // only events about this contact
	// Subject keeps events whose subject is exactly this, e.g.
	// "ticket:100001" or "token crm".
	Subject string
	// Actor keeps events by this actor exactly, e.g. "token:crm".
	Actor string
	// Since and Until, when set, keep events at or after Since and before
	// Until.
	Since, Until time.Time
	// Limit is how many events a page has, 1 to MaxListLimit; 0 means
	// DefaultListLimit.
	Limit int
	// Cursor continues the log after the page whose Next it is; empty
	// starts at the newest event. A cursor not given out by this list is
	// errcode.Invalid. It does not carry the conditions: give the same
	// ones with it, or the pages are of another list.
	Cursor string
}

// Page is one page of the audit log, newest first.
type Page struct {
	Events []Event `json:"events"`
	// Next is the Filter.Cursor of the following (older) page; empty on
	// the last.
	Next string `json:"next_cursor,omitempty"`
}

// logCursor is where a page of the log ended: the last event's instant and
// id (the tie-breaker: one transaction's events share an instant), as
// base64url of this JSON. Its keys are no other list's, so that a ticket
// or call cursor is refused rather than misread.
type logCursor struct {
	At time.Time `json:"a"`
	ID int64     `json:"e"`
}

const cursorList = "the audit log"

func (c logCursor) encode() string { return store.EncodeCursor(c) }

func decodeCursor(s string) (logCursor, error) {
	var c logCursor
	if err := store.DecodeCursor(s, &c, cursorList); err != nil {
		return logCursor{}, err
	}
	if c.ID < 1 || c.At.IsZero() {
		return logCursor{}, store.BadCursor(s, cursorList)
	}
	c.At = c.At.UTC()
	return c, nil
}

// check validates f, fills in its defaults and returns where its page
// starts (a zero ID: at the newest event).
func (f *Filter) check() (logCursor, error) {
	switch {
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return logCursor{}, errcode.Errorf(errcode.Invalid, "limit must be 1 to %d, not %d", MaxListLimit, f.Limit)
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return logCursor{}, errcode.Errorf(errcode.Invalid, "since %s must be before until %s",
			f.Since.UTC().Format(time.RFC3339), f.Until.UTC().Format(time.RFC3339))
	}
	if f.Cursor == "" {
		return logCursor{}, nil
	}
	return decodeCursor(f.Cursor)
}

// ListPage returns a page of the events matching f, newest first by
// (instant, id), and the cursor of the next, older page when there is one.
//
// Pages are cut by keyset, not by offset or by time alone: a page starts
// after the previous one's last (instant, id), so the events of one
// transaction, which share an instant, are neither skipped nor repeated
// across a page boundary, events written meanwhile do not shift the pages,
// and a deep page costs what the first does (the index on (at, id),
// migration 00018). A limit outside 0 to MaxListLimit, Since not before
// Until, or a cursor this list did not give out is errcode.Invalid.
func (s *Service) ListPage(ctx context.Context, f Filter) (Page, error) {
	after, err := f.check()
	if err != nil {
		return Page{}, err
	}
	q, args := f.query(after)
	var rows []Event
	err = s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.Select(ctx, &rows, q, args...) })
	if err != nil {
		return Page{}, fmt.Errorf("list audit events: %w", err)
	}
	for i := range rows {
		rows[i].At = rows[i].At.UTC()
	}
	p := Page{Events: rows}
	if len(rows) > f.Limit {
		p.Events = rows[:f.Limit]
		last := p.Events[f.Limit-1]
		p.Next = logCursor{At: last.At, ID: last.ID}.encode()
	}
	if p.Events == nil {
		p.Events = []Event{}
	}
	return p, nil
}

// List returns the events of f's page (the newest Limit matching, or those
// after f.Cursor) oldest first, as a log reads top to bottom, without the
// cursor of the next page: for readers that want the latest few, such as
// the CLI. Its errors are [Service.ListPage]'s.
func (s *Service) List(ctx context.Context, f Filter) ([]Event, error) {
	p, err := s.ListPage(ctx, f)
	if err != nil {
		return nil, err
	}
	slices.Reverse(p.Events)
	return p.Events, nil
}

// query is the statement of a checked Filter: the page after `after` (from
// the newest when its ID is 0), one row longer than the page so that the
// extra row says whether another follows, without counting.
func (f *Filter) query(after logCursor) (string, []any) {
	var where []string
	var args []any
	cond := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if v := strings.TrimSpace(f.SupportID); v != "" {
		cond("c.support_id = ?", v)
	}
	if v := strings.TrimSpace(f.Subject); v != "" {
		cond("e.subject = ?", v)
	}
	if v := strings.TrimSpace(f.Actor); v != "" {
		cond("e.actor = ?", v)
	}
	if !f.Since.IsZero() {
		cond("e.at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		cond("e.at < ?", f.Until.UTC())
	}
	if after.ID != 0 {
		// Row values: one index range on both engines (SQLite since 3.15).
		cond("(e.at, e.id) < (?, ?)", after.At, after.ID)
	}
	q := `SELECT e.id, e.at, e.actor, e.action, e.account_id, e.contact_id, e.subject, e.caller, e.result, e.detail,
			a.number AS account_number, c.support_id AS support_id
		FROM audit_events e
		LEFT JOIN contacts c ON c.id = e.contact_id
		LEFT JOIN accounts a ON a.id = COALESCE(e.account_id, c.account_id)`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	return q + fmt.Sprintf(` ORDER BY e.at DESC, e.id DESC LIMIT %d`, f.Limit+1), args
}
