package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"supportline/errcode"
	"supportline/store"
)

// Filter selects the tickets [List] returns.
type Filter struct {
	// Open keeps tickets that are not resolved (answered or not).
	Open bool
	// AccountNumber keeps one account's tickets; the account must exist.
	AccountNumber string
	// Limit is how many of the newest tickets to return; 0 means 1000.
	Limit int
}

// DefaultListLimit is how many tickets [List] returns when Filter.Limit is 0.
const DefaultListLimit = 1000

// Listed is a ticket as [List] returns it: with the name of its account,
// which a person reading a list needs and the ticket itself does not carry.
type Listed struct {
	Ticket
	AccountName string `db:"account_name" json:"account_name"`
}

// List returns tickets, newest (latest opened) first, without their events.
// A malformed account number is errcode.Invalid and an unknown one
// errcode.NotFound, so that a typo is not mistaken for "no tickets".
func List(ctx context.Context, db *store.DB, f Filter) ([]Listed, error) {
	f.AccountNumber = strings.TrimSpace(f.AccountNumber)
	if f.AccountNumber != "" && !allDigits(f.AccountNumber) {
		return nil, errcode.Errorf(errcode.Invalid, "account number %q is not a number such as 100200", f.AccountNumber)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	var out []Listed
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var where []string
		var args []any
		if f.AccountNumber != "" {
			var id int64
			err := tx.Get(ctx, &id, `SELECT id FROM accounts WHERE number = ?`, f.AccountNumber)
			if errors.Is(err, sql.ErrNoRows) {
				return errcode.Errorf(errcode.NotFound, "no account %s", f.AccountNumber)
			}
			if err != nil {
				return fmt.Errorf("list tickets: read account %s: %w", f.AccountNumber, err)
			}
			where, args = append(where, "t.account_id = ?"), append(args, id)
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

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
