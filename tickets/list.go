package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// Sort is the order [Service.List] returns tickets in.
type Sort string

// Orders of a ticket list. Both end with the ticket's id, so that tickets
// with the same instant still have one order and a cursor one place.
const (
	// SortOpened is newest (latest opened) first, the default.
	SortOpened Sort = "opened"
	// SortDue is the soonest response due first: what to answer next.
	SortDue Sort = "due"
)

// ParseSort reads a sort as a person or a query string writes it; empty is
// [SortOpened].
func ParseSort(s string) (Sort, error) {
	switch Sort(strings.TrimSpace(s)) {
	case "", SortOpened:
		return SortOpened, nil
	case SortDue:
		return SortDue, nil
	}
	return "", errcode.WithField(errcode.Errorf(errcode.Invalid, "sort %q is not one of opened (newest first), due (soonest due first)", s), "sort")
}

// Filter selects the tickets [Service.List] returns. Every condition set
// must hold; the zero Filter is every ticket, newest first, DefaultLimit of
// them.
type Filter struct {
	// Open keeps tickets that are not resolved (answered or not).
	Open bool
	// AccountNumber keeps one account's tickets; the account must exist.
	AccountNumber string
	// Priority keeps tickets of one priority level (1 to 8); 0 is any.
	Priority int
	// Breached keeps tickets whose promise was broken: the response was due
	// before the SLA clock stopped (at the first response, else at
	// resolution, else it still runs at the list's instant). It reads the
	// ticket's own columns, not the watcher's breach events, so a ticket is
	// breached the moment it is late, whether or not the watcher has run,
	// and agrees with the "overdue by" that TimeLeft shows.
	Breached bool
	// DueBefore, when set, keeps tickets whose response is due before it.
	DueBefore time.Time
	// OpenedFrom and OpenedTo, when set, keep tickets opened at or after
	// OpenedFrom and before OpenedTo.
	OpenedFrom, OpenedTo time.Time
	// Sort is the order; empty is SortOpened.
	Sort Sort
	// Limit is the most tickets on a page, 1 to MaxLimit; 0 means
	// DefaultLimit.
	Limit int
	// Cursor continues a list after the page whose Next it is; empty
	// starts at the beginning. It must come from a list with the same Sort
	// (errcode.Invalid otherwise); give the same conditions with it, or
	// the pages are of another list.
	Cursor string
}

// Page sizes of [Service.List].
const (
	// DefaultLimit is how many tickets a page has when Filter.Limit is 0.
	DefaultLimit = 50
	// MaxLimit is the most tickets one page may have.
	MaxLimit = 1000
)

// Listed is a ticket as [Service.List] returns it: with the name of its
// account, which a person reading a list needs and the ticket itself does
// not carry.
type Listed struct {
	Ticket
	AccountName string `db:"account_name" json:"account_name"`
}

// Page is one page of a ticket list.
type Page struct {
	Tickets []Listed `json:"tickets"`
	// Next is the Filter.Cursor of the following page; empty on the last.
	Next string `json:"next_cursor,omitempty"`
}

// pageCursor is where a page ended: the sort, and the last ticket's sort key
// and id. It travels as base64url of this JSON, which nobody should need
// to read.
type pageCursor struct {
	Sort Sort      `json:"s"`
	Key  time.Time `json:"k"`
	ID   int64     `json:"i"`
}

func (c pageCursor) encode() string { return store.EncodeCursor(c) }

func decodeCursor(s string, sort Sort) (pageCursor, error) {
	const list = "a ticket list"
	var c pageCursor
	if err := store.DecodeCursor(s, &c, list); err != nil {
		return pageCursor{}, err
	}
	if c.ID < 1 || c.Key.IsZero() || (c.Sort != SortOpened && c.Sort != SortDue) {
		return pageCursor{}, store.BadCursor(s, list)
	}
	if c.Sort != sort {
		return pageCursor{}, errcode.Errorf(errcode.Invalid, "cursor is for tickets sorted by %s, not by %s; start again without it or sort by %s", c.Sort, sort, c.Sort)
	}
	c.Key = c.Key.UTC()
	return c, nil
}

// check validates f and fills in its defaults.
func (f *Filter) check() (pageCursor, error) {
	f.AccountNumber = strings.TrimSpace(f.AccountNumber)
	var err error
	if f.Sort, err = ParseSort(string(f.Sort)); err != nil {
		return pageCursor{}, err
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit < 1 || f.Limit > MaxLimit:
		return pageCursor{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "limit must be 1 to %d, not %d", MaxLimit, f.Limit), "limit")
	}
	if f.Priority != 0 && !validPriority(f.Priority) {
		return pageCursor{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "priority %d is not a priority level (1 to 8)", f.Priority), "priority")
	}
	if !f.OpenedFrom.IsZero() && !f.OpenedTo.IsZero() && !f.OpenedFrom.Before(f.OpenedTo) {
		return pageCursor{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "opened from %s must be before opened to %s",
			f.OpenedFrom.UTC().Format(time.RFC3339), f.OpenedTo.UTC().Format(time.RFC3339)), "opened_to")
	}
	if f.Cursor == "" {
		return pageCursor{}, nil
	}
	c, err := decodeCursor(f.Cursor, f.Sort)
	return c, errcode.WithField(err, "cursor")
}

// List returns a page of tickets, without their events, in f.Sort's order,
// and the cursor of the next page when there is one.
//
// Pages are cut by keyset, not offset: a page starts after the previous
// one's last (sort key, id), so the hundredth page costs what the first
// does (an index on (key, id) per order, migration 00012), and a ticket
// opened or resolved meanwhile neither repeats nor skips one. Bad input
// (a limit outside 1 to MaxLimit, a priority that is not a level, an
// unknown sort, a malformed cursor or one made for the other sort) is
// errcode.Invalid. A malformed account number is errcode.Invalid and an
// unknown one errcode.NotFound, by the accounts domain's rules, so that a
// typo is not mistaken for "no tickets".
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	after, err := f.check()
	if err != nil {
		return Page{}, err
	}
	var rows []Listed
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var accountID int64
		if f.AccountNumber != "" {
			acc, err := s.Accounts.AccountTx(ctx, tx, f.AccountNumber)
			if err != nil {
				return errcode.WithField(err, "account")
			}
			accountID = acc.ID
		}
		q, args := f.query(after, accountID, tx.Now)
		if err := tx.Select(ctx, &rows, q, args...); err != nil {
			return fmt.Errorf("list tickets: %w", err)
		}
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	for i := range rows {
		rows[i].normalize()
	}
	p := Page{Tickets: rows}
	if len(rows) > f.Limit {
		p.Tickets = rows[:f.Limit]
		last := p.Tickets[f.Limit-1]
		c := pageCursor{Sort: f.Sort, Key: last.OpenedAt, ID: last.ID}
		if f.Sort == SortDue {
			c.Key = last.ResponseDue
		}
		p.Next = c.encode()
	}
	if p.Tickets == nil {
		p.Tickets = []Listed{}
	}
	return p, nil
}

// query is the statement of a checked Filter: the page after `after` (none
// when its ID is 0) of the account with accountID (any when 0), read at now,
// one row longer than the page so that the extra row says whether there is
// a next page, without counting.
func (f *Filter) query(after pageCursor, accountID int64, now time.Time) (string, []any) {
	var where []string
	var args []any
	cond := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if accountID != 0 {
		cond("t.account_id = ?", accountID)
	}
	if f.Open {
		// A literal, not a parameter: PostgreSQL uses the partial index on
		// open tickets only when it can see the value, and a cached
		// statement's generic plan cannot.
		cond("t.status = '" + string(StatusOpen) + "'")
	}
	if f.Priority != 0 {
		cond("t.priority = ?", f.Priority)
	}
	if f.Breached {
		cond("t.response_due < COALESCE(t.responded_at, t.resolved_at, ?)", now)
	}
	if !f.DueBefore.IsZero() {
		cond("t.response_due < ?", f.DueBefore)
	}
	if !f.OpenedFrom.IsZero() {
		cond("t.opened_at >= ?", f.OpenedFrom)
	}
	if !f.OpenedTo.IsZero() {
		cond("t.opened_at < ?", f.OpenedTo)
	}
	order := ` ORDER BY t.opened_at DESC, t.id DESC`
	if f.Sort == SortDue {
		order = ` ORDER BY t.response_due, t.id`
	}
	if after.ID != 0 {
		// Row values: one index range on both engines (SQLite since 3.15).
		if f.Sort == SortDue {
			cond("(t.response_due, t.id) > (?, ?)", after.Key, after.ID)
		} else {
			cond("(t.opened_at, t.id) < (?, ?)", after.Key, after.ID)
		}
	}
	// The account's name by a subquery, not a join, so that the planners
	// of both engines walk the tickets index in order and stop after the
	// page instead of starting from accounts.
	q := `SELECT ` + ticketColumns + `,
		(SELECT a.name FROM accounts a WHERE a.id = t.account_id) AS account_name
		FROM tickets t`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	return q + order + fmt.Sprintf(` LIMIT %d`, f.Limit+1), args
}

// OpenCount is how many tickets are open, for a page that shows only the
// first of them ("and 9,950 more").
func (s *Service) OpenCount(ctx context.Context) (int, error) {
	var n int
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		return q.Get(ctx, &n, `SELECT count(*) FROM tickets WHERE status = '`+string(StatusOpen)+`'`)
	})
	if err != nil {
		return 0, fmt.Errorf("count open tickets: %w", err)
	}
	return n, nil
}
