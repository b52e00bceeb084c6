package tickets

import (
	"context"
	"fmt"
	"strings"

	"supportline/errcode"
	"supportline/store"
)

// Filter selects the tickets [Service.List] returns.
type Filter struct {
	// Open keeps tickets that are not resolved (answered or not).
	Open bool
	// AccountNumber keeps one account's tickets; the account must exist.
	AccountNumber string
	// Limit is how many of the newest tickets to return; 0 means
	// DefaultListLimit, below 0 is errcode.Invalid.
	Limit int
}

// DefaultListLimit is how many tickets [Service.List] returns when
// Filter.Limit is 0.
const DefaultListLimit = 1000

// Listed is a ticket as [Service.List] returns it: with the name of its
// account, which a person reading a list needs and the ticket itself does
// not carry.
type Listed struct {
	Ticket
	AccountName string `db:"account_name" json:"account_name"`
}

// List returns tickets, newest (latest opened) first, without their events.
// A malformed account number is errcode.Invalid and an unknown one
// errcode.NotFound, by the accounts domain's rules, so that a typo is not
// mistaken for "no tickets".
func (s *Service) List(ctx context.Context, f Filter) ([]Listed, error) {
	f.AccountNumber = strings.TrimSpace(f.AccountNumber)
	if f.Limit < 0 {
		return nil, errcode.Errorf(errcode.Invalid, "limit must be at least 1, not %d", f.Limit)
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultListLimit
	}
	var out []Listed
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var where []string
		var args []any
		if f.AccountNumber != "" {
			acc, err := s.Accounts.AccountTx(ctx, tx, f.AccountNumber)
			if err != nil {
				return err
			}
			where, args = append(where, "t.account_id = ?"), append(args, acc.ID)
		}
		if f.Open {
			where, args = append(where, "t.status = ?"), append(args, StatusOpen)
		}
		q := `SELECT ` + ticketColumns + `, acc.name AS account_name
			FROM tickets t JOIN accounts acc ON acc.id = t.account_id`
		if len(where) > 0 {
			q += ` WHERE ` + strings.Join(where, " AND ")
		}
		q += fmt.Sprintf(` ORDER BY t.opened_at DESC, t.id DESC LIMIT %d`, limit)
		if err := tx.Select(ctx, &out, q, args...); err != nil {
			return fmt.Errorf("list tickets: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].normalize()
	}
	return out, nil
}
